"""``stikg serve`` under the three cheap attacks of issue 18, with their thresholds, and bad input.

One ``stikg serve`` process on 127.0.0.1 (a copy of the built graph, else the fixture) with a
3 s query timeout and a 3 s client timeout:

* **slowloris**: 200 sockets trickle their headers a byte at a time while another client asks
  ``ASK {}`` (p99 < 1 s); every trickling or idle socket is closed by the server (408) within
  the client timeout plus a margin;
* **slow queries**: 10 clients loop a query that runs to the timeout while another client asks
  ``ASK {}`` (p99 < 1 s); queries refused for want of a worker are 503 with ``Retry-After``;
* **large bodies**: 8 concurrent 64 MB bodies (Content-Length) get 413 before they are read,
  8 chunked ones are cut off at the 1 MB cap; the server's RSS stays within 50 MB of its start;
* **bad input**: malformed request lines, bad percent-encoding, bytes that are not UTF-8,
  oversized heads, Content-Length mismatches: one 4xx with a reason each, the server answers on.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import socket
import statistics
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import REAL_KG, make_fixture_project, make_real_project, stop, wait_http

TIMEOUT = 3.0
CLIENT_TIMEOUT = 3.0
ASK = "ASK {}"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
P99_LIMIT_S = 1.0
RSS_BOUND_MB = 50.0


def record(test: str, **data: object) -> None:
    """Append measured results for ``scripts/reliability_report.py`` (when it asks for them)."""
    target = os.environ.get("STIKG_RELIABILITY_RESULTS")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"test": test, **data}, ensure_ascii=False) + "\n")


class Served:
    def __init__(self, port: int, proc, log: Path):
        self.port = port
        self.proc = proc
        self.log = log


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    import subprocess
    import sys

    from stikg.web.server import free_port

    base = tmp_path_factory.mktemp("attacks") / "project"
    data = make_real_project(base) if REAL_KG.is_file() else make_fixture_project(base)
    port = free_port()
    log = data.root / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "stikg.cli", "serve", "--port", str(port), "--quiet", "--timeout", str(TIMEOUT),
             "--client-timeout", str(CLIENT_TIMEOUT)],
            env={**os.environ, "STIKG_ROOT": str(data.root)}, cwd=data.root, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/library", 120, proc)
        yield Served(port, proc, log)
    finally:
        stop(proc)
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in text, text[-3000:]


_ASKED = itertools.count()


def ask(served: Served, query: str | None = None, timeout: float = 30) -> tuple[int, float, dict[str, str]]:
    """One GET /sparql on a fresh connection: status, seconds, headers (lower-case names).
    ``ASK {}`` by default, with a numbered comment so that the answer cache never serves it."""
    query = query or f"{ASK} # {next(_ASKED)}"
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=timeout)
    try:
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query}),
                     headers={"Accept": "application/sparql-results+json"})
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.monotonic() - started, {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def raw(served: Served, data: bytes, timeout: float = 10, then: float = 0.0) -> bytes:
    """Send raw bytes, optionally wait, and read what the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=timeout) as sock:
        sock.sendall(data)
        if then:
            time.sleep(then)
        chunks = []
        with contextlib.suppress(OSError):
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks)


