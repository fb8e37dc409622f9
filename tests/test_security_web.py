"""The endpoint under attack: read-only refusals, timeouts, caps, bounded threads, hostile data.

Two ``stikg serve`` processes on 127.0.0.1 (free ports, stopped in fixtures):

* ``hardened`` serves a copy of the built graph with a short timeout and small caps, and is
  attacked with SPARQL Update, LOAD, SERVICE and FROM pointing at a local listener (which must
  never be contacted), pathological queries (a 5-way cartesian product, ``(p|^p)*`` over
  everything), result floods, a 50 MB body, bursts of slow requests and idle connections.
* ``hostile`` serves a project built from inputs laced with HTML/JS (registry labels, a
  catalog title, document lines, a library query's header). Every page it serves — the query
  page, entity pages, the source viewer, the lineage view, 404 pages — is checked for the
  payloads, for markup that could run, and for the security headers; path traversal on
  ``/static``, ``/source``, ``/dumps``, ``/graph`` and entity paths answers 404.

Routes of modules that are absent (``stikg.web.linkeddata``, ``stikg.web.lineage_routes``) are skipped with
the reason; the crawl follows whatever links the pages offer.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from conftest import copy_project
from servers import REAL_KG, make_fixture_project, make_real_project, stop, wait_http
from stikg.web.server import free_port

PAYLOADS = (
    "<script>alert('stikg-xss-1')</script>",
    "\"><img src=x onerror=alert('stikg-xss-2')>",
    "</script><script>alert('stikg-xss-3')</script>",
    "'><svg onload=alert('stikg-xss-5')>",
)
JS_URL = "javascript:alert('stikg-xss-4')"
MARK = "stikg-xss"
CRAWL_LIMIT = int(os.environ.get("STIKG_CRAWL_LIMIT", "120"))
DOC = "000_06e5a7bc9af66719"


def record(test: str, **data: object) -> None:
    """Append measured results for ``scripts/reliability_report.py`` (when it asks for them)."""
    target = os.environ.get("STIKG_RELIABILITY_RESULTS")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"test": test, **data}, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------------ plumbing


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def ctype(self) -> str:
        return self.headers.get("content-type", "")


@dataclass
class Served:
    url: str
    root: Path
    proc: subprocess.Popen

    @property
    def port(self) -> int:
        return int(urllib.parse.urlsplit(self.url).port or 80)


def fetch(server: Served, target: str, method: str = "GET", body: bytes | None = None,
          headers: dict[str, str] | None = None, timeout: float = 30) -> Answer:
    """One request with the request-target sent exactly as given (no client normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.putrequest(method, target, skip_host=False, skip_accept_encoding=True)
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def sparql(server: Served, query: str, accept: str = "application/sparql-results+json", **extra: str) -> Answer:
    return fetch(server, "/sparql?" + urllib.parse.urlencode({"query": query, **extra}), headers={"Accept": accept})


@contextlib.contextmanager
def serve(root: Path, *args: str) -> Iterator[Served]:
    """``stikg serve`` on a free 127.0.0.1 port for ``root`` until the context ends."""
    port = free_port()
    log = open(root / f"serve-{port}.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "stikg.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--quiet", *args],
        env={**os.environ, "STIKG_ROOT": str(root)}, cwd=root, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/library", 120, proc)
        yield Served(f"http://127.0.0.1:{port}", root, proc)
    finally:
        stop(proc)
        log.close()
        text = (root / f"serve-{port}.log").read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in text, text[-3000:]


def threads_of(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def children_of(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry))
    return out


# ------------------------------------------------------------------- the hardened endpoint

TIMEOUT = 2.0
MAX_RESULTS = 500
MAX_BODY = 100_000
THREADS = 8
WORKERS = 2
SLOW_REQUESTS = 32
LIGHT = "SELECT ?p WHERE { ?p a <https://w3id.org/stikg/ontology#Program> } LIMIT 5"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
RUNAWAY_PATHS = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a (!<urn:stikg:none>|^!<urn:stikg:none>)* ?b }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?a (<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    "|^<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>)* ?b }",
)


@pytest.fixture(scope="module")
def hardened(tmp_path_factory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("hardened") / "project"
    data = make_real_project(base) if REAL_KG.is_file() else make_fixture_project(base)
    with serve(data.root, "--timeout", str(TIMEOUT), "--max-results", str(MAX_RESULTS), "--max-body",
               str(MAX_BODY), "--threads", str(THREADS), "--workers", str(WORKERS)) as server:
        yield server


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A local TCP listener that records every connection (the endpoint must never call out)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    seen: list[bytes] = []
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                with contextlib.suppress(OSError):
                    seen.append(conn.recv(200) or b"(connected)")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], seen
    finally:
        stopping.set()
        thread.join(5)
        sock.close()


UPDATES = [
    "INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }",
    "DELETE WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:{port}/data.ttl>",
    "LOAD SILENT <http://127.0.0.1:{port}/data.ttl> INTO GRAPH <http://e/g>",
    "CLEAR ALL", "CLEAR DEFAULT", "CLEAR GRAPH <https://w3id.org/stikg/graph/registry>",
    "DROP ALL", "DROP SILENT GRAPH <https://w3id.org/stikg/graph/registry>",
    "CREATE GRAPH <http://e/new>", "ADD DEFAULT TO <http://e/g>", "MOVE DEFAULT TO <http://e/g>",
    "COPY <https://w3id.org/stikg/graph/registry> TO DEFAULT",
    "PREFIX x: <http://e/>\n# a comment\ninsert data { x:s x:p x:o } ; drop all",
]
SERVICES = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:{port}/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:{port}/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE <http://127.0.0.1:{port}/q> { ?s ?q ?r } } } LIMIT 1",
    "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://127.0.0.1:{port}/q> { ?s ?p ?o } } } }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <http://127.0.0.1:{port}/q> { ?s ?p ?o } } } LIMIT 1",
    "SELECT * WHERE { { ?s ?p ?o } UNION { SERVICE <https://dbpedia.org/sparql> { ?s ?p ?o } } } LIMIT 1",
    "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE <http://example.org/sparql> { ?s ?p ?o } } } LIMIT 1",
    "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }",
    "SELECT * WHERE { BIND(<http://127.0.0.1:{port}/x> AS ?e) SERVICE ?e { ?s ?p ?o } }",
    "select * where { service <http://127.0.0.1:{port}/q> { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:{port}/q> { ?s ?p ?o } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:{port}/q> { ?s ?p ?o } }",
    "ASK { SERVICE <http://127.0.0.1:{port}/q> { ?s ?p ?o } }",
]


