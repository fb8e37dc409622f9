"""Money in the lineage view (issue 17 §4), in headless Chromium: yen with its fiscal year and stage
in labels, on edges and in the bar (a request is never called a budget), the figures the library's
totals use, labelled large programmes when nothing is filtered, and evidence links relative to the
server (a file without --server-url names document and line as text)."""

from __future__ import annotations

from stikg import lineage as L
from stikg.web import lineage_page as viz
from stikg.web.server import Server
from test_viz_browser import ARTIFACTS, BASE, Page, browser, fixture, lineage  # noqa: F401

Q_LEAP = BASE + "program/q-leap"


def caption(page: Page, iri: str) -> str:
    return page.js("(id) => window.lineage.cy.getElementById(id).data('caption')", iri[len(BASE):])


def test_labels_and_edges_carry_yen_with_fiscal_year_and_stage(browser, lineage, tmp_path):  # noqa: F811
    path = tmp_path / "lineage.html"
    path.write_text(viz.render_html(lineage), encoding="utf-8")  # no --server-url
    page = Page(browser).open(path.as_uri())
    try:
        # FY2025 default stage is the request: named as such, never as a budget
        assert page.page.text_content("#amounts").startswith("Amounts 金額: FY2025 · 概算要求 request")
        assert caption(page, Q_LEAP).endswith("\n51億円 · FY2025 概算要求")
        money = page.js("window.lineage.cy.edges('[money]').map(e => e.data('money'))")
        assert money and all(" · FY2025 概算要求" in m for m in money), money
        assert "51億円 · FY2025 概算要求" in money  # the cites edges into Q-LEAP
        # the chosen stage is the one named, with the library's selected figure (stikg.lineage.budgets)
        page.js("window.lineage.setFilters({fiscal_year: 2025, stage: 'budget_draft'})")
        want = L.budgets(lineage)[Q_LEAP][2025]["budget_draft"]
        assert want == 4_800_000_000
        assert caption(page, Q_LEAP).endswith("\n48億円 · FY2025 予算案")
        assert page.page.text_content("#amounts") == "Amounts 金額: FY2025 · 予算案 draft budget"
        page.js("window.lineage.setFilters({fiscal_year: 2024, stage: ''})")
        assert caption(page, Q_LEAP).endswith("\n45億円 · FY2024 当初予算")
        # a programme without a figure that year and stage carries no yen at all
        assert "億円" not in caption(page, BASE + "program/brain-minds")
        # evidence without a server: document and line as text, no link to a guessed address
        page.js("window.lineage.setFilters({fiscal_year: null, stage: ''})")
        page.click_node(Q_LEAP)
        assert page.js("document.querySelectorAll('#panel a.src').length") == 0
        assert page.js("document.querySelectorAll('#panel span.src').length") > 0
        assert "127.0.0.1" not in path.read_text(encoding="utf-8")
        panel = page.page.text_content("#panel")
        assert "FY2025 概算要求 request: 51億円" in panel
        ARTIFACTS.mkdir(exist_ok=True)
        page.page.screenshot(path=str(ARTIFACTS / "lineage-money.png"))
        assert not page.errors
    finally:
        page.close()


def test_unfiltered_view_labels_strategies_and_largest_programs(browser, lineage, tmp_path):  # noqa: F811
    path = tmp_path / "lineage.html"
    path.write_text(viz.render_html(lineage), encoding="utf-8")
    page = Page(browser).open(path.as_uri())
    try:
        major = page.js("window.lineage.cy.nodes('.major').map(n => n.data('kind'))")
        assert "strategy" in major and "program" in major
        # readable when fitted: the major labels have no minimum zoomed size
        assert page.js("window.lineage.cy.nodes('.major')[0].style('min-zoomed-font-size')") in ("0", "0px")
        page.page.screenshot(path=str(ARTIFACTS / "lineage-unfiltered.png"))
    finally:
        page.close()


def test_served_evidence_links_are_relative_to_the_server(browser, fixture, lineage):  # noqa: F811
    srv = Server(store_dir=fixture.paths.store, port=0, workers=1, queries_dir=fixture.paths.queries).start()
    try:
        page = Page(browser, allow=srv.url).open(f"{srv.url}/lineage")
        try:
            page.click_node(Q_LEAP)
            hrefs = page.js("Array.from(document.querySelectorAll('#panel a.src')).map(a => a.getAttribute('href'))")
            assert hrefs and all(h.startswith("/source/") for h in hrefs), hrefs
            assert caption(page, Q_LEAP).endswith("· FY2025 概算要求")
            assert all(u.startswith(srv.url) for u in page.requests)
        finally:
            page.close()
    finally:
        srv.close()


def test_the_svg_names_the_stage_with_the_yen(lineage):  # noqa: F811
    dot = viz.to_dot(lineage, L.Filters(fiscal_year=2025))
    assert "51.0億円 · FY2025 概算要求 request" in dot
    assert "億円\"" not in dot  # no amount without its stage
