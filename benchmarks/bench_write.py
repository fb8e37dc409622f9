"""The write stage of ``stikg build`` (``compute_stats`` + ``write_kg``), per file, old code vs new.

Run as::

    python benchmarks/bench_write.py /tmp/g5000.pickle [--root DIR] [--old REV] [--keep DIR]
    python benchmarks/bench_write.py --root DIR [--old REV]        # builds DIR (no write) first

The input is a pickle of the graphs ``write_kg`` receives: ``{graph IRI: set of triples}``, or
``(graphs, report, stats)`` (what tests/test_reliability_build.py pickles). The ontology graph
is added when it is missing, as ``stikg build`` does. ``--root`` supplies the documents and input
files (VoID, manifest); without a pickle the project at ``--root`` is built first (``write=False``)
and its graphs are used.

Each code version runs in a fresh subprocess (``--old REV`` is ``git archive``d to a temporary
directory; without it only the working tree runs) writing into its own directory; with both, the
two output trees must be byte-identical (the script says which files differ). Per file it prints
when the file was done (seconds since ``compute_stats`` started) and the time its process spent
on it since that process's previous file; ``stats`` is ``compute_stats``. Memory: peak of the
summed PSS of the process and its forked workers (sampled every 0.1 s) and the peak RSS of the
writing process.
"""

from __future__ import annotations

import argparse
import filecmp
import importlib
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- worker (one version)

def worker(args) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))  # the code under test comes first on PYTHONPATH
    import gc
    import resource
    from dataclasses import dataclass

    from rdflib import Graph

    import stikg
    from stikg import build
    from stikg.core import atomic
    from stikg.core.config import Paths
    from stikg.inputs.corpus import load_corpus
    from stikg.rdf import vocab
    from stikg.rdf.kgwriter import canonical_triples
    from stikg.rdf.validation import ValidationReport

    assert Path(stikg.__file__).resolve().is_relative_to(Path(args.src).resolve()), stikg.__file__
    # benchmarks/stages.py puts the working tree's src/ on sys.path: import it after stikg
    stages = importlib.import_module("stages")
    TreeSampler, peak_mb, reset_peak = stages.TreeSampler, stages.peak_mb, stages.reset_peak

    gc.disable()
    with open(args.input, "rb") as handle:
        data = pickle.load(handle)
    gc.enable()
    if isinstance(data, tuple):
        graphs, report, stats = data
    else:
        graphs, report, stats = data, None, None
    if report is None:
        report = ValidationReport(conforms=True, graph=Graph())
    paths = Paths(Path(args.root))
    documents = load_corpus(paths.sources, paths.catalog)
    ontology_iri = vocab.graph_iri("ontology")
    if ontology_iri not in graphs:
        graphs[ontology_iri] = canonical_triples(build.load_ontology(paths))

    @dataclass(frozen=True)
    class OutPaths(Paths):
        out: Path = Path()

        @property
        def kg(self) -> Path:
            return self.out

    out = OutPaths(paths.root, Path(args.out))
    log = Path(args.out).parent / f".{Path(args.out).name}.log"
    log.unlink(missing_ok=True)
    real_write_bytes = atomic.write_bytes

    def write_bytes(path, data):  # every kg/ file goes through here, in whichever process writes it
        real_write_bytes(path, data)
        line = json.dumps([os.getpid(), time.perf_counter(), str(path), len(data)]) + "\n"
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    atomic.write_bytes = write_bytes
    rss_before = peak_mb()
    reset_peak()
    sampler = TreeSampler(os.getpid(), interval=0.1)
    t0 = time.perf_counter()
    stats_given = stats is not None
    with sampler:
        if stats is None:  # as the build: compute_stats (over every graph), then write_kg
            stats = build.compute_stats([], {}, {}, graphs, report)
        t_stats = time.perf_counter()
        build.write_kg(out, graphs, report, stats, documents)
    t1 = time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows, last = [], {}
    for line in log.read_text().splitlines():
        pid, when, path, size = json.loads(line)
        # files are written into a staging directory next to the output directory
        staging = next(p for p in Path(path).parents if p.parent == Path(args.out).parent)
        rel = Path(path).relative_to(staging).as_posix()
        start = last.get(pid, t_stats)
        rows.append({"file": rel, "done_s": round(when - t0, 3), "own_s": round(when - start, 3),
                     "bytes": size, "pid": pid})
        last[pid] = when
    print(json.dumps({
        "quads": sum(len(t) for t in graphs.values()), "stats_s": round(t_stats - t0, 3), "stats_given": stats_given,
        "write_kg_s": round(t1 - t_stats, 3), "total_s": round(t1 - t0, 3), "files": rows,
        "rss_before_mb": round(rss_before, 1), "peak_rss_mb": round(peak_mb(), 1),
        "peak_children_rss_mb": round(children, 1), "peak_tree_pss_mb": round(sampler.peak, 1),
    }))


