"""The fast engine's rules one by one, on a small ontology that uses each of them, against owlrl.

tests/test_reasoning.py checks fast == owlrl on the real graph; our ontology has no symmetric
property, one transitive property with few triples, one property chain. Here every rule the fast
engine implements fires on random data, and the answers must be owlrl's exactly.
"""

from __future__ import annotations

import gc
import random

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from stikg.core.errors import StikgError
from stikg.rdf import vocab
from stikg.rdf.fast_engine import fast_closure
from stikg.rdf.owl_rl import InconsistentGraph, owl_rl_closure

T = "http://example.org/t#"
ONTOLOGY = f"""
@prefix : <{T}> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

:A a owl:Class ; rdfs:subClassOf :B .
:B a owl:Class ; rdfs:subClassOf :C .
:C a owl:Class .
:D a owl:Class ; owl:equivalentClass :E .
:E a owl:Class .
:F a owl:Class .
:G a owl:Class ; owl:disjointWith :F .
:U a owl:Class ; owl:unionOf ( :A :F ) .

:p a owl:ObjectProperty ; rdfs:subPropertyOf :q .
:q a owl:ObjectProperty ; rdfs:domain :B ; rdfs:range :D .
:r a owl:ObjectProperty ; owl:inverseOf :s .
:s a owl:ObjectProperty ; rdfs:domain :F .
:sym a owl:ObjectProperty, owl:SymmetricProperty ; rdfs:range :A .
:t a owl:ObjectProperty, owl:TransitiveProperty ; rdfs:subPropertyOf :q .
:c1 a owl:ObjectProperty .
:c2 a owl:ObjectProperty .
:c3 a owl:ObjectProperty ; owl:propertyChainAxiom ( :c1 :c2 ) ; rdfs:subPropertyOf :t .
:e1 a owl:ObjectProperty ; owl:equivalentProperty :e2 .
:e2 a owl:ObjectProperty ; rdfs:range :E .
:dp a owl:DatatypeProperty ; rdfs:subPropertyOf :dq .
:dq a owl:DatatypeProperty ; rdfs:domain :U ; rdfs:range xsd:string .
:irr a owl:ObjectProperty, owl:IrreflexiveProperty .
:fp a owl:ObjectProperty, owl:FunctionalProperty .
:ifp a owl:ObjectProperty, owl:InverseFunctionalProperty .
:free a owl:ObjectProperty .
"""
OBJECT_PROPERTIES = ("p", "q", "r", "s", "sym", "t", "c1", "c2", "e1", "e2", "free")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(data=ONTOLOGY, format="turtle")


def _t(name: str) -> URIRef:
    return URIRef(T + name)


def _random_data(seed: int) -> set:
    rng = random.Random(seed)
    nodes = [vocab.entity("thing", f"n{i}") for i in range(12)]
    nodes.append(URIRef("http://elsewhere.example/x"))  # not ours: its entailments are dropped
    nodes.append(BNode("b0"))
    triples = set()
    for _ in range(60):
        s, o = rng.choice(nodes), rng.choice(nodes)
        triples.add((s, _t(rng.choice(OBJECT_PROPERTIES)), o))
    for node in rng.sample(nodes, 6):
        triples.add((node, RDF.type, _t(rng.choice("ABCDEU"))))
    for i, node in enumerate(rng.sample(nodes, 4)):
        triples.add((node, _t(rng.choice(("dp", "dq"))), Literal(f"v{i}", datatype=XSD.string)))
    # The checked properties, used without clashing (owlrl would derive owl:sameAs).
    for i, (a, b) in enumerate(zip(nodes[:3], nodes[3:6], strict=True)):
        triples.add((a, _t("fp"), b))
        triples.add((a, _t("ifp"), nodes[6 + i]))
        triples.add((a, _t("irr"), b))
    return triples


@pytest.mark.parametrize("seed", range(4))
def test_fast_equals_owlrl_on_random_data(ontology, seed):
    asserted = _random_data(seed)
    reference = owl_rl_closure(asserted, ontology)
    fast = fast_closure(asserted, ontology)
    assert fast == reference, (sorted(reference - fast, key=str)[:5], sorted(fast - reference, key=str)[:5])
    assert fast_closure(list(asserted), ontology) == fast  # any iterable, not only a set


def test_transitive_chain_and_inverse_entailments(ontology):
    a, b, c, d = (vocab.entity("thing", x) for x in "abcd")
    asserted = {(a, _t("c1"), b), (b, _t("c2"), c), (c, _t("t"), d), (a, _t("r"), d)}
    inferred = fast_closure(asserted, ontology)
    assert (a, _t("c3"), c) in inferred          # prp-spo2
    assert (a, _t("t"), d) in inferred           # prp-spo1 then prp-trp
    assert (a, _t("q"), d) in inferred
    assert (d, _t("s"), a) in inferred           # prp-inv1
    assert (d, RDF.type, _t("F")) in inferred    # prp-dom of the inverse
    assert (d, RDF.type, _t("U")) in inferred    # cls-uni
    assert (d, RDF.type, _t("E")) in inferred and (d, RDF.type, _t("D")) in inferred  # prp-rng, cax-eqc
    assert inferred == owl_rl_closure(asserted, ontology)


def test_disjoint_and_irreflexive_errors_are_reported(ontology):
    x = vocab.entity("thing", "x")
    asserted = {(x, RDF.type, _t("F")), (x, RDF.type, _t("G")), (x, _t("irr"), x)}
    with pytest.raises(InconsistentGraph) as error:
        fast_closure(asserted, ontology)
    assert f"{x} is in disjoint classes {T}F and {T}G" in str(error.value)
    assert f"{x} {T}irr itself (irreflexive property)" in str(error.value)
    # owlrl agrees that the graph is inconsistent
    with pytest.raises(InconsistentGraph):
        owl_rl_closure(asserted, ontology)


def test_disjointness_through_entailed_types(ontology):
    x, y = vocab.entity("thing", "x"), vocab.entity("thing", "y")
    asserted = {(x, _t("s"), y), (x, RDF.type, _t("G"))}  # s has domain F, disjoint with G
    with pytest.raises(InconsistentGraph, match="disjoint classes"):
        fast_closure(asserted, ontology)


def test_refuses_an_inverse_functional_clash(ontology):
    x, y, z = (vocab.entity("thing", n) for n in "xyz")
    with pytest.raises(StikgError, match="2 subjects share .* on inverse-functional property"):
        fast_closure({(x, _t("ifp"), z), (y, _t("ifp"), z)}, ontology)
    with pytest.raises(StikgError, match="has 2 values for functional property"):
        fast_closure({(x, _t("fp"), y), (x, _t("fp"), z)}, ontology)
    # the same value twice (asserted, and entailed another way) is no clash
    assert fast_closure({(x, _t("fp"), y)}, ontology) == set()


def test_garbage_collector_state_is_restored(ontology):
    x = vocab.entity("thing", "x")
    assert gc.isenabled()
    fast_closure({(x, RDF.type, _t("A"))}, ontology)
    assert gc.isenabled()
    with pytest.raises(InconsistentGraph):
        fast_closure({(x, RDF.type, _t("F")), (x, RDF.type, _t("G"))}, ontology)
    assert gc.isenabled()
    gc.disable()
    try:
        fast_closure({(x, RDF.type, _t("A"))}, ontology)
        assert not gc.isenabled()
    finally:
        gc.enable()
