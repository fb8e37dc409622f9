"""Which focus nodes can have a SHACL result: a fast, conservative pre-pass before pyshacl.

pyshacl stays the validator: it writes every result, message and report triple. What makes it
slow on a national corpus is that it walks every target of every shape in Python over rdflib.
On a healthy graph almost every focus node conforms, so this module evaluates the shapes'
constraints over plain hash indexes of the triples and answers, per focus node, *certainly
conforms* or *may not conform*. Only the second kind (the "suspects") is handed to pyshacl as
its ``focus_nodes``, against the whole data graph, so the report is pyshacl's own.

The evaluation is three-valued: ``True`` (conforms), ``False`` (does not), ``None`` (cannot
tell — an unsupported constraint, a literal comparison it does not model, …). ``False`` and
``None`` both make a suspect, so an unknown feature costs time, never a missed result. Shapes
whose targets it cannot compute (``sh:target`` with SHACL-AF SPARQL targets, focus nodes that
are blank nodes) are "opaque": pyshacl validates them over the whole graph, unfiltered.
tests/test_validation_fast.py checks the combined report equals pyshacl's whole-graph report on
the real graph, on a synthetic corpus and on graphs broken in every way the shapes check.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD

from stikg.rdf.vocab import Triple

Verdict = bool | None

TARGET_PREDICATES = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)

# Shape-level predicates that carry no constraint.
_NON_CONSTRAINTS = {
    RDF.type, SH.name, SH.description, SH.message, SH.severity, SH.order, SH.group, SH.defaultValue,
    SH.path, SH.property, SH.deactivated, RDFS.label, RDFS.comment, SH.targetClass, SH.targetNode,
    SH.targetSubjectsOf, SH.targetObjectsOf, SH.target, SH.qualifiedMinCount, SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint, SH.flags, RDFS.seeAlso, RDFS.isDefinedBy,
}
_NUMERIC = (int, float, Decimal)
# rdflib namespace attributes are built on every access; the hot loops use these constants.
_TYPE = RDF.type
_SUBCLASS_OF = frozenset([RDFS.subClassOf])
_MISSING = object()


@dataclass(frozen=True)
class ShapeInfo:
    """What the evaluation needs of one shape, read once from the shapes graph."""

    path: object
    deactivated: bool
    constraints: tuple
    properties: tuple


def _kind(predicate) -> str:
    """The local name of a SHACL constraint parameter; anything else keeps its full IRI."""
    text = str(predicate)
    return text[len(str(SH)):] if text.startswith(str(SH)) else text


class Unsupported(Exception):
    """The shapes use something this pre-pass does not model at all (validate the plain way)."""


@dataclass
class PrefilterResult:
    """Focus nodes pyshacl must validate, and the shapes it must validate unfiltered."""

    suspects: set = field(default_factory=set)
    opaque_shapes: set = field(default_factory=set)
    focus_checked: int = 0


class DataIndex:
    """Hash indexes over the data triples (plus the ontology, as pyshacl mixes it in)."""

    def __init__(self, triples: Iterable[Triple], ontology: Graph | None, inverse_predicates: set):
        triples = triples if isinstance(triples, (set, frozenset)) else set(triples)
        by_sp: dict = defaultdict(list)
        by_po: dict = defaultdict(list)
        supers: dict = defaultdict(set)
        inverse = frozenset(inverse_predicates)
        extra = [] if ontology is None else [t for t in ontology if t not in triples]
        for source in (triples, extra):
            for s, p, o in source:
                by_sp[(s, p)].append(o)
                if p in inverse:
                    by_po[(p, o)].append(s)
                if p in _SUBCLASS_OF:
                    supers[s].add(o)
        self.by_sp = by_sp
        self.by_po = by_po
        self.inverse_predicates = inverse
        self.supers = supers
        self._closure_cache: dict = {}
        self._instances: dict = {}

    def objects(self, s, p) -> list:
        return self.by_sp.get((s, p), [])

    def subjects(self, p, o) -> list:
        if p not in self.inverse_predicates:
            raise Unsupported(f"inverse lookups of {p} were not indexed")
        return self.by_po.get((p, o), [])

    def super_closure(self, c) -> set:
        """``c`` and every class it is a rdfs:subClassOf* of."""
        cached = self._closure_cache.get(c)
        if cached is None:
            cached, todo = {c}, [c]
            while todo:
                for d in self.supers.get(todo.pop(), ()):
                    if d not in cached:
                        cached.add(d)
                        todo.append(d)
            self._closure_cache[c] = cached
        return cached

    def is_instance(self, node, c) -> bool:
        if isinstance(node, Literal):
            return False
        return any(c in self.super_closure(t) for t in self.objects(node, _TYPE))

    def instances(self, c) -> list:
        """SHACL instances of ``c`` (rdf:type/rdfs:subClassOf*)."""
        if not self._instances:
            for (s, p), types in self.by_sp.items():
                if p == _TYPE:
                    for t in types:
                        self._instances.setdefault(t, []).append(s)
        found: dict = {}
        for d in sorted({*self.supers, *self._instances, c}, key=str):
            if c in self.super_closure(d):
                found.update(dict.fromkeys(self._instances.get(d, ())))
        return list(found)


class ShapesModel:
    """The shapes graph, read once: constraints per shape, parsed paths and lists."""

    def __init__(self, shapes: Graph):
        self.graph = shapes
        if any(True for _ in shapes.triples((None, SH.rule, None))) or \
                any(True for _ in shapes.triples((None, SH.parameter, None))):
            raise Unsupported("SHACL rules or custom constraint components")
        for cls in (RDFS.Class, OWL.Class):
            for shape in shapes.subjects(RDF.type, cls):
                if (shape, RDF.type, SH.NodeShape) in shapes or (shape, RDF.type, SH.PropertyShape) in shapes:
                    raise Unsupported(f"implicit class target on {shape}")
        self.constraints: dict = {}
        self._lists: dict = {}
        self._paths: dict = {}
        self._qualified: dict = {}
        self._flags: dict = {}

    def values(self, shape, predicate) -> list:
        return list(self.graph.objects(shape, predicate))

    def value(self, shape, predicate):
        return self.graph.value(shape, predicate)

    def info(self, shape) -> ShapeInfo:
        cached = self.constraints.get(shape)
        if cached is None:
            deactivated = self.graph.value(shape, SH.deactivated)
            cached = ShapeInfo(
                path=self.graph.value(shape, SH.path),
                deactivated=isinstance(deactivated, Literal) and deactivated.toPython() is True,
                constraints=tuple(sorted((_kind(p), o) for p, o in self.graph.predicate_objects(shape)
                                         if p not in _NON_CONSTRAINTS)),
                properties=tuple(sorted(self.graph.objects(shape, SH.property), key=str)),
            )
            self.constraints[shape] = cached
        return cached

    def rdf_list(self, node) -> list:
        cached = self._lists.get(node)
        if cached is None:
            cached = list(Collection(self.graph, node))
            self._lists[node] = cached
        return cached

    def qualified(self, shape) -> tuple:
        """(qualifiedValueShapesDisjoint, qualifiedMinCount, qualifiedMaxCount) of a shape."""
        cached = self._qualified.get(shape)
        if cached is None:
            disjoint = self.graph.value(shape, SH.qualifiedValueShapesDisjoint)
            cached = (isinstance(disjoint, Literal) and disjoint.toPython() is True,
                      self.graph.value(shape, SH.qualifiedMinCount),
                      self.graph.value(shape, SH.qualifiedMaxCount))
            self._qualified[shape] = cached
        return cached

    def flags(self, shape) -> int:
        """The ``re`` flags of a shape's sh:flags."""
        cached = self._flags.get(shape)
        if cached is None:
            cached = 0
            for letter in str(self.graph.value(shape, SH.flags) or ""):
                cached |= {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}.get(letter, 0)
            self._flags[shape] = cached
        return cached

    def compiled_path(self, path):
        """``(kind, argument)`` for a SHACL path, or ``None`` for the kinds not modelled."""
        if path in self._paths:
            return self._paths[path]
        graph = self.graph
        compiled = None
        if isinstance(path, URIRef):
            compiled = ("predicate", path)
        elif (path, RDF.first, None) in graph:
            compiled = ("sequence", tuple(self.rdf_list(path)))
        elif isinstance(graph.value(path, SH.inversePath), URIRef):
            compiled = ("inverse", graph.value(path, SH.inversePath))
        elif graph.value(path, SH.alternativePath) is not None:
            compiled = ("alternative", tuple(self.rdf_list(graph.value(path, SH.alternativePath))))
        # zeroOrMore, oneOrMore, zeroOrOne, nested inverse paths: left to pyshacl (None)
        self._paths[path] = compiled
        return compiled

    def top_level_shapes(self) -> list:
        shapes = {s for p in TARGET_PREDICATES for s in self.graph.subjects(p, None)}
        return sorted(shapes, key=str)


