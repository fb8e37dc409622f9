"""OWL 2 RL reasoning: owlrl is the reference; the fast engine must entail exactly the same."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from stikg.rdf import vocab
from stikg.rdf.fast_engine import fast_closure
from stikg.rdf.owl_rl import InconsistentGraph, owl_rl_closure
from stikg.rdf.reasoning import reason
from stikg.rdf.vocab import CITO, STIKG


@pytest.fixture(scope="module")
def real_graph(built):
    paths, result = built
    from stikg.build import load_ontology

    asserted = set().union(*(t for n, t in result.graphs.items()
                             if n not in (vocab.graph_iri("inferred"), vocab.graph_iri("ontology"))))
    return asserted, load_ontology(paths), result


def test_fast_engine_equals_owlrl_on_the_real_graph(real_graph):
    asserted, ontology, _ = real_graph
    reference = owl_rl_closure(asserted, ontology)
    fast = fast_closure(asserted, ontology)
    assert reference, "owlrl inferred nothing"
    assert fast == reference, (sorted(reference - fast, key=str)[:5], sorted(fast - reference, key=str)[:5])


def test_build_inferred_graph_is_the_reference_closure(real_graph):
    asserted, ontology, result = real_graph
    assert result.graphs[vocab.graph_iri("inferred")] == owl_rl_closure(asserted, ontology)


def _entity(kind: str, slug: str) -> URIRef:
    return vocab.entity(kind, slug)


@pytest.mark.parametrize("engine", ["owlrl", "fast"])
def test_property_chain_inverse_and_hierarchy(root, engine):
    ontology = Graph().parse(root / "ontology" / "stikg.ttl")
    program, strategy, citation = _entity("program", "p"), _entity("strategy", "s"), _entity("citation", "c")
    asserted = {
        (program, RDF.type, STIKG.Program), (strategy, RDF.type, STIKG.Strategy),
        (citation, RDF.type, STIKG.Citation),
        (citation, STIKG.citingProgram, program), (citation, STIKG.citedStrategy, strategy),
    }
    inferred = reason(asserted, ontology, engine)
    assert (program, STIKG.hasCitation, citation) in inferred  # owl:inverseOf
    assert (program, CITO.citesAsAuthority, strategy) in inferred  # owl:propertyChainAxiom


@pytest.mark.parametrize("engine", ["owlrl", "fast"])
def test_disjoint_classes_are_inconsistent(root, engine):
    ontology = Graph().parse(root / "ontology" / "stikg.ttl")
    thing = _entity("program", "both")
    asserted = {(thing, RDF.type, STIKG.Program), (thing, RDF.type, STIKG.Organization)}
    with pytest.raises(InconsistentGraph):
        reason(asserted, ontology, engine)


def test_fast_engine_refuses_graphs_needing_same_as(root):
    from stikg.core.errors import StikgError

    ontology = Graph().parse(root / "ontology" / "stikg.ttl")
    functional = sorted(set(ontology.subjects(RDF.type, vocab.OWL.FunctionalProperty)), key=str)
    prop = next(p for p in functional if (p, RDF.type, vocab.OWL.ObjectProperty) in ontology)
    s = _entity("allocation", "a")
    asserted = {(s, prop, _entity("program", "x")), (s, prop, _entity("program", "y"))}
    with pytest.raises(StikgError, match="functional property"):
        fast_closure(asserted, ontology)
