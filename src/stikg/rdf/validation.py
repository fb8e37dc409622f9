"""SHACL validation with pyshacl, and a report readable by people."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import oxrdflib.store
import pyshacl
from oxrdflib import OxigraphStore
from oxrdflib._converter import to_ox_quad_pattern
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, SH, XSD

from stikg.core.errors import StikgError
from stikg.rdf.turtle_folder import load_turtle_folder

SEVERITY_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
_PATCHED = "_stikg_patched"  # marks pyshacl's Shape.validate once it is wrapped (_nested_shapes_ignore_focus_filter)


@dataclass(frozen=True)
class Finding:
    """One SHACL result, flattened."""

    severity: str
    focus: str
    path: str
    message: str
    shape: str
    value: str = ""


@dataclass
class ValidationReport:
    """The outcome of validating a data graph against the shapes."""

    conforms: bool
    graph: Graph
    findings: list[Finding] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(f.severity for f in self.findings)

    @property
    def violations(self) -> int:
        return self.counts.get("Violation", 0)

    def text(self, limit: int | None = None) -> str:
        """A report for people: one line per finding, grouped by severity."""
        c = self.counts
        lines = [
            f"SHACL: {'conforms' if self.violations == 0 else 'DOES NOT CONFORM'} — "
            f"{c.get('Violation', 0)} violation(s), {c.get('Warning', 0)} warning(s), "
            f"{c.get('Info', 0)} info",
        ]
        shown = self.findings if limit is None else self.findings[:limit]
        for f in shown:
            where = f" {f.path}" if f.path else ""
            value = f" (value: {f.value})" if f.value else ""
            lines.append(f"[{f.severity}] {f.focus}{where}: {f.message}{value}  [{f.shape}]")
        if limit is not None and len(self.findings) > limit:
            lines.append(f"… and {len(self.findings) - limit} more")
        return "\n".join(lines) + "\n"

    def turtle(self) -> str:
        """The report graph as Turtle, blank nodes canonicalised so the bytes are stable."""
        from stikg.rdf import serialize

        return serialize.turtle(set(to_canonical_graph(self.graph)))


def load_shapes(directory: Path) -> Graph:
    """All ``*.ttl`` shape files of a directory, as one graph."""
    return load_turtle_folder(directory, "SHACL shapes")


def validate(data: Graph, shapes: Graph, ontology: Graph | None = None,
             focus_nodes: list | None = None, inplace: bool = False) -> ValidationReport:
    """Validate ``data`` (already reasoned) against ``shapes``; the ontology supplies subclassing.

    With ``focus_nodes``, only those nodes are validated (against the whole data graph).
    ``inplace`` lets pyshacl mix the ontology into ``data`` instead of copying it (a throwaway
    graph in a worker process).
    """
    conforms, report_graph, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none",
        advanced=True, allow_warnings=True, abort_on_first=False, focus_nodes=focus_nodes,
        inplace=inplace,
    )
    findings = []
    # Only top-level results (nested sh:detail results would be counted twice).
    for result in report_graph.objects(None, SH.result):
        def one(p: URIRef, result=result) -> str:
            value = report_graph.value(result, p)
            return "" if value is None else str(value)
        severity = SEVERITY_NAMES.get(report_graph.value(result, SH.resultSeverity), "Violation")
        shape = report_graph.value(result, SH.sourceShape)
        findings.append(Finding(
            severity=severity, focus=one(SH.focusNode), path=one(SH.resultPath),
            message=one(SH.resultMessage), shape=_shape_name(shapes, shape), value=one(SH.value),
        ))
    findings.sort(key=_finding_order)
    has_violation = any(f.severity == "Violation" for f in findings)
    return ValidationReport(conforms=bool(conforms) or not has_violation, graph=report_graph,
                            findings=findings)


def _shape_name(shapes: Graph, shape) -> str:
    if shape is None:
        return ""
    if isinstance(shape, URIRef):
        return shapes.namespace_manager.normalizeUri(shape)
    for parent in shapes.subjects(SH.property, shape):
        return shapes.namespace_manager.normalizeUri(parent) if isinstance(parent, URIRef) else "shape"
    return "shape"


def _nested_shapes_ignore_focus_filter() -> None:
    """Work around a pyshacl (0.40) bug, in worker processes only.

    With the ``focus_nodes`` option pyshacl filters the focus list of *every* shape evaluation,
    including nested ones (``sh:qualifiedValueShape``, ``sh:node`` …) whose focus is the
    value nodes: literal values are filtered out and those results vanish. The filter belongs
    only to shapes that find their own targets, so nested evaluations (called with an explicit
    ``focus``) run with the option switched off.
    """
    from pyshacl.shape import Shape

    if getattr(Shape.validate, _PATCHED, False):
        return
    original = Shape.validate

    def validate(self, executor, target_graph, focus=None, *args, **kwargs):
        saved = getattr(executor, "focus_nodes", None)
        if saved and not isinstance(saved, (set, frozenset)):
            # pyshacl tests `node in focus_nodes` for every target: a set, not a list.
            executor.focus_nodes = saved = frozenset(saved)
        if focus is None or not saved:
            return original(self, executor, target_graph, focus, *args, **kwargs)
        executor.focus_nodes = None
        try:
            return original(self, executor, target_graph, focus, *args, **kwargs)
        finally:
            executor.focus_nodes = saved

    vars(validate)[_PATCHED] = True  # a mark on the function: patching twice would wrap it twice
    Shape.validate = validate  # type: ignore[method-assign]  # deliberately replaces pyshacl's method


def _validate_focus(args) -> tuple[list[Finding], list]:
    """Worker: validate one chunk of focus nodes (the data graph is inherited through fork)."""
    focus_nodes = args
    _nested_shapes_ignore_focus_filter()
    data, shapes, ontology = _FORK_STATE
    report = validate(data, shapes, ontology, focus_nodes=focus_nodes)
    return report.findings, list(report.graph)


def _validate_run(args) -> tuple[list[Finding], list]:
    """One pyshacl run of :func:`validate_prefiltered` (shapes variant; focus nodes, or all)."""
    variant, focus_nodes = args
    _nested_shapes_ignore_focus_filter()
    data, shape_variants, ontology = _FORK_STATE
    report = validate(data, shape_variants[variant], ontology, focus_nodes=focus_nodes, inplace=True)
    return report.findings, list(report.graph)


_FORK_STATE: tuple = ()


def validate_chunked(data: Graph, shapes: Graph, ontology: Graph | None = None, chunks: int = 4,
                     workers: int | None = None) -> ValidationReport:
    """Validate in focus-node chunks (in parallel worker processes when ``fork`` is available).

    Every shape is applied to every chunk's focus nodes against the whole data graph, so the merged
    report has exactly the findings of :func:`validate` on the whole graph (tests/test_validation.py
    checks it on the real graph); chunks bound the work per process and use both cores.
    """
    import multiprocessing as mp
    import os

    subjects = sorted({s for s in data.subjects() if isinstance(s, URIRef)}, key=str)
    parts = [subjects[i::chunks] for i in range(chunks) if subjects[i::chunks]]
    global _FORK_STATE
    _FORK_STATE = (data, shapes, ontology)
    try:
        if "fork" in mp.get_all_start_methods() and len(parts) > 1:
            ctx = mp.get_context("fork")
            with ctx.Pool(workers or min(len(parts), os.cpu_count() or 1)) as pool:
                outcomes = pool.map(_validate_focus, parts)
        else:
            outcomes = [_validate_focus(part) for part in parts]
    finally:
        _FORK_STATE = ()
    return _merge(outcomes)


def validate_prefiltered(triples: set, shapes: Graph, ontology: Graph | None = None,
                         parts: int = 1, timings: dict | None = None) -> ValidationReport:
    """The report of :func:`validate` on the whole graph, with pyshacl run only where needed.

    :mod:`stikg.rdf.shacl_prefilter` finds the focus nodes that may have a result (evaluating the
    shapes over hash indexes, in a forked process while this one loads the data); pyshacl then
    validates just those (``focus_nodes``) against the whole data graph — held in an in-memory
    Oxigraph store behind rdflib (:func:`oxigraph_graph`) — and runs the shapes whose targets the
    pre-pass cannot compute (SPARQL targets) unfiltered. tests/test_validation_fast.py checks the
    report equals the whole-graph one. ``timings`` (if given) receives seconds per step.
    """
    import multiprocessing as mp
    import time

    timings = {} if timings is None else timings
    clock = time.perf_counter()

    from stikg.rdf.shacl_prefilter import Unsupported, find_suspects

    global _FORK_STATE
    if _has_typed_strings(triples):
        # Oxigraph (RDF 1.1) cannot keep "x" and "x"^^xsd:string apart; rdflib and pyshacl do.
        return validate(_rdflib_graph(triples), shapes, ontology)
    can_fork = "fork" in mp.get_all_start_methods()
    pending = None
    if can_fork:
        _FORK_STATE = (triples, shapes, ontology)
        pool = mp.get_context("fork").Pool(1)
        pending = pool.apply_async(_find_suspects_worker)
        pool.close()
    try:
        data = oxigraph_graph(triples)
        timings["load_store"] = round(time.perf_counter() - clock, 3)
        if pending is not None:
            kind, found = pending.get()
            pool.join()
            if kind == "unsupported":
                raise Unsupported(found)
        else:
            found = find_suspects(triples, shapes, ontology)
    except Unsupported:
        return validate(_rdflib_graph(triples), shapes, ontology)
    finally:
        _FORK_STATE = ()
    timings["prefilter"] = round(time.perf_counter() - clock, 3)
    timings["suspects"] = len(found.suspects)
    variants = {"filtered": _without_targets(shapes, found.opaque_shapes),
                "opaque": _without_targets(shapes, set(shapes.subjects()) - found.opaque_shapes)}
    suspects = sorted(found.suspects, key=str)
    tasks: list[tuple[str, list | None]] = [("filtered", suspects[i::parts]) for i in range(parts) if suspects[i::parts]]
    if found.opaque_shapes:
        tasks.append(("opaque", None))
    if not tasks:
        empty = Graph()
        node = BNode()
        empty.add((node, RDF.type, SH.ValidationReport))
        empty.add((node, SH.conforms, Literal(True)))
        return ValidationReport(conforms=True, graph=empty, findings=[])
    _FORK_STATE = (data, variants, ontology)
    clock = time.perf_counter()
    try:
        outcomes = [_validate_run(task) for task in tasks]
    finally:
        _FORK_STATE = ()
    timings["pyshacl"] = round(time.perf_counter() - clock, 3)
    return _merge(outcomes)


def _rdflib_graph(triples) -> Graph:
    data = Graph()
    for triple in triples:
        data.add(triple)
    return data


def _has_typed_strings(triples) -> bool:
    string = XSD.string
    return any(type(o) is Literal and o.datatype is not None and o.datatype == string for _, _, o in triples)


def _plain_strings(from_ox):
    """oxrdflib's term conversion, giving rdflib's plain literal for an xsd:string one.

    IRIs take a shortcut: Oxigraph has checked them, and rdflib's URIRef() checks every
    character again in Python (the largest cost of reading a million triples).
    """
    import pyoxigraph

    string = XSD.string
    named_node = pyoxigraph.NamedNode
    new_str = str.__new__

    def convert(term):
        if type(term) is named_node:
            return new_str(URIRef, term.value)
        value = from_ox(term)
        if type(value) is Literal and value.datatype is not None and value.datatype == string:
            return Literal(str(value))
        return value

    convert._stikg_plain = True
    return convert


def _find_suspects_worker():
    from stikg.rdf.shacl_prefilter import Unsupported, find_suspects

    triples, shapes, ontology = _FORK_STATE
    try:
        return "ok", find_suspects(triples, shapes, ontology)
    except Unsupported as exc:
        return "unsupported", str(exc)


def oxigraph_graph(triples) -> Graph:
    """An rdflib graph of ``triples`` over an in-memory Oxigraph store (bulk-loaded N-Triples).

    pyshacl reads it like any rdflib graph; its lookups and SPARQL run in Oxigraph. The graph's
    size is cached (pyshacl asks for it per result, and Oxigraph counts by scanning).
    """
    import pyoxigraph

    from stikg.rdf.term_forms import nt_row

    if not getattr(oxrdflib.store.from_ox, "_stikg_plain", False):
        # rdflib (and so pyshacl on an rdflib graph) keeps "x" and "x"^^xsd:string apart; the
        # data never has the second (validate_prefiltered checks), so read strings back plain.
        oxrdflib.store.from_ox = _plain_strings(oxrdflib.store.from_ox)
    store = _CountingOxigraphStore()
    # Unsorted: the store does not need the canonical order, and sorting a million triples costs.
    text = "".join(map(nt_row, triples))
    store._inner.bulk_load(text.encode(), pyoxigraph.RdfFormat.N_TRIPLES,
                           to_graph=pyoxigraph.DefaultGraph())
    if isinstance(triples, (set, frozenset)):
        store._stikg_size = len(triples)  # distinct triples: what a COUNT would find
    return Graph(store=store, identifier=DATASET_DEFAULT_GRAPH_ID)


class _CountingOxigraphStore(OxigraphStore):
    """OxigraphStore for one read-mostly graph held in the default graph.

    Two costs of oxrdflib matter to pyshacl at a million triples: ``len`` is a full COUNT query
    (pyshacl asks for it per result), and every matching triple comes with a new rdflib ``Graph``
    object for its context. Here the size is counted once and kept up to date, and every triple
    reports the one default-graph context.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stikg_size: int | None = None
        self._stikg_context: Graph | None = None

    def __len__(self, context=None) -> int:
        if context is not None and context.identifier != DATASET_DEFAULT_GRAPH_ID:
            return super().__len__(context)
        if self._stikg_size is None:
            self._stikg_size = super().__len__(None)
        return self._stikg_size

    def _new(self, triple) -> bool:
        return next(iter(self._inner.quads_for_pattern(*to_ox_quad_pattern(triple, None))), None) is None

    def add(self, triple, context=None, quoted=False):
        if self._stikg_size is not None and self._new(triple):
            self._stikg_size += 1
        return super().add(triple, context, quoted)

    def addN(self, quads):  # noqa: N802
        for s, p, o, c in quads:
            self.add((s, p, o), c)

    def remove(self, *args, **kwargs):
        self._stikg_size = None
        return super().remove(*args, **kwargs)

    def triples(self, triple_pattern, context=None):
        if self._stikg_context is None:
            self._stikg_context = Graph(store=self, identifier=DATASET_DEFAULT_GRAPH_ID)
        try:
            quads = self._inner.quads_for_pattern(*to_ox_quad_pattern(triple_pattern, context))
        except (TypeError, ValueError):
            return iter(())
        from_ox = oxrdflib.store.from_ox
        only = (self._stikg_context,)
        return (((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)), iter(only)) for q in quads)


