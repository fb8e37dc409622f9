"""Dereferenceable IRIs on `stikg serve`: 303 negotiation and suffix URLs, entity pages, the
source viewer, dumps, VoID, the ontology, 404s, path traversal, security headers, and agreement
between every served description and kg/dataset.nq."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlsplit

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from stikg.core.config import Paths
from stikg.rdf.kgwriter import read_dataset
from stikg.sparql import Term
from stikg.sparql.store import open_store
from stikg.web import html as pages
from stikg.web.server import Server

ROOT = Path(__file__).resolve().parents[1]
KG = ROOT / "kg"
BASE = "https://w3id.org/stikg/"
STIKG = "https://w3id.org/stikg/ontology#"
KINDS = ("program", "strategy", "organization", "hub", "document", "allocation", "citation", "flow",
         "role", "period", "evidence")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

pytestmark = pytest.mark.skipif(not (KG / "dataset.nq").is_file(), reason="no kg/dataset.nq: run `stikg build`")


def make_project(root: Path, dataset_text: str | None = None) -> Paths:
    """A project root with the built kg/, the sources, the ontology and the queries."""
    shutil.copytree(KG, root / "kg")
    if dataset_text is not None:
        (root / "kg" / "dataset.nq").write_text(dataset_text, encoding="utf-8")
        (root / "kg" / "manifest.json").unlink()
    for name in ("sources", "ontology", "queries"):
        shutil.copytree(ROOT / name, root / name)
    paths = Paths(root)
    open_store(paths)
    return paths


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    paths = make_project(tmp_path_factory.mktemp("ld") / "project")
    srv = Server(store_dir=paths.store, port=0, workers=2, queries_dir=paths.queries).start()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def data() -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(KG / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    return store


def get(server, path: str, accept: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` exactly as given (no client-side normalisation of '..' or %2F)."""
    host, port = urlsplit(server.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("GET", path, headers={"Accept": accept} if accept else {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def select(store: ox.Store, text: str) -> list[list[str]]:
    return [[t.value if t is not None else "" for t in row] for row in store.query(text, use_default_graph_as_union=True)]


def served_path(iri: str) -> str:
    return "/" + iri[len(BASE):]


def assert_secure(headers: dict[str, str]) -> None:
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


# -------------------------------------------------------------------------- negotiation


@pytest.mark.parametrize(("accept", "ext"), [
    (None, "html"), (BROWSER, "html"), ("text/turtle", "ttl"), ("application/ld+json", "jsonld"),
    ("application/n-triples", "nt"), ("text/turtle;q=0.5, application/ld+json", "jsonld"),
    ("application/x-turtle", "ttl"), ("*/*", "html"), ("application/rdf+xml", "rdf"),
])
def test_entity_iri_answers_303_by_accept(server, accept, ext):
    status, headers, _ = get(server, "/program/kakenhi", accept)
    assert status == 303
    assert headers["location"] == f"/program/kakenhi.{ext}"
    assert headers["vary"] == "Accept"
    assert_secure(headers)


def test_unsupported_accept_falls_back_to_html_with_alternates(server):
    status, headers, _ = get(server, "/program/kakenhi", "application/pdf")
    assert status == 303 and headers["location"] == "/program/kakenhi.html"
    link = headers["link"]
    for ext, media in (("ttl", "text/turtle"), ("jsonld", "application/ld+json"), ("nt", "application/n-triples")):
        assert f'</program/kakenhi.{ext}>; rel="alternate"; type="{media}"' in link
    status, headers, body = get(server, "/program/kakenhi.html", "application/pdf")
    assert status == 200 and headers["content-type"].startswith("text/html") and 'rel="alternate"' in headers["link"]


@pytest.mark.parametrize(("ext", "media", "fmt"), [
    ("ttl", "text/turtle", "turtle"), ("nt", "application/n-triples", "nt"), ("jsonld", "application/ld+json", "json-ld"),
    ("rdf", "application/rdf+xml", "xml"),
])
def test_suffix_urls_serve_each_representation(server, ext, media, fmt):
    status, headers, body = get(server, f"/program/kakenhi.{ext}")
    assert status == 200 and headers["content-type"].split(";")[0] == media
    assert_secure(headers)
    graph = Graph().parse(data=body.decode("utf-8"), format=fmt)
    kakenhi = URIRef(BASE + "program/kakenhi")
    assert (kakenhi, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("科学研究費助成事業", lang="ja")) in graph
    if ext == "jsonld":
        published = json.loads((KG / "context.jsonld").read_text(encoding="utf-8"))
        assert json.loads(body)["@context"] == published["@context"]


def test_representations_are_deterministic(server):
    for ext in ("ttl", "nt", "jsonld", "rdf", "html"):
        assert get(server, f"/program/kakenhi.{ext}")[2] == get(server, f"/program/kakenhi.{ext}")[2]


# ---------------------------------------------------------------------- descriptions


def program_with(data: ox.Store, pattern: str) -> str:
    rows = select(data, f"PREFIX stikg: <{STIKG}> SELECT DISTINCT ?p WHERE {{ {pattern} }} ORDER BY ?p LIMIT 1")
    if not rows:
        pytest.skip(f"no programme in kg/ matches {pattern}")
    return rows[0][0]


def test_program_description_has_its_facts_with_evidence(server, data):
    program = program_with(data, "?a a stikg:BudgetAllocation ; stikg:forProgram ?p . "
                                 "?c a stikg:Citation ; stikg:citingProgram ?p . ?r a stikg:OrganizationRole ; stikg:forProgram ?p")
    status, _, body = get(server, served_path(program) + ".ttl")
    graph = Graph().parse(data=body.decode("utf-8"), format="turtle")
    facts = select(data, f"PREFIX stikg: <{STIKG}> SELECT DISTINCT ?f ?ev WHERE {{ ?f stikg:forProgram <{program}> . "
                         "OPTIONAL { ?f stikg:hasEvidence ?ev } }")
    assert facts
    for fact, evidence in facts:
        for quad in data.quads_for_pattern(ox.NamedNode(fact), None, None):
            assert (URIRef(fact), URIRef(quad.predicate.value), to_rdflib(quad.object)) in graph
        if evidence:
            assert (URIRef(evidence), URIRef(STIKG + "quote"), None) in graph
            assert (URIRef(evidence), URIRef(STIKG + "line"), None) in graph
    # labels of linked entities (the cited strategies, the organisations)
    for strategy, in select(data, f"PREFIX stikg: <{STIKG}> SELECT DISTINCT ?s WHERE {{ ?c stikg:citingProgram <{program}> ; "
                                  "stikg:citedStrategy ?s }"):
        assert (URIRef(strategy), URIRef("http://www.w3.org/2000/01/rdf-schema#label"), None) in graph


def to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def test_served_descriptions_agree_with_the_dump(server):
    """A sample of subjects of every kind: each Turtle page holds all of that subject's triples."""
    by_subject: dict[str, set] = defaultdict(set)
    for graph in read_dataset(KG / "dataset.nq").values():
        for s, p, o in graph:
            by_subject[str(s)].add((s, p, o))
    sample: list[str] = []
    for kind in KINDS:
        subjects = sorted(s for s in by_subject if s.startswith(f"{BASE}{kind}/"))
        sample += subjects[:: max(1, len(subjects) // 6)][:6]
    assert len(sample) >= 40
    for subject in sample:
        status, headers, body = get(server, served_path(subject), "text/turtle")
        assert status == 303, subject
        status, headers, body = get(server, headers["location"])
        assert status == 200, subject
        served = Graph().parse(data=body.decode("utf-8"), format="turtle")
        missing = by_subject[subject] - set(served)
        assert not missing, (subject, sorted(missing)[:3])


def test_void_only_resources_dereference(server):
    status, headers, body = get(server, "/organization/stikg-project.ttl")
    assert status == 200 and b"stikg project" in body
    partition = next(iter(re.findall(r"<https://w3id.org/stikg/(dataset/class/[0-9a-f]+)>",
                                     (KG / "void.ttl").read_text(encoding="utf-8"))))
    status, headers, body = get(server, f"/{partition}", "text/turtle")
    assert status == 303
    status, headers, body = get(server, headers["location"])
    assert status == 200 and b"void:class" in body


# ----------------------------------------------------------------------------- HTML


def test_program_page_for_people(server, data):
    program = program_with(data, "?a stikg:forProgram ?p ; stikg:isPartial true . ?r a stikg:OrganizationRole ; stikg:forProgram ?p")
    status, headers, body = get(server, served_path(program) + ".html")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert_secure(headers)
    text = body.decode("utf-8")
    labels = dict((lang, value) for value, lang in select(
        data, f"SELECT ?l (LANG(?l) AS ?lang) WHERE {{ <{program}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"))
    assert pages.esc(labels["ja"]) in text
    if "en" in labels:
        assert pages.esc(labels["en"]) in text
    assert 'id="amounts"' in text and "FY" in text and 'class="partial"' in text and "の内数" in text
    assert 'id="roles"' in text
    assert re.search(r'href="/source/[0-9A-Za-z_]+#L\d+"', text), "evidence must link to the source viewer"
    assert 'href="/ontology#Program"' in text
    # every related entity link points at a served IRI that answers
    links = sorted(set(re.findall(r'href="(/(?:' + "|".join(KINDS) + r')/[^"#]+)"', text)))
    assert links
    for href in links[:: max(1, len(links) // 15)]:
        status, _, _ = get(server, href)
        assert status in (200, 303), href


def test_citations_and_flows_are_shown(server, data):
    program = program_with(data, "?c a stikg:Citation ; stikg:citingProgram ?p")
    text = get(server, served_path(program) + ".html")[2].decode("utf-8")
    assert 'id="citations"' in text
    program = program_with(data, "?f a stikg:FundingFlow ; stikg:forProgram ?p")
    text = get(server, served_path(program) + ".html")[2].decode("utf-8")
    assert 'id="flows"' in text


def test_pages_have_no_inline_script_or_style(server):
    for path in ("/program/kakenhi.html", "/source/000_06e5a7bc9af66719", "/ontology.html", "/dataset.html",
                 "/program/no-such-program"):
        text = get(server, path, BROWSER)[2].decode("utf-8")
        assert "<style" not in text and " style=" not in text, path
        for tag in re.findall(r"<script[^>]*>", text):
            assert "src=" in tag, (path, tag)
        assert "javascript:" not in text and " onload=" not in text and " onclick=" not in text


def test_everything_from_data_is_escaped():
    evil = '<img src=x onerror="alert(1)">&'
    s, label = Term.iri(BASE + "program/evil"), Term.iri("http://www.w3.org/2000/01/rdf-schema#label")
    triples = [(s, label, Term.literal(evil, lang="ja")),
               (s, Term.iri(STIKG + "shortName"), Term.literal('"><script>alert(2)</script>'))]
    page = pages.entity_page(s.value, "/program/evil", triples, lambda iri: None)
    assert "<img" not in page and "<script>" not in page and "&lt;img src=x" in page
    source = pages.source_page("doc", "<b>title</b>", ["<script>alert(3)</script>", "a & b"], "/document/doc.html")
    assert "<script>" not in source and "&lt;script&gt;" in source and "a &amp; b" in source and "<b>" not in source
    missing = pages.not_found_page('/program/"><script>x</script>')
    assert "<script>" not in missing


# ----------------------------------------------------------------------- source viewer


def test_source_viewer_numbers_and_anchors_every_line(server):
    doc = "000_06e5a7bc9af66719"
    lines = (ROOT / "sources" / f"{doc}.txt").read_text(encoding="utf-8").splitlines()
    status, headers, body = get(server, f"/source/{doc}")
    assert status == 200
    assert_secure(headers)
    text = body.decode("utf-8")
    anchors = re.findall(r'<li id="L(\d+)"><a class="ln" href="#L\1">\1</a>', text)
    assert [int(a) for a in anchors] == list(range(1, len(lines) + 1))
    assert ":target" in get(server, "/static/ld/ld.css")[2].decode("utf-8")
    assert get(server, f"/source/{doc}.txt")[0] == 200
    tricky = next((i, line) for i, line in enumerate(lines, 1) if "<" in line or "&" in line or ">" in line)
    assert f'id="L{tricky[0]}"' in text and pages.esc(tricky[1].strip()) in text


@pytest.mark.parametrize("path", [
    "/source/..%2F..%2Fetc%2Fpasswd", "/source/../pyproject.toml", "/source/%2e%2e/pyproject.toml",
    "/source/..%2Fpyproject.toml", "/source/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/source/catalog.yaml",
    "/source/", "/source", "/source/000_06e5a7bc9af66719.txt/../../pyproject.toml",
    "/dumps/../pyproject.toml", "/dumps/..%2Fpyproject.toml", "/dumps/", "/dumps", "/dumps/manifest.json",
    "/dumps/graphs/registry.ttl", "/graph/..%2F..%2Fpyproject", "/program/..%2F..%2Fpyproject.toml",
    "/program/../../pyproject.toml", "/static/ld/",
])
def test_traversal_and_listings_are_404(server, path):
    status, headers, body = get(server, path)
    assert status == 404, path
    assert b"[build-system]" not in body and b"root:" not in body and b"Index of" not in body


# ------------------------------------------------------------------ dumps, VoID, ontology


@pytest.mark.parametrize(("name", "media"), [
    ("dataset.nq", "application/n-quads"), ("dataset.trig", "application/trig"),
    ("dataset.jsonld", "application/ld+json"), ("stikg.ttl", "text/turtle"), ("void.ttl", "text/turtle"),
    ("context.jsonld", "application/ld+json"),
])
def test_dumps_are_served_with_their_media_types(server, name, media):
    status, headers, body = get(server, f"/dumps/{name}")
    assert status == 200 and headers["content-type"].split(";")[0] == media
    assert body == (KG / name).read_bytes()
    assert_secure(headers)


@pytest.mark.parametrize("path", ["/.well-known/void", "/dataset"])
def test_void_is_served(server, path):
    status, headers, body = get(server, path)
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=body.decode("utf-8"), format="turtle")
    assert (URIRef(BASE + "dataset"), None, URIRef("http://rdfs.org/ns/void#Dataset")) in graph
    status, headers, body = get(server, path, BROWSER)
    assert status == 200 and headers["content-type"].startswith("text/html") and "STI Policy" in body.decode("utf-8")
    status, headers, body = get(server, path, "application/ld+json")
    assert status == 200 and json.loads(body)["@graph"]


def test_ontology_dereferences_to_docs_or_turtle(server):
    status, headers, _ = get(server, "/ontology", BROWSER)
    assert status == 303 and headers["location"] == "/ontology.html"
    status, headers, _ = get(server, "/ontology", "text/turtle")
    assert status == 303 and headers["location"] == "/ontology.ttl"
    status, headers, body = get(server, "/ontology.html")
    assert status == 200 and 'id="Program"' in body.decode("utf-8")
    status, headers, body = get(server, "/ontology.ttl")
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    served = Graph().parse(data=body.decode("utf-8"), format="turtle")
    assert len(served) == len(Graph().parse(ROOT / "ontology" / "stikg.ttl", format="turtle"))
    status, headers, body = get(server, "/ontology.jsonld")
    assert status == 200 and len(Graph().parse(data=body.decode("utf-8"), format="json-ld")) == len(served)


# --------------------------------------------------------------------------------- 404


def test_unknown_iri_is_a_helpful_404(server):
    for path in ("/program/kaken", "/program/kaken.html", "/program/kaken.ttl", "/organization/nobody"):
        status, headers, body = get(server, path, BROWSER)
        assert status == 404, path
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert_secure(headers)
        text = body.decode("utf-8")
        assert 'href="/"' in text and "SPARQL" in text and "/program/kakenhi" in text.replace("/program/kaken.", "")
    text = get(server, "/program/kaken", BROWSER)[2].decode("utf-8")
    assert 'href="/program/kakenhi"' in text, "a similar served IRI is suggested"


def test_security_headers_on_every_linked_data_response(server):
    for path in ("/program/kakenhi", "/program/kakenhi.ttl", "/dumps/void.ttl", "/dataset", "/ontology",
                 "/ontology.ttl", "/source/000_06e5a7bc9af66719", "/nope/../source/x", "/graph/registry"):
        status, headers, _ = get(server, path)
        assert status in (200, 303, 404), path
        if status != 404 or path.startswith("/source"):
            assert_secure(headers)


def test_named_graphs_dereference_to_their_turtle(server):
    status, headers, body = get(server, "/graph/registry")
    assert status == 200 and body == (KG / "graphs" / "registry.ttl").read_bytes()
    stem = sorted((KG / "graphs").glob("document-*.ttl"))[0].stem.removeprefix("document-")
    assert get(server, f"/graph/document/{quote(stem)}")[0] == 200


# ---------------------------------------------------------------------- configuration


def test_base_iri_is_configurable(tmp_path, monkeypatch):
    """With STIKG_BASE_IRI=http://127.0.0.1:PORT/ the entity IRIs are the server's own URLs."""
    other = "http://stikg.example.org/kg/"
    entity_paths = "|".join(KINDS)
    text = re.sub(rf"https://w3id\.org/stikg/(?=(?:{entity_paths})/)", other, (KG / "dataset.nq").read_text(encoding="utf-8"))
    paths = make_project(tmp_path / "project", text)
    monkeypatch.setenv("STIKG_BASE_IRI", other)
    srv = Server(store_dir=paths.store, port=0, workers=1, queries_dir=paths.queries).start()
    try:
        status, headers, body = get(srv, "/program/kakenhi.ttl")
        assert status == 200
        graph = Graph().parse(data=body.decode("utf-8"), format="turtle")
        assert (URIRef(other + "program/kakenhi"), None, None) in graph
        assert "https://w3id.org/stikg/program/" not in body.decode("utf-8")
        html = get(srv, "/program/kakenhi.html")[2].decode("utf-8")
        assert 'href="/ontology#Program"' in html  # vocabulary terms are never rebased
    finally:
        srv.close()
        monkeypatch.delenv("STIKG_BASE_IRI")
    assert os.environ.get("STIKG_BASE_IRI") is None


def test_make_app_installs_the_route_modules():
    """The server composes the app: the route modules receive it and never import the server."""
    from stikg.web import server as server_module

    app = server_module.make_app(pool=None)  # type: ignore[arg-type]
    patterns = [p.pattern for _, p, _ in app.routes]
    assert any(p.startswith("/(?P<kind>program") for p in patterns) and any("lineage" in p for p in patterns)