class Prefilter:
    """Evaluates shapes over a :class:`DataIndex` in three-valued logic."""

    def __init__(self, model: ShapesModel, data: DataIndex):
        self.model = model
        self.data = data
        self.memo: dict = {}

    # --- paths -------------------------------------------------------------------------------

    def path_values(self, focus, path) -> list | None:
        """Value nodes of ``path`` from ``focus`` (``None``: a path kind left to pyshacl)."""
        compiled = self.model.compiled_path(path)
        if compiled is None:
            return None
        kind, arg = compiled
        if kind == "predicate":
            return self.data.objects(focus, arg)
        if kind == "inverse":
            return self.data.subjects(arg, focus)
        if kind == "sequence":
            nodes = [focus]
            for step in arg:
                nxt: dict = {}
                for node in nodes:
                    values = self.path_values(node, step)
                    if values is None:
                        return None
                    nxt.update(dict.fromkeys(values))
                nodes = list(nxt)
            return nodes
        out: dict = {}
        for step in arg:  # alternative
            values = self.path_values(focus, step)
            if values is None:
                return None
            out.update(dict.fromkeys(values))
        return list(out)

    # --- shapes ------------------------------------------------------------------------------

    def nested(self, shape, node) -> Verdict:
        """:meth:`conforms` for shapes used inside others (memoised: the same values recur)."""
        key = (shape, node)
        cached = self.memo.get(key, _MISSING)
        if cached is _MISSING:
            cached = self.memo[key] = self.conforms(shape, node)
        return cached

    def conforms(self, shape, focus) -> Verdict:
        """Does ``focus`` conform to ``shape`` (no result of any severity)?"""
        info = self.model.info(shape)
        if info.deactivated:
            return True
        path = info.path
        if path is not None:
            values = self.path_values(focus, path)
            if values is None:
                return None
        else:
            values = [focus]
        verdict: Verdict = True
        for predicate, parameter in info.constraints:
            result = self.constraint(shape, predicate, parameter, focus, values, path)
            if result is False:
                return False
            if result is None:
                verdict = None
        for prop in info.properties:
            result = self.conforms(prop, focus) if path is None else self._all(prop, values)
            if result is False:
                return False
            if result is None:
                verdict = None
        return verdict

    def _all(self, shape, nodes) -> Verdict:
        verdict: Verdict = True
        for node in nodes:
            result = self.conforms(shape, node)
            if result is False:
                return False
            if result is None:
                verdict = None
        return verdict

    def constraint(self, shape, kind: str, parameter, focus, values, path) -> Verdict:  # noqa: C901
        """One constraint component (``kind`` is its local name) on the value nodes."""
        if kind == "minCount":
            return len(values) >= int(parameter) if path is not None else None
        if kind == "maxCount":
            return len(values) <= int(parameter) if path is not None else None
        if kind == "qualifiedValueShape":
            return self._qualified(shape, parameter, values)
        if kind == "uniqueLang":
            if not (isinstance(parameter, Literal) and parameter.toPython() is True):
                return True
            langs = [v.language.lower() for v in values if isinstance(v, Literal) and v.language]
            return len(langs) == len(set(langs))
        if kind in ("equals", "disjoint", "lessThan", "lessThanOrEquals"):
            others = self.data.objects(focus, parameter)
            if kind == "equals":
                return set(values) == set(others)
            if kind == "disjoint":
                return not (set(values) & set(others))
            return _all_compare(values, others, strict=kind == "lessThan")
        if kind == "hasValue":
            return parameter in values
        if kind == "ignoredProperties":
            return True
        if kind == "closed":
            return None if isinstance(parameter, Literal) and parameter.toPython() is True else True
        if kind in ("node", "not", "or", "and", "xone"):
            return self._logical(kind, parameter, values)
        check = _VALUE_CHECKS.get(kind)
        if check is None:
            return None  # sh:sparql, sh:js, anything new: pyshacl decides
        verdict: Verdict = True
        for value in values:
            result = check(self, parameter, value, shape)
            if result is False:
                return False
            if result is None:
                verdict = None
        return verdict

    def _logical(self, kind: str, parameter, values) -> Verdict:
        verdict: Verdict = True
        members = self.model.rdf_list(parameter) if kind in ("or", "and", "xone") else []
        for value in values:
            if kind == "node":
                result = self.nested(parameter, value)
            elif kind == "not":
                inner = self.nested(parameter, value)
                result = None if inner is None else not inner
            else:
                outcomes = [self.nested(member, value) for member in members]
                if kind == "or":
                    result = True if True in outcomes else (None if None in outcomes else False)
                elif kind == "and":
                    result = False if False in outcomes else (None if None in outcomes else True)
                else:
                    result = None if None in outcomes else outcomes.count(True) == 1
            if result is False:
                return False
            if result is None:
                verdict = None
        return verdict

    def _qualified(self, shape, inner, values) -> Verdict:
        disjoint, low, high = self.model.qualified(shape)
        if disjoint:
            return None  # needs the sibling shapes; leave to pyshacl
        outcomes = [self.nested(inner, v) for v in values]
        if None in outcomes:
            return None
        count = outcomes.count(True)
        if low is not None and count < int(low):
            return False
        return not (high is not None and count > int(high))

    # --- targets -----------------------------------------------------------------------------

    def targets(self, shape) -> list | None:
        """The shape's focus nodes, or ``None`` when only pyshacl can find them."""
        graph = self.model.graph
        if (shape, SH.target, None) in graph:
            return None
        found: dict = {}
        for c in graph.objects(shape, SH.targetClass):
            found.update(dict.fromkeys(self.data.instances(c)))
        for node in graph.objects(shape, SH.targetNode):
            found[node] = None
        for p in graph.objects(shape, SH.targetSubjectsOf):
            found.update(dict.fromkeys(s for (s, q) in self.data.by_sp if q == p))
        for p in graph.objects(shape, SH.targetObjectsOf):
            found.update(dict.fromkeys(o for (s, q), os in self.data.by_sp.items() if q == p for o in os))
        return list(found)


