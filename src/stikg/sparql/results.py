"""Query results (SELECT rows, ASK, CONSTRUCT triples), their conversion from pyoxigraph and SPARQL
JSON, and the seven output formats (table, CSV, TSV, SPARQL JSON and XML, Turtle/RDF)."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from stikg.sparql.terms import FORMATS, INTEGER_LEXICAL, XSD_INTEGER, QueryError, Term, standard_prefixes

# ------------------------------------------------------------------------------------- results


@dataclass
class SelectResult:
    """Rows of a SELECT query (``None`` for an unbound variable)."""

    variables: list[str]
    rows: list[tuple[Term | None, ...]]
    truncated: bool = False

    def dicts(self) -> list[dict[str, Term]]:
        return [{v: t for v, t in zip(self.variables, row, strict=True) if t is not None} for row in self.rows]

    def values(self, column: str) -> list[str | None]:
        """The plain values of one column (for tests and scripts)."""
        index = self.variables.index(column)
        return [None if (term := row[index]) is None else term.value for row in self.rows]


@dataclass
class AskResult:
    value: bool


@dataclass
class GraphResult:
    """Triples of a CONSTRUCT or DESCRIBE query."""

    triples: list[tuple[Term, Term, Term]]
    truncated: bool = False


Result = SelectResult | AskResult | GraphResult


def result_from_ox(raw: Any, limit: int | None = None) -> Result:
    """Convert pyoxigraph query results; at most ``limit`` rows/triples (``truncated`` set).

    Each distinct pyoxigraph term is converted once per result (terms are immutable): answers
    repeat the same programmes, documents and stages, and converting every cell was most of the
    Python cost of a large answer (program_amounts, 36k rows at 1.8M quads: 0.70 → 0.29 s).
    """
    if isinstance(raw, ox.QueryBoolean):
        return AskResult(bool(raw))
    seen: dict[Any, Term] = {}

    def term(t: Any) -> Term:
        converted = seen.get(t)
        if converted is None:
            converted = seen[t] = Term.from_ox(t)
        return converted

    if isinstance(raw, ox.QuerySolutions):
        variables = [v.value for v in raw.variables]
        rows: list[tuple[Term | None, ...]] = []
        for solution in raw:
            if limit is not None and len(rows) >= limit:
                return SelectResult(variables, rows, truncated=True)
            rows.append(tuple(None if t is None else term(t) for t in solution))
        return SelectResult(variables, rows)
    triples: list[tuple[Term, Term, Term]] = []
    for triple in raw:
        if limit is not None and len(triples) >= limit:
            return GraphResult(triples, truncated=True)
        triples.append((term(triple.subject), term(triple.predicate), term(triple.object)))
    return GraphResult(triples)


def result_from_json(data: Mapping[str, Any]) -> Result:
    """Convert SPARQL 1.1 JSON results."""
    if "boolean" in data:
        return AskResult(bool(data["boolean"]))
    try:
        variables = list(data["head"].get("vars", []))
        rows = [
            tuple(Term.from_json(b[v]) if v in b else None for v in variables)
            for b in data["results"]["bindings"]
        ]
    except (KeyError, TypeError, AttributeError) as exc:
        raise QueryError(f"the endpoint returned malformed SPARQL JSON results ({exc})") from None
    return SelectResult(variables, rows)


def triples_from_rdf(data: bytes, fmt: ox.RdfFormat) -> GraphResult:
    try:
        parsed = list(ox.parse(data, format=fmt))
    except SyntaxError as exc:
        raise QueryError(f"the endpoint returned malformed RDF ({exc})") from None
    return GraphResult([(Term.from_ox(t.subject), Term.from_ox(t.predicate), Term.from_ox(t.object)) for t in parsed])


# ------------------------------------------------------------------------------------ formats


def char_width(text: str) -> int:
    """Display width in a terminal: East Asian wide and full-width characters count two."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * max(0, width - char_width(text))
    return fill + text if right else text + fill


