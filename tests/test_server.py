"""stikg serve: SPARQL 1.1 Protocol, read-only refusals, timeouts, caps, CORS, the query page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from SPARQLWrapper import CSV, JSON, POST, TSV, TURTLE, XML, SPARQLWrapper

from servers import make_fixture_project, stop, wait_http
from stikg.core.errors import StikgError
from stikg.sparql.store import open_store
from stikg.web.server import Server, free_port

PROGRAMS = "SELECT ?p WHERE { ?p a <https://w3id.org/stikg/ontology#Program> } ORDER BY ?p"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = make_fixture_project(tmp_path_factory.mktemp("server") / "project")
    open_store(data.paths)
    return data


@pytest.fixture(scope="module")
def server(data):
    srv = Server(store_dir=data.paths.store, port=0, timeout=2.0, max_results=1000, max_body=20_000,
                 workers=2, queries_dir=data.paths.queries).start()
    yield srv
    srv.close()


def http(url: str, data: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8")


def wrapper(server, query: str, fmt=JSON) -> SPARQLWrapper:
    sw = SPARQLWrapper(server.url + "/sparql")
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    return sw


def test_sparqlwrapper_round_trip_every_result_format(server):
    data = wrapper(server, PROGRAMS).queryAndConvert()
    programs = [b["p"]["value"] for b in data["results"]["bindings"]]
    assert "https://w3id.org/stikg/program/wpi" in programs and programs == sorted(programs)
    xml = wrapper(server, PROGRAMS, XML).queryAndConvert()
    assert len(xml.getElementsByTagName("result")) == len(programs)
    csv = wrapper(server, PROGRAMS, CSV).queryAndConvert().decode("utf-8")
    assert csv.splitlines()[0] == "p" and len(csv.splitlines()) == len(programs) + 1
    tsv = wrapper(server, PROGRAMS, TSV).queryAndConvert().decode("utf-8")
    assert tsv.splitlines()[1].startswith("<https://w3id.org/stikg/program/")
    post = wrapper(server, "ASK { ?s a <https://w3id.org/stikg/ontology#Hub> }")
    post.setMethod(POST)
    assert post.queryAndConvert()["boolean"] is True
    graph = wrapper(server, "CONSTRUCT { ?h ?p ?o } WHERE { ?h a <https://w3id.org/stikg/ontology#Hub> ; ?p ?o }", TURTLE)
    turtle = graph.query().response.read().decode("utf-8")
    assert "wpi-kavli-ipmu" in turtle


def test_protocol_variants_and_negotiation(server):
    url = server.url + "/sparql"
    status, headers, body = http(url, PROGRAMS.encode(), {"Content-Type": "application/sparql-query",
                                                          "Accept": "text/csv;q=0.5, application/sparql-results+xml"})
    assert status == 200 and headers["Content-Type"].startswith("application/sparql-results+xml")
    status, headers, body = http(url + "?" + urllib.parse.urlencode({"query": PROGRAMS}), headers={"Accept": "*/*"})
    assert status == 200 and json.loads(body)["head"]["vars"] == ["p"]
    construct = "CONSTRUCT { ?h a ?c } WHERE { ?h a ?c FILTER(?c = <https://w3id.org/stikg/ontology#Hub>) }"
    status, headers, body = http(url, urllib.parse.urlencode({"query": construct}).encode(),
                                 {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/n-triples"})
    assert status == 200 and headers["Content-Type"].startswith("application/n-triples")
    assert body.count(" .\n") == 2
    status, _, body = http(url + "?" + urllib.parse.urlencode({"query": PROGRAMS}), headers={"Accept": "image/png"})
    assert status == 406
    # a dataset given in the protocol replaces the union default graph
    registry = "https://w3id.org/stikg/graph/registry"
    q = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/stikg/ontology#BudgetAllocation> }",
                                "default-graph-uri": registry})
    status, _, body = http(url + "?" + q)
    assert status == 200 and json.loads(body)["results"]["bindings"][0]["n"]["value"] == "0"


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }", "INSERT DATA"),
        ("DELETE WHERE { ?s ?p ?o }", "DELETE WHERE"),
        ("LOAD <http://127.0.0.1:9/x.ttl>", "LOAD"),
        ("CLEAR ALL", "CLEAR"),
        ("DROP GRAPH <https://w3id.org/stikg/graph/registry>", "DROP"),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?q ?r } } }", "SERVICE"),
    ],
)
def test_updates_and_service_are_refused(server, query, word):
    url = server.url + "/sparql"
    status, _, body = http(url + "?" + urllib.parse.urlencode({"query": query}))
    assert status == 403 and word in body and "read-only" in body or "SERVICE" in body
    status, _, body = http(url, urllib.parse.urlencode({"update": query}).encode(),
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and "read-only" in body
    status, _, _ = http(url, query.encode(), {"Content-Type": "application/sparql-update"})
    assert status == 403
    # nothing changed
    data = wrapper(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").queryAndConvert()
    assert int(data["results"]["bindings"][0]["n"]["value"]) > 600


def test_syntax_errors_are_400_with_a_reason_and_no_traceback(server):
    status, _, body = http(server.url + "/sparql?" + urllib.parse.urlencode({"query": "SELECT ?x WHERE { ?x ?p }"}))
    assert status == 400 and "syntax error" in body and "Traceback" not in body
    status, _, body = http(server.url + "/sparql?" + urllib.parse.urlencode({"query": "SELECT * WHERE { ?s undefined:p ?o }"}))
    assert status == 400 and "Traceback" not in body
    status, _, body = http(server.url + "/sparql?query=")
    assert status == 400


def test_pathological_query_is_stopped_while_others_still_answer(server):
    answers: list[tuple[int, float]] = []

    def slow() -> None:
        started = time.monotonic()
        status, _, _ = http(server.url + "/sparql?" + urllib.parse.urlencode({"query": CARTESIAN}))
        answers.append((status, time.monotonic() - started))

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    data = wrapper(server, PROGRAMS).queryAndConvert()  # the other worker answers meanwhile
    assert data["results"]["bindings"] and time.monotonic() - started < 1.5
    thread.join(30)
    status, seconds = answers[0]
    assert status == 503 and seconds < 2.0 + 1.5, answers
    # the killed worker is replaced: the pool answers two queries at once again
    time.sleep(3)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(len(wrapper(server, PROGRAMS).queryAndConvert()["results"]["bindings"])))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 4 and len(set(results)) == 1


def test_result_and_body_caps(data):
    srv = Server(store_dir=data.paths.store, port=0, max_results=3, max_body=200, workers=1,
                 queries_dir=data.paths.queries).start()
    try:
        status, headers, body = http(srv.url + "/sparql?" + urllib.parse.urlencode({"query": PROGRAMS}))
        assert status == 200 and headers.get("X-Stikg-Truncated") == "true"
        assert len(json.loads(body)["results"]["bindings"]) == 3
        big = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 500
        status, _, body = http(srv.url + "/sparql", big.encode(), {"Content-Type": "application/sparql-query"})
        assert status == 413
    finally:
        srv.close()


def test_cors_headers_and_preflight(server):
    status, headers, _ = http(server.url + "/sparql?" + urllib.parse.urlencode({"query": PROGRAMS}))
    assert headers["Access-Control-Allow-Origin"] == "*"
    status, headers, _ = http(server.url + "/sparql", method="OPTIONS",
                              headers={"Origin": "http://example.org", "Access-Control-Request-Method": "POST"})
    assert status == 204 and "POST" in headers["Access-Control-Allow-Methods"]


def test_query_page_lists_the_library_and_uses_only_local_assets(server, data):
    status, headers, page = http(server.url + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    for path in data.paths.queries.glob("*.rq"):
        assert f'data-name="{path.stem}"' in page
    assert "統合イノベーション戦略2024" in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://cdn" not in page
    for asset in ("/static/vendor/codemirror-5.65.21/codemirror.js", "/static/vendor/codemirror-5.65.21/sparql.js",
                  "/static/stikg.js", "/static/stikg.css"):
        status, _, body = http(server.url + asset)
        assert status == 200 and body, asset
    status, _, _ = http(server.url + "/static/../server.py")
    assert status == 404


def test_library_routes_bind_parameters_safely(server):
    status, _, body = http(server.url + "/library")
    items = {item["name"]: item for item in json.loads(body)}
    assert items["program_timeline"]["parameters"][0]["name"] == "program"
    status, _, body = http(server.url + "/library/program_timeline?program=Q-LEAP")
    rows = json.loads(body)["results"]["bindings"]
    assert status == 200 and {r["amount_yen"]["value"] for r in rows} >= {"5100000000", "4500000000"}
    status, _, body = http(server.url + "/library/program_timeline?" + urllib.parse.urlencode({"program": 'x" } ; DROP ALL ; #'}))
    assert status == 400 and "no program is named" in body
    status, _, body = http(server.url + "/library/nope")
    assert status == 404


def test_unknown_paths_and_methods(server):
    assert http(server.url + "/nothing")[0] == 404
    assert http(server.url + "/sparql", b"x", {"Content-Type": "text/plain"}, method="PUT")[0] == 405
    assert http(server.url + "/sparql", b"query=x", {"Content-Type": "text/plain"})[0] == 415


def test_stikg_serve_command_in_a_subprocess(data):
    port = free_port()
    env = {**os.environ, "STIKG_ROOT": str(data.root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "stikg.cli", "serve", "--port", str(port), "--timeout", "5", "--quiet"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/", 60, proc)
        sw = SPARQLWrapper(f"http://127.0.0.1:{port}/sparql")
        sw.setQuery(PROGRAMS)
        sw.setReturnFormat(JSON)
        assert sw.queryAndConvert()["results"]["bindings"]
    finally:
        stop(proc)
    err = proc.stderr.read().decode("utf-8") if proc.stderr else ""
    assert "Traceback" not in err


def test_stikg_serve_in_memory_answers_like_the_store(data, server):
    """``--in-memory`` loads kg/dataset.nq into the workers; the answers are the store's."""
    port = free_port()
    env = {**os.environ, "STIKG_ROOT": str(data.root)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "stikg.cli", "serve", "--in-memory", "--port", str(port), "--quiet"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/", 60, proc)
        answers = []
        for url in (f"http://127.0.0.1:{port}/sparql", server.url + "/sparql"):
            sw = SPARQLWrapper(url)
            sw.setQuery(PROGRAMS)
            sw.setReturnFormat(JSON)
            answers.append(sw.queryAndConvert()["results"]["bindings"])
        assert answers[0] and answers[0] == answers[1]
    finally:
        stop(proc)
    err = proc.stderr.read().decode("utf-8") if proc.stderr else ""
    assert "dataset in memory" in err and "Traceback" not in err


def test_serve_in_memory_without_a_dataset_is_refused(project):
    env = {**os.environ, "STIKG_ROOT": str(project)}
    missing = project / "nowhere.nq"
    done = subprocess.run([sys.executable, "-m", "stikg.cli", "serve", "--in-memory", "--dataset", str(missing),
                           "--port", "0"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "nowhere.nq: no such dataset" in done.stderr
    assert "Traceback" not in done.stderr

def test_serve_in_memory_beyond_free_memory_is_refused_with_an_estimate(tmp_path, monkeypatch):
    from stikg.commands import serve

    monkeypatch.setattr("stikg.core.system.available_memory", lambda: 2**20)
    dump = tmp_path / "dataset.nq"
    dump.write_bytes(b"<urn:s> <urn:p> <urn:o> <urn:g> .\n" * 100_000)
    with pytest.raises(StikgError, match=r"--in-memory would need ~[\d.]+ GB for 2 worker\(s\).* available"):
        serve.check_memory(dump, 2)
    monkeypatch.setattr("stikg.core.system.available_memory", lambda: 2**40)
    serve.check_memory(dump, 2)  # fits: no error

def test_serve_refuses_a_busy_port(data):
    srv = Server(store_dir=data.paths.store, port=0, workers=1)
    try:
        port = srv.address[1]
        env = {**os.environ, "STIKG_ROOT": str(data.root)}
        done = subprocess.run([sys.executable, "-m", "stikg.cli", "serve", "--port", str(port)],
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and "cannot listen" in done.stderr and "Traceback" not in done.stderr
    finally:
        srv.close()


@pytest.mark.slow
def test_query_page_runs_a_library_query_in_a_real_browser(server, tmp_path):
    """Headless Chromium opens /#hubs/run: the page loads the vendored editor, runs the library
    query through /library/hubs and renders the table (no network beyond 127.0.0.1)."""
    from browser import chromium_path

    exe = chromium_path()
    done = subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=10000", "--dump-dom", server.url + "/#hubs/run"],
        capture_output=True, text=True, timeout=120,
    )
    dom = done.stdout
    assert 'class="CodeMirror' in dom, done.stderr[-2000:]
    assert "<table>" in dom and "hub:wpi-kavli-ipmu" in dom and "東京大学" in dom
