"""Benchmark the SPARQL layer.

1. Median latency of every library query on the embedded pyoxigraph store vs rdflib's SPARQL
   engine on the same data (parameters at their defaults), side by side with the ratio.
2. Throughput of ``stikg serve`` (with its answer cache, and without: ``--cache-mb 0``) with N
   concurrent clients vs bare ``oxigraph serve`` on the same data (``--union-default-graph``, so
   both answer the library queries the same way), side by side in server_throughput.md.

Prints tables and writes CSV to benchmarks/results/. Usage::

    python benchmarks/bench_queries.py [--dataset kg/dataset.nq] [--repeat 5] [--clients 20] [--seconds 10]

Without kg/dataset.nq it uses the test fixture (tests/fixtures/sparql/dataset.trig).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import pyoxigraph as ox  # noqa: E402
from rdflib import Dataset as RdfDataset  # noqa: E402

from stikg.core.config import Paths  # noqa: E402
from stikg.sparql import (  # noqa: E402
    EmbeddedBackend,
    LabelResolver,
    bind_parameters,
    inject_values,
    library,
)
from stikg.sparql import query_form as form_of  # noqa: E402
from stikg.sparql.push import push  # noqa: E402
from stikg.sparql.store import open_store  # noqa: E402
from stikg.web.server import free_port  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def project_with(dataset: Path, root: Path) -> Paths:
    """A throw-away project root whose kg/dataset.nq is ``dataset`` (TriG converted)."""
    (root / "kg").mkdir(parents=True)
    target = root / "kg" / "dataset.nq"
    if dataset.suffix == ".trig":
        store = ox.Store()
        store.bulk_load(path=str(dataset), format=ox.RdfFormat.TRIG)
        ox.serialize(store, str(target), ox.RdfFormat.N_QUADS)
    else:
        shutil.copy2(dataset, target)
    shutil.copytree(ROOT / "queries", root / "queries")
    return Paths(root)


def median_ms(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times = []
    out: object = None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), out


def bench_latency(paths: Paths, repeat: int, rdflib_repeat: int) -> list[dict[str, object]]:
    backend = EmbeddedBackend(open_store(paths))
    started = time.perf_counter()
    rdf = RdfDataset(default_union=True)
    rdf.parse(str(paths.kg / "dataset.nq"), format="nquads")
    print(f"rdflib parse: {time.perf_counter() - started:.1f} s, {len(rdf)} quads", file=sys.stderr)
    rows = []
    for name, query in library(paths.queries).items():
        bindings = bind_parameters(query, {}, LabelResolver(backend))
        text = inject_values(query.text, bindings) if bindings else query.text
        form = form_of(query.text)

        def embedded(q=query, b=bindings):
            result = backend.run(q.text, b)
            return len(getattr(result, "rows", getattr(result, "triples", [])))

        def with_rdflib(t=text, f=form):
            result = rdf.query(t)
            return len(result) if f != "ASK" else 1

        ox_ms, ox_rows = median_ms(embedded, repeat)
        rdf_ms, rdf_rows = median_ms(with_rdflib, rdflib_repeat)
        rows.append({
            "query": name, "oxigraph_ms": round(ox_ms, 2), "rdflib_ms": round(rdf_ms, 1),
            "ratio": round(rdf_ms / ox_ms, 1) if ox_ms else "", "rows_oxigraph": ox_rows, "rows_rdflib": rdf_rows,
        })
        print(f"  {name}: {ox_ms:.1f} ms vs {rdf_ms:.0f} ms", file=sys.stderr)
    return rows


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr if os.environ.get("BENCH_DEBUG") else subprocess.DEVNULL, start_new_session=True)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def load(endpoint: str, queries: list[str], clients: int, seconds: float) -> dict[str, float]:
    """``clients`` threads POSTing the queries round-robin for ``seconds``; requests/s and latency."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(offset: int) -> None:
        i = offset
        while time.monotonic() < stop_at:
            body = urllib.parse.urlencode({"query": queries[i % len(queries)]}).encode()
            req = urllib.request.Request(endpoint, data=body, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"})
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:
                    resp.read()
                ok = True
            except (urllib.error.URLError, OSError) as exc:
                ok = False
                if os.environ.get("BENCH_DEBUG"):
                    print("error:", exc, file=sys.stderr)
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    latencies.sort()
    return {
        "requests": len(latencies), "errors": errors[0], "req_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else 0,
        "p95_ms": round(1000 * latencies[int(len(latencies) * 0.95)], 1) if latencies else 0,
    }


def warm_up(endpoint: str, texts: list[str]) -> None:
    """Send every query once (stikg serve caches its read-only check per query text)."""
    for text in texts:
        body = urllib.parse.urlencode({"query": text}).encode()
        req = urllib.request.Request(endpoint, data=body, headers={"Accept": "application/sparql-results+json"})
        urllib.request.urlopen(req, timeout=60).read()


def bench_throughput(paths: Paths, clients: int, seconds: float, workers: int,
                     max_ms: float = 250.0, before_src: Path | None = None) -> list[dict[str, object]]:
    """The mix: every library SELECT query that takes at most ``max_ms`` embedded (a few slow
    queries would otherwise measure only themselves). With ``before_src`` (the ``src/`` of an
    older checkout) that version of ``stikg serve`` runs too, in the same run, for a side-by-side
    before/after on the same machine load."""
    backend = EmbeddedBackend(open_store(paths))
    texts = []
    slow = []
    for name, query in library(paths.queries).items():
        if form_of(query.text) != "SELECT":
            continue
        bindings = bind_parameters(query, {}, LabelResolver(backend))
        ms, _ = median_ms(lambda q=query, b=bindings: backend.run(q.text, b), 1)
        if ms > max_ms:
            slow.append(f"{name} ({ms:.0f} ms)")
            continue
        texts.append(inject_values(query.text, bindings) if bindings else query.text)
    print(f"throughput mix: {len(texts)} queries; left out (> {max_ms:g} ms embedded): {', '.join(slow) or 'none'}")
    rows = []
    env = {**os.environ, "STIKG_ROOT": str(paths.root)}
    runs: list[tuple[str, list[str], dict[str, str]]] = []
    if before_src is not None:
        old = {**env, "PYTHONPATH": os.pathsep.join([str(before_src), env.get("PYTHONPATH", "")])}
        runs += [(f"before: stikg serve ({workers}+1 workers)", [], old),
                 (f"before: stikg serve ({workers}+1 workers, --cache-mb 0)", ["--cache-mb", "0"], old)]
    runs += [(f"stikg serve ({workers}+1 workers)", [], env),
             (f"stikg serve ({workers}+1 workers, --cache-mb 0)", ["--cache-mb", "0"], env),
             (f"stikg serve ({workers}+1 workers, --cache-mb 0 --store disk)", ["--cache-mb", "0", "--store", "disk"],
              env)]
    for label, options, run_env in runs:
        port = free_port()
        with process([sys.executable, "-m", "stikg.cli", "serve", "--port", str(port), "--quiet",
                      "--workers", str(workers), "--threads", str(max(clients, 16)), *options], run_env):
            wait(f"http://127.0.0.1:{port}/")
            warm_up(f"http://127.0.0.1:{port}/sparql", texts)
            rows.append({"server": label, "clients": clients,
                         **load(f"http://127.0.0.1:{port}/sparql", texts, clients, seconds)})
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        exe = shutil.which("oxigraph") or "oxigraph"
        with process([exe, "serve", "--location", tmp, "--bind", f"127.0.0.1:{port}"]):
            wait(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D")
            push(paths.kg / "dataset.nq", f"http://127.0.0.1:{port}/query")
        with process([exe, "serve-read-only", "--location", tmp, "--bind", f"127.0.0.1:{port}",
                      "--union-default-graph"]) as proc:
            try:
                wait(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", 10)
            except SystemExit:
                proc.kill()
                raise
            warm_up(f"http://127.0.0.1:{port}/query", texts)
            rows.append({"server": "oxigraph serve-read-only", "clients": clients,
                         **load(f"http://127.0.0.1:{port}/query", texts, clients, seconds)})
    return rows


def table(rows: list[dict[str, object]]) -> str:
    cols = list(rows[0])
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in cols]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    for r in rows:
        lines.append("  ".join(str(r[c]).rjust(w) if isinstance(r[c], int | float) else str(r[c]).ljust(w)
                               for c, w in zip(cols, widths, strict=True)))
    return "\n".join(lines)


def write_csv(path: Path, rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_markdown(path: Path, rows: list[dict[str, object]], args: argparse.Namespace) -> None:
    """The throughput table side by side, with how it was measured."""
    cols = list(rows[0])
    lines = [
        "# `stikg serve` vs bare `oxigraph serve`: throughput",
        "",
        f"`python benchmarks/bench_queries.py --skip-latency` on {args.dataset.name}: {args.clients} client threads "
        f"POSTing the library SELECT queries (those within 250 ms embedded) round-robin for {args.seconds:g} s, "
        f"{os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. `stikg serve` runs "
        f"{args.workers} general + 1 fast-lane worker processes behind uvicorn; `--cache-mb 0` turns its answer "
        "cache off (every request then runs its query). An error is any status other than 200 or a failed "
        "connection (a 503 of the bounded queue counts).",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    lines += [
        "",
        "The mix repeats the same few query texts, so after the warm-up the cache answers nearly every request: "
        "the cached rows measure the HTTP stack and the cache, the `--cache-mb 0` rows the query path (HTTP → "
        "worker process → pyoxigraph → serialisation). `stikg serve` now reads the graph from memory when the "
        "workers' copies fit (`--store auto`, the default; `--store disk` reads var/store, RocksDB, as before) and "
        "has pyoxigraph write SELECT answers in SPARQL JSON itself (no Python object per row; the cap checked "
        "while it writes). Rows marked `before:` are the previous version of `stikg serve` (an older checkout's "
        "src/, `--before-src`), measured in the same run on the same machine load. Before issue 18 "
        "(`http.server`, 16 threads, 2 workers, no cache) the figures were 146 req/s for `stikg serve` vs 206 "
        "req/s for Oxigraph (as reported in the issue).",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = ROOT / "kg" / "dataset.nq"
    if not default.is_file():
        default = ROOT / "tests" / "fixtures" / "sparql" / "dataset.trig"
    parser.add_argument("--dataset", type=Path, default=default)
    parser.add_argument("--repeat", type=int, default=7, help="runs per query on pyoxigraph (median)")
    parser.add_argument("--rdflib-repeat", type=int, default=3, help="runs per query on rdflib (median)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="stikg serve worker processes")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--before-src", type=Path, metavar="DIR",
                        help="also run stikg serve from this src/ (an older checkout: `git archive REV src | "
                             "tar -x -C /tmp/before`), side by side")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = project_with(args.dataset, Path(tmp) / "project")
        print(f"dataset: {args.dataset}", file=sys.stderr)
        if not args.skip_latency:
            rows = bench_latency(paths, args.repeat, args.rdflib_repeat)
            print(f"\nMedian latency per library query ({args.dataset.name}): pyoxigraph (embedded) vs rdflib\n")
            print(table(rows))
            ox_total = sum(float(r["oxigraph_ms"]) for r in rows)
            rdf_total = sum(float(r["rdflib_ms"]) for r in rows)
            print(f"\nall queries: pyoxigraph {ox_total:.0f} ms, rdflib {rdf_total:.0f} ms "
                  f"(x{rdf_total / ox_total:.0f})")
            write_csv(RESULTS / "query_latency.csv", rows)
        if not args.skip_throughput:
            rows = bench_throughput(paths, args.clients, args.seconds, args.workers, before_src=args.before_src)
            print(f"\nThroughput, {args.clients} concurrent clients, {args.seconds:g} s, library SELECT queries\n")
            print(table(rows))
            write_csv(RESULTS / "server_throughput.csv", rows)
            write_markdown(RESULTS / "server_throughput.md", rows, args)
    print(f"\nCSV written to {RESULTS.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