def test_slowloris_200_sockets_do_not_delay_others_and_are_closed(served):
    sockets: list[socket.socket] = []
    opened = time.monotonic()
    for i in range(200):
        sock = socket.create_connection(("127.0.0.1", served.port), timeout=10)
        sock.setblocking(False)
        if i % 4:  # three in four trickle a request head, one in four stays idle
            sock.send(b"GET /library HTTP/1.1\r\nHost: x\r\n")
        sockets.append(sock)
    stop_trickle = threading.Event()

    def trickle() -> None:
        while not stop_trickle.is_set():
            for i, sock in enumerate(sockets):
                if i % 4:
                    with contextlib.suppress(OSError):
                        sock.send(b"X")
            stop_trickle.wait(0.2)

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    latencies = []
    try:
        deadline = time.monotonic() + CLIENT_TIMEOUT - 0.5
        while time.monotonic() < deadline:
            status, seconds, _ = ask(served)
            assert status == 200
            latencies.append(seconds)
        # the server closes every trickling and idle socket once the client timeout is over
        closed = 0
        answers: dict[bytes, int] = {}
        limit = opened + CLIENT_TIMEOUT + 3.0
        pending = list(sockets)
        while pending and time.monotonic() < limit:
            for sock in list(pending):
                try:
                    data = sock.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if data.startswith(b"HTTP/1.1 "):
                    answers[data[9:12]] = answers.get(data[9:12], 0) + 1
                    with contextlib.suppress(OSError):
                        while sock.recv(4096):
                            pass
                pending.remove(sock)
                closed += 1
            time.sleep(0.05)
        closed_after = time.monotonic() - opened
    finally:
        stop_trickle.set()
        trickler.join(5)
        for sock in sockets:
            sock.close()
    record("slowloris", sockets=len(sockets), ask_requests=len(latencies), ask_p99_s=round(p99(latencies), 3),
           ask_median_s=round(statistics.median(latencies), 3), closed=closed, closed_after_s=round(closed_after, 1),
           client_timeout_s=CLIENT_TIMEOUT, answers={k.decode(): v for k, v in answers.items()})
    assert len(latencies) >= 10 and p99(latencies) < P99_LIMIT_S, latencies
    assert closed == len(sockets), f"{len(sockets) - closed} sockets still open after {closed_after:.1f} s"
    assert answers.get(b"408", 0) >= 100, answers
    assert ask(served)[0] == 200


def test_slow_queries_from_10_clients_do_not_hold_up_a_cheap_one(served):
    stop_at = time.monotonic() + 2 * TIMEOUT + 1
    statuses: list[int] = []
    retry_after: list[str] = []
    lock = threading.Lock()

    def slow_client() -> None:
        while time.monotonic() < stop_at:
            with contextlib.suppress(OSError, http.client.HTTPException):
                status, _, headers = ask(served, CARTESIAN)
                with lock:
                    statuses.append(status)
                    if "retry-after" in headers:
                        retry_after.append(headers["retry-after"])
                if status == 503 and "retry-after" in headers:
                    time.sleep(0.05)  # a client that loops at once, not one that honours Retry-After

    clients = [threading.Thread(target=slow_client) for _ in range(10)]
    for t in clients:
        t.start()
    time.sleep(0.5)
    latencies = []
    answered = []
    while time.monotonic() < stop_at - 0.5:
        status, seconds, _ = ask(served)
        answered.append(status)
        latencies.append(seconds)
        time.sleep(0.05)
    for t in clients:
        t.join(2 * TIMEOUT + 30)
    record("slow_queries", slow_clients=10, slow_answers=len(statuses), slow_503=statuses.count(503),
           with_retry_after=len(retry_after), ask_requests=len(latencies), ask_p99_s=round(p99(latencies), 3),
           ask_median_s=round(statistics.median(latencies), 3), timeout_s=TIMEOUT)
    assert set(answered) == {200}, answered
    assert p99(latencies) < P99_LIMIT_S, sorted(latencies)[-5:]
    assert statuses and set(statuses) <= {503}, statuses
    assert retry_after and all(v.isdigit() and int(v) >= 1 for v in retry_after), retry_after


