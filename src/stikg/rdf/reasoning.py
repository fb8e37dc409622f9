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

import gc
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat

import owlrl
from owlrl.Namespaces import ERRNS
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from stikg.core.config import base_iri
from stikg.core.errors import StikgError
from stikg.rdf.vocab import Triple

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
#    out once per predicate (a ``_Plan``) and each triple costs one dict lookup; triples whose
#    predicate no rule mentions are skipped.
# 3. Only prp-trp and prp-spo2 join two triples: the triples of the predicates they use are indexed
#    (and only those), and a worklist runs the joins; each new triple is expanded as in 2.

_LITERAL, _BNODE, _IRI = 1, 2, 4
_TYPE_PLANS = ("rdf:type",)  # marks rdf:type in _Rules.plans


class _Kinds(dict):
    """type(term) -> _LITERAL / _BNODE / _IRI flags (rdflib's term classes are ABCs, so isinstance is
    slow; one dict lookup on the exact type is not)."""

    def __missing__(self, cls):
        flags = ((_LITERAL if issubclass(cls, Literal) else 0) | (_BNODE if issubclass(cls, BNode) else 0)
                 | (_IRI if issubclass(cls, URIRef) else 0))
        self[cls] = flags
        return flags


class _Plan:
    """What one triple (s, p, o) entails on its own, for a given p and literal-ness of s and o."""

    __slots__ = ("fwd", "bwd", "s_group", "o_group", "join_fwd", "join_bwd", "s_type", "o_type",
                 "irreflexive", "func_fwd", "func_bwd", "ifunc_fwd", "ifunc_bwd", "checks")

    def __init__(self):
        self.fwd: list = []          # q: (s, q, o) is entailed (p itself excluded)
        self.bwd: list = []          # q: (o, q, s) is entailed
        self.s_group = -1            # index in _Rules.groups of the classes s gets (closed), or -1
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


class _Rules:
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
        self.trivial = frozenset(c(x) for x in _TRIVIAL_OBJECTS)
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
        self.plans[self.type] = _TYPE_PLANS
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

    def _plan(self, p, s_lit: bool, o_lit: bool, sp, inv, sym, dom, rng) -> _Plan:
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
        plan = _Plan()
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


def fast_closure(asserted: Iterable[Triple], ontology: Graph, schema: Schema | None = None) -> set[Triple]:
    """The instance-level OWL 2 RL closure of the data (see the module docstring for the rules).

    Returns the new triples about our entities, as :func:`owl_rl_closure` does. Raises
    :class:`InconsistentGraph` (cax-dw, prp-irp), and :class:`StikgError` where owlrl would derive
    owl:sameAs (prp-fp, prp-ifp), which this engine does not implement.
    """
    # A run allocates about a million tuples, lists and sets and makes no reference cycles: the
    # cyclic garbage collector would only rescan the growing heap, again and again (it doubled the
    # run time on the 1.1M-triple graph).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _fast_closure(asserted, _Rules(schema or Schema(ontology)))
    finally:
        if collecting:
            gc.enable()


@dataclass
class _Run:
    """The working state of one fast closure, shared by its rule steps."""

    rules: _Rules
    asserted: set
    base: str = field(default_factory=base_iri)
    kinds: _Kinds = field(default_factory=_Kinds)
    asserted_types: dict = field(default_factory=dict)  # node -> its asserted classes (canonical)
    members: list = field(default_factory=list)  # per class group: the nodes given it (repeats)
    odd_types: list = field(default_factory=list)  # (node, class) entailed through a sub-property of rdf:type
    derived: set = field(default_factory=set)  # entailed non-type triples about our entities
    join_known: set = field(default_factory=set)
    by_sp: dict = field(default_factory=lambda: defaultdict(set))  # (s, p) -> {o}, for prp-trp / prp-spo2
    by_po: dict = field(default_factory=lambda: defaultdict(set))  # (p, o) -> {s}
    todo: list = field(default_factory=list)
    irreflexive_hits: set = field(default_factory=set)  # (x, p): (x, p, x) holds for an irreflexive p
    functional_values: dict = field(default_factory=dict)  # p -> {s: first o}
    functional_clash: dict = field(default_factory=dict)  # (s, p) -> {o}, when more than one
    ifunctional_subjects: dict = field(default_factory=dict)  # p -> {o: first s}
    ifunctional_clash: dict = field(default_factory=dict)  # (p, o) -> {s}, when more than one

    def __post_init__(self) -> None:
        self.members = [[] for _ in self.rules.groups]
        self.functional_values = {p: {} for p in self.rules.functional}
        self.ifunctional_subjects = {p: {} for p in self.rules.inverse_functional}

    def ours(self, node, flags: int) -> bool:
        """Whether triples about ``node`` are kept (an IRI under the base, not an ontology term)."""
        return bool(flags & _IRI) and str.startswith(node, self.base) and not str.startswith(node, _ONTOLOGY_NS)


