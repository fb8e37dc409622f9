"""Load test of ``stikg serve``: many concurrent clients, a fixed number of requests each.

The server runs on 127.0.0.1 only (a ``--url`` elsewhere is refused). Each client sends exactly
``--requests`` requests (a new connection each, ``Connection: close``) drawn with a seeded
generator from the routes the server has:

* library queries (``/library/NAME`` with default parameters, those answering within
  ``--fast-ms`` the first time) and ``/sparql`` (GET and POST, a few small queries),
* entity pages (``/program/ID.html`` …) and the source viewer (``/source/DOC``), when
  ``stikg.web.linkeddata`` is installed,
* the lineage view (``/lineage``, ``/lineage/data.json``), when ``stikg.web.lineage_routes`` is.

Every distinct URL is fetched twice before the measurement, concurrently (warm caches and
per-thread allocator arenas). An error is an
exception or any status other than 200. The server's resident memory (``VmRSS`` of
``/proc/PID/status``, and of its worker processes) is sampled every 0.2 s together with the
number of requests done; the growth is the difference of the median RSS over the last thousand
requests and over the first thousand. Usage::

    python benchmarks/load_test.py                       # 50 clients × 2,000 requests
    python benchmarks/load_test.py --clients 10 --requests 200 --json out.json

Exit status 1 when any request failed or the memory grew by more than ``--max-growth-mb``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = ("127.0.0.1", "localhost", "::1")
SPARQL_QUERIES = (
    "SELECT ?p WHERE { ?p a <https://w3id.org/stikg/ontology#Program> } ORDER BY ?p LIMIT 20",
    "ASK { ?s a <https://w3id.org/stikg/ontology#Hub> }",
    "SELECT ?c (COUNT(?s) AS ?n) WHERE { GRAPH <https://w3id.org/stikg/graph/registry> { ?s a ?c } } GROUP BY ?c",
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?s ?l WHERE { ?s a <https://w3id.org/stikg/ontology#Strategy> ; rdfs:label ?l } LIMIT 50",
)
ENTITY_QUERY = (
    "SELECT ?s WHERE {{ ?s a <https://w3id.org/stikg/ontology#{cls}> "
    "FILTER(STRSTARTS(STR(?s), \"{base}\")) }} ORDER BY ?s LIMIT {limit}"
)
WARM_ROUNDS = 2
WEIGHTS = {"library": 35, "sparql": 25, "entity": 25, "source": 5, "lineage": 10}


@dataclass(frozen=True)
class Target:
    """One request of the mix."""

    kind: str
    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Sample:
    done: int
    seconds: float
    server_kb: int
    workers_kb: int


@dataclass
class Report:
    url: str
    clients: int
    requests_per_client: int
    requests: int = 0
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    seconds: float = 0.0
    throughput_rps: float = 0.0
    latency_ms: dict[str, float] = field(default_factory=dict)
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    mix: dict[str, int] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    growth_mb: float = 0.0
    max_growth_mb: float = 50.0
    samples: int = 0
    ok: bool = False


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``values``."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def rss_kb(pid: int) -> int:
    """VmRSS of ``pid`` in kB (0 when it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry))
    return out


def request(host: str, port: int, target: Target, timeout: float) -> tuple[int, int]:
    """Send one request on a fresh connection; (status, body bytes)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {"Connection": "close", **dict(target.headers)}
        conn.request(target.method, target.path, body=target.body, headers=headers)
        resp = conn.getresponse()
        return resp.status, len(resp.read())
    finally:
        conn.close()


# ------------------------------------------------------------------------------ the mix


def discover(host: str, port: int, fast_ms: float, timeout: float) -> dict[str, list[Target]]:
    """The request mix the server supports, by kind."""
    mix: dict[str, list[Target]] = defaultdict(list)

    def get_json(path: str) -> object:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Accept": "application/sparql-results+json"})
            resp = conn.getresponse()
            body = resp.read()
            return json.loads(body) if resp.status == 200 else None
        finally:
            conn.close()

    def works(target: Target) -> bool:
        started = time.monotonic()
        status, _ = request(host, port, target, timeout)
        return status == 200 and (time.monotonic() - started) * 1000 <= fast_ms

    for item in get_json("/library") or []:
        target = Target("library", "GET", f"/library/{item['name']}",
                        headers=(("Accept", "application/sparql-results+json, text/turtle;q=0.9"),))
        if all(p["default"] is not None or p["optional"] for p in item["parameters"]) and works(target):
            mix["library"].append(target)
    for text in SPARQL_QUERIES:
        mix["sparql"].append(Target("sparql", "GET", "/sparql?" + urllib.parse.urlencode({"query": text}),
                                    headers=(("Accept", "application/sparql-results+json"),)))
        mix["sparql"].append(Target("sparql", "POST", "/sparql", text.encode("utf-8"),
                                    (("Content-Type", "application/sparql-query"), ("Accept", "text/csv"))))
    base = os.environ.get("STIKG_BASE_IRI", "https://w3id.org/stikg/")
    for cls, limit in (("Program", 60), ("Organization", 30), ("Strategy", 20), ("Hub", 10), ("SourceDocument", 10)):
        query = ENTITY_QUERY.format(cls=cls, base=base, limit=limit)
        data = get_json("/sparql?" + urllib.parse.urlencode({"query": query}))
        for row in (data or {}).get("results", {}).get("bindings", []):  # type: ignore[union-attr]
            path = "/" + urllib.parse.quote(row["s"]["value"][len(base):], safe="/-_.~")
            target = Target("entity", "GET", path + ".html", headers=(("Accept", "text/html"),))
            if not mix["entity"] and request(host, port, target, timeout)[0] != 200:
                break  # no entity pages on this server
            mix["entity"].append(target)
    docs = get_json("/sparql?" + urllib.parse.urlencode({"query": (
        "SELECT ?f WHERE { ?d <https://w3id.org/stikg/ontology#fileName> ?f } ORDER BY ?f")}))
    for row in (docs or {}).get("results", {}).get("bindings", []):  # type: ignore[union-attr]
        target = Target("source", "GET", "/source/" + urllib.parse.quote(row["f"]["value"].removesuffix(".txt")),
                        headers=(("Accept", "text/html"),))
        if request(host, port, target, timeout)[0] == 200:
            mix["source"].append(target)
    for path in ("/lineage", "/lineage/data.json"):
        target = Target("lineage", "GET", path)
        if request(host, port, target, timeout)[0] == 200:
            mix["lineage"].append(target)
    return {k: v for k, v in mix.items() if v}


def plan(mix: dict[str, list[Target]], clients: int, per_client: int, seed: int) -> list[list[Target]]:
    """Each client's requests, drawn with the kind weights from a seeded generator."""
    rng = random.Random(seed)
    kinds = sorted(mix)
    weights = [WEIGHTS.get(k, 10) for k in kinds]
    return [[rng.choice(mix[rng.choices(kinds, weights)[0]]) for _ in range(per_client)] for _ in range(clients)]


