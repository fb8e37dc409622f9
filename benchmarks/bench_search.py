"""Search and page latency: the /search index and the issue-17 pages (targets: search < 50 ms on
the real graph, < 300 ms at ~1.1M quads; pages < 200 ms on the real graph).

Two measurements:

* ``index`` — the snapshot queries of :mod:`stikg.web.snapshot` run once on an in-memory
  pyoxigraph store of ``--dataset`` (what a server does on first use), then every query of
  :data:`QUERIES` answered ``--runs`` times by :class:`stikg.web.search.SearchIndex`;
* ``http`` (real graph only, ``--http``) — ``stikg serve`` (its worker pool, a copy of kg/ in a
  temporary project) answering /search, the list pages and the summary entity pages; the first
  request of each path is a warm-up (it builds the snapshot), the timings are the ones after.

    python benchmarks/bench_search.py --http                          # the real graph, kg/dataset.nq
    stikg synth --programs 5000 --years 10 --out /tmp/national && stikg build --root /tmp/national
    python benchmarks/bench_search.py --dataset /tmp/national/kg/dataset.nq --label national

Writes ``benchmarks/results/search_latency.csv`` (rows of other labels are kept).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "search_latency.csv"
QUERIES = ("Q-LEAP", "q-leap", "光・量子飛躍フラッグシッププログラム", "科研費", "JST", "量子", "研究", "AI",
           "integrated innovation", "統合イノベーション戦略2024", "大学", "zzzz-nothing", "プログラム 研究")
PAGES = ("/search?q=Q-LEAP", "/search?q=" + urllib.parse.quote("研究"), "/search.json?q=" + urllib.parse.quote("量子"),
         "/program/", "/program/?fiscal_year=2025&stage=request&sort=-amount", "/program.csv", "/strategy/",
         "/organization/", "/document/", "/strategy/integrated-innovation-strategy-2024.html",
         "/program/q-leap.html", "/program/health-medical-rd.html", "/organization/jst.html",
         "/organization/mext.html", "/document/000_06e5a7bc9af66719.html")
FIELDS = ("label", "quads", "what", "target", "n", "median_ms", "p95_ms", "max_ms")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def row(label: str, quads: int, what: str, target: str, times: list[float]) -> dict[str, object]:
    ms = [t * 1000 for t in times]
    return {"label": label, "quads": quads, "what": what, "target": target, "n": len(ms),
            "median_ms": f"{statistics.median(ms):.2f}", "p95_ms": f"{percentile(ms, 0.95):.2f}",
            "max_ms": f"{max(ms):.2f}"}


def bench_index(dataset: Path, label: str, runs: int, target: str) -> list[dict[str, object]]:
    import pyoxigraph as ox

    from stikg.sparql.backends import EmbeddedBackend
    from stikg.web.search import SearchIndex
    from stikg.web.snapshot import build

    store = ox.Store()
    t0 = time.perf_counter()
    store.bulk_load(path=str(dataset), format=ox.RdfFormat.N_QUADS)
    load_s = time.perf_counter() - t0
    quads = len(store)
    t0 = time.perf_counter()
    snap = build(EmbeddedBackend(store).run)
    snap_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = SearchIndex(snap)
    index_s = time.perf_counter() - t0
    print(f"{label}: {quads:,} quads loaded in {load_s:.1f} s; snapshot {snap_s:.2f} s "
          f"({len(snap.entities):,} entities, {len(snap.budgets):,} budgets, {len(snap.facts):,} facts); "
          f"index {index_s * 1000:.0f} ms ({len(index.entries):,} names)")
    rows = [row(label, quads, "snapshot build (once per server)", "", [snap_s]),
            row(label, quads, "search index build (once per server)", "", [index_s])]
    every: list[float] = []
    for query in QUERIES:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            index.search(query)
            times.append(time.perf_counter() - t0)
        every += times
        hits = len(index.search(query))
        rows.append(row(label, quads, f"search {query!r} ({hits} hits)", target, times))
    rows.append(row(label, quads, "search, every query", target, every))
    return rows


def bench_http(runs: int) -> list[dict[str, object]]:
    sys.path.insert(0, str(ROOT / "tests"))
    from stikg.web.server import Server
    from test_linkeddata import make_project

    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_project(Path(tmp) / "project")
        server = Server(store_dir=paths.store, port=0, workers=2, queries_dir=paths.queries).start()
        try:
            quads = sum(1 for _ in (paths.kg / "dataset.nq").open(encoding="utf-8"))
            for path in PAGES:
                urllib.request.urlopen(server.url + path).read()  # warm-up: the snapshot is built once
                times = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    with urllib.request.urlopen(server.url + path) as response:
                        response.read()
                    times.append(time.perf_counter() - t0)
                target = "< 50 ms" if path.startswith("/search") else "< 200 ms"
                rows.append(row("real", quads, f"GET {urllib.parse.unquote(path)}", target, times))
        finally:
            server.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=ROOT / "kg" / "dataset.nq")
    parser.add_argument("--label", default=None, help="row label (default: real for kg/, else the file's parent)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--http", action="store_true", help="also time the pages over HTTP (real graph)")
    args = parser.parse_args(argv)
    if not args.dataset.is_file():
        print(f"bench_search: no dataset at {args.dataset} (run `stikg build`)", file=sys.stderr)
        return 2
    real = args.dataset.resolve() == (ROOT / "kg" / "dataset.nq").resolve()
    label = args.label or ("real" if real else args.dataset.parent.parent.name)
    rows = bench_index(args.dataset, label, args.runs, "< 50 ms" if real else "< 300 ms")
    if args.http:
        rows += bench_http(args.runs)
    kept: list[dict[str, str]] = []
    if RESULTS.is_file():
        with RESULTS.open(encoding="utf-8") as f:
            kept = [r for r in csv.DictReader(f)
                    if r["label"] != label and not (args.http and r["what"].startswith("GET "))]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(kept + rows)
    width = max(len(str(r["what"])) for r in rows)
    for r in rows:
        print(f"{r['label']:>10} {str(r['what']):<{width}} median {r['median_ms']:>8} ms  p95 {r['p95_ms']:>8} ms  "
              f"max {r['max_ms']:>8} ms  {r['target']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
