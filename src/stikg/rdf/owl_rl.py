"""The reference OWL 2 RL engine: owlrl's full closure over ontology + data.

Its cost grows badly with size (about 10 s for 20k triples here), so the build uses it up to a
size and :mod:`stikg.rdf.fast_engine` beyond (see :mod:`stikg.rdf.reasoning`). Both keep only the
entailments about our own entities (:func:`keep_entailment`): owlrl's statements about the W3C
vocabularies and about the ontology's terms belong to the ontology, not the data.
"""

from __future__ import annotations

from collections.abc import Iterable

import owlrl
from owlrl.Namespaces import ERRNS
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from stikg.core.config import base_iri
from stikg.core.errors import StikgError
from stikg.rdf.vocab import ONTOLOGY_IRI, Triple

# Entailments that say nothing a user can use; kept out of the inferred graph to keep it readable.
TRIVIAL_OBJECTS = {OWL.Thing, RDFS.Resource}


class InconsistentGraph(StikgError):
    """An OWL 2 RL inconsistency (e.g. an individual in two disjoint classes)."""

ONTOLOGY_NS = str(ONTOLOGY_IRI)  # the ontology and its terms: not data


def keep_entailment(triple: Triple, base: str) -> bool:
    s, p, o = triple
    if not isinstance(s, URIRef) or isinstance(o, BNode):
        return False
    text = str(s)
    if not text.startswith(base) or text.startswith(ONTOLOGY_NS):
        return False
    if p == OWL.sameAs and s == o:
        return False
    return not (p == RDF.type and o in TRIVIAL_OBJECTS)


def owl_rl_expand(graph: Graph) -> None:
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(graph)
    errors = sorted(str(m) for e in graph.subjects(RDF.type, ERRNS.ErrorMessage)
                    for m in graph.objects(e, ERRNS.error))
    if errors:
        raise InconsistentGraph("OWL 2 RL inconsistency: " + "; ".join(errors[:5]))


def owl_rl_closure(asserted: Iterable[Triple], ontology: Graph) -> set[Triple]:
    """owlrl's full OWL 2 RL closure over ontology + asserted data (the reference engine).

    Returns the new triples about our entities. Raises :class:`InconsistentGraph`.
    """
    graph = Graph()
    for triple in ontology:
        graph.add(triple)
    asserted = set(asserted)
    for triple in asserted:
        graph.add(triple)
    before = set(graph)
    owl_rl_expand(graph)
    base = base_iri()
    return {t for t in graph if t not in before and keep_entailment(t, base)}

