"""SELECT * answers its columns in the query's order (pyoxigraph alone sorts them), alike in
`stikg query` and on /sparql; /sparql answers say ``Vary: Accept``."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from servers import make_fixture_project
from stikg.sparql import EmbeddedBackend, SelectResult, in_query_order, star_columns
from stikg.sparql.store import open_store
from stikg.web.server import Server
from test_server import http

STAR = "SELECT * WHERE { ?zeta a ?kind . OPTIONAL { ?zeta <http://www.w3.org/2000/01/rdf-schema#label> ?alpha } } LIMIT 3"


@pytest.mark.parametrize(("text", "expected"), [
    (STAR, ["zeta", "kind", "alpha"]),
    ("SELECT DISTINCT * { ?b ?a ?c }", ["b", "a", "c"]),
    ("PREFIX x: <http://e/> SELECT * { ?b x:p ?a FILTER(?a > 1) }", ["b", "a"]),
    ("SELECT ?c ?b { ?b ?a ?c }", None),
    ("ASK { ?a ?b ?c }", None),
])
def test_star_columns(text, expected):
    assert star_columns(text) == expected


def test_reordering_keeps_rows_aligned():
    result = SelectResult(["a", "b"], [(1, 2), (3, None)])  # type: ignore[list-item]
    again = in_query_order(result, "SELECT * { ?b ?x ?a }")
    assert again.variables == ["b", "a"]
    assert again.rows == [(2, 1), (None, 3)]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = make_fixture_project(tmp_path_factory.mktemp("star") / "project")
    open_store(data.paths)
    return data


def test_select_star_keeps_the_query_order_in_the_cli_and_over_http(data):
    result = EmbeddedBackend(open_store(data.paths)).run(STAR)
    assert result.variables == ["zeta", "kind", "alpha"] and result.rows
    srv = Server(store_dir=data.paths.store, port=0, timeout=5.0, max_results=1000, max_body=20_000,
                 workers=1, queries_dir=data.paths.queries).start()
    try:
        status, headers, body = http(srv.url + "/sparql?" + urllib.parse.urlencode({"query": STAR}),
                                     headers={"Accept": "application/sparql-results+json"})
        assert status == 200 and json.loads(body)["head"]["vars"] == ["zeta", "kind", "alpha"]
        assert headers.get("Vary") == "Accept"
        status, headers, body = http(srv.url + "/sparql?" + urllib.parse.urlencode({"query": STAR}),
                                     headers={"Accept": "text/csv"})
        assert status == 200 and body.splitlines()[0] == "zeta,kind,alpha" and headers.get("Vary") == "Accept"
    finally:
        srv.close()
