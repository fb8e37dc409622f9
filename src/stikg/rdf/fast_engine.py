"""The fast OWL 2 RL engine: the instance rules our ontology uses, run to a fixpoint over the data.

owlrl closes the *ontology alone* (about a thousand triples, ~1 s, in :class:`~stikg.rdf.fast_rules.Schema`);
the rules compiled from it (:mod:`stikg.rdf.fast_rules`) then run here with hash indexes, one
named step each (:func:`_fast_closure`). It scales linearly: see :mod:`stikg.rdf.reasoning`.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat

from rdflib import Graph

from stikg.core.config import base_iri
from stikg.core.errors import StikgError
from stikg.rdf.fast_rules import BNODE, IRI, LITERAL, TYPE_PLANS, Kinds, Plan, Rules, Schema
from stikg.rdf.owl_rl import ONTOLOGY_NS, InconsistentGraph
from stikg.rdf.vocab import Triple


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
        return _fast_closure(asserted, Rules(schema or Schema(ontology)))
    finally:
        if collecting:
            gc.enable()


@dataclass
class _Run:
    """The working state of one fast closure, shared by its rule steps."""

    rules: Rules
    asserted: set[Triple] | frozenset[Triple]
    base: str = field(default_factory=base_iri)
    kinds: Kinds = field(default_factory=Kinds)
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
        return bool(flags & IRI) and str.startswith(node, self.base) and not str.startswith(node, ONTOLOGY_NS)


def _fast_closure(asserted: Iterable[Triple], rules: Rules) -> set[Triple]:
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

    def checks(s, o, plan: Plan) -> None:
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

    def expand(s, o, s_flags: int, o_flags: int, plan: Plan) -> None:
        """Apply one plan to the triple (s, p, o)."""
        if plan.s_group >= 0:
            members[plan.s_group].append(s)
        if plan.o_group >= 0:
            members[plan.o_group].append(o)
        if (plan.fwd and not o_flags & BNODE and s_flags & IRI and str.startswith(s, base)
                and not str.startswith(s, ONTOLOGY_NS)):
            for q in plan.fwd:
                derived_add((s, q, o))
        if (plan.bwd and not s_flags & BNODE and o_flags & IRI and str.startswith(o, base)
                and not str.startswith(o, ONTOLOGY_NS)):
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
    plans_get, plans_by_text, canon, type_plans = rules.plans.get, rules.plans_by_text.get, rules.canon, TYPE_PLANS
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
        expand(s, o, s_flags, o_flags, plans[(s_flags & LITERAL) << 1 | (o_flags & LITERAL)])


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
        if not o_flags & BNODE and run.ours(s, s_flags):
            derived_add(triple)
        plans = plans_get(p)
        if plans is not None:
            expand(s, o, s_flags, o_flags, plans[(s_flags & LITERAL) << 1 | (o_flags & LITERAL)])

    transitive, chains_first, chains_second = rules.transitive, rules.chains_first, rules.chains_second
    while todo:
        s, p, o = todo.pop()
        if kinds[type(o)] & LITERAL:
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
    excluded = rules.trivial | {cls for _, cls in odd_types if kinds[type(cls)] & BNODE}

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
                    if not kinds[type(cls)] & LITERAL:
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


