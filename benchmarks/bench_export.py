"""Export speed: our deterministic serialisers vs rdflib's, on a synthetic 1M-triple dataset.

Run as ``python benchmarks/bench_export.py [--triples 1000000] [--timeout 300] [--formats ttl,nt,…]``.

The dataset is the built graph ``kg/dataset.nq`` scaled up: every named graph but the ontology is
copied with its entity IRIs renamed (``…/program/kakenhi`` → ``…/program/kakenhi-s7``, graph names
likewise), so the copies have the real mix of terms (ja/en labels, integers, booleans, dates,
evidence quotes, blank-node-free facts) and no triple repeats; the ontology graph is kept once.

For each format, ``stikg.rdf.serialize`` (what ``stikg export`` runs) is timed against rdflib's
serialiser on the same data (an rdflib ``Dataset`` for N-Quads, TriG and JSON-LD, a merged
``Graph`` for Turtle and N-Triples; building them is not timed). rdflib runs in a forked child
with a time box: past ``--timeout`` seconds it is stopped and reported as "did not finish".
Results go to ``benchmarks/results/export.csv``; the target is Turtle in under 30 s.
"""

from __future__ import annotations

import argparse
import csv
import gc
import math
import multiprocessing
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rdflib import Dataset, Graph, URIRef  # noqa: E402

from stikg.rdf import serialize, term_forms  # noqa: E402
from stikg.rdf.kgwriter import read_dataset  # noqa: E402

KINDS = "program|strategy|organization|hub|document|allocation|citation|flow|role|period|evidence|graph"
RDFLIB_FORMATS = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig", "jsonld": "json-ld"}
TURTLE_TARGET_S = 30.0


def synthetic(triples: int, source: Path) -> dict[URIRef, set]:
    """At least ``triples`` distinct triples: kg/dataset.nq's graphs copied with renamed IRIs."""
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    ontology = [line for line in lines if line.rstrip().endswith("/graph/ontology> .")]
    others = [line for line in lines if not line.rstrip().endswith("/graph/ontology> .")]
    pattern = re.compile(rf"(<https://w3id\.org/stikg/(?:{KINDS})/[^>]+)>")
    copies = max(1, math.ceil((triples - len(ontology)) / len(others)))
    tmp = Path(sys.argv[0]).resolve().parent / "results" / ".synthetic.nq"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    with tmp.open("w", encoding="utf-8") as out:
        out.writelines(ontology)
        for k in range(copies):
            suffix = f"-s{k}>"
            out.writelines(pattern.sub(lambda m, s=suffix: m.group(1) + s, line) for line in others)
    try:
        return read_dataset(tmp)
    finally:
        tmp.unlink()


def time_ours(fmt: str, graphs: dict[URIRef, set]) -> tuple[float, int]:
    term_forms._NT_CACHE.clear()  # no head start from an earlier format's memoised terms
    gc.collect()
    start = time.perf_counter()
    data = serialize.serialize(fmt, graphs)
    elapsed = time.perf_counter() - start
    return elapsed, len(data.encode("utf-8"))


def _rdflib_child(conn, fmt: str, target) -> None:
    start = time.perf_counter()
    data = target.serialize(format=RDFLIB_FORMATS[fmt], encoding="utf-8")
    conn.send((time.perf_counter() - start, len(data)))
    conn.close()


def time_rdflib(fmt: str, target, timeout: float) -> tuple[float | None, int | None]:
    """rdflib's serialiser in a forked child (it shares the built graph); None past ``timeout``."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_rdflib_child, args=(child, fmt, target), daemon=True)
    proc.start()
    child.close()
    if parent.poll(timeout):
        elapsed, size = parent.recv()
        proc.join(10)
        return elapsed, size
    proc.kill()
    proc.join(10)
    return None, None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=1_000_000, help="size of the synthetic dataset")
    parser.add_argument("--timeout", type=float, default=300.0, help="time box for each rdflib run (s)")
    parser.add_argument("--formats", default="ttl,nt,nq,trig,jsonld")
    parser.add_argument("--no-rdflib", action="store_true", help="time our serialisers only")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "export.csv")
    args = parser.parse_args()
    formats = [f for f in args.formats.split(",") if f]
    unknown = sorted(set(formats) - set(RDFLIB_FORMATS))
    if unknown:
        parser.error(f"unknown format(s): {', '.join(unknown)}")

    start = time.perf_counter()
    graphs = synthetic(args.triples, ROOT / "kg" / "dataset.nq")
    quads = sum(len(t) for t in graphs.values())
    merged = set().union(*graphs.values())
    print(f"synthetic dataset: {quads:,} quads, {len(merged):,} distinct triples, {len(graphs)} graphs "
          f"({time.perf_counter() - start:.1f} s to make)", flush=True)

    dataset = graph = None
    if not args.no_rdflib:
        start = time.perf_counter()
        dataset = Dataset()
        for name, triples in graphs.items():
            g = dataset.graph(name)
            for triple in triples:
                g.add(triple)
        graph = Graph()
        for triple in merged:
            graph.add(triple)
        print(f"rdflib Dataset and Graph built in {time.perf_counter() - start:.1f} s (not timed)", flush=True)

    rows = []
    for fmt in formats:
        ours, ours_bytes = time_ours(fmt, graphs)
        print(f"  {fmt:<7} stikg  {ours:8.2f} s  {ours_bytes:>13,} bytes", flush=True)
        theirs = theirs_bytes = None
        note = ""
        if not args.no_rdflib:
            target = graph if fmt in ("ttl", "nt") else dataset
            theirs, theirs_bytes = time_rdflib(fmt, target, args.timeout)
            if theirs is None:
                note = f"rdflib did not finish in {args.timeout:g} s"
                print(f"  {fmt:<7} rdflib {note}", flush=True)
            else:
                print(f"  {fmt:<7} rdflib {theirs:8.2f} s  {theirs_bytes:>13,} bytes", flush=True)
        rows.append({
            "format": fmt,
            "triples": len(merged) if fmt in ("ttl", "nt") else quads,
            "stikg_s": f"{ours:.2f}", "stikg_bytes": ours_bytes,
            "rdflib_s": "" if theirs is None else f"{theirs:.2f}",
            "rdflib_bytes": "" if theirs_bytes is None else theirs_bytes,
            "speedup": "" if theirs is None else f"{theirs / ours:.1f}",
            "note": note or ("rdflib not run" if args.no_rdflib else ""),
        })

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    print()
    print(f"{'format':<7} {'triples':>10} {'stikg s':>9} {'rdflib s':>10} {'speedup':>8}  note")
    for r in rows:
        rdflib_s = r["rdflib_s"] or ">" + f"{args.timeout:g}" if not args.no_rdflib else "-"
        print(f"{r['format']:<7} {r['triples']:>10,} {r['stikg_s']:>9} {rdflib_s:>10} {r['speedup'] or '-':>8}  {r['note']}")
    turtle = next((r for r in rows if r["format"] == "ttl"), None)
    if turtle:
        verdict = "meets" if float(turtle["stikg_s"]) < TURTLE_TARGET_S else "MISSES"
        print(f"Turtle: {turtle['stikg_s']} s for {turtle['triples']:,} triples — {verdict} the < {TURTLE_TARGET_S:g} s target")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
