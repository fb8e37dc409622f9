"""OWL 2 RL reasoning. Inferred triples are returned apart from the asserted ones.

Two engines give the same entailments about our data (a test checks it on the real graph):

* ``owlrl`` — the reference: owlrl's full OWL 2 RL closure over ontology + data. Its cost
  grows badly with size (about 10 s for 20k triples here).
* ``fast`` — owlrl closes the *ontology alone* (about a thousand triples, ~1 s), and the
  instance-level OWL 2 RL rules our ontology actually uses are then run to a fixpoint over the
  data with hash indexes: cax-sco/cax-eqc (class hierarchy, incl. cls-uni for unions),
  prp-spo1/prp-eqp (property hierarchy), prp-inv1/2, prp-symp, prp-trp, prp-spo2 (property chains),
  prp-dom, prp-rng; and the consistency rules cax-dw, cax-adc, prp-irp. It scales linearly.

Only entailments about our own entities (IRIs under the base IRI) are kept: owlrl's statements
about the W3C vocabularies and about the ontology's terms belong to the ontology, not the data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import owlrl
from owlrl.Namespaces import ERRNS
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from stikg.config import base_iri
from stikg.errors import StikgError

Triple = tuple
ENGINES = ("owlrl", "fast")

# Entailments that say nothing a user can use; kept out of the inferred graph to keep it readable.
_TRIVIAL_OBJECTS = {OWL.Thing, RDFS.Resource}


class InconsistentGraph(StikgError):
    """An OWL 2 RL inconsistency (e.g. an individual in two disjoint classes)."""


_ONTOLOGY_NS = "https://w3id.org/stikg/ontology"


def _keep(triple: Triple, base: str) -> bool:
    s, p, o = triple
    if not isinstance(s, URIRef) or isinstance(o, BNode):
        return False
    text = str(s)
    if not text.startswith(base) or text.startswith(_ONTOLOGY_NS):
        return False
    if p == OWL.sameAs and s == o:
        return False
    return not (p == RDF.type and o in _TRIVIAL_OBJECTS)


def _closure(graph: Graph) -> None:
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
    _closure(graph)
    base = base_iri()
    return {t for t in graph if t not in before and _keep(t, base)}


class Schema:
    """The parts of the (closed) ontology that the instance rules need, as lookup tables."""

    def __init__(self, ontology: Graph):
        closed = Graph()
        for triple in ontology:
            closed.add(triple)
        _closure(closed)
        self.super_classes: dict = defaultdict(set)
        self.super_properties: dict = defaultdict(set)
        self.inverses: dict = defaultdict(set)
        self.domains: dict = defaultdict(set)
        self.ranges: dict = defaultdict(set)
        self.symmetric: set = set(closed.subjects(RDF.type, OWL.SymmetricProperty))
        self.transitive: set = set(closed.subjects(RDF.type, OWL.TransitiveProperty))
        self.irreflexive: set = set(closed.subjects(RDF.type, OWL.IrreflexiveProperty))
        self.functional: set = set(closed.subjects(RDF.type, OWL.FunctionalProperty))
        self.inverse_functional: set = set(closed.subjects(RDF.type, OWL.InverseFunctionalProperty))
        self.chains: list[tuple[URIRef, URIRef, URIRef]] = []
        self.disjoint: set[frozenset] = set()
        for c, d in closed.subject_objects(RDFS.subClassOf):
            if isinstance(c, URIRef) and isinstance(d, URIRef) and c != d:
                self.super_classes[c].add(d)
        for c, d in closed.subject_objects(OWL.equivalentClass):
            if isinstance(c, URIRef) and isinstance(d, URIRef) and c != d:
                self.super_classes[c].add(d)
                self.super_classes[d].add(c)
        for union_class, members in closed.subject_objects(OWL.unionOf):
            for member in Collection(closed, members):
                if isinstance(member, URIRef) and isinstance(union_class, URIRef):
                    self.super_classes[member].add(union_class)
        for p, q in closed.subject_objects(RDFS.subPropertyOf):
            if isinstance(p, URIRef) and isinstance(q, URIRef) and p != q:
                self.super_properties[p].add(q)
        for p, q in closed.subject_objects(OWL.equivalentProperty):
            if isinstance(p, URIRef) and isinstance(q, URIRef) and p != q:
                self.super_properties[p].add(q)
                self.super_properties[q].add(p)
        for p, q in closed.subject_objects(OWL.inverseOf):
            self.inverses[p].add(q)
            self.inverses[q].add(p)
        for p, c in closed.subject_objects(RDFS.domain):
            if isinstance(c, URIRef):
                self.domains[p].add(c)
        for p, c in closed.subject_objects(RDFS.range):
            if isinstance(c, URIRef):
                self.ranges[p].add(c)
        for q, chain in closed.subject_objects(OWL.propertyChainAxiom):
            steps = list(Collection(closed, chain))
            if len(steps) != 2:
                raise StikgError(f"fast reasoner supports two-step property chains only ({q})")
            self.chains.append((steps[0], steps[1], q))
        for c, d in closed.subject_objects(OWL.disjointWith):
            self.disjoint.add(frozenset((c, d)))
        for group in closed.subjects(RDF.type, OWL.AllDisjointClasses):
            for members in closed.objects(group, OWL.members):
                classes = list(Collection(closed, members))
                for i, c in enumerate(classes):
                    for d in classes[i + 1:]:
                        self.disjoint.add(frozenset((c, d)))
        # Make the class hierarchy transitive (the closed ontology already is; unions may add steps).
        changed = True
        while changed:
            changed = False
            for c, supers in list(self.super_classes.items()):
                extra = set().union(*(self.super_classes.get(d, set()) for d in supers)) - supers - {c}
                if extra:
                    supers |= extra
                    changed = True


def fast_closure(asserted: Iterable[Triple], ontology: Graph, schema: Schema | None = None) -> set[Triple]:
    """The instance-level OWL 2 RL closure of the data (see the module docstring for the rules).

    Returns the new triples about our entities, as :func:`owl_rl_closure` does.
    """
    schema = schema or Schema(ontology)
    known: set[Triple] = set(asserted)
    asserted_set = set(known)
    by_sp: dict = defaultdict(set)   # (s, p) -> {o}
    by_po: dict = defaultdict(set)   # (p, o) -> {s}
    todo = list(known)
    for s, p, o in known:
        by_sp[(s, p)].add(o)
        by_po[(p, o)].add(s)
    chains_first = defaultdict(list)
    chains_second = defaultdict(list)
    for first, second, result in schema.chains:
        chains_first[first].append((second, result))
        chains_second[second].append((first, result))

    def add(triple: Triple) -> None:
        if triple not in known:
            known.add(triple)
            s, p, o = triple
            by_sp[(s, p)].add(o)
            by_po[(p, o)].add(s)
            todo.append(triple)

    while todo:
        s, p, o = todo.pop()
        if p == RDF.type:
            for d in schema.super_classes.get(o, ()):
                add((s, RDF.type, d))
            continue
        resource_object = not isinstance(o, Literal)
        for q in schema.super_properties.get(p, ()):
            add((s, q, o))
        for c in schema.domains.get(p, ()):
            add((s, RDF.type, c))
        if resource_object:
            for c in schema.ranges.get(p, ()):
                add((o, RDF.type, c))
            for q in schema.inverses.get(p, ()):
                add((o, q, s))
            if p in schema.symmetric:
                add((o, p, s))
            if p in schema.transitive:
                for z in list(by_sp.get((o, p), ())):
                    add((s, p, z))
                for x in list(by_po.get((p, s), ())):
                    add((x, p, o))
            for second, result in chains_first.get(p, ()):
                for z in list(by_sp.get((o, second), ())):
                    add((s, result, z))
            for first, result in chains_second.get(p, ()):
                for x in list(by_po.get((first, s), ())):
                    add((x, result, o))
    _check_consistency(known, schema)
    _check_no_same_as(by_sp, by_po, schema)
    base = base_iri()
    return {t for t in known if t not in asserted_set and _keep(t, base)}


def _check_no_same_as(by_sp: dict, by_po: dict, schema: Schema) -> None:
    """The fast engine does not implement owl:sameAs reasoning (prp-fp, prp-ifp, eq-*).

    On our data those rules never fire; if they would (a functional property with two values, an
    inverse-functional one shared by two subjects), refuse rather than silently differ from owlrl.
    """
    for (s, p), values in by_sp.items():
        if p in schema.functional and len(values) > 1:
            raise StikgError(f"fast reasoner: {s} has {len(values)} values for functional property {p} "
                             "(owl:sameAs or inconsistency); build with --reasoner owlrl")
    for (p, o), subjects in by_po.items():
        if p in schema.inverse_functional and len(subjects) > 1 and not isinstance(o, Literal):
            raise StikgError(f"fast reasoner: {len(subjects)} subjects share {o} on inverse-functional "
                             f"property {p} (owl:sameAs); build with --reasoner owlrl")


def _check_consistency(triples: set[Triple], schema: Schema) -> None:
    errors = []
    if schema.disjoint:
        types: dict = defaultdict(set)
        for s, p, o in triples:
            if p == RDF.type:
                types[s].add(o)
        for s, classes in types.items():
            for pair in schema.disjoint:
                if pair <= classes:
                    a, b = sorted(pair)
                    errors.append(f"{s} is in disjoint classes {a} and {b}")
    for s, p, o in triples:
        if p in schema.irreflexive and s == o:
            errors.append(f"{s} {p} itself (irreflexive property)")
    if errors:
        raise InconsistentGraph("OWL 2 RL inconsistency: " + "; ".join(sorted(errors)[:5]))


def reason(asserted: Iterable[Triple], ontology: Graph, engine: str = "owlrl") -> set[Triple]:
    """Inferred triples with the chosen engine (``owlrl`` reference or ``fast``)."""
    if engine == "owlrl":
        return owl_rl_closure(asserted, ontology)
    if engine == "fast":
        return fast_closure(asserted, ontology)
    raise StikgError(f"unknown reasoner {engine!r}; choose one of {', '.join(ENGINES)}")
