"""SHACL validation: the chunked (focus-node, multi-process) report equals the whole-graph report."""

from __future__ import annotations

import pytest
from rdflib import Graph

from stikg.build import load_ontology
from stikg.rdf import vocab
from stikg.rdf.validation import load_shapes, validate, validate_chunked


@pytest.fixture(scope="module")
def real(built):
    paths, result = built
    data = Graph()
    for name, triples in result.graphs.items():
        if name != vocab.graph_iri("ontology"):
            for triple in triples:
                data.add(triple)
    return data, load_shapes(paths.shapes), load_ontology(paths)


@pytest.mark.parametrize("chunks", [1, 3])
def test_chunked_report_equals_whole_graph_report(real, chunks):
    data, shapes, ontology = real
    whole = validate(data, shapes, ontology)
    chunked = validate_chunked(data, shapes, ontology, chunks=chunks)
    assert whole.findings, "the real graph has warnings/info to compare"
    assert chunked.findings == whole.findings
    assert chunked.turtle() == whole.turtle()
    assert chunked.conforms == whole.conforms


def test_report_text_is_readable(real):
    data, shapes, ontology = real
    text = validate(data, shapes, ontology).text(limit=3)
    assert text.startswith("SHACL: conforms")
    assert "[Warning]" in text or "[Info]" in text


def test_violation_is_reported_with_focus_and_path(real, root):
    data, shapes, ontology = real
    broken = Graph()
    for triple in data:
        broken.add(triple)
    allocation = next(s for s, p, o in data if p == vocab.STIKG.fiscalYear
                      and (s, vocab.RDF.type, vocab.STIKG.BudgetAllocation) in data)
    broken.remove((allocation, vocab.STIKG.fiscalYear, None))
    report = validate(broken, shapes, ontology)
    assert report.violations >= 1
    assert any(f.focus == str(allocation) and "fiscalYear" in f.path for f in report.findings)
    chunked = validate_chunked(broken, shapes, ontology, chunks=2)
    assert chunked.findings == report.findings
