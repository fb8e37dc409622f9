"""SHACL validation with pyshacl, and a report readable by people."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF, SH

from stikg.errors import StikgError

SEVERITY_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


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
        from stikg import serialize

        return serialize.turtle(set(to_canonical_graph(self.graph)))


def load_shapes(directory: Path) -> Graph:
    """All ``*.ttl`` shape files of a directory, as one graph."""
    shapes = Graph()
    files = sorted(Path(directory).glob("*.ttl"))
    if not files:
        raise StikgError("no SHACL shape files (*.ttl)", directory)
    for path in files:
        try:
            shapes.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises many parser-specific types
            raise StikgError(f"shapes do not parse: {exc}", path) from None
    return shapes


def validate(data: Graph, shapes: Graph, ontology: Graph | None = None,
             focus_nodes: list | None = None) -> ValidationReport:
    """Validate ``data`` (already reasoned) against ``shapes``; the ontology supplies subclassing.

    With ``focus_nodes``, only those nodes are validated (against the whole data graph).
    """
    conforms, report_graph, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none",
        advanced=True, allow_warnings=True, abort_on_first=False, focus_nodes=focus_nodes,
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

    if getattr(Shape.validate, "_stikg_patched", False):
        return
    original = Shape.validate

    def validate(self, executor, target_graph, focus=None, *args, **kwargs):
        saved = getattr(executor, "focus_nodes", None)
        if focus is None or not saved:
            return original(self, executor, target_graph, focus, *args, **kwargs)
        executor.focus_nodes = None
        try:
            return original(self, executor, target_graph, focus, *args, **kwargs)
        finally:
            executor.focus_nodes = saved

    validate._stikg_patched = True
    Shape.validate = validate


def _validate_focus(args) -> tuple[list[Finding], list]:
    """Worker: validate one chunk of focus nodes (the data graph is inherited through fork)."""
    focus_nodes = args
    _nested_shapes_ignore_focus_filter()
    data, shapes, ontology = _FORK_STATE
    report = validate(data, shapes, ontology, focus_nodes=focus_nodes)
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
    findings = sorted((f for found, _ in outcomes for f in found), key=_finding_order)
    merged = Graph()
    report_node = None
    all_conform = True
    for _, triples in outcomes:
        part = Graph()
        for t in triples:
            part.add(t)
        node = next(iter(part.subjects(RDF.type, SH.ValidationReport)), None)
        for s, p, o in part:
            if s == node:
                continue
            merged.add((s, p, o))
        if report_node is None:
            report_node = node
        all_conform = all_conform and bool(part.value(node, SH.conforms, default=Literal(True)).toPython())
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