def _all_compare(values, others, strict: bool) -> Verdict:
    for v in values:
        for o in others:
            a, b = _number(v), _number(o)
            if a is None or b is None:
                return None
            if (a >= b) if strict else (a > b):
                return False
    return True


def _number(term):
    if isinstance(term, Literal) and not term.ill_typed:
        value = term.toPython()
        if isinstance(value, _NUMERIC) and not isinstance(value, bool):
            return value
    return None


def _check_class(self: Prefilter, c, value, shape) -> Verdict:
    return self.data.is_instance(value, c)


_DATATYPES_WITH_LEXICAL_FORM = {XSD.string, XSD.integer, XSD.decimal, XSD.boolean, XSD.date, XSD.gYear,
                                XSD.gYearMonth, XSD.dateTime, XSD.anyURI, XSD.nonNegativeInteger,
                                XSD.positiveInteger, XSD.double, XSD.float, RDF.langString}


def _check_datatype(self: Prefilter, datatype, value, shape) -> Verdict:
    if not isinstance(value, Literal):
        return False
    actual = value.datatype or (_LANG_STRING if value.language else _XSD_STRING)
    if actual != datatype:
        return False
    if datatype not in _DATATYPES_WITH_LEXICAL_FORM:
        return None
    return not value.ill_typed