def _fast_closure(asserted: Iterable[Triple], rules: _Rules) -> set[Triple]:
    """The fast engine, rule step by rule step (each a function below)."""
    run = _Run(rules, asserted if isinstance(asserted, (set, frozenset)) else set(asserted))
    expand = _plan_expander(run)
    _expand_asserted(run, expand)
    _join_to_fixpoint(run, expand)
    inferred = _type_closure(run)
    _refuse_same_as(run)
    return inferred


def _plan_expander(run: _Run):
    """The per-triple rules (prp-dom, prp-rng, prp-spo1, prp-inv, prp-symp, and the bookkeeping
    of prp-irp, prp-fp, prp-ifp) as one closure over the run's state, applying a triple's plan.
    A closure with local names, not methods: it runs once per triple (a million times at scale)."""
    members, odd_types, derived_add = run.members, run.odd_types, run.derived.add
    join_known, by_sp, by_po, todo = run.join_known, run.by_sp, run.by_po, run.todo
    irreflexive_hits, functional_values, functional_clash = run.irreflexive_hits, run.functional_values, run.functional_clash
    ifunctional_subjects, ifunctional_clash, base = run.ifunctional_subjects, run.ifunctional_clash, run.base

    def join_add(triple) -> None:
        if triple not in join_known:
            join_known.add(triple)
            s, p, o = triple
            by_sp[(s, p)].add(o)
            by_po[(p, o)].add(s)
            todo.append(triple)

    def clash(first, value, clashes: dict, key) -> None:
        """A functional (inverse-functional) property has a second value, unless it equals the first."""
        if first != value:
            clashes.setdefault(key, {first}).add(value)

    def checks(s, o, plan: _Plan) -> None:
        """The rarely needed parts of a plan."""
        if plan.s_type:
            odd_types.append((s, o))
        if plan.o_type:
            odd_types.append((o, s))
        if plan.irreflexive and (s is o or s == o):
            irreflexive_hits.update((s, q) for q in plan.irreflexive)
        for q in plan.func_bwd:
            first = functional_values[q].setdefault(o, s)
            if first is not s:
                clash(first, s, functional_clash, (o, q))
        for q in plan.ifunc_fwd:
            first = ifunctional_subjects[q].setdefault(o, s)
            if first is not s:
                clash(first, s, ifunctional_clash, (q, o))
        for q in plan.ifunc_bwd:
            first = ifunctional_subjects[q].setdefault(s, o)
            if first is not o:
                clash(first, o, ifunctional_clash, (q, s))

    def expand(s, o, s_flags: int, o_flags: int, plan: _Plan) -> None:
        """Apply one plan to the triple (s, p, o)."""
        if plan.s_group >= 0:
            members[plan.s_group].append(s)
        if plan.o_group >= 0:
            members[plan.o_group].append(o)
        if (plan.fwd and not o_flags & _BNODE and s_flags & _IRI and str.startswith(s, base)
                and not str.startswith(s, _ONTOLOGY_NS)):
            for q in plan.fwd:
                derived_add((s, q, o))
        if (plan.bwd and not s_flags & _BNODE and o_flags & _IRI and str.startswith(o, base)
                and not str.startswith(o, _ONTOLOGY_NS)):
            for q in plan.bwd:
                derived_add((o, q, s))
        for q in plan.join_fwd:
            join_add((s, q, o))
        for q in plan.join_bwd:
            join_add((o, q, s))
        for q in plan.func_fwd:  # the common check, inline
            first = functional_values[q].setdefault(s, o)
            if first is not o:
                clash(first, o, functional_clash, (s, q))
        if plan.checks:
            checks(s, o, plan)

    return expand


