"""OWL 2 RL reasoning with owlrl. Inferred triples are returned apart from the asserted ones."""

from __future__ import annotations

from collections.abc import Iterable

import owlrl
from owlrl.Namespaces import ERRNS
from rdflib import BNode, Graph, Literal
from rdflib.namespace import OWL, RDF, RDFS

from stikg.errors import StikgError

Triple = tuple

# Entailments that say nothing a user can use; kept out of the inferred graph to keep it readable.
_TRIVIAL_OBJECTS = {OWL.Thing, RDFS.Resource}


class InconsistentGraph(StikgError):
    """owlrl found an OWL 2 RL inconsistency (e.g. an individual in two disjoint classes)."""


def owl_rl_closure(asserted: Iterable[Triple], ontology: Graph) -> set[Triple]:
    """Run owlrl's full OWL 2 RL closure over ontology + asserted data.

    Returns only the new, useful triples about our data: not the input, not owlrl's axiomatic
    schema triples about the W3C vocabularies, not reflexive ``owl:sameAs``, not triples about
    blank nodes or literals. Raises :class:`InconsistentGraph` with owlrl's messages.
    """
    graph = Graph()
    for triple in ontology:
        graph.add(triple)
    asserted = set(asserted)
    for triple in asserted:
        graph.add(triple)
    before = set(graph)
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(graph)
    errors = sorted(str(m) for e in graph.subjects(RDF.type, ERRNS.ErrorMessage)
                    for m in graph.objects(e, ERRNS.error))
    if errors:
        raise InconsistentGraph("OWL 2 RL inconsistency: " + "; ".join(errors[:5]))
    subjects = {s for s, _, _ in asserted} | {o for _, _, o in asserted if not isinstance(o, Literal)}
    inferred = set()
    for s, p, o in graph:
        if (s, p, o) in before or isinstance(s, (BNode, Literal)) or isinstance(o, BNode):
            continue
        if s not in subjects:
            continue  # statements about the ontology's own terms or W3C vocabularies
        if p == OWL.sameAs and s == o:
            continue
        if p == RDF.type and o in _TRIVIAL_OBJECTS:
            continue
        inferred.add((s, p, o))
    return inferred