_NODE_KINDS = {
    SH.IRI: (URIRef,), SH.BlankNode: (BNode,), SH.Literal: (Literal,),
    SH.BlankNodeOrIRI: (BNode, URIRef), SH.BlankNodeOrLiteral: (BNode, Literal),
    SH.IRIOrLiteral: (URIRef, Literal),
}
_LANG_STRING = RDF.langString
_XSD_STRING = XSD.string


def _check_node_kind(self: Prefilter, kind, value, shape) -> Verdict:
    kinds = _NODE_KINDS.get(kind)
    return None if kinds is None else isinstance(value, kinds)


def _check_in(self: Prefilter, members, value, shape) -> Verdict:
    return value in self.model.rdf_list(members)


def _check_pattern(self: Prefilter, pattern, value, shape) -> Verdict:
    if isinstance(value, BNode):
        return False
    try:
        return re.search(str(pattern), str(value), self.model.flags(shape)) is not None
    except re.error:
        return None


def _check_length(self: Prefilter, bound, value, shape, longest: bool) -> Verdict:
    if isinstance(value, BNode):
        return False
    length = len(str(value))
    return length <= int(bound) if longest else length >= int(bound)


def _check_range(self: Prefilter, bound, value, shape, op) -> Verdict:
    a, b = _number(value), _number(bound)
    if a is None or b is None:
        return None  # dates, strings, ill-typed literals: leave to pyshacl
    return op(a, b)