def _expand_asserted(run: _Run, expand) -> None:
    """Step 1: every asserted triple — types kept apart, every other one expanded by its
    predicate's plan."""
    rules, kinds, asserted_types = run.rules, run.kinds, run.asserted_types
    plans_get, plans_by_text, canon, type_plans = rules.plans.get, rules.plans_by_text.get, rules.canon, _TYPE_PLANS
    for s, p, o in run.asserted:
        candidates = plans_by_text(str(p))
        if candidates is None:
            continue  # no rule mentions p
        p_type, plans = candidates[0]
        if p_type is not type(p) or len(candidates) > 1:
            plans = plans_get(p)  # an unusual term type: exact lookup
            if plans is None:
                continue
        if plans is type_plans:
            classes = asserted_types.get(s)
            if classes is None:
                asserted_types[s] = {canon.setdefault(o, o)}
            else:
                classes.add(canon.setdefault(o, o))
            continue
        s_flags = kinds[type(s)]
        o_flags = kinds[type(o)]
        expand(s, o, s_flags, o_flags, plans[(s_flags & _LITERAL) << 1 | (o_flags & _LITERAL)])


def _join_to_fixpoint(run: _Run, expand) -> None:
    """Step 2: prp-trp (transitive properties) and prp-spo2 (property chains) on the indexed
    triples, to a fixpoint; each new triple is expanded by its own plan in turn."""
    rules, kinds, asserted, derived_add = run.rules, run.kinds, run.asserted, run.derived.add
    by_sp, by_po, todo, plans_get = run.by_sp, run.by_po, run.todo, rules.plans.get
    new_roots: set = set()

    def entail(s, p, o) -> None:
        triple = (s, p, o)
        if triple in new_roots or triple in asserted:
            return
        new_roots.add(triple)
        s_flags = kinds[type(s)]
        o_flags = kinds[type(o)]
        if not o_flags & _BNODE and run.ours(s, s_flags):
            derived_add(triple)
        plans = plans_get(p)
        if plans is not None:
            expand(s, o, s_flags, o_flags, plans[(s_flags & _LITERAL) << 1 | (o_flags & _LITERAL)])

    transitive, chains_first, chains_second = rules.transitive, rules.chains_first, rules.chains_second
    while todo:
        s, p, o = todo.pop()
        if kinds[type(o)] & _LITERAL:
            continue
        if p in transitive:
            for z in list(by_sp.get((o, p), ())):
                entail(s, p, z)
            for x in list(by_po.get((p, s), ())):
                entail(x, p, o)
        for second, result in chains_first.get(p, ()):
            for z in list(by_sp.get((o, second), ())):
                entail(s, result, z)
        for first, result in chains_second.get(p, ()):
            for x in list(by_po.get((first, s), ())):
                entail(x, result, o)


