"""/search on `stikg serve`: the name index (NFKC, case, width), ranking, kind filters, counts,
HTML and JSON, and bad input (empty, absurd, unknown kind or page) answered without a traceback."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from stikg.web.search import SearchIndex
from stikg.web.server import Server
from stikg.web.snapshot import Entity, Snapshot
from test_linkeddata import BROWSER, KG, get, make_project

pytestmark = pytest.mark.skipif(not (KG / "dataset.nq").is_file(), reason="no kg/dataset.nq: run `stikg build`")
BASE = "https://w3id.org/stikg/"
QLEAP = BASE + "program/q-leap"


def snapshot(*entities: Entity) -> Snapshot:
    snap = Snapshot(entities={e.iri: e for e in entities})
    snap.index()
    return snap


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex(snapshot(
        Entity(QLEAP, "program", "q-leap", "光・量子飛躍フラッグシッププログラム", "Quantum Leap Flagship Program (Q-LEAP)",
               ["Q-LEAP", "光・量子フラッグシッププログラム"]),
        Entity(BASE + "program/kakenhi", "program", "kakenhi", "科学研究費助成事業", "KAKENHI", ["科研費"]),
        Entity(BASE + "organization/jst", "organization", "jst", "科学技術振興機構", "Japan Science and Technology Agency",
               ["JST"]),
        Entity(BASE + "strategy/quantum", "strategy", "quantum", "量子技術イノベーション戦略", "Quantum Technology Innovation Strategy"),
    ))


@pytest.mark.parametrize("query", ["Q-LEAP", "q-leap", "qleap", "Ｑ－ＬＥＡＰ", "ｑ－ｌｅａｐ", "q leap",
                                   "光・量子飛躍フラッグシッププログラム", "光量子飛躍", "光・量子フラッグシップ", "quantum leap"])
def test_every_printing_of_a_name_finds_it(index, query):
    hits = index.search(query)
    assert hits and hits[0].entity.iri == QLEAP, [h.entity.iri for h in hits]


def test_exact_names_rank_first_and_kinds_filter(index):
    assert [h.entity.slug for h in index.search("quantum")] == ["quantum", "q-leap"]  # an exact id first
    assert [h.entity.slug for h in index.search("quantum technology")] == ["quantum"]
    assert index.search("JST")[0].entity.slug == "jst"
    assert [h.entity.slug for h in index.search("quantum", ("strategy",))] == ["quantum"]
    assert index.search("科研費")[0].matched == "科研費"
    assert index.search("zzzz-not-a-name") == [] and index.search("   ") == [] and index.search("・-") == []


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    paths = make_project(tmp_path_factory.mktemp("search") / "project")
    srv = Server(store_dir=paths.store, port=0, workers=2, queries_dir=paths.queries).start()
    yield srv
    srv.close()


def search_json(server, query: str, extra: str = "") -> tuple[int, dict]:
    status, _, body = get(server, f"/search.json?q={quote(query)}{extra}")
    return status, json.loads(body)


@pytest.mark.parametrize("query", ["Q-LEAP", "q-leap", "光・量子飛躍フラッグシッププログラム", "Ｑ－ＬＥＡＰ"])
def test_the_real_graph_finds_q_leap(server, query):
    status, data = search_json(server, query)
    assert status == 200
    assert data["results"][0]["iri"] == QLEAP and data["results"][0]["href"] == "/program/q-leap.html"
    assert data["counts"]["program"] >= 1 and data["total"] == sum(data["counts"].values())


def test_html_results_counts_and_kind_filter(server):
    status, headers, body = get(server, "/search?q=" + quote("量子"), BROWSER)
    page = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert 'href="/program/q-leap.html"' in page and 'id="counts"' in page
    assert "script" not in headers["content-security-policy"] or "'unsafe-inline'" not in headers["content-security-policy"]
    _, all_kinds = search_json(server, "量子")
    _, strategies = search_json(server, "量子", "&kind=strategy")
    assert strategies["total"] == all_kinds["counts"]["strategy"] > 0
    assert {r["kind"] for r in strategies["results"]} == {"strategy"}
    assert strategies["counts"] == all_kinds["counts"]  # counts per kind stay, whatever the filter
    # Accept: application/json on /search gives the JSON
    status, headers, body = get(server, "/search?q=JST", "application/json")
    assert status == 200 and json.loads(body)["results"][0]["id"] == "jst"


def test_documents_hubs_and_organisations_are_found(server):
    for query, kind in (("概算要求", "document"), ("WPI", "hub"), ("科学技術振興機構", "organization")):
        _, data = search_json(server, query, f"&kind={kind}")
        assert data["total"] > 0 and data["results"][0]["kind"] == kind, (query, data)


def test_paging(server):
    _, first = search_json(server, "研究", "&per_page=5")
    _, second = search_json(server, "研究", "&per_page=5&page=2")
    assert first["total"] > 5 and first["pages"] == -(-first["total"] // 5)
    assert {r["iri"] for r in first["results"]}.isdisjoint(r["iri"] for r in second["results"])


@pytest.mark.parametrize("params", ["q=", "q=%20%20", "q=" + "x" * 201, "q=JST&kind=planet", "q=JST&page=abc",
                                    "q=JST&page=0", "q=JST&page=99", "q=JST&per_page=100000"])
def test_bad_input_is_400_for_the_api(server, params):
    status, headers, body = get(server, "/search.json?" + params)
    assert status == 400 and "error" in json.loads(body)
    assert b"Traceback" not in body


@pytest.mark.parametrize("params", ["", "q=", "q=" + "x" * 201, "q=JST&kind=planet", "q=JST&page=99",
                                    "q=zzzzqqqq", "q=" + quote("<script>alert(1)</script>")])
def test_bad_input_is_a_clear_empty_state_in_html(server, params):
    status, _, body = get(server, "/search?" + params, BROWSER)
    page = body.decode()
    assert status in (200, 400) and "Traceback" not in page
    assert 'class="empty"' in page
    assert "<script>" not in page  # the query is echoed escaped
