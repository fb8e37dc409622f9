"""Search, list and summary pages in a real browser: headless Debian Chromium driven by Playwright.

Playwright's Python package drives /usr/bin/chromium (never `playwright install`). Every request
that is not to the test's own server is aborted and recorded (nothing may come from a CDN); a
Content-Security-Policy violation or a script dialog fails the test. Screenshots go to
tests/artifacts/ (gitignored).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import launch
from stikg.web.server import Server
from test_linkeddata import KG, make_project
from test_summary_pages import STRATEGY, hostile  # noqa: F401 - hostile is a fixture

pytestmark = pytest.mark.skipif(not (KG / "dataset.nq").is_file(), reason="no kg/dataset.nq: run `stikg build`")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    paths = make_project(tmp_path_factory.mktemp("pages-browser") / "project")
    srv = Server(store_dir=paths.store, port=0, workers=2, queries_dir=paths.queries).start()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with launch(tmp_path_factory.mktemp("chromium-profile"), width=1300) as context:
        yield context


class Page:
    """A page whose requests off ``server`` are aborted and recorded, with its errors and dialogs."""

    def __init__(self, context, server: Server):
        self.base = server.url
        self.page = context.new_page()
        self.foreign: list[str] = []
        self.problems: list[str] = []
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("dialog", lambda dialog: (self.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        self.page.on("console", lambda msg: self.problems.append(msg.text)
                     if "Content Security Policy" in msg.text or "Refused to" in msg.text else None)

        def handle(route):
            url = route.request.url
            if url.startswith(self.base):
                route.continue_()
            else:
                self.foreign.append(url)
                route.abort()

        self.page.route("**/*", handle)

    def open(self, path: str) -> Page:
        self.page.goto(self.base + path)
        return self

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name), full_page=True)

    def close(self) -> None:
        assert self.foreign == [] and self.problems == [], (self.foreign, self.problems)
        self.page.close()


def test_search_finds_q_leap_by_its_japanese_name_and_short_name(browser, server):
    page = Page(browser, server).open("/search")
    try:
        page.page.fill("form.searchpage input[name=q]", "光・量子飛躍フラッグシッププログラム")
        page.page.click("form.searchpage button[type=submit]")
        page.page.wait_for_selector("ol.results li.hit")
        first = page.page.locator("ol.results li.hit a").first
        assert first.get_attribute("href") == "/program/q-leap.html"
        page.shot("search-japanese-name.png")
        # the header's search box on any page, with the short name
        page.open(f"/strategy/{STRATEGY}.html")
        page.page.fill("header.site form.search input[name=q]", "Q-LEAP")
        page.page.press("header.site form.search input[name=q]", "Enter")
        page.page.wait_for_selector("ol.results li.hit")
        assert page.page.locator("ol.results li.hit a").first.get_attribute("href") == "/program/q-leap.html"
        assert page.page.locator("#counts").get_attribute("data-total") == "1"
        page.shot("search-q-leap.png")
        page.page.locator("ol.results li.hit a").first.click()
        page.page.wait_for_selector("svg#budget-chart")
        assert page.page.url.endswith("/program/q-leap.html")
    finally:
        page.close()


def test_strategy_page_lists_its_programmes_with_amounts(browser, server):
    page = Page(browser, server).open(f"/strategy/{STRATEGY}.html")
    try:
        rows = page.page.locator("#programs table.programs tbody tr")
        assert rows.count() == 9
        assert page.page.locator("#programs tbody .amount").count() > 0
        total = page.page.locator('#programs tfoot td[data-fy="2025"][data-stage="request"]')
        assert total.is_visible() and "億円" in total.inner_text()
        assert page.page.locator("a.lineage").get_attribute("href") == f"/lineage?strategy={STRATEGY}"
        page.shot("strategy-page.png")
    finally:
        page.close()


def test_program_page_shows_the_budget_chart(browser, server):
    page = Page(browser, server).open("/program/q-leap.html")
    try:
        chart = page.page.locator("svg#budget-chart")
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 150
        bars = page.page.locator("svg#budget-chart rect.bar[data-yen]")
        assert bars.count() >= 4
        heights = [bars.nth(i).bounding_box()["height"] for i in range(bars.count())]
        assert all(h > 0 for h in heights) and max(heights) > 100
        fills = {page.page.evaluate("(el) => getComputedStyle(el).fill", bars.nth(i).element_handle())
                 for i in range(bars.count())}
        assert len(fills) >= 2  # stages distinguished by colour
        page.shot("program-page-chart.png")
        partial = Page(browser, server).open("/program/bioresource-research.html")
        try:
            assert partial.page.locator("svg#budget-chart rect.bar.partial[data-yen]").count() > 0
            assert partial.page.locator("svg#budget-chart text.partial-mark").first.text_content() == "内"
            partial.shot("program-page-partial.png")
        finally:
            partial.close()
    finally:
        page.close()


def test_list_page_facets_and_sorting(browser, server):
    page = Page(browser, server).open("/program/")
    try:
        page.page.click('.facet[data-facet="fiscal_year"] a:text("FY2025")')
        page.page.click('.facet[data-facet="stage"] a:has-text("request")')
        page.page.click('#counts a:has-text("amount ↓")')
        page.page.wait_for_selector("table.list td.num[data-yen]")
        yen = [int(v) for v in page.page.locator("table.list td.num[data-yen]").evaluate_all(
            "(cells) => cells.map((c) => c.dataset.yen)")]
        assert yen and yen == sorted(yen, reverse=True)
        assert "fiscal_year=2025" in page.page.url and "stage=request" in page.page.url
        page.shot("program-list.png")
        page.open("/program/?page=999")
        assert page.page.locator("p.empty").is_visible()
    finally:
        page.close()


def test_hostile_labels_stay_inert_in_the_browser(browser, hostile):  # noqa: F811 - the fixture
    paths = ["/search?q=img%20src", f"/strategy/{STRATEGY}.html", "/program/x-hostile.html",
             "/organization/x-hostile.html", "/program/?agency=x-hostile", "/organization/"]
    page = Page(browser, hostile)
    try:
        for path in paths:
            page.open(path)
            page.page.wait_for_load_state("load")
            assert page.page.locator("img").count() == 0, path
            assert page.page.locator("main script").count() == 0, path
        page.open("/search?q=img%20src")
        assert "<img src=x onerror=alert(1)>" in page.page.locator("ol.results").inner_text()  # shown as text
        page.shot("hostile-search.png")
    finally:
        page.close()
