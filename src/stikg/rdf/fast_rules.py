"""The fast engine's rules, compiled from the ontology once per build.

:class:`Schema` reads the (owlrl-closed) ontology into lookup tables; :class:`Rules` turns them
into one :class:`Plan` per predicate (and literal-ness of subject and object): everything a single
triple entails on its own, so that :mod:`stikg.rdf.fast_engine` spends one dict lookup per triple.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from stikg.core.errors import StikgError
from stikg.rdf.owl_rl import TRIVIAL_OBJECTS, owl_rl_expand


class Schema:
    """The parts of the (closed) ontology that the instance rules need, as lookup tables."""

    def __init__(self, ontology: Graph):
        closed = Graph()
        for triple in ontology:
            closed.add(triple)
        owl_rl_expand(closed)
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
        self.chains: list[tuple[Node, Node, Node]] = []  # (p1, p2, q): p1 ∘ p2 ⊑ q
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


# --- the fast engine ------------------------------------------------------------------------------
#
# The rules above have one least fixpoint; the engine reaches the same one in three parts:
#
# 1. rdf:type triples feed only cax-sco (and the consistency checks), so classes are gathered per
#    node and closed once at the end. A set of classes is a bit mask (one bit per class), so what is
#    gathered per node is an int, and closing, the cax-dw check and the new classes are worked out
#    once per distinct mask, not once per node.
# 2. A non-type triple (s, p, o) alone entails, through prp-spo1/eqp, prp-inv1/2 and prp-symp, a fixed
#    set of triples (s, q, o) / (o, q, s) and, through prp-dom/prp-rng and cax-sco, fixed sets of
#    classes for s and o. They depend only on p and on which of s, o are literals, so they are worked
#    out once per predicate (a ``Plan``) and each triple costs one dict lookup; triples whose
#    predicate no rule mentions are skipped.
# 3. Only prp-trp and prp-spo2 join two triples: the triples of the predicates they use are indexed
#    (and only those), and a worklist runs the joins; each new triple is expanded as in 2.

LITERAL, BNODE, IRI = 1, 2, 4
TYPE_PLANS = ("rdf:type",)  # marks rdf:type in Rules.plans


class Kinds(dict):
    """type(term) -> LITERAL / BNODE / IRI flags (rdflib's term classes are ABCs, so isinstance is
    slow; one dict lookup on the exact type is not)."""

    def __missing__(self, cls):
        flags = ((LITERAL if issubclass(cls, Literal) else 0) | (BNODE if issubclass(cls, BNode) else 0)
                 | (IRI if issubclass(cls, URIRef) else 0))
        self[cls] = flags
        return flags


class Plan:
    """What one triple (s, p, o) entails on its own, for a given p and literal-ness of s and o."""

    __slots__ = ("fwd", "bwd", "s_group", "o_group", "join_fwd", "join_bwd", "s_type", "o_type",
                 "irreflexive", "func_fwd", "func_bwd", "ifunc_fwd", "ifunc_bwd", "checks")

    def __init__(self):
        self.fwd: list = []          # q: (s, q, o) is entailed (p itself excluded)
        self.bwd: list = []          # q: (o, q, s) is entailed
        self.s_group = -1            # index in Rules.groups of the classes s gets (closed), or -1
        self.o_group = -1
        self.join_fwd: list = []     # q (p included) of entailed (s, q, o) that prp-trp / prp-spo2 join on
        self.join_bwd: list = []
        self.s_type = False          # (s, rdf:type, o) is entailed (a sub-property of rdf:type)
        self.o_type = False          # (o, rdf:type, s)
        self.irreflexive: list = []  # irreflexive q among the entailed triples (p included)
        self.func_fwd: list = []     # functional q of (s, q, o) (p included)
        self.func_bwd: list = []
        self.ifunc_fwd: list = []    # inverse-functional q of (s, q, o) with a non-literal o (p included)
        self.ifunc_bwd: list = []
        self.checks = False          # any of s_type, o_type, irreflexive, func_bwd, ifunc_*


class Rules:
    """The schema compiled for one run of the fast engine: per-predicate plans, class bit masks."""

    def __init__(self, schema: Schema):
        self.type = RDF.type
        canon: dict = {}  # term -> one shared object for it (identity makes set/dict hits cheap)

        def c(term):
            return canon.setdefault(term, term)

        self.canon = canon
        self.super_classes = {c(k): [c(v) for v in vs] for k, vs in schema.super_classes.items()}
        sp = {c(k): [c(v) for v in vs] for k, vs in schema.super_properties.items()}
        inv = {c(k): [c(v) for v in vs] for k, vs in schema.inverses.items()}
        dom = {c(k): [c(v) for v in vs] for k, vs in schema.domains.items()}
        rng = {c(k): [c(v) for v in vs] for k, vs in schema.ranges.items()}
        sym = {c(p) for p in schema.symmetric}
        self.transitive = {c(p) for p in schema.transitive}
        irr = {c(p) for p in schema.irreflexive}
        func = {c(p) for p in schema.functional}
        ifunc = {c(p) for p in schema.inverse_functional}
        self.irreflexive, self.functional, self.inverse_functional = irr, func, ifunc
        self.chains_first: dict = defaultdict(list)
        self.chains_second: dict = defaultdict(list)
        for first, second, result in schema.chains:
            self.chains_first[c(first)].append((c(second), c(result)))
            self.chains_second[c(second)].append((c(first), c(result)))
        self.join = self.transitive | set(self.chains_first) | set(self.chains_second)
        if self.type in self.join or any(r == self.type for _, _, r in schema.chains):
            raise StikgError("fast reasoner: rdf:type in a transitive property or property chain; "
                             "build with --reasoner owlrl")
        self.disjoint = [frozenset(c(x) for x in pair) for pair in schema.disjoint]
        self.trivial = frozenset(c(x) for x in TRIVIAL_OBJECTS)
        self.same_as = c(OWL.sameAs)
        self._closures: dict = {}
        self._bits: dict = {}         # class -> its bit
        self._classes: list = []      # bit number -> class
        self._closure_masks: dict = {}
        self._mask_classes: dict = {}
        self.groups: list[int] = []   # masks of the class sets plans give nodes
        # rdf:type triples are handled apart; every other predicate some rule mentions gets four plans,
        # indexed by 2 * (s is a literal) + (o is a literal).
        mentioned = (set(sp) | set(inv) | sym | self.transitive | set(dom) | set(rng) | irr | func | ifunc
                     | self.join)
        mentioned.discard(self.type)
        self.plans: dict = {p: tuple(self._plan(p, s_lit, o_lit, sp, inv, sym, dom, rng)
                                     for s_lit in (False, True) for o_lit in (False, True))
                            for p in mentioned}
        self.plans[self.type] = TYPE_PLANS
        # The same, keyed by the plain string: data triples rarely share their predicate objects, and
        # rdflib's Python-level __eq__ on every dict hit costs more than str() and a C string compare.
        self.plans_by_text: dict = {}
        for p, plans in self.plans.items():
            self.plans_by_text.setdefault(str(p), []).append((type(p), plans))
        self.uses_same_as = self.same_as in mentioned or any(r == self.same_as for _, _, r in schema.chains)

    def closure(self, cls) -> frozenset:
        """cls and all its super classes (cax-sco, cax-eqc, cls-uni)."""
        found = self._closures.get(cls)
        if found is None:
            seen = {cls}
            stack = [cls]
            while stack:
                for d in self.super_classes.get(stack.pop(), ()):
                    if d not in seen:
                        seen.add(d)
                        stack.append(d)
            found = self._closures[cls] = frozenset(seen)
        return found

    def bit(self, cls) -> int:
        found = self._bits.get(cls)
        if found is None:
            found = self._bits[cls] = 1 << len(self._classes)
            self._classes.append(cls)
        return found

    def mask(self, classes: Iterable) -> int:
        mask = 0
        for cls in classes:
            mask |= self.bit(cls)
        return mask

    def closure_mask(self, cls) -> int:
        """The mask of :meth:`closure` (cls is canonical)."""
        found = self._closure_masks.get(cls)
        if found is None:
            found = self._closure_masks[cls] = self.mask(self.closure(cls))
        return found

    def classes(self, mask: int) -> frozenset:
        found = self._mask_classes.get(mask)
        if found is None:
            found = self._mask_classes[mask] = frozenset(
                cls for i, cls in enumerate(self._classes) if mask >> i & 1)
        return found

    def _group(self, classes: set) -> int:
        if not classes:
            return -1
        mask = self.mask(classes)
        if mask not in self.groups:
            self.groups.append(mask)
        return self.groups.index(mask)

    def _plan(self, p, s_lit: bool, o_lit: bool, sp, inv, sym, dom, rng) -> Plan:
        # States (q, flipped): (s, q, o) is entailed, or (o, q, s) when flipped.
        root = (p, False)
        seen = {root}
        stack = [root]
        while stack:
            q, flipped = stack.pop()
            if q == self.type:
                continue  # a type triple: only cax-sco applies
            object_literal = s_lit if flipped else o_lit
            following = [(r, flipped) for r in sp.get(q, ())]
            if not object_literal:
                following += [(r, not flipped) for r in inv.get(q, ())]
                if q in sym:
                    following.append((q, not flipped))
            for state in following:
                if state not in seen:
                    seen.add(state)
                    stack.append(state)
        plan = Plan()
        s_classes: set = set()
        o_classes: set = set()
        irreflexive: set = set()
        for q, flipped in sorted(seen, key=lambda state: (str(state[0]), state[1])):
            object_literal = s_lit if flipped else o_lit
            if q == self.type:
                if flipped:
                    plan.o_type = True
                else:
                    plan.s_type = True
                continue
            subject_classes, object_classes = (o_classes, s_classes) if flipped else (s_classes, o_classes)
            for cls in dom.get(q, ()):
                subject_classes |= self.closure(cls)
            if not object_literal:
                for cls in rng.get(q, ()):
                    object_classes |= self.closure(cls)
            if (q, flipped) != root:
                (plan.bwd if flipped else plan.fwd).append(q)
            if q in self.join:
                (plan.join_bwd if flipped else plan.join_fwd).append(q)
            if q in self.irreflexive:
                irreflexive.add(q)
            if q in self.functional:
                (plan.func_bwd if flipped else plan.func_fwd).append(q)
            if q in self.inverse_functional and not object_literal:
                (plan.ifunc_bwd if flipped else plan.ifunc_fwd).append(q)
        plan.s_group, plan.o_group = self._group(s_classes), self._group(o_classes)
        plan.irreflexive = sorted(irreflexive, key=str)
        plan.checks = bool(plan.s_type or plan.o_type or plan.irreflexive or plan.func_bwd
                           or plan.ifunc_fwd or plan.ifunc_bwd)
        return plan


