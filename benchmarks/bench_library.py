"""The query library on one built project: median latency of every ``queries/*.rq`` on a chosen
store, its row count and a digest of its rows (so a rewrite can be checked to answer the same).

Parameters are chosen as ``benchmarks/stages.py`` chooses them (``query_bindings``: the query's
defaults, or the corpus's busiest program / most cited strategy when a default is missing).
This is the "query" stage of ``stages.py`` alone, on a ``kg/`` that is already built, so it can be
re-run after every change without rebuilding a million-quad corpus::

    python benchmarks/bench_library.py --root DIR [--store default|disk|memory] [--repeat 3]
        [--queries DIR] [--only a,b] [--csv OUT] [--label after]

``--store default`` is what ``stikg query`` / ``stikg serve`` use (:func:`stikg.sparql.embedded_backend`);
``disk`` the RocksDB store in ``var/store`` opened read-only; ``memory`` the dump bulk-loaded into
an in-memory pyoxigraph store. The time to get the first store (``open``) is reported too.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def rows_digest(result) -> tuple[int, str, str]:
    """Row count, digest of the rows in answer order, digest of the rows sorted (order-free)."""
    from stikg.sparql import GraphResult, SelectResult

    if isinstance(result, SelectResult):
        lines = ["\t".join("" if t is None else repr(t) for t in row) for row in result.rows]
        ordered = "\n".join(lines)
    elif isinstance(result, GraphResult):
        lines = [" ".join(repr(t) for t in triple) for triple in result.triples]
        ordered = "\n".join(sorted(lines))
    else:
        lines = [repr(getattr(result, "value", result))]
        ordered = lines[0]
    return (len(lines), hashlib.sha256(ordered.encode()).hexdigest()[:16],
            hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:16])


def open_backend(root: Path, how: str):
    """The backend ``how`` names for the project at ``root``."""
    from stikg.core.config import Paths
    from stikg.sparql import EmbeddedBackend, embedded_backend

    paths = Paths(root)
    if how == "default":
        return embedded_backend(paths)
    if how == "memory":
        from stikg.sparql.store import memory_store

        return EmbeddedBackend(memory_store(paths.kg / "dataset.nq"))
    from stikg.sparql.store import open_store

    return EmbeddedBackend(open_store(paths))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="a built project root (kg/dataset.nq)")
    parser.add_argument("--store", choices=("default", "disk", "memory"), default="default")
    parser.add_argument("--queries", type=Path, default=ROOT / "queries", help="library folder (default the repo's)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated query names")
    parser.add_argument("--skip", default="", help="comma-separated query names to leave out")
    parser.add_argument("--csv", type=Path, help="append rows to this CSV")
    parser.add_argument("--label", default="", help="a label for the CSV rows (e.g. before, after)")
    args = parser.parse_args()

    from stages import query_bindings, time_query  # noqa: F401  (time_query kept for parity)

    from stikg.sparql import library

    started = time.perf_counter()
    backend = open_backend(args.root, args.store)
    open_s = time.perf_counter() - started
    print(f"open ({args.store}): {open_s:.2f} s", file=sys.stderr, flush=True)
    only = {n for n in args.only.split(",") if n}
    skip = {n for n in args.skip.split(",") if n}
    out: list[dict] = []
    for name, query in library(args.queries).items():
        if (only and name not in only) or name in skip:
            continue
        bindings = query_bindings(query, backend)
        times = []
        result = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = backend.run(query.text, bindings)
            times.append((time.perf_counter() - t0) * 1000)
        count, ordered, unordered = rows_digest(result)
        row = {"label": args.label, "store": args.store, "query": name,
               "median_ms": round(statistics.median(times), 2), "rows": count,
               "digest": ordered, "digest_sorted": unordered,
               "bindings": " ".join(f"{k}={v!r}" for k, v in sorted(bindings.items()))}
        out.append(row)
        print(f"{name:<28} {row['median_ms']:>10.1f} ms {count:>7} rows  {ordered} {unordered}",
              file=sys.stderr, flush=True)
    meds = [r["median_ms"] for r in out]
    if meds:
        print(f"median of medians {statistics.median(meds):.1f} ms, max {max(meds):.1f} ms", file=sys.stderr)
    if args.csv:
        new = not args.csv.is_file()
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with open(args.csv, "a", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(out[0]) + ["open_s"] if out else ["open_s"])
            if new:
                writer.writeheader()
            for row in out:
                writer.writerow({**row, "open_s": round(open_s, 2)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
