"""The list pages /program/ /strategy/ /organization/ /hub/ /document/: every entity listed,
facets and their counts, sorting, paging, CSV and JSON that agree with the store, bad input."""

from __future__ import annotations

import csv
import io
import json

import pytest

from stikg.web.server import Server
from test_linkeddata import BROWSER, KG, get, make_project, select

pytestmark = pytest.mark.skipif(not (KG / "dataset.nq").is_file(), reason="no kg/dataset.nq: run `stikg build`")
STIKG = "https://w3id.org/stikg/ontology#"
CLASSES = {"program": "Program", "strategy": "Strategy", "organization": "Organization", "hub": "Hub",
           "document": "SourceDocument"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    paths = make_project(tmp_path_factory.mktemp("browse") / "project")
    srv = Server(store_dir=paths.store, port=0, workers=2, queries_dir=paths.queries).start()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def data():
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(KG / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    return store


def listing(server, path: str) -> dict:
    status, _, body = get(server, path)
    assert status == 200, body[:300]
    return json.loads(body)


@pytest.mark.parametrize("kind", list(CLASSES))
def test_every_entity_of_a_kind_is_listed(server, data, kind):
    cls = "PolicyBasis } UNION { ?s a stikg:Strategy" if kind == "strategy" else CLASSES[kind]
    expected = {row[0] for row in select(data, f"PREFIX stikg: <{STIKG}> SELECT DISTINCT ?s WHERE {{ "
                                               f"{{ ?s a stikg:{cls} }} FILTER(STRSTARTS(STR(?s), "
                                               f'"https://w3id.org/stikg/{kind}/")) }}')}
    page = listing(server, f"/{kind}.json?per_page=1000")
    assert page["total"] == len(expected) and {i["iri"] for i in page["items"]} == expected
    status, headers, body = get(server, f"/{kind}/", BROWSER)
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert f'{page["total"]} 件' in body.decode()
    rows = list(csv.DictReader(io.StringIO(get(server, f"/{kind}.csv")[2].decode())))
    assert {r["iri"] for r in rows} == expected  # CSV: every row, no paging


def test_negotiation_and_format_parameter(server):
    assert json.loads(get(server, "/hub/", "application/json")[2])["kind"] == "hub"
    status, headers, body = get(server, "/hub/?format=csv")
    assert status == 200 and headers["content-type"].startswith("text/csv") and body.startswith(b"iri,id,")
    assert get(server, "/hub", BROWSER)[0] == 200


def test_program_amounts_are_the_selected_figures(server, data):
    page = listing(server, "/program.json?fiscal_year=2025&stage=request&sort=-amount&per_page=1000")
    rows = select(data, f"""PREFIX stikg: <{STIKG}> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?p (SUM(?a) AS ?yen) WHERE {{ ?b a stikg:ProgramBudget ; stikg:isSelectedFigure true ;
          stikg:forProgram ?p ; stikg:fiscalYear 2025 ; stikg:budgetStage/skos:notation "request" ;
          stikg:amountYen ?a ; stikg:isPartial false }} GROUP BY ?p""")
    expected = {p: int(y) for p, y in rows}
    got = {i["iri"]: i["amount_yen"] for i in page["items"] if not i["partial"]}
    assert got == expected
    amounts = [i["amount_yen"] for i in page["items"]]
    assert amounts == sorted(amounts, reverse=True)
    assert page["amount"]["fiscal_year"] == 2025 and page["amount"]["stage"] == "request"
    html = get(server, "/program/?fiscal_year=2025&stage=request&sort=-amount", BROWSER)[2].decode()
    assert "金額 FY2025" in html and "data-yen=" in html


def test_facets_filter_and_count(server):
    whole = listing(server, "/program.json?per_page=1000")
    jst = listing(server, "/program.json?agency=jst&per_page=1000")
    assert 0 < jst["total"] < whole["total"]
    assert whole["facet_counts"]["agency"]["jst"]["count"] == jst["total"]
    assert all("科学技術振興機構" in i["agencies"] for i in jst["items"])
    strategy = listing(server, "/program.json?strategy=integrated-innovation-strategy-2024")
    assert strategy["total"] == 9
    fy = listing(server, "/program.json?fiscal_year=2020&per_page=1000")
    assert all("2020" in i["fiscal_years"].split() for i in fy["items"])
    docs = listing(server, "/document.json?fiscal_year=2025")
    assert docs["total"] > 0 and all(i["fiscal_year"] == 2025 for i in docs["items"])
    wpi = listing(server, "/hub.json?program=wpi&per_page=1000")
    assert wpi["total"] > 0 and all("WPI" in i["program"] or "世界トップレベル" in i["program"] for i in wpi["items"])
    host = next(iter(wpi["facet_counts"]["host"]))
    assert listing(server, f"/hub.json?program=wpi&host={host}")["total"] == wpi["facet_counts"]["host"][host]["count"]
    html = get(server, "/program/?agency=jst", BROWSER)[2].decode()
    assert 'class="clear"' in html and 'data-facet="agency"' in html


def test_sorting_and_paging(server):
    names = [i["label_ja"] or i["label_en"] or i["id"] for i in listing(server, "/strategy.json?per_page=1000")["items"]]
    assert names == sorted(names)
    reverse = listing(server, "/strategy.json?sort=-name&per_page=1000")["items"]
    assert [i["label_ja"] or i["label_en"] or i["id"] for i in reverse] == names[::-1]
    by_count = [i["programs"] for i in listing(server, "/strategy.json?sort=-programs&per_page=1000")["items"]]
    assert by_count == sorted(by_count, reverse=True)
    p1 = listing(server, "/program.json?per_page=10")
    p2 = listing(server, "/program.json?per_page=10&page=2")
    assert p1["pages"] == -(-p1["total"] // 10) and len(p1["items"]) == 10
    assert {i["iri"] for i in p1["items"]}.isdisjoint(i["iri"] for i in p2["items"])
    html = get(server, "/program/?page=2&per_page=10", BROWSER)[2].decode()
    assert 'rel="prev"' in html and 'rel="next"' in html


@pytest.mark.parametrize("query", ["colour=red", "agency=nope", "fiscal_year=1850", "stage=bribe", "page=999",
                                   "page=-1", "page=abc", "per_page=0", "per_page=100000", "sort=colour",
                                   "sort=amount", "format=xml"])
@pytest.mark.parametrize("ext", ["json", "csv"])
def test_bad_input_is_400_for_the_api(server, query, ext):
    status, _, body = get(server, f"/program.{ext}?{query}")
    assert status == 400, (query, body[:200])
    assert b"Traceback" not in body
    if ext == "json" and query != "format=xml":
        assert json.loads(body)["error"]


@pytest.mark.parametrize("query", ["colour=red", "agency=nope", "page=999", "page=abc", "sort=amount"])
def test_bad_input_is_a_clear_empty_state_in_html(server, query):
    status, _, body = get(server, f"/program/?{query}", BROWSER)
    page = body.decode()
    assert status in (400, 404) and 'class="empty"' in page and "Traceback" not in page
    assert 'href="/program/"' in page  # a way back to the whole list
