"""Prefiltered validation (pre-pass + pyshacl on the suspects) gives pyshacl's whole-graph report.

The pre-pass must never clear a node that has a result. These tests compare the two reports on
the real graph, and on copies of it broken at random in the ways SHACL shapes notice: a triple
deleted, an object replaced by another term of the graph (an IRI of the wrong class, a literal of
the wrong datatype or language, a value outside a list), a second value added, a class added.
"""

from __future__ import annotations

import random

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from stikg import build as build_module
from stikg.build import load_ontology
from stikg.rdf import vocab
from stikg.rdf.shacl_prefilter import find_suspects
from stikg.rdf.validation import load_shapes, validate, validate_prefiltered


@pytest.fixture(scope="module")
def real(built):
    paths, result = built
    triples = {t for name, ts in result.graphs.items() if name != vocab.graph_iri("ontology") for t in ts}
    return triples, load_shapes(paths.shapes), load_ontology(paths)


def whole_graph_report(triples, shapes, ontology):
    data = Graph()
    for triple in triples:
        data.add(triple)
    return validate(data, shapes, ontology)


def assert_same_report(triples, shapes, ontology):
    whole = whole_graph_report(triples, shapes, ontology)
    fast = validate_prefiltered(triples, shapes, ontology)
    assert fast.findings == whole.findings
    assert fast.turtle() == whole.turtle()
    assert fast.conforms == whole.conforms
    return whole


def test_real_graph_report_is_pyshacls(real):
    triples, shapes, ontology = real
    whole = assert_same_report(triples, shapes, ontology)
    assert whole.findings, "the real graph has warnings and info to compare"


def test_the_build_takes_the_pre_pass_above_its_limit(built, monkeypatch):
    """``stikg build`` itself, forced onto the pre-pass path (and the fast reasoner), reports
    exactly what the plain build of the real corpus reported."""
    paths, plain = built
    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return validate_prefiltered(*args, **kwargs)

    monkeypatch.setattr(build_module, "PREFILTERED_VALIDATION_LIMIT", 0)
    monkeypatch.setattr(build_module, "validate_prefiltered", counted)
    again = build_module.build(paths, quiet=True, write=False, reasoner="fast")
    assert calls == [1]
    assert again.report.findings == plain.report.findings
    assert again.report.turtle() == plain.report.turtle()

def test_prefilter_clears_most_focus_nodes(real):
    triples, shapes, ontology = real
    found = find_suspects(triples, shapes, ontology)
    flagged = {f.focus for f in whole_graph_report(triples, shapes, ontology).findings}
    # Every node with a result is a suspect (or under an opaque shape) …
    opaque_targets = {f.focus for f in whole_graph_report(triples, shapes, ontology).findings
                      if f.shape in {shapes.namespace_manager.normalizeUri(s) for s in found.opaque_shapes}}
    assert flagged - opaque_targets <= {str(s) for s in found.suspects}
    # … and the pre-pass is sharp: it does not hand pyshacl the whole graph.
    assert found.focus_checked > 10 * len(found.suspects)


def _mutate(triples: set, rng: random.Random, count: int) -> set:
    triples = set(triples)
    ordered = sorted(triples, key=lambda t: (str(t[0]), str(t[1]), str(t[2])))
    objects = sorted({o for _, _, o in ordered}, key=lambda o: (type(o).__name__, str(o)))
    classes = sorted({o for _, p, o in ordered if p == RDF.type}, key=str)
    for _ in range(count):
        s, p, o = rng.choice(ordered)
        kind = rng.randrange(6)
        if kind == 0:
            triples.discard((s, p, o))
        elif kind == 1:
            triples.discard((s, p, o))
            triples.add((s, p, rng.choice(objects)))
        elif kind == 2:
            triples.add((s, p, rng.choice(objects)))
        elif kind == 3:
            triples.add((s, RDF.type, rng.choice(classes)))
        elif kind == 4 and isinstance(o, Literal):
            triples.discard((s, p, o))
            triples.add((s, p, rng.choice([Literal(str(o)), Literal(str(o), lang="en"),
                                           Literal(str(o), lang="ja"), Literal("x", datatype=XSD.integer),
                                           Literal("-5", datatype=XSD.integer), Literal("")])))
        elif kind == 5:
            triples.discard((s, p, o))
            triples.add((s, p, URIRef(vocab.base_iri() + f"nowhere/{rng.randrange(10**6)}")))
    return triples


@pytest.mark.parametrize("seed", range(6))
def test_randomly_broken_graphs_give_pyshacls_report(real, seed):
    triples, shapes, ontology = real
    broken = _mutate(triples, random.Random(seed), count=60)
    whole = assert_same_report(broken, shapes, ontology)
    assert whole.violations > 0, "the mutations break the graph"


def test_targeted_breakages(real):
    """One break per kind of constraint the shapes use, all in one graph."""
    triples, shapes, ontology = real
    broken = set(triples)
    s_ = vocab.STIKG
    allocation = min((s for s, p, o in triples if p == RDF.type and o == s_.BudgetAllocation), key=str)
    evidence = min((s for s, p, o in triples if p == RDF.type and o == s_.Evidence), key=str)
    strategy = min((s for s, p, o in triples if p == RDF.type and o == s_.Strategy), key=str)
    program = min((s for s, p, o in triples if p == RDF.type and o == s_.Program), key=str)
    university = next((s for s, p, o in sorted(triples, key=str) if p == RDF.type and o == s_.University), None)
    for triple in [t for t in broken if t[0] == allocation and t[1] == s_.fiscalYear]:
        broken.discard(triple)                                                    # minCount
    for triple in [t for t in broken if t[0] == evidence and t[1] == s_.line]:
        broken.discard(triple)
        broken.add((evidence, s_.line, Literal(10**7)))                           # lessThanOrEquals
    broken.add((strategy, s_.strategyType, Literal("manifesto")))                 # sh:in, maxCount
    broken.add((strategy, s_.editionYear, Literal(1066)))                         # minInclusive
    broken.add((program, vocab.RDFS.label, Literal("別名", lang="ja")))            # uniqueLang
    broken.add((program, s_.subProgramOf, URIRef(vocab.base_iri() + "nowhere")))  # sh:class
    if university is not None:
        broken.add((university, RDF.type, s_.Company))                           # sh:not / sh:or
    assert_same_report(broken, shapes, ontology)