def format_table(result: Result, prefixes: Mapping[str, str] | None = None) -> str:
    """An aligned, readable table (Japanese text aligned by display width)."""
    prefixes = standard_prefixes() if prefixes is None else prefixes
    if isinstance(result, AskResult):
        return "true\n" if result.value else "false\n"
    if isinstance(result, GraphResult):
        result = SelectResult(["subject", "predicate", "object"], [tuple(t) for t in result.triples], result.truncated)
    headers = list(result.variables)
    cells = [[("" if t is None else _one_line(t.display(prefixes))) for t in row] for row in result.rows]
    numeric = [
        bool(result.rows) and all((term := row[i]) is None or term.is_numeric() for row in result.rows)
        for i in range(len(headers))
    ]
    widths = [max([char_width(h)] + [char_width(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = [
        "  ".join(_pad(h, widths[i], numeric[i]) for i, h in enumerate(headers)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    for row in cells:
        lines.append("  ".join(_pad(c, widths[i], numeric[i]) for i, c in enumerate(row)).rstrip())
    count = len(result.rows)
    lines.append(f"({count} row{'s' if count != 1 else ''}{', truncated' if result.truncated else ''})")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").replace("\t", " ")


def format_csv(result: Result) -> str:
    """SPARQL 1.1 Query Results CSV (values only, CRLF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if isinstance(result, AskResult):
        writer.writerow(["boolean"])
        writer.writerow(["true" if result.value else "false"])
        return out.getvalue()
    if isinstance(result, GraphResult):
        result = SelectResult(["subject", "predicate", "object"], [tuple(t) for t in result.triples])
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow(["" if t is None else (f"_:{t.value}" if t.type == "bnode" else t.value) for t in row])
    return out.getvalue()


def _tsv_term(term: Term) -> str:
    if term.type == "literal" and term.datatype == XSD_INTEGER and INTEGER_LEXICAL.match(term.value):
        return term.value
    return term.n3() if term.type != "bnode" else f"_:{term.value}"


def format_tsv(result: Result) -> str:
    """SPARQL 1.1 Query Results TSV (terms in N-Triples syntax)."""
    if isinstance(result, AskResult):
        return "?boolean\n" + ("true" if result.value else "false") + "\n"
    if isinstance(result, GraphResult):
        result = SelectResult(["subject", "predicate", "object"], [tuple(t) for t in result.triples])
    lines = ["\t".join("?" + v for v in result.variables)]
    for row in result.rows:
        lines.append("\t".join("" if t is None else _tsv_term(t) for t in row))
    return "\n".join(lines) + "\n"


def format_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON."""
    if isinstance(result, AskResult):
        data: dict[str, Any] = {"head": {}, "boolean": result.value}
    else:
        if isinstance(result, GraphResult):
            result = SelectResult(["subject", "predicate", "object"], [tuple(t) for t in result.triples])
        data = {
            "head": {"vars": result.variables},
            "results": {
                "bindings": [
                    {v: t.to_json() for v, t in zip(result.variables, row, strict=True) if t is not None}
                    for row in result.rows
                ]
            },
        }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def format_xml(result: Result) -> str:
    """SPARQL Query Results XML."""
    from xml.sax.saxutils import escape, quoteattr

    out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if isinstance(result, AskResult):
        out += ["<head/>", f"<boolean>{'true' if result.value else 'false'}</boolean>", "</sparql>"]
        return "\n".join(out) + "\n"
    if isinstance(result, GraphResult):
        result = SelectResult(["subject", "predicate", "object"], [tuple(t) for t in result.triples])
    out.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in result.variables) + "</head>")
    out.append("<results>")
    for row in result.rows:
        parts = ["<result>"]
        for var, term in zip(result.variables, row, strict=True):
            if term is None:
                continue
            if term.type == "uri":
                inner = f"<uri>{escape(term.value)}</uri>"
            elif term.type == "bnode":
                inner = f"<bnode>{escape(term.value)}</bnode>"
            elif term.lang:
                inner = f"<literal xml:lang={quoteattr(term.lang)}>{escape(term.value)}</literal>"
            elif term.datatype:
                inner = f"<literal datatype={quoteattr(term.datatype)}>{escape(term.value)}</literal>"
            else:
                inner = f"<literal>{escape(term.value)}</literal>"
            parts.append(f"<binding name={quoteattr(var)}>{inner}</binding>")
        parts.append("</result>")
        out.append("".join(parts))
    out += ["</results>", "</sparql>"]
    return "\n".join(out) + "\n"


def graph_to_ox(result: GraphResult) -> list[ox.Triple]:
    return [ox.Triple(s.to_ox(), p.to_ox(), o.to_ox()) for s, p, o in result.triples]


def format_rdf(result: Result, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE, prefixes: Mapping[str, str] | None = None) -> str:
    """Turtle (with prefixes), N-Triples, RDF/XML, JSON-LD, N-Quads or TriG for CONSTRUCT/DESCRIBE results."""
    if not isinstance(result, GraphResult):
        raise QueryError("--format ttl is for CONSTRUCT and DESCRIBE queries; use table, csv, tsv or json")
    triples = sorted(graph_to_ox(result), key=str)
    kwargs: dict[str, Any] = {}
    if fmt == ox.RdfFormat.TURTLE:
        kwargs["prefixes"] = dict(standard_prefixes() if prefixes is None else prefixes)
    return (ox.serialize(triples, format=fmt, **kwargs) or b"").decode("utf-8")


def render(result: Result, fmt: str | None) -> str:
    """Render a result in one of :data:`FORMATS` (default: table, or ttl for graphs)."""
    if fmt is None:
        fmt = "ttl" if isinstance(result, GraphResult) else "table"
    if fmt == "table":
        return format_table(result)
    if fmt == "csv":
        return format_csv(result)
    if fmt == "tsv":
        return format_tsv(result)
    if fmt == "json":
        return format_json(result)
    if fmt == "ttl":
        return format_rdf(result)
    raise QueryError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