# ------------------------------------------------------------------------------- running


def run(url: str, pid: int, clients: int = 50, per_client: int = 2000, seed: int = 20261123,
        timeout: float = 60.0, fast_ms: float = 300.0, max_growth_mb: float = 50.0,
        progress: bool = False) -> Report:
    """Run the load against ``url`` (a ``stikg serve`` whose process id is ``pid``)."""
    split = urllib.parse.urlsplit(url)
    host, port = split.hostname or "", split.port or 80
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to load-test {host}: only a local server (127.0.0.1) may be targeted")
    mix = discover(host, port, fast_ms, timeout)
    plans = plan(mix, clients, per_client, seed)
    warm = sorted({t for kind in mix.values() for t in kind}, key=lambda t: (t.kind, t.path)) * WARM_ROUNDS
    width = max(clients, 16)  # at least as many as the server's request threads (default 16)
    warmers = [threading.Thread(target=lambda share: [request(host, port, t, timeout) for t in share],
                                args=(warm[i::width],), daemon=True) for i in range(width)]
    for w in warmers:  # every URL twice, concurrently: caches and per-thread allocator arenas warm
        w.start()
    for w in warmers:
        w.join(timeout * len(warm) + 60)
    report = Report(url, clients, per_client, mix={k: len(v) for k, v in mix.items()}, max_growth_mb=max_growth_mb)
    total = clients * per_client
    lock = threading.Lock()
    done = [0]
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[str] = Counter()
    samples: list[Sample] = []
    finished = threading.Event()
    started = time.monotonic()

    def sampler() -> None:
        while not finished.is_set():
            workers = sum(rss_kb(c) for c in children(pid))
            samples.append(Sample(done[0], time.monotonic() - started, rss_kb(pid), workers))
            finished.wait(0.2)

    def client(targets: list[Target]) -> None:
        for target in targets:
            t0 = time.monotonic()
            try:
                status, _ = request(host, port, target, timeout)
                label = str(status)
            except (OSError, http.client.HTTPException) as exc:
                status, label = -1, type(exc).__name__
            elapsed = (time.monotonic() - t0) * 1000
            with lock:
                done[0] += 1
                latencies[target.kind].append(elapsed)
                statuses[label] += 1
                if status != 200:
                    report.errors += 1
                    if len(report.error_examples) < 10:
                        report.error_examples.append(f"{label} {target.method} {target.path[:120]}")
                if progress and done[0] % 5000 == 0:
                    print(f"  {done[0]}/{total} requests, {report.errors} errors", file=sys.stderr, flush=True)

    watcher = threading.Thread(target=sampler, daemon=True)
    watcher.start()
    threads = [threading.Thread(target=client, args=(p,), daemon=True) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout * per_client + 60)  # every loop is bounded: per_client requests with a timeout each
    finished.set()
    watcher.join(5)
    report.seconds = round(time.monotonic() - started, 2)
    report.requests = done[0]
    report.errors += total - done[0]
    everything = [x for v in latencies.values() for x in v]
    report.throughput_rps = round(done[0] / report.seconds, 1) if report.seconds else 0.0
    report.latency_ms = {name: round(percentile(everything, q), 1) for name, q in (("p50", 50), ("p90", 90), ("p99", 99))}
    report.latency_ms["max"] = round(max(everything, default=0.0), 1)
    report.by_kind = {k: {"requests": len(v), "p50_ms": round(percentile(v, 50), 1), "p99_ms": round(percentile(v, 99), 1)}
                      for k, v in sorted(latencies.items())}
    report.statuses = dict(statuses)
    report.samples = len(samples)
    window = min(1000, max(1, total // 2))
    first = [s for s in samples if s.done < window] or samples[:1]
    last = [s for s in samples if s.done >= total - window] or samples[-1:]

    def median_mb(rows: list[Sample], key: str) -> float:
        return round(statistics.median(getattr(s, key) for s in rows) / 1024, 1) if rows else 0.0

    report.rss_mb = {
        "server_first": median_mb(first, "server_kb"), "server_last": median_mb(last, "server_kb"),
        "server_peak": round(max((s.server_kb for s in samples), default=0) / 1024, 1),
        "workers_first": median_mb(first, "workers_kb"), "workers_last": median_mb(last, "workers_kb"),
        "workers_peak": round(max((s.workers_kb for s in samples), default=0) / 1024, 1),
        "window_requests": window,
    }
    report.growth_mb = round(max(report.rss_mb["server_last"] - report.rss_mb["server_first"],
                                 report.rss_mb["workers_last"] - report.rss_mb["workers_first"]), 1)
    report.ok = report.errors == 0 and report.growth_mb < max_growth_mb
    return report


# ------------------------------------------------------------------------- the server


def make_project(source: Path, target: Path) -> Path:
    """A throw-away project: the built kg/ and what the pages read (queries, sources, ontology)."""
    for name in ("kg", "queries", "sources", "ontology"):
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name)
    if not (target / "kg" / "dataset.nq").is_file():
        raise SystemExit(f"no built graph in {source / 'kg'}: run `stikg build` first")
    return target


@contextlib.contextmanager
def serving(root: Path, *options: str, timeout: float = 120) -> Iterator[tuple[str, subprocess.Popen]]:
    """``stikg serve`` for ``root`` on a free 127.0.0.1 port, stopped (by process group) on exit."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = open(root / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "stikg.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--quiet", *options],
        env={**os.environ, "STIKG_ROOT": str(root)}, cwd=root, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"stikg serve exited with status {proc.returncode}; see {root / 'serve.log'}")
            try:
                request("127.0.0.1", port, Target("probe", "GET", "/library"), 2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"stikg serve did not answer within {timeout:.0f} s") from None
                time.sleep(0.2)
        yield url, proc
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()


def summary(report: Report) -> str:
    lat = report.latency_ms
    rss = report.rss_mb
    lines = [
        f"{report.requests} requests ({report.clients} clients × {report.requests_per_client}) in {report.seconds} s: "
        f"{report.throughput_rps} req/s, {report.errors} errors",
        f"latency p50 {lat.get('p50')} ms, p90 {lat.get('p90')} ms, p99 {lat.get('p99')} ms, max {lat.get('max')} ms",
        "by kind: " + ", ".join(f"{k} {v['requests']} (p50 {v['p50_ms']} ms, p99 {v['p99_ms']} ms)"
                                for k, v in report.by_kind.items()),
        f"server RSS {rss.get('server_first')} → {rss.get('server_last')} MB (peak {rss.get('server_peak')}), "
        f"workers {rss.get('workers_first')} → {rss.get('workers_last')} MB (peak {rss.get('workers_peak')}); "
        f"growth {report.growth_mb} MB (bound {report.max_growth_mb} MB)",
        "OK" if report.ok else "FAILED: " + "; ".join(report.error_examples[:5] or ["memory grew"]),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000, help="requests per client")
    parser.add_argument("--project", type=Path, default=ROOT, help="project whose kg/ is served (copied first)")
    parser.add_argument("--url", help="an already running local stikg serve (give --pid too)")
    parser.add_argument("--pid", type=int, help="process id of the server at --url (for its memory)")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request at most")
    parser.add_argument("--fast-ms", type=float, default=300.0, help="library queries slower than this are left out")
    parser.add_argument("--max-growth-mb", type=float, default=50.0)
    parser.add_argument("--serve-option", action="append", default=[], help="extra `stikg serve` option (repeatable)")
    parser.add_argument("--json", type=Path, help="write the report as JSON here")
    args = parser.parse_args(argv)
    if args.clients <= 0 or args.requests <= 0:
        parser.error("--clients and --requests must be positive")
    if args.url:
        if not args.pid:
            parser.error("--url needs --pid (the server's process id, for its memory)")
        report = run(args.url, args.pid, args.clients, args.requests, args.seed, args.timeout, args.fast_ms,
                     args.max_growth_mb, progress=True)
    else:
        with tempfile.TemporaryDirectory(prefix="stikg-load-") as tmp:
            root = make_project(args.project, Path(tmp) / "project")
            options = [o for opt in args.serve_option for o in opt.split()]
            with serving(root, *options) as (url, proc):
                report = run(url, proc.pid, args.clients, args.requests, args.seed, args.timeout, args.fast_ms,
                             args.max_growth_mb, progress=True)
    print(summary(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
