"""stikg push: Graph Store Protocol PUT per named graph to real Oxigraph and Virtuoso servers."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading

import pytest

from servers import make_fixture_project, oxigraph_process, virtuoso_process
from stikg.sparql import EndpointBackend, SelectResult, load_query, run_query
from stikg.sparql.push import Client, PushError, graph_store_url, push, read_graphs
from stikg.sparql.push import chunks as push_chunks
from stikg.web.server import free_port

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_fixture_project(tmp_path_factory.mktemp("push") / "project")


@pytest.fixture
def oxigraph(tmp_path):
    with oxigraph_process(tmp_path / "store") as server:
        yield server


def cli(data, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "STIKG_ROOT": str(data.root)}
    return subprocess.run([sys.executable, "-m", "stikg.cli", "push", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def remote_counts(endpoint: str) -> dict[str, int]:
    backend = EndpointBackend(endpoint, union=False)
    result = backend.run("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert isinstance(result, SelectResult)
    return {row[0].value: int(row[1].value) for row in result.rows}


def test_push_to_oxigraph_is_complete_and_idempotent(data, oxigraph):
    expected = {g: len(t) for g, t in read_graphs(data.nq).items()}
    done = cli(data, "--endpoint", oxigraph.query)
    assert done.returncode == 0, done.stderr
    assert f"pushed {len(expected)} graphs" in done.stdout
    assert remote_counts(oxigraph.query) == expected
    # a second push changes nothing
    done = cli(data, "--endpoint", oxigraph.query, "--graph-store", oxigraph.graph_store)
    assert done.returncode == 0, done.stderr
    assert remote_counts(oxigraph.query) == expected


def test_push_replaces_graphs_and_prunes_stale_ones(data, oxigraph, tmp_path):
    stale = "https://w3id.org/stikg/graph/document/gone"
    client = Client()
    client.request("PUT", f"{oxigraph.graph_store}?graph={stale}", b"<http://e/s> <http://e/p> <http://e/o> .\n",
                   {"Content-Type": "text/turtle"})
    catalog = "https://w3id.org/stikg/graph/catalog"
    client.request("POST", f"{oxigraph.graph_store}?graph={catalog}", b"<http://e/extra> <http://e/p> 1 .\n",
                   {"Content-Type": "text/turtle"})
    reports = push(data.nq, oxigraph.query, prune=True)
    counts = remote_counts(oxigraph.query)
    assert stale not in counts
    assert counts[catalog] == next(r.triples for r in reports if r.graph == catalog)


def test_push_then_query_the_store(data, oxigraph):
    push(data.nq, oxigraph.query)
    query = load_query("program_timeline", data.paths.queries)
    result = run_query(query, EndpointBackend(oxigraph.query), {"program": "Q-LEAP"})
    assert "5100000000" in result.values("amount_yen")


def test_unreachable_endpoint_is_one_clear_error(data):
    port = free_port()
    done = cli(data, "--endpoint", f"http://127.0.0.1:{port}/query", "--retries", "1")
    assert done.returncode == 2
    assert "cannot reach" in done.stderr and "after 2 attempts" in done.stderr and "Traceback" not in done.stderr


def test_retries_with_backoff_until_the_store_answers(data, oxigraph):
    """A proxy that fails the first two requests with 503 and then forwards: the push succeeds."""
    import urllib.request

    failures = {"left": 2}

    class Flaky(http.server.BaseHTTPRequestHandler):
        def _any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if failures["left"] > 0:
                failures["left"] -= 1
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            target = oxigraph.query.rsplit("/", 1)[0] + self.path
            req = urllib.request.Request(target, data=body or None, method=self.command,
                                         headers={k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")})
            with urllib.request.urlopen(req) as resp:
                payload = resp.read()
                self.send_response(resp.status)
                self.send_header("Content-Type", resp.headers.get("Content-Type", "text/plain"))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = _any

        def log_message(self, *args) -> None:
            pass

    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    sleeps: list[float] = []
    try:
        base = f"http://127.0.0.1:{proxy.server_address[1]}"
        reports = push(data.nq, base + "/query", client=Client(retries=3, sleep=sleeps.append))
        assert reports[0].attempts == 3 and sleeps == [0.5, 1.0]
        assert all(r.ok for r in reports)
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_graph_store_url_guesses():
    assert graph_store_url("http://h:7878/query", False) == "http://h:7878/store"
    assert graph_store_url("http://h:8890/sparql", True) == "http://h:8890/sparql-graph-crud-auth"
    with pytest.raises(PushError, match="give --graph-store"):
        graph_store_url("http://h/ds/sparql2", False)


@pytest.mark.slow
def test_push_to_virtuoso_with_digest_auth_then_query(data, tmp_path):
    with virtuoso_process(tmp_path / "virtuoso") as server:
        done = cli(data, "--endpoint", server.query, "--user", "dba", "--password", "wrong", "--retries", "0")
        assert done.returncode == 2 and "authentication failed" in done.stderr and "Traceback" not in done.stderr
        done = cli(data, "--endpoint", server.query, "--user", "dba", "--password", "dba")
        assert done.returncode == 0, done.stderr
        # idempotent, also when every graph goes in parts (PUT, then POSTs)
        done = cli(data, "--endpoint", server.query, "--user", "dba", "--password", "dba", "--chunk-mb", "0.01")
        assert done.returncode == 0, done.stderr
        expected = {g: len(t) for g, t in read_graphs(data.nq).items()}
        counts = {g: n for g, n in remote_counts(server.query).items() if g in expected}
        assert counts == expected
        # a request body of several MB: Virtuoso resets the connection unless the credentials go
        # with it (digest from a fresh challenge), and it must not be split here (--chunk-mb 64)
        big = tmp_path / "big.nq"
        graph = "https://w3id.org/stikg/graph/big"
        big.write_text("".join(f'<http://e/s{i}> <http://e/p> "a literal of some length, number {i}" <{graph}> .\n'
                               for i in range(80_000)), encoding="utf-8")
        assert big.stat().st_size > 6_000_000
        done = cli(data, "--endpoint", server.query, "--user", "dba", "--password", "dba", "--dataset", str(big),
                   "--chunk-mb", "64")
        assert done.returncode == 0, done.stderr
        assert "80000 triples (ok)" in done.stderr and " requests" not in done.stderr
        assert remote_counts(server.query)[graph] == 80_000
        # more than 100 graphs in the union: Virtuoso echoes one header per default-graph-uri,
        # more than http.client accepts by default
        many = tmp_path / "many.nq"
        many.write_text("".join(f"<http://e/m{i}> <http://e/p> \"{i}\" <https://w3id.org/stikg/graph/many/{i}> .\n"
                                for i in range(150)), encoding="utf-8")
        done = cli(data, "--endpoint", server.query, "--user", "dba", "--password", "dba", "--dataset", str(many))
        assert done.returncode == 0, done.stderr
        backend = EndpointBackend(server.query, timeout=120)
        result = backend.run("SELECT (COUNT(*) AS ?n) WHERE { ?s <http://e/p> ?o FILTER(STRSTARTS(STR(?s), \"http://e/m\")) }")
        assert isinstance(result, SelectResult) and int(result.rows[0][0].value) == 150
        assert len(backend.graphs()) > 150
        env = {**os.environ, "STIKG_ROOT": str(data.root)}
        done = subprocess.run(
            [sys.executable, "-m", "stikg.cli", "query", "program_timeline", "--param", "program=Q-LEAP",
             "--endpoint", server.query, "--format", "csv"],
            capture_output=True, text=True, env=env, timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert ",2025,request,5100000000," in done.stdout


def test_chunks_bound_the_request_size_and_keep_blank_nodes_together():
    import pyoxigraph as ox

    ex = "http://e/"
    plain = [ox.Triple(ox.NamedNode(f"{ex}s{i}"), ox.NamedNode(f"{ex}p"), ox.Literal(f"line {i}\nnext"))
             for i in range(400)]
    blank = [ox.Triple(ox.BlankNode(f"b{i}"), ox.NamedNode(f"{ex}q"), ox.NamedNode(f"{ex}o{i}")) for i in range(50)]
    triples = plain[:200] + blank + plain[200:]
    everything = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    bodies = push_chunks(triples, 2000)
    assert len(bodies) > 5
    assert all(len(body) <= 2000 for body in bodies[1:])
    # every triple exactly once, and every blank-node triple in the first (PUT) body
    lines = [line for body in bodies for line in body.splitlines()]
    assert sorted(lines) == sorted(everything.splitlines())
    assert all(b"_:" not in body for body in bodies[1:])
    assert sum(body.count(b"_:") for body in bodies[:1]) == 50
    # small graphs go in one request; an empty graph is one empty PUT (it clears the graph)
    assert push_chunks(plain[:3], 2000) == [ox.serialize(plain[:3], format=ox.RdfFormat.N_TRIPLES)]
    assert push_chunks([], 2000) == [b""]


def test_large_graphs_go_in_parts_put_then_post(data, oxigraph):
    expected = {g: len(t) for g, t in read_graphs(data.nq).items()}
    lines: list[str] = []
    push(data.nq, oxigraph.query, progress=lines.append, chunk_bytes=4096)
    assert any(" requests (ok)" in line for line in lines)
    assert remote_counts(oxigraph.query) == expected
    # pushing again in parts replaces (the PUT of the first part) rather than adds
    done = cli(data, "--endpoint", oxigraph.query, "--chunk-mb", "0.004")
    assert done.returncode == 0, done.stderr
    assert remote_counts(oxigraph.query) == expected
    done = cli(data, "--endpoint", oxigraph.query, "--chunk-mb", "0")
    assert done.returncode == 2 and "--chunk-mb must be positive" in done.stderr