def _check_language_in(self: Prefilter, ranges, value, shape) -> Verdict:
    if not isinstance(value, Literal) or not value.language:
        return False
    lang = value.language.lower()
    for r in self.model.rdf_list(ranges):
        r = str(r).lower()
        if r == "*" or lang == r or lang.startswith(r + "-"):
            return True
    return False


_VALUE_CHECKS = {
    "class": _check_class,
    "datatype": _check_datatype,
    "nodeKind": _check_node_kind,
    "in": _check_in,
    "pattern": _check_pattern,
    "minLength": lambda self, b, v, s: _check_length(self, b, v, s, longest=False),
    "maxLength": lambda self, b, v, s: _check_length(self, b, v, s, longest=True),
    "minInclusive": lambda self, b, v, s: _check_range(self, b, v, s, lambda x, y: x >= y),
    "maxInclusive": lambda self, b, v, s: _check_range(self, b, v, s, lambda x, y: x <= y),
    "minExclusive": lambda self, b, v, s: _check_range(self, b, v, s, lambda x, y: x > y),
    "maxExclusive": lambda self, b, v, s: _check_range(self, b, v, s, lambda x, y: x < y),
    "languageIn": _check_language_in,
}


def find_suspects(triples: Iterable[Triple], shapes: Graph, ontology: Graph | None) -> PrefilterResult:
    """Focus nodes that may have a SHACL result, and shapes pyshacl must run unfiltered.

    Raises :class:`Unsupported` when the shapes use a feature this pre-pass cannot bound.
    """
    model = ShapesModel(shapes)
    inverse = {p for p in shapes.objects(None, SH.inversePath) if isinstance(p, URIRef)}
    data = DataIndex(triples, ontology, inverse)
    prefilter = Prefilter(model, data)
    result = PrefilterResult()
    for shape in model.top_level_shapes():
        focus_nodes = prefilter.targets(shape)
        if focus_nodes is None:
            result.opaque_shapes.add(shape)
            continue
        for focus in focus_nodes:
            result.focus_checked += 1
            if focus in result.suspects:
                continue
            if prefilter.conforms(shape, focus) is not True:
                if not isinstance(focus, URIRef):
                    # pyshacl's focus_nodes option keeps IRIs only: validate this shape unfiltered.
                    result.opaque_shapes.add(shape)
                else:
                    result.suspects.add(focus)
    return result
