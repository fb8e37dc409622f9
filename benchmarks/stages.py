"""One corpus, every stage of the pipeline, timed in this process: wall time and peak RSS per stage.

Run by ``benchmarks/run_all.py`` in a subprocess per corpus size (so one size's memory never
inflates another's), or by hand::

    python benchmarks/stages.py --root DIR [--json OUT] [--repeat 5] [--validate-timeout 1800]

Stages, in order (each one's input is the previous one's output, as in ``stikg build``):
``load`` (catalog, documents, registry, ontology, shapes), ``extract`` (every document, cold memo
caches, no per-document cache), ``map`` (documents, registry, catalog), ``reason`` (the engine
``stikg build --reasoner auto`` would choose), ``write`` (``kg/`` files via stikg.rdf.kgwriter),
``load_store`` (pyoxigraph bulk load of dataset.nq), ``query`` (every library query, median of
``--repeat`` runs), ``export`` (Turtle via stikg.rdf.serialize) and ``validate`` (pyshacl, last because
it is the slowest; time-boxed: past ``--validate-timeout`` it is stopped and reported as not
finished). Peak RSS per stage is the process's VmHWM after resetting it (``/proc/self/clear_refs``)
at the start of the stage, so it includes what earlier stages still hold.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


class StageTimeout(Exception):
    """A time-boxed stage ran out of time."""


def reset_peak() -> None:
    """Reset VmHWM so the next reading is this stage's peak (Linux ≥ 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_mb() -> float:
    """Peak resident set size since the last reset, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children(pids: set[int]) -> set[int]:
    """``pids`` and all their descendants (from /proc/*/stat)."""
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree = set(pids)
    grown = True
    while grown:
        grown = False
        for pid, ppid in parent.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grown = True
    return tree


def tree_memory_mb(root_pid: int) -> float:
    """Memory of a process and its descendants: the sum of their PSS (shared pages split between
    the processes that share them, so forked workers are not counted twice), else of their RSS."""
    total = 0
    for pid in _children({root_pid}):
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            key = "Pss:"
        except OSError:
            try:
                text = Path(f"/proc/{pid}/status").read_text()
                key = "VmRSS:"
            except OSError:
                continue
        for line in text.splitlines():
            if line.startswith(key):
                total += int(line.split()[1])
                break
    return total / 1024


class TreeSampler:
    """Samples :func:`tree_memory_mb` in a thread; ``peak`` is the largest sum seen."""

    def __init__(self, root_pid: int, interval: float = 0.25):
        import threading

        self.root_pid = root_pid
        self.interval = interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, tree_memory_mb(self.root_pid))
            except OSError:
                pass
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class Recorder:
    """Collects one row per stage."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def run(self, name: str, fn: Callable[[], object], timeout: float | None = None, detail: str = "") -> object:
        reset_peak()
        if timeout:
            def expire(signum, frame):
                raise StageTimeout()
            signal.signal(signal.SIGALRM, expire)
            signal.setitimer(signal.ITIMER_REAL, timeout)
        started = time.perf_counter()
        status, out = "ok", None
        sampler = TreeSampler(os.getpid())
        try:
            with sampler:
                out = fn()
        except StageTimeout:
            status = f"did not finish in {timeout:.0f} s"
        finally:
            if timeout:
                signal.setitimer(signal.ITIMER_REAL, 0)
        wall = time.perf_counter() - started
        row = {"stage": name, "wall_s": round(wall, 3), "peak_rss_mb": round(peak_mb(), 1),
               "peak_tree_mb": round(sampler.peak, 1), "status": status, "detail": detail}
        self.rows.append(row)
        print(f"  {name:<10} {wall:8.2f} s  {row['peak_rss_mb']:8.0f} MB  {row['peak_tree_mb']:8.0f} MB (with workers)"
              f"  {status}", file=sys.stderr, flush=True)
        return out


def build_prefilters(triples: int) -> bool:
    """Whether ``stikg build`` validates a graph of this size with the pre-pass (mirrors build.py's
    PREFILTERED_VALIDATION_LIMIT; False on code without it)."""
    from stikg import build

    limit = getattr(build, "PREFILTERED_VALIDATION_LIMIT", None)
    return limit is not None and triples > limit


def validate_like_build(triples, shapes, ontology):
    """Validate as ``stikg build`` does: one pyshacl run, or pre-pass + pyshacl on the suspects."""
    from rdflib import Graph

    from stikg.rdf import validation

    if build_prefilters(len(triples)):
        return validation.validate_prefiltered(triples, shapes, ontology)
    data = Graph()
    for triple in triples:
        data.add(triple)
    return validation.validate(data, shapes, ontology)


def validate_one_run(data, shapes, ontology):
    """One pyshacl run over the whole graph in this process (the reference)."""
    from stikg.rdf import validation

    return validation.validate(data, shapes, ontology)


_TOP = {
    "program": "SELECT ?e (COUNT(?a) AS ?n) WHERE { ?a <https://w3id.org/stikg/ontology#forProgram> ?e } "
               "GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT 1",
    "strategy": "SELECT ?e (COUNT(?c) AS ?n) WHERE { ?c <https://w3id.org/stikg/ontology#citedStrategy> ?e } "
                "GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT 1",
    "series": "SELECT ?e WHERE { ?c <https://w3id.org/stikg/ontology#citedStrategy> ?e "
              "FILTER(CONTAINS(STR(?e), '/strategy/integrated-innovation-strategy-')) } ORDER BY ?e",
}


def time_query(query, backend, repeat: int) -> dict:
    """Median latency (ms) of ``repeat`` runs of a library query on ``backend``, and its row count."""
    bindings = query_bindings(query, backend)
    times, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        result = backend.run(query.text, bindings)
        times.append((time.perf_counter() - started) * 1000)
        rows = len(getattr(result, "rows", getattr(result, "triples", [])))
    return {"median_ms": round(statistics.median(times), 2), "rows": rows}


def query_bindings(query, backend) -> dict:
    """Bindings for a library query: its defaults, unless they name an entity the corpus does not
    have (the synthetic corpus has no ``q-leap``) or give no rows; then the corpus's own entities
    stand in: the program with the most amounts, the most cited strategy, the oldest and newest
    cited editions of a series."""
    from stikg.sparql import LabelResolver, QueryError, bind_parameters

    resolver = LabelResolver(backend)
    try:
        bindings = bind_parameters(query, {}, resolver)
        result = backend.run(query.text, bindings)
        if getattr(result, "rows", getattr(result, "triples", None)):
            return bindings
    except QueryError:
        bindings = None
    given: dict[str, str] = {}
    for param in query.parameters:
        if param.default is None or param.type not in ("program", "strategy", "iri"):
            continue
        if param.type == "strategy" and param.name.startswith(("old", "new")):
            rows = backend.run(_TOP["series"]).rows
            pick = rows[0 if param.name.startswith("old") else -1] if rows else None
        else:
            rows = backend.run(_TOP["strategy" if param.type == "strategy" else "program"]).rows
            pick = rows[0] if rows else None
        if pick is not None:
            iri = pick[0].value
            given[param.name] = f"<{iri}>" if param.type == "iri" else iri.rsplit("/", 1)[-1]
    if not given and bindings is not None:
        return bindings
    return bind_parameters(query, given, resolver)


def run_stages(root: Path, repeat: int = 5, validate_timeout: float | None = None,
               keep: Path | None = None) -> dict:
    """All stages on the project at ``root``; returns rows and corpus facts.

    The cyclic garbage collector is paused, as ``stikg build`` pauses it."""
    import gc

    import pyoxigraph as ox
    from rdflib import Graph

    gc.disable()

    from stikg.build import choose_reasoner, load_ontology, load_registry
    from stikg.core.config import Paths
    from stikg.extract import extract_document
    from stikg.extract.document import clear_caches
    from stikg.inputs.corpus import load_corpus
    from stikg.rdf import serialize, vocab
    from stikg.rdf.kgwriter import canonical_triples, write_dataset
    from stikg.rdf.mapping import Mapper
    from stikg.rdf.reasoning import reason
    from stikg.rdf.validation import load_shapes
    from stikg.sparql import EmbeddedBackend, library

    paths = Paths(root)
    rec = Recorder()
    state: dict = {}

    def load():
        state["documents"] = load_corpus(paths.sources, paths.catalog)
        state["registry"] = load_registry(paths)
        state["ontology"] = load_ontology(paths)
        state["shapes"] = load_shapes(paths.shapes)

    rec.run("load", load)
    documents = state["documents"]
    lines = sum(len(d.lines) for d in documents)
    rec.rows[-1]["detail"] = f"{len(documents)} documents, {lines} lines"

    def extract():
        clear_caches()
        return {d.entry.id: extract_document(list(d.lines), d.entry.id, fiscal_year=d.entry.fiscal_year,
                                             kind=d.entry.kind, registry=state["registry"]) for d in documents}

    extractions = rec.run("extract", extract)
    records = sum(len(r.amounts) + len(r.citations) + len(r.organizations) + len(r.flows) + len(r.periods)
                  for r in extractions.values())
    rec.rows[-1]["detail"] = f"{records} records ({lines / max(rec.rows[-1]['wall_s'], 1e-9):,.0f} lines/s)"

    def map_all():
        mapper = Mapper(state["registry"])
        graphs = {vocab.graph_iri(f"document/{d.entry.stem}"): mapper.map_document(d, extractions[d.entry.id]).triples
                  for d in documents}
        graphs[vocab.graph_iri("registry")] = mapper.map_registry()
        graphs[vocab.graph_iri("catalog")] = mapper.map_catalog(d.entry for d in documents)
        return graphs, set().union(*graphs.values())

    graphs, asserted = rec.run("map", map_all)
    rec.rows[-1]["detail"] = f"{len(asserted)} asserted triples"
    engine = choose_reasoner("auto", len(asserted))
    inferred = rec.run("reason", lambda: reason(asserted, state["ontology"], engine))
    rec.rows[-1]["detail"] = f"{engine}: {len(inferred)} inferred triples"
    graphs[vocab.graph_iri("inferred")] = inferred
    graphs[vocab.graph_iri("ontology")] = canonical_triples(state["ontology"])
    quads = sum(len(t) for t in graphs.values())

    if keep is not None:
        keep.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="stikg-stages-", dir=keep.parent if keep else None))
    try:
        kg = work / "kg"
        rec.run("write", lambda: write_dataset(kg, graphs), detail="dataset.nq/.trig/.jsonld, stikg.ttl, graphs/*.ttl")
        rec.rows[-1]["detail"] = f"{quads} quads; " + rec.rows[-1]["detail"]
        nq = kg / "dataset.nq"

        def load_store():
            store = ox.Store(str(work / "store"))
            store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
            store.flush()
            store.optimize()
            return store

        store = rec.run("load_store", load_store, detail="pyoxigraph bulk load of dataset.nq")
        backend = EmbeddedBackend(store)
        latencies: list[dict] = []

        def queries():
            for name, query in library(paths.queries).items():
                latencies.append({"query": name, **time_query(query, backend, repeat)})

        rec.run("query", queries)
        med = statistics.median(q["median_ms"] for q in latencies) if latencies else 0.0
        worst = max(latencies, key=lambda q: q["median_ms"]) if latencies else None
        rec.rows[-1]["detail"] = (f"{len(latencies)} library queries, median {med:.1f} ms"
                                  + (f", slowest {worst['query']} {worst['median_ms']:.0f} ms" if worst else ""))
        rec.rows[-1]["median_query_ms"] = round(med, 2)
        backend = store = None  # close the store before the next stages

        def export():
            text = serialize.serialize("ttl", graphs)
            (work / "export.ttl").write_text(text, encoding="utf-8")
            return len(text)

        size = rec.run("export", export)
        rec.rows[-1]["detail"] = f"Turtle {size or 0:,} characters"
        if keep is not None:
            shutil.rmtree(keep, ignore_errors=True)
            shutil.move(str(kg), keep)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def validate_all():
        return validate_like_build(asserted | inferred, state["shapes"], state["ontology"])

    def describe(report, how: str) -> None:
        if report is not None:
            c = report.counts
            rec.rows[-1]["detail"] = (f"{how}: {c.get('Violation', 0)} violations, {c.get('Warning', 0)} warnings, "
                                      f"{c.get('Info', 0)} info")
        else:
            rec.rows[-1]["detail"] = how

    prefiltered = build_prefilters(len(asserted | inferred))
    describe(rec.run("validate", validate_all, timeout=validate_timeout),
             "as stikg build: pre-pass, then pyshacl on the suspects" if prefiltered
             else "as stikg build: one pyshacl run")
    if prefiltered:
        def validate_single():
            data = Graph()
            for triple in asserted | inferred:
                data.add(triple)
            return validate_one_run(data, state["shapes"], state["ontology"])

        describe(rec.run("validate_1run", validate_single, timeout=validate_timeout), "one pyshacl run, one process")
    return {"documents": len(documents), "lines": lines, "records": records, "asserted": len(asserted),
            "inferred": len(inferred), "quads": quads, "engine": engine, "stages": rec.rows, "queries": latencies}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="project root (sources/, mappings/registry/ …)")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    parser.add_argument("--repeat", type=int, default=5, help="runs per library query (median)")
    parser.add_argument("--validate-timeout", type=float, default=None, help="seconds before validation is stopped")
    parser.add_argument("--keep-kg", type=Path, help="move the written kg/ files here")
    args = parser.parse_args()
    result = run_stages(args.root.resolve(), args.repeat, args.validate_timeout, args.keep_kg)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