def test_updates_and_service_are_refused_and_never_call_out(hardened, listener):
    port, seen = listener
    before = sparql(hardened, COUNT_ALL)
    refused = 0
    for template in UPDATES:
        text = template.replace("{port}", str(port))
        for target, body, headers in (
            ("/sparql?" + urllib.parse.urlencode({"query": text}), None, {}),
            ("/sparql?" + urllib.parse.urlencode({"update": text}), None, {}),
            ("/sparql", urllib.parse.urlencode({"update": text}).encode(), {"Content-Type": "application/x-www-form-urlencoded"}),
            ("/sparql", urllib.parse.urlencode({"query": text}).encode(), {"Content-Type": "application/x-www-form-urlencoded"}),
            ("/sparql", text.encode(), {"Content-Type": "application/sparql-update"}),
            ("/sparql", text.encode(), {"Content-Type": "application/sparql-query"}),
        ):
            answer = fetch(hardened, target, "POST" if body is not None else "GET", body, headers)
            assert answer.status == 403, (text, target, answer.status, answer.text)
            assert "read-only" in answer.text and "Traceback" not in answer.text
            refused += 1
    for template in SERVICES:
        text = template.replace("{port}", str(port))
        for answer in (sparql(hardened, text),
                       fetch(hardened, "/sparql", "POST", text.encode(), {"Content-Type": "application/sparql-query"})):
            assert answer.status == 403 and "SERVICE" in answer.text, (text, answer.status, answer.text)
            refused += 1
    # dataset clauses and protocol graphs name graphs in the store; nothing is fetched
    for text, extra in (
        (f"SELECT * FROM <http://127.0.0.1:{port}/g.ttl> WHERE {{ ?s ?p ?o }} LIMIT 1", {}),
        (f"SELECT * FROM NAMED <http://127.0.0.1:{port}/g.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} LIMIT 1", {}),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", {"default-graph-uri": f"http://127.0.0.1:{port}/g.ttl"}),
        ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1", {"named-graph-uri": f"http://127.0.0.1:{port}/g.ttl"}),
    ):
        answer = sparql(hardened, text, **extra)
        assert answer.status in (200, 400, 403), (text, answer.status)
    time.sleep(0.5)
    assert seen == [], f"the endpoint connected to {seen}"
    assert sparql(hardened, COUNT_ALL).body == before.body
    record("endpoint_refusals", refused=refused, outbound_connections=len(seen))


