"""Standard SPARQL behaviour that clients rely on: FROM / FROM NAMED in the query text choose the
dataset (SPARQL 1.1 §13.2) in `stikg query`'s embedded store, through --endpoint and on /sparql (a
graph that does not exist gives an empty default graph); an update is refused as read-only with one
wording everywhere; GET /sparql without a query describes the service."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from servers import make_fixture_project
from stikg.sparql import EmbeddedBackend, EndpointBackend, QueryError, has_dataset_clause
from stikg.sparql.store import open_store
from stikg.web.server import Server
from test_server import http

ONTOLOGY = "https://w3id.org/stikg/graph/ontology"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
COUNT_FROM = f"SELECT (COUNT(*) AS ?n) FROM <{ONTOLOGY}> WHERE {{ ?s ?p ?o }}"
COUNT_MISSING = "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/stikg/graph/no-such-graph> WHERE { ?s ?p ?o }"
COUNT_NAMED = f"SELECT (COUNT(*) AS ?n) FROM NAMED <{ONTOLOGY}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
COUNT_GRAPH = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ONTOLOGY}> {{ ?s ?p ?o }} }}"


@pytest.mark.parametrize(("text", "expected"), [
    (COUNT_FROM, True), (COUNT_NAMED, True), ("select * from<g>{?s ?p ?o}", True),
    ("CONSTRUCT { ?s ?p ?o } FROM <g> WHERE { ?s ?p ?o }", True),
    (COUNT_ALL, False), ('SELECT * { ?s ?p "FROM <g>" }', False), ("# FROM <g>\nSELECT * { ?s ?p ?o }", False),
    ("SELECT ?from { ?s ?p ?from }", False), ("PREFIX from: <x:> SELECT * { ?s from:a ?o }", False),
    ("SELECT * { ?s <http://e/FROM> ?o }", False), ("SELECT * { ?s ?p '''a\nFROM b''' }", False),
])
def test_the_dataset_clause_is_found_only_where_it_is(text, expected):
    assert has_dataset_clause(text) is expected


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = make_fixture_project(tmp_path_factory.mktemp("dataset") / "project")
    open_store(data.paths)
    return data


def _n(result) -> int:
    return int(result.rows[0][0].value)


def test_embedded_store_honours_from_and_from_named(data):
    backend = EmbeddedBackend(open_store(data.paths))
    everything, ontology = _n(backend.run(COUNT_ALL)), _n(backend.run(COUNT_GRAPH))
    assert 0 < ontology < everything
    assert _n(backend.run(COUNT_FROM)) == ontology
    assert _n(backend.run(COUNT_MISSING)) == 0
    assert _n(backend.run(COUNT_NAMED)) == ontology


def test_endpoint_honours_from_and_from_named(data):
    srv = Server(store_dir=data.paths.store, port=0, timeout=5.0, max_results=1000, max_body=20_000,
                 workers=1, queries_dir=data.paths.queries).start()
    try:
        def count(query: str, **params: str) -> int:
            status, _, body = http(srv.url + "/sparql?" + urllib.parse.urlencode({"query": query, **params}),
                                   headers={"Accept": "application/sparql-results+json"})
            assert status == 200, body
            return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])

        everything, ontology = count(COUNT_ALL), count(COUNT_GRAPH)
        assert 0 < ontology < everything
        assert count(COUNT_FROM) == ontology
        assert count(COUNT_MISSING) == 0
        assert count(COUNT_NAMED) == ontology
        # the protocol's dataset replaces the query's (SPARQL 1.1 Protocol §2.1.4)
        assert count(COUNT_MISSING, **{"default-graph-uri": ONTOLOGY}) == ontology
        # stikg query --endpoint sends its union dataset only when the query names none
        remote = EndpointBackend(srv.url + "/sparql")
        assert _n(remote.run(COUNT_ALL)) == everything
        assert _n(remote.run(COUNT_FROM)) == ontology
        assert _n(remote.run(COUNT_MISSING)) == 0
        with pytest.raises(QueryError, match=r"SPARQL Update \(INSERT DATA\) is not allowed: the graph is read-only"):
            remote.run("INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }")
    finally:
        srv.close()


def test_an_update_is_refused_as_read_only_alike_in_the_cli_and_over_http(data):
    """Not as a syntax error: the same words from ``stikg query`` and from ``/sparql``."""
    update = "DELETE WHERE { ?s ?p ?o }"
    with pytest.raises(QueryError) as cli_error:
        EmbeddedBackend(open_store(data.paths)).run(update)
    srv = Server(store_dir=data.paths.store, port=0, timeout=5.0, max_results=1000, max_body=20_000,
                 workers=1, queries_dir=data.paths.queries).start()
    try:
        status, _, body = http(srv.url + "/sparql?" + urllib.parse.urlencode({"query": update}))
    finally:
        srv.close()
    assert str(cli_error.value) == "SPARQL Update (DELETE WHERE) is not allowed: the graph is read-only"
    assert status == 403 and str(cli_error.value) in body


def test_get_sparql_without_a_query_describes_the_service(data):
    """RDF clients get a SPARQL 1.1 Service Description by Accept; a browser still goes to the page."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDF

    sd = "http://www.w3.org/ns/sparql-service-description#"
    srv = Server(store_dir=data.paths.store, port=0, timeout=5.0, max_results=1000, max_body=20_000,
                 workers=1, queries_dir=data.paths.queries).start()
    try:
        status, headers, body = http(srv.url + "/sparql", headers={"Accept": "text/turtle"})
        assert status == 200 and headers["Content-Type"].startswith("text/turtle") and headers["Vary"] == "Accept"
        g = Graph().parse(data=body, format="turtle")
        service = next(g.subjects(RDF.type, URIRef(sd + "Service")))
        assert str(service).endswith("/sparql")
        assert (service, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Query")) in g
        assert (service, URIRef(sd + "resultFormat"), URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON")) in g
        assert "1000 rows" in body
        status, headers, body = http(srv.url + "/sparql", headers={"Accept": "application/n-triples"})
        assert status == 200 and headers["Content-Type"].startswith("application/n-triples") and sd + "Service" in body
        req = urllib.request.Request(srv.url + "/sparql", headers={"Accept": "text/html"})
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(req, timeout=10)
            raise AssertionError("expected a redirect")
        except urllib.error.HTTPError as exc:
            assert exc.code == 303 and exc.headers["Location"] == "/"
    finally:
        srv.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


CONSTRUCT_HUBS = ("CONSTRUCT { ?h a <https://w3id.org/stikg/ontology#Hub> ; "
                  "<http://www.w3.org/2000/01/rdf-schema#label> ?l } WHERE { ?h a <https://w3id.org/stikg/ontology#Hub> ; "
                  "<http://www.w3.org/2000/01/rdf-schema#label> ?l }")


def test_construct_reaches_every_standard_client_in_every_rdf_format(data):
    """SPARQLWrapper's default CONSTRUCT (RDF/XML) and rdflib's SPARQLStore work; JSON-LD, N-Quads
    and TriG by Accept; entity IRIs answer RDF/XML too."""
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore
    from SPARQLWrapper import SPARQLWrapper

    srv = Server(store_dir=data.paths.store, port=0, timeout=5.0, max_results=1000, max_body=20_000,
                 workers=1, queries_dir=data.paths.queries).start()
    try:
        expected = Graph().parse(data=http(srv.url + "/sparql?" + urllib.parse.urlencode({"query": CONSTRUCT_HUBS}),
                                           headers={"Accept": "text/turtle"})[2], format="turtle")
        assert len(expected) > 0
        sw = SPARQLWrapper(srv.url + "/sparql")
        sw.setQuery(CONSTRUCT_HUBS)  # the default return format of a CONSTRUCT is RDF/XML
        assert set(sw.queryAndConvert()) == set(expected)
        store = SPARQLStore(srv.url + "/sparql")
        assert set(Graph(store=store).query(CONSTRUCT_HUBS)) == set(expected)
        for media, fmt in (("application/rdf+xml", "xml"), ("application/ld+json", "json-ld"),
                           ("application/n-quads", "nquads"), ("application/trig", "trig")):
            status, headers, body = http(srv.url + "/sparql?" + urllib.parse.urlencode({"query": CONSTRUCT_HUBS}),
                                         headers={"Accept": media})
            assert status == 200 and headers["Content-Type"].startswith(media), (media, status, body[:200])
            if fmt in ("nquads", "trig"):
                from rdflib import Dataset
                got = {(s, p, o) for s, p, o, _ in Dataset().parse(data=body, format=fmt).quads()}
            else:
                got = set(Graph().parse(data=body, format=fmt))
            assert got == set(expected), media
        status, headers, _ = http(srv.url + "/sparql?" + urllib.parse.urlencode({"query": CONSTRUCT_HUBS}),
                                  headers={"Accept": "image/png"})
        assert status == 406
    finally:
        srv.close()


def test_a_capped_answer_says_so_in_its_body(data):
    """The cap is stated in the body where the format has room (and in X-Stikg-Truncated always);
    the bodies stay valid for the clients that read them."""
    from rdflib import Graph
    from rdflib.query import Result as RdflibResult
    from SPARQLWrapper import JSON, SPARQLWrapper

    srv = Server(store_dir=data.paths.store, port=0, timeout=5.0, max_results=3, max_body=20_000,
                 workers=1, queries_dir=data.paths.queries).start()
    select, construct = "SELECT * WHERE { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o }"
    try:
        def get(query: str, accept: str) -> tuple[dict, bytes]:
            status, headers, body = http(srv.url + "/sparql?" + urllib.parse.urlencode({"query": query}),
                                         headers={"Accept": accept})
            assert status == 200 and headers.get("X-Stikg-Truncated") == "true", body
            return headers, body

        _, body = get(select, "application/sparql-results+json")
        answer = json.loads(body)
        assert answer["truncated"]["limit"] == 3 and "cap of 3 rows" in answer["truncated"]["message"]
        assert len(answer["results"]["bindings"]) == 3
        _, body = get(select, "application/sparql-results+xml")
        assert "<!-- truncated: this answer stops at the server's cap of 3" in body
        assert len(RdflibResult.parse(source=__import__("io").BytesIO(body.encode("utf-8")), format="xml").bindings) == 3
        for accept, fmt in (("text/turtle", "turtle"), ("application/n-triples", "nt"),
                            ("application/rdf+xml", "xml")):
            _, body = get(construct, accept)
            assert "truncated: this answer stops" in body, accept
            assert len(Graph().parse(data=body, format=fmt)) == 3, accept
        client = SPARQLWrapper(srv.url + "/sparql")
        client.setQuery(select)
        client.setReturnFormat(JSON)
        assert len(client.query().convert()["results"]["bindings"]) == 3
    finally:
        srv.close()


@pytest.mark.parametrize(("cli_args", "url"), [
    (["query", "{file}"], "/sparql?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%7D"),
    (["query", "nosuchquery"], "/library/nosuchquery"),
    (["query", "strategy_programs", "-p", "strategy=nosuch"], "/library/strategy_programs?strategy=nosuch"),
    (["query", "strategy_programs", "-p", "fiscal_year=abc"], "/library/strategy_programs?fiscal_year=abc"),
    (["query", "strategy_programs", "-p", "bogus=1"], "/library/strategy_programs?bogus=1"),
])
def test_errors_are_worded_alike_in_the_cli_and_over_http(data, tmp_path, monkeypatch, capsys, cli_args, url):
    from stikg.cli import main

    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT * WHERE { ?s ?p }\n", encoding="utf-8")
    monkeypatch.chdir(data.root)
    assert main([a.replace("{file}", str(bad)) for a in cli_args]) != 0
    cli = capsys.readouterr().err.strip().split("error: ", 1)[1]
    srv = Server(store_dir=data.paths.store, port=0, timeout=5.0, max_results=1000, max_body=20_000,
                 workers=1, queries_dir=data.paths.queries).start()
    try:
        status, _, body = http(srv.url + url)
    finally:
        srv.close()
    assert status in (400, 404) and body.strip().split(": ", 1)[1] == cli
