"""The query page (/) in headless Debian Chromium: links, CSV download, permalink, paging,
library parameters, history and the capped-results notice; hostile labels stay text."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest

from browser import launch
from servers import make_fixture_project
from stikg.sparql.store import open_store
from stikg.web.server import Server

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LOCAL = "http://127.0.0.1:"  # the test's own servers; everything else is aborted and fails the test
PROGRAMS = ("PREFIX stikg: <https://w3id.org/stikg/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "SELECT ?program ?label WHERE { ?program a stikg:Program ; rdfs:label ?label } ORDER BY ?program ?label")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    data = make_fixture_project(tmp_path_factory.mktemp("qpage") / "project")
    open_store(data.paths)
    return data


@pytest.fixture(scope="module")
def server(project):
    srv = Server(store_dir=project.paths.store, port=0, workers=1, queries_dir=project.paths.queries).start()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def capped(project):
    """The same data with answers capped at 5 rows."""
    srv = Server(store_dir=project.paths.store, port=0, workers=1, queries_dir=project.paths.queries,
                 max_results=5).start()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    with launch(tmp_path_factory.mktemp("chromium-profile"), accept_downloads=True) as ctx:
        yield ctx


@pytest.fixture
def page(context, server):
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def handle(route):
        requests.append(route.request.url)
        if route.request.url.startswith((LOCAL, "blob:")):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", handle)
    page.requests, page.errors = requests, errors
    yield page
    assert not errors, errors
    assert all(u.startswith((LOCAL, "blob:")) for u in requests), requests
    page.close()


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")


def set_query(page, text: str) -> None:
    page.evaluate("(t) => document.querySelector('.CodeMirror').CodeMirror.setValue(t)", text)


def run_and_wait(page) -> None:
    page.click("#run")
    page.wait_for_selector("body[data-run='done'], body[data-run='error']")


def test_results_link_to_entity_pages_and_say_when_capped(page, capped):
    open_page(page, capped.url + "/")
    set_query(page, PROGRAMS)
    run_and_wait(page)
    links = page.eval_on_selector_all("#results td a", "as => as.map(a => [a.getAttribute('href'), a.textContent])")
    assert links and all(h.startswith("/program/") and t.startswith("program:") for h, t in links), links
    assert page.is_visible("#notice")
    assert "capped" in page.text_content("#notice") and "5 rows" in page.text_content("#notice")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "query-page-results.png"), full_page=True)


def test_download_csv(page, server):
    open_page(page, server.url + "/")
    set_query(page, PROGRAMS + " LIMIT 3")
    run_and_wait(page)
    with page.expect_download() as info:
        page.click("#dl-csv")
    download = info.value
    assert download.suggested_filename == "query.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    lines = text.strip().splitlines()
    assert lines[0].strip() == "program,label" and len(lines) == 4, text
    assert lines[1].startswith("https://w3id.org/stikg/program/")


def test_library_parameters_permalink_restores_and_history(page, context, server):
    open_page(page, server.url + "/")
    page.click("a[data-name='program_timeline']")
    page.wait_for_selector("#params input[data-param]")
    name = page.get_attribute("#params input[data-param]", "name")
    page.fill(f"#params input[name='{name}']", "q-leap")
    run_and_wait(page)
    link = page.input_value("#permalink")
    assert "lib=program_timeline" in link and f"p.{name}=q-leap" in link
    assert "lib=program_timeline" in page.url
    other = context.new_page()
    try:
        open_page(other, link)
        assert other.input_value(f"#params input[name='{name}']") == "q-leap"
        assert "program's amounts" in other.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
        history = other.eval_on_selector_all("#history a", "as => as.map(a => a.textContent)")
        assert "program_timeline" in history
    finally:
        other.close()
    # an ad-hoc query restores from its permalink too, and can run from it
    q = urllib.parse.urlencode({"query": PROGRAMS + " LIMIT 2", "run": "1"})
    fresh = context.new_page()
    try:
        open_page(fresh, f"{server.url}/#{q}")
        fresh.wait_for_selector("body[data-run='done']")
        assert fresh.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()").endswith("LIMIT 2")
        assert fresh.eval_on_selector_all("#results tr", "rs => rs.length") == 3
    finally:
        fresh.close()
    # and on an open page, a new permalink in the address takes effect without a reload
    page.evaluate("(h) => { location.hash = h; }", q)
    page.wait_for_selector("body[data-run='done']")
    assert page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()").endswith("LIMIT 2")
    assert page.eval_on_selector_all("#results tr", "rs => rs.length") == 3


def test_paging_of_a_long_answer(page, server):
    open_page(page, server.url + "/")
    values = " ".join(f"({i})" for i in range(250))
    set_query(page, f"SELECT ?n WHERE {{ VALUES (?n) {{ {values} }} }}")
    run_and_wait(page)
    assert page.is_hidden("#notice")
    assert page.text_content("#page-info").startswith("rows 1–100 of 250 · page 1 / 3")
    assert page.eval_on_selector_all("#results tr", "rs => rs.length") == 101
    page.click("#next")
    page.click("#next")
    assert page.text_content("#page-info").startswith("rows 201–250 of 250 · page 3 / 3")
    assert page.is_disabled("#next") and page.eval_on_selector_all("#results tr", "rs => rs.length") == 51
    page.click("#prev")
    assert page.text_content("#results tr:nth-child(2) td") == "100"


def test_hostile_values_stay_text(page, server):
    open_page(page, server.url + "/")
    hostile = "<img src=x onerror=window.__pwned=1><script>window.__pwned=2</script>"
    set_query(page, 'SELECT ?x ?y WHERE { BIND("' + hostile.replace('"', '\\"') + '" AS ?x) '
                    'BIND(IRI("javascript:window.__pwned=3") AS ?y) }')
    run_and_wait(page)
    assert page.text_content("#results td") == hostile
    assert page.evaluate("window.__pwned") is None
    assert page.eval_on_selector_all("#results img, #results script", "es => es.length") == 0
    assert page.eval_on_selector_all("#results a[href^='javascript']", "es => es.length") == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "query-page-hostile.png"))