def test_large_bodies_get_413_and_memory_returns(served):
    pid = served.proc.pid
    time.sleep(0.5)
    before = rss_mb(pid)
    size = 64 * 1024 * 1024
    results: list[tuple[str, bytes, int, float]] = []
    lock = threading.Lock()

    def post(chunked: bool) -> None:
        started = time.monotonic()
        sent = 0
        head = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        head += b"Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {size}\r\n\r\n".encode()
        answer = b""
        with socket.create_connection(("127.0.0.1", served.port), timeout=20) as sock:
            sock.sendall(head)
            piece = b"x" * 65536
            frame = b"%x\r\n" % len(piece) + piece + b"\r\n" if chunked else piece
            sock.settimeout(0.001)
            with contextlib.suppress(OSError):
                while sent < size and not answer:
                    with contextlib.suppress(TimeoutError, BlockingIOError):
                        answer += sock.recv(4096)
                    if answer:
                        break
                    try:
                        sock.sendall(frame)
                        sent += len(piece)
                    except (TimeoutError, BlockingIOError):
                        pass
            sock.settimeout(10)
            with contextlib.suppress(OSError):
                while True:  # the refusal closes the connection: read to the end
                    data = sock.recv(4096)
                    if not data:
                        break
                    answer += data
        with lock:
            results.append(("chunked" if chunked else "length", answer, sent, time.monotonic() - started))

    threads = [threading.Thread(target=post, args=(i % 2 == 1,)) for i in range(16)]
    peak = before
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak = max(peak, rss_mb(pid))
        time.sleep(0.05)
    time.sleep(1.0)
    after = rss_mb(pid)
    record("large_bodies", bodies=len(results), body_mb=64, rss_before_mb=round(before, 1), rss_peak_mb=round(peak, 1),
           rss_after_mb=round(after, 1), max_sent_mb=round(max(r[2] for r in results) / 2**20, 1),
           slowest_s=round(max(r[3] for r in results), 2))
    for kind, answer, sent, seconds in results:
        assert answer.startswith(b"HTTP/1.1 413"), (kind, answer[:200])
        assert b"over the limit" in answer, answer[:300]
        if kind == "length":
            assert sent < size // 4 and seconds < 5, (sent, seconds)
        else:
            assert sent < 16 * 2**20, sent  # cut off near the 1 MB cap (plus what was in flight)
    assert after - before < RSS_BOUND_MB and peak - before < 2 * RSS_BOUND_MB, (before, peak, after)
    assert ask(served)[0] == 200


BAD_REQUESTS = [
    ("garbage request line", b"HELLO\r\n\r\n", b"400"),
    ("bad method token", b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", b"400"),
    ("bad HTTP version", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", b"400"),
    ("bad percent-encoding in the path", b"GET /program/%zz HTTP/1.1\r\nHost: x\r\n\r\n", b"400"),
    ("path not UTF-8", b"GET /program/%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n", b"400"),
    ("query string not UTF-8", b"GET /sparql?query=%ff HTTP/1.1\r\nHost: x\r\n\r\n", b"400"),
    ("bad percent-encoding in the query", b"GET /sparql?query=ASK%7B%7D%g HTTP/1.1\r\nHost: x\r\n\r\n", b"400"),
    ("header without colon", b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", b"400"),
    ("oversized headers", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n", b"431"),
    ("oversized URL", b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"431"),
    ("non-numeric Content-Length", b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n", b"400"),
    ("Content-Length and chunked", b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"400"),
    ("bad chunk size", b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\nzz\r\nASK {}\r\n0\r\n\r\n", b"400"),
    ("body not UTF-8", b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                       b"Content-Length: 4\r\n\r\n\xff\xfe\xfd\xfc", b"400"),
    ("upgrade to h2c", b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n", b"400"),
]


@pytest.mark.parametrize(("what", "data", "status"), BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_input_gets_one_4xx_with_a_reason(served, what, data, status):
    answer = raw(served, data)
    assert answer.startswith(b"HTTP/1.1 " + status), (what, answer[:300])
    assert answer.count(b"HTTP/1.1 ") == 1, answer[:600]
    body = answer.partition(b"\r\n\r\n")[2]
    assert len(body.strip()) > len(b"400 Bad Request"), (what, body)  # a reason, not only the status
    assert b"Traceback" not in answer
    assert ask(served)[0] == 200


def test_content_length_mismatches(served):
    # a body shorter than announced: 408 once the client timeout is over, with how much arrived
    started = time.monotonic()
    answer = raw(served, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                         b"Content-Length: 100\r\n\r\nASK {}", timeout=CLIENT_TIMEOUT + 10)
    assert answer.startswith(b"HTTP/1.1 408") and b"6 of 100 bytes" in answer, answer[:300]
    assert time.monotonic() - started < CLIENT_TIMEOUT + 2
    # a body longer than announced: the rest is parsed as the next request, which is malformed:
    # one 400 with the parser's reason, and the connection is closed
    answer = raw(served, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                         b"Accept: application/sparql-results+json\r\nContent-Length: 6\r\n\r\nASK {} trailing junk\r\n\r\n")
    assert answer.count(b"HTTP/1.1 400") == 1 and b"malformed HTTP request" in answer, answer[-400:]
    assert ask(served)[0] == 200
