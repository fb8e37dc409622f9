"""The lineage page in a real browser: headless Debian Chromium driven by Playwright.

Playwright's Python package drives /usr/bin/chromium (never `playwright install`). Every request
other than the page itself (file://, or the test's own server) is aborted and recorded.
Screenshots go to tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest

from browser import launch
from servers import make_fixture_project
from stikg import lineage as L
from stikg.sparql.store import open_store
from stikg.web import lineage_page as viz
from stikg.web.server import Server
from test_viz import HOSTILE, hostile_lineage

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
BASE = "https://w3id.org/stikg/"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with launch(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


class Page:
    """A page with every request recorded and all but ``allow`` aborted."""

    def __init__(self, context, allow: str = "file://"):
        self.page = context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

        def handle(route):
            url = route.request.url
            self.requests.append(url)
            if url.startswith(allow):
                route.continue_()
            else:
                route.abort()

        self.page.route("**/*", handle)

    def open(self, url: str) -> Page:
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        self.page.wait_for_selector("body[data-edges='1']", timeout=60_000)
        return self

    def js(self, expr: str, arg=None):
        return self.page.evaluate(expr, arg)

    def click_node(self, iri: str) -> None:
        """Click a node with the mouse, as a user would, and check that it is the one selected.

        The view is zoomed onto the node first: in a fitted view of a few hundred nodes a node is
        a few pixels wide and a neighbour's shape can take the click (a flaky CI failure once).
        """
        pos = self.js("(iri) => { const cy = window.lineage.cy;"
                      " const n = cy.getElementById(iri.replace(window.lineage.data.meta.base, ''));"
                      " cy.zoom(Math.max(cy.zoom(), 2)); cy.center(n); return n.renderedPosition(); }", iri)
        box = self.page.locator("#cy").bounding_box()
        self.page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
        self.page.wait_for_selector("#panel:not([hidden])")
        selected = self.js("window.lineage.cy.nodes(':selected').map(n => window.lineage.full(n.id()))")
        assert selected == [iri], f"the click selected {selected}, not {iri}"

    def close(self) -> None:
        self.page.close()


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    data = make_fixture_project(tmp_path_factory.mktemp("browser") / "project")
    open_store(data.paths)
    return data


@pytest.fixture(scope="module")
def lineage(fixture) -> L.LineageData:
    return L.fetch_embedded(fixture.paths)


def write_page(tmp_path: Path, data: L.LineageData, filters: L.Filters | None = None) -> str:
    path = tmp_path / "lineage.html"
    path.write_text(viz.render_html(data, filters, server_url="http://127.0.0.1:8000"), encoding="utf-8")
    return path.as_uri()


def test_offline_page_nodes_filters_and_panel(browser, lineage, tmp_path):
    url = write_page(tmp_path, lineage)
    page = Page(browser).open(url)
    try:
        g = L.build_graph(lineage)
        assert page.js("window.lineage.visibleNodeIds().length") == g.number_of_nodes()
        assert page.js("window.lineage.cy.nodes(':visible').length") == g.number_of_nodes()
        assert page.js("window.lineage.cy.edges(':visible').length") == g.number_of_edges()
        # filter by a strategy with the select, as a person would
        strategy = BASE + "strategy/integrated-innovation-strategy-2024"
        page.page.select_option("#f-strategy", "strategy/integrated-innovation-strategy-2024")
        citing = sorted({c.program for c in lineage.citations if c.strategy == strategy})
        assert page.js("window.lineage.visiblePrograms()") == citing
        expected = L.visible_nodes(g, lineage, L.resolve_filters(lineage, L.Filters(strategy=strategy)))
        assert page.js("window.lineage.visibleNodeIds()") == sorted(expected)
        # click a program: its amounts by year and stage, citations and evidence links
        wpi = BASE + "program/wpi"
        page.click_node(wpi)
        panel = page.page.inner_text("#panel")
        assert "世界トップレベル研究拠点プログラム" in panel and "World Premier" in panel
        rows = page.js("Array.from(document.querySelectorAll('#panel table tr')).slice(1).map(r => r.innerText)")
        wpi_amounts = [a for a in lineage.amounts if a.program == wpi]
        assert len(rows) == len(wpi_amounts)
        assert any(r.startswith("FY2025") and "71億円" in r for r in rows)
        hrefs = page.js("Array.from(document.querySelectorAll('#panel a.src')).map(a => a.getAttribute('href'))")
        assert hrefs and all(h.startswith("http://127.0.0.1:8000/source/") and "#L" in h for h in hrefs)
        assert page.page.locator("#panel blockquote").count() >= 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.page.screenshot(path=str(ARTIFACTS / "lineage-strategy-panel.png"))
        # an empty filter result says so
        page.page.select_option("#f-strategy", "")
        page.page.select_option("#f-year", "2021")
        page.page.select_option("#f-stage", "fund")
        assert page.page.is_visible("#empty")
        assert "No program matches these filters" in page.page.inner_text("#empty")
        assert page.js("window.lineage.visiblePrograms().length") == 0
        page.page.click("#reset")
        assert not page.page.is_visible("#empty")
        assert page.js("window.lineage.visibleNodeIds().length") == g.number_of_nodes()
        # search highlights
        page.page.fill("#search", "量子ai")  # NFKC, case-insensitive
        assert page.js("window.lineage.cy.nodes('.match').map(n => n.id())") == ["program/q-leap-quantum-ai"]
        page.page.fill("#search", "")
        page.page.screenshot(path=str(ARTIFACTS / "lineage-all.png"))
        assert not page.errors, page.errors
        assert all(u.startswith("file://") for u in page.requests), page.requests
    finally:
        page.close()


def test_unknown_strategy_shows_a_message(browser, lineage, tmp_path):
    page = Page(browser).open(write_page(tmp_path, lineage, L.Filters(strategy="存在しない戦略")))
    try:
        assert page.page.is_visible("#empty")
        text = page.page.inner_text("#empty")
        assert "no strategy matches '存在しない戦略'; known strategies:" in text and "統合イノベーション戦略2024" in text
        assert page.js("window.lineage.visibleNodeIds().length") == 0
    finally:
        page.close()


def test_hostile_labels_render_as_text(browser, tmp_path):
    data = hostile_lineage()
    page = Page(browser).open(write_page(tmp_path, data))
    try:
        assert page.js("window.pwned") is None
        assert page.js("document.images.length") == 0
        page.click_node(BASE + "program/evil")
        panel = page.page.inner_text("#panel")
        assert HOSTILE["program"] in panel and HOSTILE["strategy"] in panel and HOSTILE["agency"] in panel
        assert "<script>window.pwned=7</script>" in panel  # a quote, shown as text
        assert page.js("document.querySelectorAll('#panel img, #panel script, #panel svg, #panel b').length") == 0
        page.click_node(BASE + "strategy/evil")
        assert HOSTILE["strategy"] in page.page.inner_text("#panel h2")
        page.page.fill("#search", "<img")
        assert page.js("window.lineage.cy.nodes('.match').length") == 1
        hrefs = page.js("Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
        assert all(h == "#" or h.startswith("http://127.0.0.1:8000/") for h in hrefs), hrefs
        page.page.mouse.move(5, 5)
        assert page.js("window.pwned") is None and not page.errors
        ARTIFACTS.mkdir(exist_ok=True)
        page.page.screenshot(path=str(ARTIFACTS / "lineage-hostile.png"))
    finally:
        page.close()


def test_served_page(browser, fixture, lineage):
    srv = Server(store_dir=fixture.paths.store, port=0, workers=1, queries_dir=fixture.paths.queries).start()
    try:
        q = urllib.parse.urlencode({"strategy": "骨太2024"})
        page = Page(browser, allow=srv.url).open(f"{srv.url}/lineage?{q}")
        try:
            honebuto = BASE + "strategy/keizai-zaisei-kihon-hoshin-2024"
            citing = sorted({c.program for c in lineage.citations if c.strategy == honebuto})
            assert page.js("window.lineage.visiblePrograms()") == citing
            hrefs = page.js("Array.from(document.querySelectorAll('#panel a.src')).length")
            assert hrefs == 0
            page.click_node(citing[0])
            href = page.js("document.querySelector('#panel a.src').getAttribute('href')")
            assert href.startswith("/source/") and "#L" in href
            page.page.select_option("#f-year", "2025")
            assert "fiscal_year=2025" in page.page.url and "strategy=" in page.page.url
            assert all(u.startswith(srv.url) for u in page.requests), page.requests
            assert not page.errors
        finally:
            page.close()
    finally:
        srv.close()