def _type_closure(run: _Run) -> set[Triple]:
    """Step 3: types. Each node's classes as a mask — what prp-dom / prp-rng gave it (closed),
    then the closure of what it was asserted or entailed to be (cax-sco) — with cax-dw (disjoint
    classes) and the checks of rdf:type as an irreflexive / (inverse-)functional property. Returns
    every inferred triple (the non-type ones of steps 1–2 included)."""
    rules, kinds, canon, odd_types = run.rules, run.kinds, run.rules.canon, run.odd_types
    type_ = rules.type
    inferred = run.derived - run.asserted
    if rules.uses_same_as:
        inferred = {t for t in inferred if not (t[1] == rules.same_as and t[0] == t[2])}
    entailed: dict = {}  # node -> mask
    entailed_get = entailed.get
    for mask, nodes in zip(rules.groups, run.members, strict=True):
        for node in dict.fromkeys(nodes):  # each node once (deduplicated in C)
            entailed[node] = entailed_get(node, 0) | mask
    for node, cls in odd_types:
        entailed[node] = entailed_get(node, 0) | rules.closure_mask(canon.setdefault(cls, cls))
    excluded = rules.trivial | {cls for _, cls in odd_types if kinds[type(cls)] & _BNODE}

    errors: list[str] = []
    type_checks = type_ in rules.irreflexive or type_ in rules.functional or type_ in rules.inverse_functional
    type_subjects: dict = defaultdict(set)  # only for an inverse-functional rdf:type
    outcomes: dict = {}  # (mask, asserted mask) -> (classes, new classes, disjoint pairs)
    inferred_update = inferred.update

    def outcome(mask: int, asserted_mask: int) -> tuple:
        classes = rules.classes(mask)
        clashes = [tuple(sorted(pair)) for pair in rules.disjoint if pair <= classes]
        return classes, classes - rules.classes(asserted_mask) - excluded, clashes

    def finish(node, mask: int, asserted_mask: int) -> None:
        key = (mask, asserted_mask)
        found = outcomes.get(key)
        if found is None:
            found = outcomes[key] = outcome(mask, asserted_mask)
        classes, new, clashes = found
        for a, b in clashes:
            errors.append(f"{node} is in disjoint classes {a} and {b}")
        if type_checks:
            if type_ in rules.irreflexive and node in classes:
                run.irreflexive_hits.add((node, type_))
            if type_ in rules.functional and len(classes) > 1:
                run.functional_clash[(node, type_)] = set(classes)
            if type_ in rules.inverse_functional:
                for cls in classes:
                    if not kinds[type(cls)] & _LITERAL:
                        type_subjects[cls].add(node)
        if new and run.ours(node, kinds[type(node)]):
            inferred_update(zip(repeat(node), repeat(type_), new))

    closure_mask, bit = rules.closure_mask, rules.bit
    for node, asserted_classes in run.asserted_types.items():
        mask = entailed.pop(node, 0)
        asserted_mask = 0
        for cls in asserted_classes:
            mask |= closure_mask(cls)
            asserted_mask |= bit(cls)
        finish(node, mask, asserted_mask)
    for node, mask in entailed.items():
        finish(node, mask, 0)
    for cls, nodes in type_subjects.items():
        if len(nodes) > 1:
            run.ifunctional_clash[(type_, cls)] = nodes
    errors.extend(f"{x} {p} itself (irreflexive property)" for x, p in run.irreflexive_hits)
    if errors:
        raise InconsistentGraph("OWL 2 RL inconsistency: " + "; ".join(sorted(errors)[:5]))
    return inferred


def _refuse_same_as(run: _Run) -> None:
    """Step 4: the fast engine does not implement owl:sameAs reasoning (prp-fp, prp-ifp, eq-*).
    On our data those rules never fire; if they would (a functional property with two values, an
    inverse-functional one shared by two subjects), refuse rather than silently differ from owlrl."""
    if run.functional_clash:
        (s, p), values = min(run.functional_clash.items(), key=lambda item: (str(item[0][1]), str(item[0][0])))
        raise StikgError(f"fast reasoner: {s} has {len(values)} values for functional property {p} "
                         "(owl:sameAs or inconsistency); build with --reasoner owlrl")
    if run.ifunctional_clash:
        (p, o), subjects = min(run.ifunctional_clash.items(), key=lambda item: (str(item[0][0]), str(item[0][1])))
        raise StikgError(f"fast reasoner: {len(subjects)} subjects share {o} on inverse-functional "
                         f"property {p} (owl:sameAs); build with --reasoner owlrl")


def reason(asserted: Iterable[Triple], ontology: Graph, engine: str = "owlrl") -> set[Triple]:
    """Inferred triples with the chosen engine (``owlrl`` reference or ``fast``)."""
    if engine == "owlrl":
        return owl_rl_closure(asserted, ontology)
    if engine == "fast":
        return fast_closure(asserted, ontology)
    raise StikgError(f"unknown reasoner {engine!r}; choose one of {', '.join(ENGINES)}")
