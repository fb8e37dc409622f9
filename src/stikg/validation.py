"""SHACL validation with pyshacl, and a report readable by people."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyshacl
from rdflib import Graph, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import SH

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


def validate(data: Graph, shapes: Graph, ontology: Graph | None = None) -> ValidationReport:
    """Validate ``data`` (already reasoned) against ``shapes``; the ontology supplies subclassing."""
    conforms, report_graph, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none",
        advanced=True, allow_warnings=True, abort_on_first=False,
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
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    findings.sort(key=lambda f: (order[f.severity], f.focus, f.path, f.message, f.value))
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