def _timed(server: Served, query: str) -> tuple[int, float]:
    started = time.monotonic()
    answer = sparql(server, query)
    return answer.status, time.monotonic() - started


@pytest.mark.parametrize("query", [CARTESIAN, *RUNAWAY_PATHS], ids=["cartesian", "negated-path-star", "type-path-star"])
def test_pathological_query_is_stopped_while_others_answer(hardened, query):
    result: list[tuple[int, float]] = []
    slow = threading.Thread(target=lambda: result.append(_timed(hardened, query)))
    slow.start()
    light: list[tuple[int, float]] = []
    deadline = time.monotonic() + TIMEOUT + 0.5
    time.sleep(0.2)
    while time.monotonic() < deadline and slow.is_alive():
        light.append(_timed(hardened, LIGHT))
        time.sleep(0.1)
    slow.join(TIMEOUT + 30)
    assert not slow.is_alive()
    status, seconds = result[0]
    assert status == 503 and seconds < TIMEOUT + 1.5, (status, seconds)
    assert light and all(s == 200 for s, _ in light), light
    assert max(t for _, t in light) < TIMEOUT, light  # never queued behind the pathological query
    # the killed worker is replaced: both workers answer again
    time.sleep(1.0)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(children_of(hardened.proc.pid)) < WORKERS:
        time.sleep(0.2)
    parallel: list[int] = []
    threads = [threading.Thread(target=lambda: parallel.append(sparql(hardened, LIGHT).status)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert parallel == [200] * 6
    record("pathological_query", query=query, status=status, seconds=round(seconds, 2), limit_s=TIMEOUT,
           light_queries=len(light), light_max_s=round(max(t for _, t in light), 3))


def test_result_size_is_capped_in_every_format(hardened):
    for accept, count in (
        ("application/sparql-results+json", lambda b: len(json.loads(b)["results"]["bindings"])),
        ("text/csv", lambda b: len(b.decode().splitlines()) - 1),
        ("text/tab-separated-values", lambda b: len(b.decode().splitlines()) - 1),
        ("application/sparql-results+xml", lambda b: b.count(b"<result>")),
    ):
        answer = sparql(hardened, "SELECT * WHERE { ?s ?p ?o }", accept)
        assert answer.status == 200 and answer.headers.get("x-stikg-truncated") == "true", accept
        assert count(answer.body) == MAX_RESULTS, accept
    answer = sparql(hardened, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "application/n-triples")
    assert answer.status == 200 and answer.headers.get("x-stikg-truncated") == "true"
    assert answer.text.count(" .\n") == MAX_RESULTS
    answer = sparql(hardened, CARTESIAN.replace("(COUNT(*) AS ?n)", "*") + " LIMIT 100000")
    assert answer.status == 200 and len(json.loads(answer.body)["results"]["bindings"]) == MAX_RESULTS
    record("result_cap", max_results=MAX_RESULTS)


def test_50_mb_body_is_refused_quickly_without_reading_it(hardened):
    size = 50 * 1024 * 1024
    head = (f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    started = time.monotonic()
    sent = 0
    status_line = b""
    with socket.create_connection(("127.0.0.1", hardened.port), timeout=10) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        chunk = b"x" * 65536
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sent < size:
            with contextlib.suppress(BlockingIOError):
                status_line += sock.recv(4096)
            if status_line:
                break
            try:
                sent += sock.send(chunk)
            except BlockingIOError:
                time.sleep(0.01)
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        sock.settimeout(5)
        with contextlib.suppress(OSError):
            while b"\r\n" not in status_line:
                data = sock.recv(4096)
                if not data:
                    break
                status_line += data
    seconds = time.monotonic() - started
    assert status_line.startswith(b"HTTP/1.1 413"), status_line[:200]
    assert seconds < 3.0 and sent < size // 4, (seconds, sent)
    # a chunked body (no length to check first) is cut off at the cap, and the server still answers
    piece = b"#" * 8192
    chunks = (b"%x\r\n" % len(piece) + piece + b"\r\n") * (2 * MAX_BODY // len(piece)) + b"0\r\n\r\n"
    with socket.create_connection(("127.0.0.1", hardened.port), timeout=10) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        with contextlib.suppress(OSError):
            sock.sendall(chunks)
        answer_line = sock.recv(4096)
    assert answer_line.startswith(b"HTTP/1.1 413"), answer_line[:200]
    assert sparql(hardened, LIGHT).status == 200
    record("body_cap", body_bytes=size, sent_before_answer=sent, seconds=round(seconds, 3), max_body=MAX_BODY)


def test_many_slow_requests_do_not_spawn_unbounded_threads(hardened):
    pid = hardened.proc.pid
    idle_threads = threads_of(pid)
    peak = {"threads": idle_threads, "children": len(children_of(pid))}
    statuses: list[int] = []
    lock = threading.Lock()

    def slow() -> None:
        with contextlib.suppress(OSError, http.client.HTTPException):
            answer = sparql(hardened, CARTESIAN)
            with lock:
                statuses.append(answer.status)

    clients = [threading.Thread(target=slow) for _ in range(SLOW_REQUESTS)]
    for t in clients:
        t.start()
    while any(t.is_alive() for t in clients):
        peak["threads"] = max(peak["threads"], threads_of(pid))
        peak["children"] = max(peak["children"], len(children_of(pid)))
        time.sleep(0.05)
        if not any(t.is_alive() for t in clients):
            break
    for t in clients:
        t.join(60)
    # a bounded pool: the request threads and a few worker-restart threads, never one per request
    assert peak["threads"] <= idle_threads + THREADS + 2 * WORKERS + 2, (idle_threads, peak)
    assert peak["children"] <= 2 * WORKERS + 1, peak
    assert set(statuses) <= {503} and len(statuses) == SLOW_REQUESTS, statuses
    assert sparql(hardened, LIGHT).status == 200
    record("bounded_pool", requests=SLOW_REQUESTS, idle_threads=idle_threads, peak_threads=peak["threads"],
           peak_workers=peak["children"], http_threads=THREADS, workers=WORKERS)


def test_idle_connections_do_not_starve_the_server(hardened):
    """Slowloris: more half-sent requests, stalled bodies and idle connections than request
    threads. A normal request must still be answered (idle connections need a read timeout), and
    the timeouts are handled quietly (no traceback in the server's log)."""
    log = hardened.root / f"serve-{hardened.port}.log"
    logged = log.stat().st_size
    stalls = (b"GET /", b"GET /library HTTP/1.1\r\nHost: x\r\n",
              b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
              b"Content-Length: 100\r\n\r\nSELECT")
    idle: list[socket.socket] = []
    try:
        for i in range(THREADS + 2):
            sock = socket.create_connection(("127.0.0.1", hardened.port), timeout=5)
            sock.sendall(stalls[i % len(stalls)])
            idle.append(sock)
        time.sleep(0.5)
        started = time.monotonic()
        try:
            answer = fetch(hardened, "/sparql?" + urllib.parse.urlencode({"query": LIGHT}), timeout=15)
        except TimeoutError:
            pytest.fail(f"{THREADS + 2} idle connections blocked all {THREADS} request threads: a normal request "
                        "got no answer within 15 s (no deadline on request heads and bodies)")
        seconds = time.monotonic() - started
        assert answer.status == 200
        record("idle_connections", idle=len(idle), answered_after_s=round(seconds, 2))
    finally:
        for sock in idle:
            sock.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if fetch(hardened, "/library", timeout=5).status == 200:
                break
        time.sleep(0.5)
    new_log = log.read_bytes()[logged:].decode("utf-8", "replace")
    assert "Traceback" not in new_log, new_log[-2000:]


# ------------------------------------------------------------------------ hostile project


def _hostile_inputs(root: Path) -> None:
    """Lace the project inputs with the payloads (registry, catalog, a document, the library)."""
    programs = root / "mappings" / "registry" / "programs.yaml"
    entry = [{"id": "xss-program", "name_ja": PAYLOADS[0] + "事業", "name_en": PAYLOADS[1],
              "aliases": [PAYLOADS[2]], "short_name": JS_URL, "note": PAYLOADS[3]}]
    with programs.open("a", encoding="utf-8") as handle:
        handle.write("\n" + yaml.safe_dump(entry, allow_unicode=True, sort_keys=False))
    orgs = root / "mappings" / "registry" / "organizations.yaml"
    org = [{"id": "xss-org", "name_ja": PAYLOADS[3] + "機構", "name_en": PAYLOADS[0], "type": "other"}]
    with orgs.open("a", encoding="utf-8") as handle:
        handle.write("\n" + yaml.safe_dump(org, allow_unicode=True, sort_keys=False))
    catalog = root / "sources" / "catalog.yaml"
    text = catalog.read_text(encoding="utf-8")
    start = text.index(f"  - id: {DOC}.txt")
    for key in ("title_ja", "title_en"):
        at = text.index(f"    {key}: ", start)
        end = text.index("\n", at)
        value = text[at + len(f"    {key}: "):end]
        text = text[:at] + f"    {key}: " + json.dumps(value + PAYLOADS[0 if key == 'title_ja' else 1], ensure_ascii=False) + text[end:]
    catalog.write_text(text, encoding="utf-8")
    doc = root / "sources" / f"{DOC}.txt"
    lines = [
        "", f"③ {PAYLOADS[0]}{PAYLOADS[1]}ハブ形成プログラム", "",
        f"600百万円（前年度予算額：500百万円）{PAYLOADS[2]}", "",
        f"(担当：研究振興局{PAYLOADS[3]}課)", "", f"{JS_URL} {PAYLOADS[1]}",
    ]
    doc.write_text(doc.read_text(encoding="utf-8").rstrip("\n") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    (root / "queries" / "xss_query.rq").write_text(
        f"# title: {PAYLOADS[0]}\n# question (ja): {PAYLOADS[1]}\n# question (en): {PAYLOADS[2]}\n"
        f"# parameters:\n#   program (program, default xss-program): {PAYLOADS[3]}\n# columns: program, label\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?program ?label WHERE { ?program rdfs:label ?label }\n", encoding="utf-8")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Iterator[Served]:
    from stikg.build import build
    from stikg.core.config import Paths

    root = copy_project(tmp_path_factory.mktemp("hostile") / "project")
    _hostile_inputs(root)
    build(Paths(root), quiet=True, reasoner="fast")
    nq = (root / "kg" / "dataset.nq").read_text(encoding="utf-8")
    assert MARK in nq, "the payloads did not reach the graph"
    with serve(root, "--timeout", "20") as server:
        yield server


class PageScan(HTMLParser):
    """Collects what could run in a page: scripts, event handlers, javascript: URLs, links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[str, str]] = []
        self.handlers: list[str] = []
        self.js_urls: list[str] = []
        self.links: list[str] = []
        self.meta_csp: list[str] = []
        self._script_type: str | None = None
        self._script: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        for key, value in values.items():
            if key.startswith("on"):
                self.handlers.append(f"<{tag} {key}={value!r}>")
            if key in ("href", "src", "action", "formaction", "xlink:href", "data") and \
                    re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(("javascript:", "vbscript:", "data:text/html")):
                self.js_urls.append(f"<{tag} {key}={value!r}>")
            if key in ("href", "src") and value:
                self.links.append(value)
        if tag == "meta" and values.get("http-equiv", "").lower() == "content-security-policy":
            self.meta_csp.append(values.get("content", ""))
        if tag == "script":
            self._script_type = values.get("type", "")
            self._script = []

    def handle_data(self, data: str) -> None:
        if self._script_type is not None:
            self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script_type is not None:
            self.scripts.append((self._script_type, "".join(self._script)))
            self._script_type = None


def csp_problems(headers: dict[str, str]) -> list[str]:
    policy = headers.get("content-security-policy")
    if not policy:
        return ["no Content-Security-Policy header"]
    directives = {d.strip().split(" ", 1)[0].lower(): d.strip() for d in policy.split(";") if d.strip()}
    script = directives.get("script-src") or directives.get("default-src")
    if not script:
        return ["CSP without script-src or default-src"]
    if "'unsafe-inline'" in script:
        return [f"CSP allows inline script: {script}"]
    return []


def html_problems(answer: Answer) -> list[str]:
    """Why an HTML answer is unsafe (empty when it is not)."""
    text = answer.text
    problems = [f"raw payload {p!r}" for p in PAYLOADS if p in text]
    scan = PageScan()
    scan.feed(text)
    scan.close()
    problems += [f"event handler {h}" for h in scan.handlers]
    problems += [f"script URL {u}" for u in scan.js_urls]
    for kind, body in scan.scripts:
        if kind.lower() in ("application/json", "application/ld+json"):
            try:
                json.loads(body)
            except ValueError:
                problems.append("a JSON data <script> does not parse (broken out of?)")
        elif MARK in body:
            problems.append(f"payload inside an executable <script>: …{body[body.index(MARK) - 40:][:80]}…")
    return problems


def hostile_entities(server: Served) -> list[str]:
    """IRIs of every entity whose label, quote or title carries a payload."""
    query = ("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isLiteral(?o) && CONTAINS(STR(?o), \"" + MARK + "\")) } "
             "ORDER BY ?s LIMIT 200")
    answer = sparql(server, query)
    assert answer.status == 200, answer.text
    return [b["s"]["value"] for b in json.loads(answer.body)["results"]["bindings"]]


def local_path(iri: str) -> str | None:
    base = os.environ.get("STIKG_BASE_IRI", "https://w3id.org/stikg/")
    return "/" + urllib.parse.quote(iri[len(base):], safe="/-_.~") if iri.startswith(base) else None


def start_pages(server: Served) -> list[str]:
    pages = ["/", f"/{MARK}<script>alert(1)</script>", "/" + urllib.parse.quote(PAYLOADS[1])]
    pages += [f"/source/{DOC}", f"/source/{DOC}.txt", f"/document/{DOC}.html", "/program/xss-program",
              "/program/" + urllib.parse.quote(PAYLOADS[0]), "/ontology.html", "/dataset.html",
              "/source/" + urllib.parse.quote(PAYLOADS[2])]
    pages += ["/lineage"] + [
        "/lineage?" + urllib.parse.urlencode({key: payload})
        for key in ("strategy", "agency") for payload in PAYLOADS
    ] + ["/lineage?" + urllib.parse.urlencode({"program": PAYLOADS[0], "stage": PAYLOADS[1]})]
    for iri in hostile_entities(server):
        path = local_path(iri)
        if path:
            pages.append(path + ".html")
    return pages


def test_hostile_labels_render_as_text_on_every_page(hostile):
    """Crawl from the pages that show the payloads: no HTML page lets markup from the data run
    (the headers are checked per route by the next tests)."""
    queue = start_pages(hostile)
    seen: set[str] = set()
    problems: dict[str, list[str]] = {}
    html_pages = other = 0
    no_csp: set[str] = set()
    with_payload: list[str] = []
    while queue and len(seen) < CRAWL_LIMIT:
        target = queue.pop(0)
        if target in seen:
            continue
        seen.add(target)
        answer = fetch(hostile, target, headers={"Accept": "text/html"})
        if answer.status in (301, 302, 303, 307, 308) and answer.headers.get("location", "").startswith("/"):
            queue.insert(0, answer.headers["location"])
            continue
        assert answer.status < 500, (target, answer.status, answer.text[:500])
        assert answer.headers.get("x-content-type-options", "").lower() == "nosniff", target
        if "text/html" not in answer.ctype:
            other += 1
            assert answer.ctype, f"{target}: no Content-Type"
            continue
        html_pages += 1
        if MARK in answer.text:
            with_payload.append(target)
        found = html_problems(answer)
        if found:
            problems[target] = found
        if csp_problems(answer.headers):
            no_csp.add(urllib.parse.urlsplit(target).path.split("/")[1] or "/")
        scan = PageScan()
        scan.feed(answer.text)
        for link in scan.links:
            split = urllib.parse.urlsplit(link)
            if split.scheme or split.netloc or not split.path.startswith("/") or split.path.startswith("/static/vendor"):
                continue
            path = split.path + (f"?{split.query}" if split.query else "")
            if path not in seen and not path.startswith(("/dumps/", "/sparql")):
                queue.append(path)
    record("hostile_crawl", pages=len(seen), html_pages=html_pages, other=other,
           unsafe_pages=len(problems), problems={k: v[:3] for k, v in list(problems.items())[:20]},
           routes_without_csp=sorted(no_csp), pages_showing_payloads=len(with_payload))
    assert len(with_payload) >= 3, with_payload
    assert not problems, "\n".join(f"{page}: {'; '.join(p[:4])}" for page, p in sorted(problems.items()))


def test_hostile_library_listing_and_json_routes(hostile):
    page = fetch(hostile, "/")
    assert page.status == 200 and MARK in page.text and not any(p in page.text for p in PAYLOADS)
    listing = fetch(hostile, "/library")
    assert listing.status == 200 and listing.ctype.startswith("application/json")
    assert listing.headers.get("x-content-type-options") == "nosniff"
    titles = [q["title"] for q in json.loads(listing.body)]
    assert PAYLOADS[0] in titles  # data stays data in JSON; escaping is the renderer's job
    answer = fetch(hostile, "/library/xss_query?" + urllib.parse.urlencode({"program": PAYLOADS[0] + "事業"}))
    assert answer.status == 200, answer.text
    data = fetch(hostile, "/lineage/data.json?" + urllib.parse.urlencode({"strategy": PAYLOADS[2]}))
    assert data.ctype.startswith("application/json") and data.headers.get("x-content-type-options") == "nosniff"


def test_hostile_source_viewer_shows_the_lines_escaped(hostile):
    answer = fetch(hostile, f"/source/{DOC}")
    assert answer.status == 200, answer.text[:300]
    assert "&lt;script&gt;alert(&#x27;stikg-xss-1&#x27;)&lt;/script&gt;" in answer.text \
        or "&lt;script&gt;alert(&#39;stikg-xss-1&#39;)&lt;/script&gt;" in answer.text
    assert not html_problems(answer), html_problems(answer)


def test_security_headers_on_every_html_route(hostile):
    """Every HTML route the server has: the CSP (no inline script) and nosniff headers."""
    targets = ["/"]
    targets += [f"/source/{DOC}", "/program/xss-program.html", "/ontology.html", "/dataset.html",
                "/program/no-such-program.html"]
    targets += ["/lineage", "/lineage?strategy=nothing-matches"]
    missing = {}
    for target in targets:
        answer = fetch(hostile, target, headers={"Accept": "text/html"})
        if "text/html" in answer.ctype:
            found = csp_problems(answer.headers)
            if answer.headers.get("x-content-type-options", "").lower() != "nosniff":
                found.append("no nosniff")
            if found:
                missing[target] = found
    record("security_headers", routes=len(targets), missing=missing)
    assert not missing, missing


TRAVERSALS = [
    "/static/../server.py", "/static/%2e%2e/server.py", "/static/%2E%2E%2Fserver.py", "/static/..%2fserver.py",
    "/static/vendor/../../server.py", "/static/%252e%252e/server.py", "/static/.%2e/cli.py",
    "/static/..%5cserver.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/stikg.js%00.png",
    "/static/....//....//server.py", "/static/", "/static/vendor/", "/static/vendor", "/static/.", "/static/./",
    "//etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "http://127.0.0.1/etc/passwd",
]
LD_TRAVERSALS = [
    "/source/../pyproject.toml", "/source/%2e%2e/pyproject.toml", "/source/..%2f..%2fpyproject.toml",
    "/source//etc/passwd", "/source/%2fetc%2fpasswd", "/source/catalog.yaml", "/source/../sources/catalog.yaml",
    "/source/", "/source", f"/source/{DOC}.txt/..", f"/source/{DOC}/../../pyproject.toml",
    "/source/..%5c..%5cpyproject.toml", "/source/%2e%2e%2f%2e%2e%2fkg%2fmanifest.json", "/source/..",
    "/dumps/", "/dumps", "/dumps/../manifest.json", "/dumps/%2e%2e/pyproject.toml", "/dumps//etc/passwd",
    "/dumps/manifest.json", "/graph/../../pyproject", "/graph/%2e%2e%2fmanifest", "/graph/",
    "/program/../../etc/passwd", "/program/%2e%2e%2f%2e%2e%2fetc%2fpasswd.ttl", "/program/..",
    "/document/..%2f..%2fpyproject.toml.html", "/ontology/../pyproject.toml",
]
SECRETS = (b"root:x:0:0", b"[build-system]", b"def ", b"import ", b"documents:", b'"outputs"')


@pytest.mark.parametrize("where", ["static", "linkeddata"])
def test_path_traversal_and_listings_answer_404(hostile, where):
    if where == "linkeddata":
        targets = [*LD_TRAVERSALS, "/lineage/../../etc/passwd", "/lineage/%2e%2e/data.json"]
    else:
        targets = LD_TRAVERSALS if where == "linkeddata" else TRAVERSALS
    wrong = {}
    for target in targets:
        answer = fetch(hostile, target, headers={"Accept": "text/html"})
        leaked = [s.decode() for s in SECRETS if s in answer.body]
        if answer.status != 404 or leaked:
            wrong[target] = (answer.status, leaked)
    record("path_traversal", where=where, tried=len(targets), wrong=len(wrong))
    assert not wrong, wrong


def test_static_scripts_never_write_html_from_data():
    """The page scripts put data into the DOM as text (DOM XSS guard for the hand-written JS)."""
    import stikg

    package = Path(stikg.__file__).parent / "web"
    scripts = [p for p in (*package.glob("static/*.js"), *package.glob("templates/*.js"), *package.glob("static/ld/*.js"))]
    bad = []
    for path in scripts:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\.(innerHTML|outerHTML)\s*\+?=(?!\s*[\"'`]{2})", line) or \
                    re.search(r"insertAdjacentHTML|document\.write|\beval\(|new Function\(", line):
                bad.append(f"{path.name}:{number}: {line.strip()}")
    record("dom_sinks", scripts=[p.name for p in scripts], found=len(bad))
    assert scripts and not bad, bad


def test_no_header_injection_or_open_redirect(hostile):
    """Paths with CR/LF or a second host never add headers or redirect off the site."""
    targets = ["/program/a%0d%0aX-Injected:%20yes", "/program/a%0aX-Injected:%20yes.html",
               "/source/a%0d%0aX-Injected:%20yes", "/lineage?strategy=a%0d%0aX-Injected:%20yes",
               "//evil.example/", "/program//evil.example", "/program/%2f%2fevil.example",
               "/ontology%0d%0aX-Injected:%20yes", "/sparql?query=%0d%0aX-Injected:%20yes"]
    wrong = {}
    for target in targets:
        answer = fetch(hostile, target, headers={"Accept": "text/html"})
        location = answer.headers.get("location", "")
        if "x-injected" in answer.headers or location.startswith(("//", "http:", "https:", "\\")):
            wrong[target] = (answer.status, location)
    record("header_injection", tried=len(targets), wrong=len(wrong))
    assert not wrong, wrong