# ----------------------------------------------------------------------------- driver

def run_version(label: str, src: Path, pickle_path: Path, root: Path, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--worker", "--src", str(src), "--input", str(pickle_path),
           "--root", str(root), "--out", str(out)]
    print(f"{label}: running {src} …", file=sys.stderr, flush=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"{label} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def differences(a: Path, b: Path) -> list[str]:
    files_a = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    diff = [f"only in one: {name}" for name in sorted(files_a ^ files_b)]
    diff += [f"differs: {name}" for name in sorted(files_a & files_b)
             if not filecmp.cmp(a / name, b / name, shallow=False)]
    return diff


def short(name: str) -> str:
    return "graphs/*.ttl" if name.startswith("graphs/") else name


def table(results: dict[str, dict]) -> str:
    """Per file: when it was done and its own time, one column pair per version."""
    labels = list(results)
    merged: dict[str, dict[str, list[float]]] = {}
    for label, result in results.items():
        for row in result["files"]:
            entry = merged.setdefault(short(row["file"]), {}).setdefault(label, [0.0, 0.0, 0])
            entry[0] = max(entry[0], row["done_s"])
            entry[1] += row["own_s"]
            entry[2] += 1
    head = f"{'file':<22}" + "".join(f" | {label + ' done':>12} {label + ' own':>11}" for label in labels)
    lines = [head, "-" * len(head)]
    order = sorted(merged, key=lambda n: max(v[0] for v in merged[n].values()))
    lines.append(f"{'compute_stats':<22}" + "".join(
        f" | {'(given)':>12} {'':>11}" if results[label]["stats_given"] else
        f" | {results[label]['stats_s']:>12.2f} {results[label]['stats_s']:>11.2f}" for label in labels))
    for name in order:
        cells = ""
        for label in labels:
            done, own, count = merged[name].get(label, (float("nan"), float("nan"), 0))
            cells += f" | {done:>12.2f} {own:>11.2f}"
        suffix = f"  ({merged[name][labels[0]][2]} files)" if name == "graphs/*.ttl" else ""
        lines.append(f"{name:<22}{cells}{suffix}")
    lines.append("-" * len(head))
    for key, title in (("write_kg_s", "write_kg"), ("total_s", "total (stats+write)"),
                       ("peak_tree_pss_mb", "peak PSS, tree (MB)"), ("peak_rss_mb", "peak RSS, main (MB)"),
                       ("peak_children_rss_mb", "peak RSS, worker (MB)"), ("rss_before_mb", "RSS before (MB)")):
        lines.append(f"{title:<22}" + "".join(f" | {results[label][key]:>24.2f}" for label in labels))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pickle", nargs="?", help="pickled graphs (or (graphs, report, stats))")
    parser.add_argument("--root", default=str(ROOT), help="project root (documents, inputs; built if no pickle)")
    parser.add_argument("--old", help="git revision of the old code to compare with (e.g. HEAD~1)")
    parser.add_argument("--keep", help="write the outputs under this directory (default: a temporary one)")
    parser.add_argument("--json", help="write the figures to this JSON file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--src", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return 0

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="stikg-bench-write-"))
    work.mkdir(parents=True, exist_ok=True)
    root = Path(args.root).resolve()
    pickle_path = Path(args.pickle) if args.pickle else None
    if pickle_path is None:
        sys.path.insert(0, str(ROOT / "src"))
        from stikg.build import build
        from stikg.core.config import Paths

        print(f"building {root} (write=False) …", file=sys.stderr, flush=True)
        result = build(Paths(root), write=False)
        pickle_path = work / "graphs.pickle"
        pickle_path.write_bytes(pickle.dumps((result.graphs, result.report, result.stats),
                                             protocol=pickle.HIGHEST_PROTOCOL))
    versions = {}
    if args.old:
        old_src = work / "old-src"
        old_src.mkdir(exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.old, "src"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old_src)], input=archive, check=True)
        versions["old"] = old_src / "src"
    versions["new"] = ROOT / "src"
    results = {}
    for label, src in versions.items():
        out = work / f"kg-{label}"
        results[label] = run_version(label, src, pickle_path, root, out)
    print(f"\n{results['new']['quads']:,} quads; times in seconds (done: since compute_stats started; "
          f"own: since the same process's previous file)\n")
    print(table(results))
    if args.old:
        diff = differences(work / "kg-old", work / "kg-new")
        print("\noutputs: " + ("byte-identical" if not diff else "DIFFER:\n  " + "\n  ".join(diff)))
        if args.json:
            results["identical"] = not diff
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 1 if args.old and diff else 0


if __name__ == "__main__":
    sys.exit(main())
