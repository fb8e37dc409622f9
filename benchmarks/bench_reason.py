"""The fast OWL 2 RL engine (``stikg.rdf.fast_engine.fast_closure``) against its previous version.

Run as::

    python benchmarks/bench_reason.py GRAPHS.pickle [--ontology DIR] [--repeat 3]
    python benchmarks/bench_reason.py --root DIR [--repeat 3]

``GRAPHS.pickle`` holds ``dict[graph IRI, set[triple]]`` as ``stikg build`` makes it: the asserted
triples are the union of every graph but ``…/graph/inferred`` (and ``…/graph/ontology``, if present),
and the inferred graph, when present, is the expected answer. ``--root DIR`` builds the asserted
set from the project at DIR instead (corpus, registry and catalog mapped as ``stikg build`` does,
reusing its document cache). The ontology is ``DIR/ontology/*.ttl`` (``--ontology``, default this
repository for a pickle, the project for ``--root``).

Each engine runs in a forked child (so one run's garbage and peak memory never touch the next) and
is timed as the build calls it: ``fast_closure(asserted, ontology)``, the ontology closure
included. ``baseline`` is the engine as it was before the rewrite (copied below, unchanged); both
must return the same set, checked by comparing the children's results, and against the pickle's
inferred graph when there is one. Peak memory is the child's VmHWM (peak RSS: the data it shares
with the parent included) and its growth over the RSS at the start of the run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import pickle
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rdflib import Graph, Literal  # noqa: E402
from rdflib.namespace import RDF  # noqa: E402

from stikg.core.config import Paths, base_iri  # noqa: E402
from stikg.core.errors import StikgError  # noqa: E402
from stikg.rdf import vocab  # noqa: E402
from stikg.rdf.fast_engine import fast_closure  # noqa: E402
from stikg.rdf.fast_rules import Schema  # noqa: E402
from stikg.rdf.owl_rl import InconsistentGraph  # noqa: E402
from stikg.rdf.owl_rl import keep_entailment as _keep  # noqa: E402

Triple = tuple


# --- the engine before the rewrite (stikg.rdf.reasoning at commit 3845c3e), kept for comparison ---------

def _baseline_fast_closure(asserted: Iterable[Triple], ontology: Graph, schema: Schema | None = None) -> set[Triple]:
    schema = schema or Schema(ontology)
    known: set[Triple] = set(asserted)
    asserted_set = set(known)
    by_sp: dict = defaultdict(set)   # (s, p) -> {o}
    by_po: dict = defaultdict(set)   # (p, o) -> {s}
    todo = list(known)
    for s, p, o in known:
        by_sp[(s, p)].add(o)
        by_po[(p, o)].add(s)
    chains_first = defaultdict(list)
    chains_second = defaultdict(list)
    for first, second, result in schema.chains:
        chains_first[first].append((second, result))
        chains_second[second].append((first, result))

    def add(triple: Triple) -> None:
        if triple not in known:
            known.add(triple)
            s, p, o = triple
            by_sp[(s, p)].add(o)
            by_po[(p, o)].add(s)
            todo.append(triple)

    while todo:
        s, p, o = todo.pop()
        if p == RDF.type:
            for d in schema.super_classes.get(o, ()):
                add((s, RDF.type, d))
            continue
        resource_object = not isinstance(o, Literal)
        for q in schema.super_properties.get(p, ()):
            add((s, q, o))
        for c in schema.domains.get(p, ()):
            add((s, RDF.type, c))
        if resource_object:
            for c in schema.ranges.get(p, ()):
                add((o, RDF.type, c))
            for q in schema.inverses.get(p, ()):
                add((o, q, s))
            if p in schema.symmetric:
                add((o, p, s))
            if p in schema.transitive:
                for z in list(by_sp.get((o, p), ())):
                    add((s, p, z))
                for x in list(by_po.get((p, s), ())):
                    add((x, p, o))
            for second, result in chains_first.get(p, ()):
                for z in list(by_sp.get((o, second), ())):
                    add((s, result, z))
            for first, result in chains_second.get(p, ()):
                for x in list(by_po.get((first, s), ())):
                    add((x, result, o))
    _baseline_check_consistency(known, schema)
    _baseline_check_no_same_as(by_sp, by_po, schema)
    base = base_iri()
    return {t for t in known if t not in asserted_set and _keep(t, base)}


def _baseline_check_no_same_as(by_sp: dict, by_po: dict, schema: Schema) -> None:
    for (s, p), values in by_sp.items():
        if p in schema.functional and len(values) > 1:
            raise StikgError(f"fast reasoner: {s} has {len(values)} values for functional property {p} "
                             "(owl:sameAs or inconsistency); build with --reasoner owlrl")
    for (p, o), subjects in by_po.items():
        if p in schema.inverse_functional and len(subjects) > 1 and not isinstance(o, Literal):
            raise StikgError(f"fast reasoner: {len(subjects)} subjects share {o} on inverse-functional "
                             f"property {p} (owl:sameAs); build with --reasoner owlrl")


def _baseline_check_consistency(triples: set[Triple], schema: Schema) -> None:
    errors = []
    if schema.disjoint:
        types: dict = defaultdict(set)
        for s, p, o in triples:
            if p == RDF.type:
                types[s].add(o)
        for s, classes in types.items():
            for pair in schema.disjoint:
                if pair <= classes:
                    a, b = sorted(pair)
                    errors.append(f"{s} is in disjoint classes {a} and {b}")
    for s, p, o in triples:
        if p in schema.irreflexive and s == o:
            errors.append(f"{s} {p} itself (irreflexive property)")
    if errors:
        raise InconsistentGraph("OWL 2 RL inconsistency: " + "; ".join(sorted(errors)[:5]))


# --- the benchmark -------------------------------------------------------------------------------------

ENGINES = {"baseline": _baseline_fast_closure, "fast": fast_closure}

# Set in the parent before forking; the children read them (copy-on-write).
_DATA: dict = {}


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _digest(triples: set[Triple]) -> tuple[int, int]:
    """An order-independent fingerprint (same hash seed in every forked child)."""
    return len(triples), sum(hash(t) for t in triples) & 0xFFFFFFFFFFFFFFFF


def _child(engine: str, conn) -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM (Linux >= 4.0)
    except OSError:
        pass
    start_rss = _status_kb("VmRSS")
    started = time.perf_counter()
    try:
        result = ENGINES[engine](_DATA["asserted"], _DATA["ontology"])
    except Exception as exc:  # report, don't hang the parent
        conn.send({"error": f"{type(exc).__name__}: {exc}"})
        return
    seconds = time.perf_counter() - started
    peak = _status_kb("VmHWM")
    expected = _DATA.get("expected")
    conn.send({
        "seconds": seconds,
        "peak_mb": peak / 1024 if peak else None,
        "growth_mb": (peak - start_rss) / 1024 if peak and start_rss else None,
        "digest": _digest(result),
        "equals_expected": None if expected is None else result == expected,
    })


def run(engine: str) -> dict:
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(engine, child))
    process.start()
    child.close()
    answer = parent.recv()
    process.join()
    if "error" in answer:
        raise SystemExit(f"{engine}: {answer['error']}")
    return answer


def load_pickle(path: Path) -> tuple[set, set | None]:
    with path.open("rb") as handle:
        graphs = pickle.load(handle)
    skip = {vocab.graph_iri("inferred"), vocab.graph_iri("ontology")}
    asserted = set().union(*(t for name, t in graphs.items() if name not in skip))
    return asserted, graphs.get(vocab.graph_iri("inferred"))


def load_root(root: Path) -> set:
    from stikg.build import extract_and_map, load_registry
    from stikg.inputs.corpus import load_corpus
    from stikg.rdf.mapping import Mapper

    paths = Paths(root)
    documents = load_corpus(paths.sources, paths.catalog)
    registry = load_registry(paths)
    mapper = Mapper(registry)
    _, mapped, _ = extract_and_map(documents, registry, paths, mapper, write=False)
    graphs = [mapped[doc.entry.id].triples for doc in documents]
    graphs += [mapper.map_registry(), mapper.map_catalog(d.entry for d in documents)]
    return set().union(*graphs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pickle", nargs="?", type=Path, help="dict[graph IRI, set[triple]] (pickle)")
    parser.add_argument("--root", type=Path, help="build the asserted set from this project instead")
    parser.add_argument("--ontology", type=Path, help="project whose ontology/*.ttl to use")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine (default 3)")
    parser.add_argument("--engines", default="baseline,fast", help="comma-separated: baseline,fast")
    args = parser.parse_args(argv)
    if (args.pickle is None) == (args.root is None):
        parser.error("give a pickle or --root DIR (not both)")
    engines = [e for e in args.engines.split(",") if e]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(sorted(unknown))}")

    from stikg.build import load_ontology

    started = time.perf_counter()
    if args.pickle is not None:
        asserted, expected = load_pickle(args.pickle)
    else:
        asserted, expected = load_root(args.root), None
    _DATA.update(asserted=asserted, expected=expected,
                 ontology=load_ontology(Paths(args.ontology or args.root or ROOT)))
    print(f"{len(asserted):,} asserted triples"
          + (f", {len(expected):,} expected inferred" if expected is not None else "")
          + f" (loaded in {time.perf_counter() - started:.1f} s); {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)

    results: dict[str, list[dict]] = {e: [] for e in engines}
    for i in range(args.repeat):
        for engine in engines:  # interleaved, so a change in machine load hits both alike
            answer = run(engine)
            results[engine].append(answer)
            print(f"  run {i + 1}: {engine:8s} {answer['seconds']:7.2f} s  peak {answer['peak_mb'] or 0:7.0f} MiB"
                  f"  (+{answer['growth_mb'] or 0:.0f} MiB)  {answer['digest'][0]:,} inferred", flush=True)

    print()
    print(f"{'engine':10s} {'best s':>8s} {'median s':>9s} {'peak MiB':>9s} {'+MiB':>7s}  same as expected")
    for engine, answers in results.items():
        seconds = [a["seconds"] for a in answers]
        peak = max(a["peak_mb"] or 0 for a in answers)
        growth = max(a["growth_mb"] or 0 for a in answers)
        same = {a["equals_expected"] for a in answers}
        print(f"{engine:10s} {min(seconds):8.2f} {statistics.median(seconds):9.2f} {peak:9.0f} {growth:7.0f}  "
              f"{'n/a' if same == {None} else all(same)}")
    digests = {a["digest"] for answers in results.values() for a in answers}
    if len(results) > 1:
        best = {e: min(a["seconds"] for a in answers) for e, answers in results.items()}
        if "baseline" in best and "fast" in best:
            print(f"speed-up (best vs best): {best['baseline'] / best['fast']:.1f}x")
    same_everywhere = len(digests) == 1 and all(a["equals_expected"] is not False
                                                 for answers in results.values() for a in answers)
    print("results identical across engines and runs:", same_everywhere)
    return 0 if same_everywhere else 1


if __name__ == "__main__":
    sys.exit(main())