def _without_targets(shapes: Graph, drop: set) -> Graph:
    """A copy of ``shapes`` where the shapes in ``drop`` find no targets of their own."""
    from stikg.rdf.shacl_prefilter import TARGET_PREDICATES

    variant = Graph()
    variant.namespace_manager = shapes.namespace_manager
    for s, p, o in shapes:
        if s in drop and p in TARGET_PREDICATES:
            continue
        variant.add((s, p, o))
    return variant


def _merge(outcomes: list[tuple[list[Finding], list]]) -> ValidationReport:
    """One report from the findings and report triples of several pyshacl runs."""
    findings = sorted((f for found, _ in outcomes for f in found), key=_finding_order)
    merged = Graph()
    report_node = None
    all_conform = True
    for _, triples in outcomes:
        part = Graph()
        for t in triples:
            part.add(t)
        node = next(iter(part.subjects(RDF.type, SH.ValidationReport)), None)
        if node is None:
            raise StikgError("a SHACL run gave no sh:ValidationReport")
        for s, p, o in part:
            if s == node:
                continue
            merged.add((s, p, o))
        if report_node is None:
            report_node = node
        conforms = part.value(node, SH.conforms, default=Literal(True))
        all_conform = all_conform and bool(conforms.toPython() if isinstance(conforms, Literal) else conforms)
        for result in part.objects(node, SH.result):
            merged.add((report_node, SH.result, result))
    has_violation = any(f.severity == "Violation" for f in findings)
    if report_node is not None:
        merged.add((report_node, RDF.type, SH.ValidationReport))
        merged.add((report_node, SH.conforms, Literal(all_conform)))
    return ValidationReport(conforms=not has_violation, graph=merged, findings=findings)


def _finding_order(f: Finding) -> tuple:
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    return (order[f.severity], f.focus, f.path, f.message, f.value)
