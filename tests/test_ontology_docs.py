"""The ontology documentation: docs/ontology/index.html is a fresh generation of ontology/ and
documents every class, property, concept scheme and concept with ja/en labels and alignments."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from stikg.cli import main
from stikg.web import ontology_docs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "ontology"


@pytest.fixture(scope="module")
def graph():
    return ontology_docs.load(ROOT / "ontology")


@pytest.fixture(scope="module")
def page(graph) -> str:
    return ontology_docs.render(graph)


def test_committed_docs_equal_a_fresh_generation(page):
    committed = (DOCS / "index.html").read_text(encoding="utf-8")
    assert committed == page, "docs/ontology/index.html is stale: run `stikg docs`"
    assert (DOCS / "ontology.css").read_text(encoding="utf-8") == ontology_docs.stylesheet()


def test_stikg_docs_command_writes_the_same_bytes(tmp_path):
    out = tmp_path / "site" / "index.html"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert main(["docs", "--out", str(out)]) == 0
    finally:
        os.chdir(cwd)
    assert out.read_bytes() == (DOCS / "index.html").read_bytes()
    assert (out.parent / "ontology.css").is_file()


def test_every_class_and_property_is_documented(graph, page):
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
    terms = {s for k in kinds for s in graph.subjects(RDF.type, k)
             if isinstance(s, URIRef) and str(s).startswith(ontology_docs.STIKG)}
    assert len(terms) > 60
    for term in sorted(terms):
        name = str(term)[len(ontology_docs.STIKG):]
        block = re.search(rf'<div class="term" id="{re.escape(name)}">(.*?)</div>', page, re.S)
        assert block, f"{name} is not documented"
        for lang in ("ja", "en"):
            labels = [str(o) for o in graph.objects(term, RDFS.label) if getattr(o, "language", None) == lang]
            assert labels and html.escape(labels[0]) in block.group(1), (name, lang)
        comments = [str(o) for o in graph.objects(term, RDFS.comment)]
        for comment in comments:
            assert html.escape(comment) in block.group(1), name
        for domain in graph.objects(term, RDFS.domain):
            assert ontology_docs.curie(domain) in block.group(1), (name, "domain")
        for range_ in graph.objects(term, RDFS.range):
            if isinstance(range_, URIRef):
                assert ontology_docs.curie(range_) in block.group(1), (name, "range")
        for sup in list(graph.objects(term, RDFS.subClassOf)) + list(graph.objects(term, RDFS.subPropertyOf)):
            assert ontology_docs.curie(sup) in block.group(1), (name, "super", sup)
    assert set(ontology_docs.documented_terms(graph)) >= terms


def test_external_terms_and_alignments_are_listed(graph, page):
    externals = {s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef)
                 and not str(s).startswith(ontology_docs.STIKG) and s != ontology_docs.ONTOLOGY
                 and (s, RDF.type, SKOS.Concept) not in graph}
    for term in externals:
        assert f'id="{ontology_docs.anchor(term)}"' in page, term
    alignments = page.split('<section id="alignments">', 1)[1].split("</section>", 1)[0]
    for s, o in graph.subject_objects(RDFS.subClassOf):
        if str(s).startswith(ontology_docs.STIKG) and isinstance(o, URIRef) and not str(o).startswith(ontology_docs.STIKG):
            assert ontology_docs.curie(s) in alignments and ontology_docs.curie(o) in alignments
    assert "schema:Project" in alignments and "prov:wasDerivedFrom" in alignments and "skos:closeMatch" in alignments


def test_concept_schemes_list_their_concepts(graph, page):
    schemes = list(graph.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(schemes) == 4
    for scheme in schemes:
        assert f'id="{ontology_docs.anchor(scheme)}"' in page
        for concept in graph.subjects(SKOS.inScheme, scheme):
            row = re.search(rf'<tr id="{re.escape(ontology_docs.anchor(concept))}">(.*?)</tr>', page, re.S)
            assert row, concept
            notation = str(graph.value(concept, SKOS.notation))
            assert f"<code>{html.escape(notation)}</code>" in row.group(1)
            for label in graph.objects(concept, SKOS.prefLabel):
                assert html.escape(str(label)) in row.group(1)


def test_the_page_is_csp_clean_and_escaped(page):
    assert "<style" not in page and " style=" not in page and "<script" not in page
    assert 'href="ontology.css"' in page
    header = page.split('<nav class="toc">', 1)[0]
    assert "日本の科学技術・イノベーション政策" in header and "https://w3id.org/stikg/ontology" in header


def test_render_escapes_hostile_labels():
    from rdflib import Graph, Literal

    g = Graph()
    term = URIRef(ontology_docs.STIKG + "Evil")
    g.add((term, RDF.type, OWL.Class))
    g.add((term, RDFS.label, Literal('<script>alert(1)</script>', lang="en")))
    g.add((term, RDFS.comment, Literal('"><img src=x onerror=alert(2)>', lang="ja")))
    page = ontology_docs.render(g)
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page
