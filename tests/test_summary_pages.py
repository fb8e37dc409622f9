"""Entity pages that summarise before the triple table: strategy (editions, deciding body, citing
programmes with deduplicated amounts that agree with the library query, lineage link),
organisation, programme (budget chart), document; sources by title and line, never a hash;
curator notes labelled; no ``**``; hostile labels inert on every new page."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

from stikg.web.server import Server
from test_linkeddata import BROWSER, KG, get, make_project

pytestmark = pytest.mark.skipif(not (KG / "dataset.nq").is_file(), reason="no kg/dataset.nq: run `stikg build`")
BASE = "https://w3id.org/stikg/"
STRATEGY = "integrated-innovation-strategy-2024"
HASHED = re.compile(r">\s*(citation|allocation|role|flow|period|budget|evidence):[0-9a-f]{6}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    paths = make_project(tmp_path_factory.mktemp("summaries") / "project")
    srv = Server(store_dir=paths.store, port=0, workers=2, queries_dir=paths.queries).start()
    yield srv
    srv.close()


def page(server, path: str) -> str:
    status, headers, body = get(server, path, BROWSER)
    assert status == 200, (path, body[:300])
    assert "unsafe-inline" not in headers["content-security-policy"]
    text = body.decode()
    assert "<script" not in text and " style=" not in text  # the CSP holds: no inline script or style
    return text


def section(text: str, ident: str) -> str:
    match = re.search(rf'<section id="{ident}".*?</section>', text, re.S)
    assert match, ident
    return match.group(0)


def test_strategy_page_summarises_and_agrees_with_the_library(server):
    text = page(server, f"/strategy/{STRATEGY}.html")
    summary = section(text, "summary")
    assert "2024-06-04" in summary and 'href="/organization/cabinet' in summary
    assert summary.count("<li>") == 6  # the editions 2020 … 2025
    assert f'href="/lineage?strategy={STRATEGY}"' in summary
    programs = section(text, "programs")
    rows = re.findall(r'<tr data-program="([^"]+)"', programs)
    assert len(rows) == len(set(rows)) == 9  # each citing programme once
    total = re.search(r'class="num total" data-fy="2025" data-stage="request" data-yen="(\d+)"', programs)
    status, _, body = get(server, "/library/strategy_request_totals?fiscal_year=2025&stage=request")
    library = {b["strategy"]["value"]: b for b in json.loads(body)["results"]["bindings"]}
    assert status == 200 and total
    assert int(total.group(1)) == int(library[BASE + "strategy/" + STRATEGY]["total_yen"]["value"])
    assert text.index('id="summary"') < text.index('id="properties"')  # summary before the triple table


def test_no_hash_names_and_sources_by_title(server):
    for path in (f"/strategy/{STRATEGY}.html", "/program/q-leap.html", "/organization/jst.html"):
        text = page(server, path)
        assert not HASHED.search(text), (path, HASHED.search(text))
        links = re.findall(r'<a class="src" href="/source/[^"]+#L\d+"[^>]*>([^<]+)</a>', text)
        assert links, path
        assert not any(re.fullmatch(r"\d{3}_[0-9a-f]{16} L\d+", link) for link in links), links[:3]
    incoming = section(page(server, f"/strategy/{STRATEGY}.html"), "incoming")
    hrefs = re.findall(r'<li><a href="([^"]+)"', incoming)
    assert len(hrefs) == len(set(hrefs))  # one line per subject, its properties as tags


def test_quotes_have_no_markup_and_notes_are_labelled(server):
    text = page(server, "/program/q-leap.html")
    quotes = re.findall(r"<q[^>]*>(.*?)</q>", text, re.S) + re.findall(r"<blockquote[^>]*>(.*?)</blockquote>", text, re.S)
    assert quotes and not any("**" in q for q in quotes)
    note = "000 prints the title without 飛躍"
    assert note in text
    assert "curator note" in text[text.index(note) - 200: text.index(note)]
    assert note not in section(text, "summary")


def test_program_page_has_the_budget_chart(server):
    text = page(server, "/program/q-leap.html")
    chart = re.search(r'<svg class="chart".*?</svg>', text, re.S).group(0)
    bars = re.findall(r'<rect class="bar stage-(\w+)[^"]*" [^>]*data-fy="(\d+)" data-stage="\w+" data-yen="(\d+)"', chart)
    assert ("request", "2025", "5100000000") in bars and {s for s, _, _ in bars} >= {"request", "budget"}
    assert "予算額 enacted" in chart or "予算 enacted" in chart
    assert 'id="selected-figures"' in text and "FY2025" in text
    summary = section(text, "summary")
    for strategy in ("quantum-technology-innovation-strategy", "quantum-future-industry-strategy"):
        assert summary.count(f'href="/strategy/{strategy}"') == 1
    partial = page(server, "/program/bioresource-research.html")
    assert 'class="bar stage-' in partial and " partial" in partial and ">内</text>" in partial
    parent = page(server, "/program/health-medical-rd.html")
    assert "内訳事業 sub-programmes" in section(parent, "summary")


def test_organisation_page_lists_programmes_once(server):
    text = page(server, "/organization/jst.html")
    programs = section(text, "programs")
    hrefs = re.findall(r'<tr><th><a href="([^"]+)"', programs)
    assert hrefs and len(hrefs) == len(set(hrefs))
    assert "資金配分 funds" in programs
    mext = page(server, "/organization/mext.html")
    assert "下部組織 units" in section(mext, "summary")


def test_document_page(server):
    text = page(server, "/document/mhlw_supp_fy2025.html")
    summary = section(text, "summary")
    assert 'href="https://www.mhlw.go.jp/wp/yosan/yosan/25hosei/index.html"' in summary
    assert "FY2025" in summary and "抽出 extracted" in summary and 'href="/source/mhlw_supp_fy2025"' in summary
    first = page(server, "/document/000_06e5a7bc9af66719.html")
    assert "令和7年度概算要求" in section(first, "summary") and 'id="doc-programs"' in first


# ------------------------------------------------------------------------- hostile labels

HOSTILE = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    text = (KG / "dataset.nq").read_text(encoding="utf-8")
    graph = "<https://w3id.org/stikg/graph/registry>"
    label = HOSTILE.replace('"', '\\"')
    program, org, fact = f"<{BASE}program/x-hostile>", f"<{BASE}organization/x-hostile>", f"<{BASE}citation/hostile>"
    role, stikg = f"<{BASE}role/hostile>", "https://w3id.org/stikg/ontology#"
    rdf_type, rdfs_label = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", "<http://www.w3.org/2000/01/rdf-schema#label>"
    extra = [
        f'{program} {rdf_type} <{stikg}Program> {graph} .',
        f'{program} {rdfs_label} "{label}"@ja {graph} .',
        f'{program} <http://www.w3.org/2004/02/skos/core#altLabel> "{label} alias"@ja {graph} .',
        f'{org} {rdf_type} <{stikg}Organization> {graph} .',
        f'{org} {rdfs_label} "{label}"@en {graph} .',
        f'{fact} {rdf_type} <{stikg}Citation> {graph} .',
        f'{fact} <{stikg}forProgram> {program} {graph} .',
        f'{fact} <{stikg}citedBasis> <{BASE}strategy/{STRATEGY}> {graph} .',
        f'{fact} <{stikg}citedStrategy> <{BASE}strategy/{STRATEGY}> {graph} .',
        f'{role} {rdf_type} <{stikg}OrganizationRole> {graph} .',
        f'{role} <{stikg}forProgram> {program} {graph} .',
        f'{role} <{stikg}organization> <{BASE}organization/jst> {graph} .',
        f'{role} <{stikg}role> <{stikg}role-funding_agency> {graph} .',
        f'<{BASE}program/q-leap> <{stikg}subProgramOf> {program} {graph} .',
        f'{program} <{stikg}fundedBy> {org} {graph} .',
    ]
    paths = make_project(tmp_path_factory.mktemp("hostile") / "project", text + "\n".join(extra) + "\n")
    srv = Server(store_dir=paths.store, port=0, workers=2, queries_dir=paths.queries).start()
    yield srv
    srv.close()


@pytest.mark.parametrize("path", [
    "/search?q=" + quote("img src"), "/search?q=" + quote("alias"), "/program/", "/program/?strategy=" + STRATEGY,
    "/organization/", "/program/?agency=x-hostile", f"/strategy/{STRATEGY}.html", "/program/q-leap.html",
    "/organization/jst.html", "/program/x-hostile.html", "/organization/x-hostile.html", "/program/?agency=jst",
])
def test_hostile_labels_stay_inert(hostile, path):
    status, _, body = get(hostile, path, BROWSER)
    text = body.decode()
    assert status == 200
    assert "<img src=x" not in text and "<script>alert" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text or "&lt;script&gt;" in text, path



def test_comments_are_labelled_for_what_they_are(server):
    assert "編集注 curator note" in page(server, "/program/q-leap.html")
    query = ("SELECT ?p ?a WHERE { ?p a <https://w3id.org/stikg/ontology#ProgramPeriod> ; "
             "<http://www.w3.org/2000/01/rdf-schema#comment> ?c . ?a a <https://w3id.org/stikg/ontology#BudgetAllocation> ; "
             "<http://www.w3.org/2000/01/rdf-schema#comment> ?d } LIMIT 1")
    status, _, body = get(server, "/sparql?query=" + quote(query), "application/sparql-results+json")
    binding = json.loads(body)["results"]["bindings"][0]
    period, allocation = (binding[k]["value"].removeprefix(BASE) for k in ("p", "a"))
    assert "記載 as printed in the source" in page(server, f"/{period}.html")
    assert "抽出メモ extractor note" in page(server, f"/{allocation}.html")


def test_a_page_without_its_snapshot_still_answers(server, monkeypatch):
    from stikg.web import linkeddata
    from stikg.web.http import HTTPError

    def busy(app):
        raise HTTPError(503, "all 2 query workers are busy; try again")

    monkeypatch.setattr(linkeddata, "snapshot_for", busy)
    text = page(server, "/program/q-leap.html")
    assert "No summary: all 2 query workers are busy" in text and 'id="properties"' in text
