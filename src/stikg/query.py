"""Run SPARQL queries: the query library, safe parameter binding, backends and result formats.

Library queries live in ``queries/*.rq``; each starts with a comment header::

    # title: Programs citing a strategy, with their amounts
    # question (ja): ある戦略を引用する事業と、その年度別の金額は？
    # question (en): Which programs cite a given strategy, with their amounts per fiscal year?
    # parameters:
    #   strategy (strategy, default integrated-innovation-strategy-2024): the cited strategy
    #   fiscal_year (integer, optional): restrict to one fiscal year
    # columns: program, label_ja, fiscal_year, stage, amount_yen, doc, line

Parameters are SPARQL variables bound at run time to RDF terms, never spliced into the text:

* the embedded pyoxigraph store uses ``Store.query(substitutions=...)`` (SEP-0007). It requires a
  parameter of a SELECT query to be one of its projected columns, which library queries respect;
* a remote endpoint gets ``VALUES ?name { term }`` inserted at the start of the outermost WHERE
  group, the term written by :meth:`Term.n3` (escaped N-Triples); the result is re-parsed with
  rdflib's SPARQL parser before it is sent. Both give the same answers for a variable that is
  in scope in the outermost group (the library's convention).

All queries are written against the *union* of the named graphs as the default graph; queries
must not double-count a triple that two graphs hold (use DISTINCT / DISTINCT sub-selects).
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from stikg.core.config import Paths, base_iri
from stikg.core.errors import StikgError
from stikg.rdf.vocab import STIKG_NS as STIKG

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
XSD_INTEGER = XSD + "integer"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

ENTITY_KINDS = ("strategy", "program", "organization", "hub", "document")
ENTITY_CLASSES = {
    "strategy": STIKG + "Strategy",
    "program": STIKG + "Program",
    "organization": STIKG + "Organization",
    "hub": STIKG + "Hub",
    "document": STIKG + "SourceDocument",
}
PARAM_TYPES = ("iri", "integer", "string", "boolean", *ENTITY_KINDS)
FORMATS = ("table", "csv", "tsv", "json", "ttl")


class QueryError(StikgError):
    """A query cannot be found, parsed, bound or run."""


def standard_prefixes() -> dict[str, str]:
    """Prefixes known to parameters and used to shorten IRIs in tables and Turtle."""
    base = base_iri()
    prefixes = {
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "xsd": XSD,
        "owl": "http://www.w3.org/2002/07/owl#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "dcterms": "http://purl.org/dc/terms/",
        "org": "http://www.w3.org/ns/org#",
        "prov": "http://www.w3.org/ns/prov#",
        "cito": "http://purl.org/spar/cito/",
        "stikg": STIKG,
    }
    for kind in (*ENTITY_KINDS, "allocation", "budget", "flow", "citation", "role", "evidence", "period"):
        prefixes[kind] = f"{base}{kind}/"
    prefixes["graph"] = f"{base}graph/"
    return prefixes


# --------------------------------------------------------------------------------------- terms


_IRI_OK = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\]*$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_PNAME = re.compile(r"^([A-Za-z][\w\-.]*)?:([\w\-.%]*)$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9\-]*$")


@dataclass(frozen=True, order=True)
class Term:
    """An RDF term as in the SPARQL JSON results format (``uri``, ``literal``, ``bnode``)."""

    type: str
    value: str
    datatype: str | None = None
    lang: str | None = None

    @staticmethod
    def iri(value: str) -> Term:
        if not _IRI_OK.match(value):
            raise QueryError(f"not a valid absolute IRI: {value!r}")
        return Term("uri", value)

    @staticmethod
    def literal(value: str, datatype: str | None = None, lang: str | None = None) -> Term:
        if lang:
            return Term("literal", value, None, lang.lower())
        return Term("literal", value, None if datatype in (None, XSD_STRING) else datatype)

    def n3(self) -> str:
        """The term in N-Triples syntax (safe to embed in SPARQL: everything is escaped)."""
        if self.type == "uri":
            if not _IRI_OK.match(self.value):
                raise QueryError(f"not a valid absolute IRI: {self.value!r}")
            return f"<{self.value}>"
        if self.type == "bnode":
            return "_:" + re.sub(r"[^A-Za-z0-9_]", "_", self.value)
        if self.type == "triple":
            return self.value
        text = '"' + _escape_string(self.value) + '"'
        if self.lang:
            if not re.match(r"^[A-Za-z]+(-[A-Za-z0-9]+)*$", self.lang):
                raise QueryError(f"not a valid language tag: {self.lang!r}")
            return f"{text}@{self.lang}"
        if self.datatype and self.datatype != XSD_STRING:
            return f"{text}^^{Term.iri(self.datatype).n3()}"
        return text

    def to_json(self) -> dict[str, str]:
        out = {"type": self.type, "value": self.value}
        if self.lang:
            out["xml:lang"] = self.lang
        elif self.datatype:
            out["datatype"] = self.datatype
        return out

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Term:
        kind = data["type"]
        if kind == "typed-literal":  # SPARQL/JSON of old Virtuoso versions
            kind = "literal"
        if kind == "literal":
            return Term.literal(data["value"], data.get("datatype"), data.get("xml:lang"))
        if kind == "bnode":
            return Term("bnode", data["value"])
        if kind == "triple":
            return Term("triple", json.dumps(data["value"], sort_keys=True))
        return Term("uri", data["value"])

    @staticmethod
    def from_ox(term: Any) -> Term:
        if isinstance(term, ox.NamedNode):
            return Term("uri", term.value)
        if isinstance(term, ox.BlankNode):
            return Term("bnode", term.value)
        if isinstance(term, ox.Literal):
            return Term.literal(term.value, term.datatype.value, term.language)
        if isinstance(term, ox.Triple):
            return Term("triple", str(term))
        raise QueryError(f"unsupported RDF term {term!r}")

    def to_ox(self) -> Any:
        if self.type == "uri":
            return ox.NamedNode(self.value)
        if self.type == "bnode":
            return ox.BlankNode(self.value)
        if self.type == "literal":
            if self.lang:
                return ox.Literal(self.value, language=self.lang)
            return ox.Literal(self.value, datatype=ox.NamedNode(self.datatype or XSD_STRING))
        raise QueryError("a quoted triple cannot be a parameter")

    def display(self, prefixes: Mapping[str, str] | None = None) -> str:
        """Readable form for tables: prefixed IRIs, bare literal values."""
        if self.type == "uri":
            return compact_iri(self.value, prefixes or {})
        if self.type == "bnode":
            return "_:" + self.value
        return self.value

    def is_numeric(self) -> bool:
        return self.type == "literal" and (self.datatype or "").startswith(XSD) and (
            self.datatype[len(XSD):] in {"integer", "decimal", "double", "float", "int", "long"}
        )


def _escape_string(value: str) -> str:
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def compact_iri(iri: str, prefixes: Mapping[str, str]) -> str:
    best = ""
    best_prefix = ""
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and len(ns) > len(best):
            local = iri[len(ns):]
            if re.match(r"^[\w\-.]*$", local) and not local.endswith("."):
                best, best_prefix = ns, prefix
    return f"{best_prefix}:{iri[len(best):]}" if best else f"<{iri}>"


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
        return [row[index].value if row[index] is not None else None for row in self.rows]


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
    """Convert pyoxigraph query results; at most ``limit`` rows/triples (``truncated`` set)."""
    if isinstance(raw, ox.QueryBoolean):
        return AskResult(bool(raw))
    if isinstance(raw, ox.QuerySolutions):
        variables = [v.value for v in raw.variables]
        rows: list[tuple[Term | None, ...]] = []
        for solution in raw:
            if limit is not None and len(rows) >= limit:
                return SelectResult(variables, rows, truncated=True)
            rows.append(tuple(None if t is None else Term.from_ox(t) for t in solution))
        return SelectResult(variables, rows)
    triples: list[tuple[Term, Term, Term]] = []
    for triple in raw:
        if limit is not None and len(triples) >= limit:
            return GraphResult(triples, truncated=True)
        triples.append((Term.from_ox(triple.subject), Term.from_ox(triple.predicate), Term.from_ox(triple.object)))
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
        bool(result.rows) and all(row[i] is None or row[i].is_numeric() for row in result.rows)
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
    if term.type == "literal" and term.datatype == XSD_INTEGER and _INTEGER.match(term.value):
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
    return ox.serialize(triples, format=fmt, **kwargs).decode("utf-8")


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


# ---------------------------------------------------------------------------- query library


@dataclass(frozen=True)
class Parameter:
    """A declared query parameter: a variable of the query bound at run time."""

    name: str
    type: str
    default: str | None = None
    optional: bool = False
    description: str = ""


@dataclass(frozen=True)
class Query:
    """A query text with its header (library queries) or without (ad-hoc files)."""

    name: str
    text: str
    path: Path | None = None
    title: str = ""
    question_ja: str = ""
    question_en: str = ""
    parameters: tuple[Parameter, ...] = ()
    columns: tuple[str, ...] = ()
    has_header: bool = False

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


_HEADER_KEY = re.compile(r"^#\s*(title|question \(ja\)|question \(en\)|parameters|columns)\s*:\s*(.*)$")
_PARAM_LINE = re.compile(
    r"^#\s+\??(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<type>[a-z]+)"
    r"(?:\s*,\s*(?:default\s+(?P<default>[^)]+?)|(?P<optional>optional)))?\s*\)\s*(?::\s*(?P<desc>.*))?$"
)


def parse_header(text: str, name: str, path: Path | None = None) -> Query:
    """Read the comment header of a query file (every key optional for ad-hoc files)."""
    meta: dict[str, str] = {}
    params: list[Parameter] = []
    in_params = False
    seen_header = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        match = _HEADER_KEY.match(stripped)
        if match:
            seen_header = True
            key, value = match.group(1), match.group(2).strip()
            in_params = key == "parameters"
            if key == "parameters":
                if value and not value.lower().startswith(("none", "-")):
                    raise QueryError("write each parameter on its own line below '# parameters:'", path, lineno)
            else:
                meta[key] = value
            continue
        if in_params:
            pm = _PARAM_LINE.match(stripped)
            if pm:
                ptype = pm.group("type")
                if ptype not in PARAM_TYPES:
                    raise QueryError(
                        f"parameter {pm.group('name')}: unknown type {ptype!r} (use {', '.join(PARAM_TYPES)})",
                        path, lineno,
                    )
                params.append(
                    Parameter(
                        pm.group("name"), ptype, (pm.group("default") or "").strip() or None,
                        bool(pm.group("optional")), (pm.group("desc") or "").strip(),
                    )
                )
                continue
            in_params = False
    columns = tuple(c.strip() for c in meta.get("columns", "").split(",") if c.strip())
    return Query(
        name=name, text=text, path=path, title=meta.get("title", ""),
        question_ja=meta.get("question (ja)", ""), question_en=meta.get("question (en)", ""),
        parameters=tuple(params), columns=columns, has_header=seen_header,
    )


def library(queries_dir: Path) -> dict[str, Query]:
    """Every ``*.rq`` of the query library by name (file stem), sorted."""
    out: dict[str, Query] = {}
    for path in sorted(Path(queries_dir).glob("*.rq")):
        out[path.stem] = parse_header(path.read_text(encoding="utf-8"), path.stem, path)
    return out


def load_query(name_or_file: str, queries_dir: Path) -> Query:
    """A library query by name, or a ``.rq`` file by path."""
    candidate = Path(name_or_file)
    if name_or_file.endswith(".rq") or candidate.is_file() or "/" in name_or_file:
        if not candidate.is_file():
            raise QueryError("no such query file", candidate)
        try:
            text = candidate.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise QueryError(f"cannot read the query: {exc}", candidate) from None
        return parse_header(text, candidate.stem, candidate)
    path = Path(queries_dir) / f"{name_or_file}.rq"
    if not re.match(r"^[A-Za-z0-9_\-]+$", name_or_file) or not path.is_file():
        names = sorted(p.stem for p in Path(queries_dir).glob("*.rq"))
        raise QueryError(unknown_query_message(name_or_file, names))
    return parse_header(path.read_text(encoding="utf-8"), name_or_file, path)


def unknown_query_message(name: str, names: Sequence[str]) -> str:
    """The one wording of an unknown library query (``stikg query`` and ``/library/NAME``)."""
    return (f"unknown library query {name!r}{difflib_hint(name, names)}; the library has {len(names)} queries "
            "(`stikg query --list`, GET /library)")


def syntax_error_message(text: str, exc: BaseException) -> str:
    """The one wording of a SPARQL syntax error, whichever engine found it: rdflib's parser's
    position and expectation when it rejects the text too (the endpoint checks with it first),
    else the store's own message."""
    try:
        check_syntax(text)
    except QueryError as worded:
        return str(worded)
    return f"SPARQL syntax error: {exc}"


def difflib_hint(name: str, names: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    return f" (did you mean {', '.join(close)}?)" if close else ""


# ------------------------------------------------------------------------ lexing and binding


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<lstring>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
  | (?P<string>'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*(?::[^\s{}()<>,;.]*)?)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int


def tokenize(text: str) -> list[Token]:
    """Significant tokens of a SPARQL text (comments, strings and IRIs kept whole)."""
    tokens = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        if kind in ("ws", "comment"):
            continue
        tokens.append(Token(kind, m.group(), m.start()))
    return tokens


def query_variables(text: str) -> set[str]:
    """Names of the variables that occur in a query (outside strings, IRIs and comments)."""
    return {t.text[1:] for t in tokenize(text) if t.kind == "var"}


def where_group_start(text: str) -> int:
    """Offset just after the ``{`` that opens the outermost WHERE group."""
    tokens = tokenize(text)
    forms = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}
    i = next((k for k, t in enumerate(tokens) if t.kind == "word" and t.text.upper() in forms), None)
    if i is None:
        raise QueryError("not a SPARQL query (no SELECT, CONSTRUCT, DESCRIBE or ASK)")
    form = tokens[i].text.upper()
    k = i + 1
    if form == "CONSTRUCT" and k < len(tokens) and tokens[k].text == "{":
        depth = 0
        while k < len(tokens):
            if tokens[k].text == "{":
                depth += 1
            elif tokens[k].text == "}":
                depth -= 1
                if depth == 0:
                    k += 1
                    break
            k += 1
    parens = 0
    while k < len(tokens):
        tok = tokens[k]
        if tok.text == "(":
            parens += 1
        elif tok.text == ")":
            parens -= 1
        elif tok.text == "{" and parens == 0:
            return tok.start + 1
        k += 1
    raise QueryError("the query has no WHERE group to bind parameters in")


def inject_values(text: str, bindings: Mapping[str, Term]) -> str:
    """Insert ``VALUES ?name { term }`` for each binding at the start of the outermost WHERE group.

    The terms are written by :meth:`Term.n3`, which escapes everything, and the result is parsed
    again: a parameter value can never change the structure of the query.
    """
    if not bindings:
        return text
    at = where_group_start(text)
    block = " ".join(f"VALUES ?{name} {{ {term.n3()} }}" for name, term in sorted(bindings.items()))
    injected = f"{text[:at]} {block} {text[at:]}"
    check_syntax(injected)
    return injected


PARSER_LOCK = threading.Lock()
"""rdflib's SPARQL parser (pyparsing) is not thread-safe: every parse holds this lock."""


def check_syntax(text: str) -> Any:
    """Parse with rdflib's SPARQL parser; returns the parse tree or raises QueryError."""
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        with PARSER_LOCK:
            return parseQuery(text)
    except ParseException as exc:
        raise QueryError(f"SPARQL syntax error at line {exc.lineno}, column {exc.col}: {exc.msg}") from None
    except Exception as exc:  # rdflib raises assorted errors for bad prefixes etc.
        raise QueryError(f"SPARQL syntax error: {exc}") from None


def query_form(text: str) -> str:
    """SELECT, CONSTRUCT, DESCRIBE or ASK (from the tokens, after the prologue)."""
    for tok in tokenize(text):
        if tok.kind == "word" and tok.text.upper() in ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK"):
            return tok.text.upper()
    raise QueryError("not a SPARQL query (no SELECT, CONSTRUCT, DESCRIBE or ASK)")


def query_prefixes(text: str) -> dict[str, str]:
    """PREFIX declarations of a query text."""
    out: dict[str, str] = {}
    tokens = tokenize(text)
    for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False):
        if a.kind == "word" and a.text.upper() == "PREFIX" and c.kind == "iri":
            out[b.text.rstrip(":")] = c.text[1:-1]
    return out


# ------------------------------------------------------------------------------ backends


def star_columns(text: str) -> list[str] | None:
    """The columns of a ``SELECT *`` in the order the query first names them (pyoxigraph sorts
    them); None when the query projects its own list or is not a SELECT."""
    tokens = tokenize(text)
    k = next((i for i, t in enumerate(tokens) if t.kind == "word" and t.text.upper() == "SELECT"), None)
    if k is None:
        return None
    k += 1
    while k < len(tokens) and tokens[k].kind == "word" and tokens[k].text.upper() in ("DISTINCT", "REDUCED"):
        k += 1
    if k >= len(tokens) or tokens[k].text != "*":
        return None
    order: list[str] = []
    for t in tokens[k + 1:]:
        if t.kind == "var" and t.text[1:] not in order:
            order.append(t.text[1:])
    return order


def in_query_order(result: Result, text: str) -> Result:
    """A SELECT * result with its columns in the query's order (other results unchanged)."""
    if not isinstance(result, SelectResult):
        return result
    order = star_columns(text)
    if not order:
        return result
    rank = {v: i for i, v in enumerate(order)}
    columns = sorted(range(len(result.variables)), key=lambda i: (rank.get(result.variables[i], len(rank)), i))
    if columns == list(range(len(result.variables))):
        return result
    return SelectResult([result.variables[i] for i in columns],
                        [tuple(row[i] for i in columns) for row in result.rows], result.truncated)


def has_dataset_clause(text: str) -> bool:
    """Does a query name its dataset (``FROM`` / ``FROM NAMED`` outside any group)?  Then the
    default graph is what it names, not the union of all graphs (SPARQL 1.1 §13.2)."""
    depth = 0
    for tok in tokenize(text):
        if tok.kind == "punct" and tok.text in "{}":
            depth += 1 if tok.text == "{" else -1
        elif depth == 0 and tok.kind == "word" and tok.text.upper() == "FROM":
            return True
    return False


_UPDATE_NAMES = {
    "Load": "LOAD", "Clear": "CLEAR", "Drop": "DROP", "Create": "CREATE", "Add": "ADD",
    "Move": "MOVE", "Copy": "COPY", "InsertData": "INSERT DATA", "DeleteData": "DELETE DATA",
    "DeleteWhere": "DELETE WHERE", "Modify": "INSERT/DELETE",
}


def update_operation_name(op: Any) -> str:
    """The SPARQL keyword of one parsed update operation (``InsertData`` → ``INSERT DATA``)."""
    name = getattr(op, "name", "")
    return _UPDATE_NAMES.get(name, name.upper())


def read_only_refusal(text: str) -> str | None:
    """The refusal of a text that is a SPARQL Update (the graph is read-only), worded the same by
    ``stikg query`` and the endpoint; None when the text is not an update."""
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        with PARSER_LOCK:  # pyparsing is not thread-safe
            update = parseUpdate(text)
    except Exception:
        return None
    ops = sorted({update_operation_name(op) for op in update.get("request", [])} - {""}) or ["update"]
    return f"SPARQL Update ({', '.join(ops)}) is not allowed: the graph is read-only"


class Backend(Protocol):
    """Runs a query text with variable bindings."""

    def run(self, text: str, bindings: Mapping[str, Term] | None = None) -> Result: ...


_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def values_first(text: str, bindings: Mapping[str, Term] | None) -> str:
    """``text`` with ``VALUES ?name { term }`` for each binding at the start of its WHERE group.

    Oxigraph applies ``substitutions`` as an initial binding that its planner does not see, so a
    bound entity still had every candidate row scanned (entity_evidence at 1.1M quads on disk:
    1.5 s; with the value in the text: 4 ms). The substitutions are kept as well, so the answer
    is the same; a query with no WHERE group (``DESCRIBE <x>``) is left as it is. No parse here
    (Oxigraph parses the result; the terms come from :meth:`Term.n3`, which escapes everything).
    """
    if not bindings or not all(_VARIABLE_NAME.fullmatch(name) for name in bindings):
        return text
    try:
        at = where_group_start(text)
    except QueryError:
        return text
    block = " ".join(f"VALUES ?{name} {{ {term.n3()} }}" for name, term in sorted(bindings.items()))
    return f"{text[:at]} {block} {text[at:]}"


@dataclass
class EmbeddedBackend:
    """The local pyoxigraph store; parameters via ``substitutions`` and, for the planner, as a
    ``VALUES`` block at the start of the WHERE group (:func:`values_first`)."""

    store: ox.Store
    union_default_graph: bool = True

    def run(self, text: str, bindings: Mapping[str, Term] | None = None) -> Result:
        subs = {ox.Variable(k): v.to_ox() for k, v in (bindings or {}).items()}
        try:
            union = self.union_default_graph and not has_dataset_clause(text)
            raw = self.store.query(values_first(text, bindings), use_default_graph_as_union=union,
                                   substitutions=subs or None)
            return in_query_order(result_from_ox(raw), text)
        except SyntaxError as exc:
            refusal = read_only_refusal(text)
            raise QueryError(refusal or syntax_error_message(text, exc)) from None
        except RuntimeError as exc:
            message = str(exc)
            if "projection" in message:
                names = ", ".join("?" + k for k in sorted(bindings or {}))
                raise QueryError(
                    f"cannot bind {names}: a parameter of a SELECT query must be one of its columns "
                    f"({message})"
                ) from None
            raise QueryError(f"query failed: {message}") from None
        except OSError as exc:
            raise QueryError(f"cannot read the store: {exc}") from None


def endpoint_reason(exc: Exception, limit: int = 300) -> str:
    """The server's own words from a SPARQLWrapper error, without the echoed query.

    SPARQLWrapper formats the response body as a Python bytes repr after ``Response:``; a store's
    error code (Virtuoso ``SR171: Transaction timed out``, Fuseki's parse error …) is in it.
    """
    import ast

    head, sep, body = str(exc).partition("Response:")
    if not sep:
        return " ".join(head.split())[:limit]
    try:
        raw = ast.literal_eval(body.strip())
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    except (ValueError, SyntaxError):
        text = body
    text = re.split(r"\n\s*SPARQL query:", text, maxsplit=1)[0]
    return " ".join(text.split())[:limit] or " ".join(head.split())[:limit]


@dataclass
class EndpointBackend:
    """Any SPARQL 1.1 endpoint through SPARQLWrapper; parameters via an injected VALUES clause.

    With ``union=True`` (default) the dataset is the store's graphs under ``{BASE}graph/``, sent
    as ``default-graph-uri`` and ``named-graph-uri`` so that queries see the union of the named
    graphs as their default graph on any endpoint; with ``union=False`` the endpoint's own
    default graph is used.
    """

    url: str
    union: bool = True
    timeout: float = 60.0
    user: str | None = None
    password: str | None = None
    _graphs: list[str] | None = field(default=None, repr=False)

    def _wrapper(self, text: str, graphs: Iterable[str] = ()) -> Any:
        from SPARQLWrapper import POST, SPARQLWrapper

        sw = SPARQLWrapper(self.url)
        sw.setMethod(POST)
        sw.setOnlyConneg(True)  # Accept header only: no format=/output= parameters (Virtuoso → 406)
        sw.setTimeout(int(max(1, self.timeout)))
        if self.user is not None:
            sw.setCredentials(self.user, self.password or "")
        for graph in graphs:
            sw.addDefaultGraph(graph)
            sw.addNamedGraph(graph)
        sw.setQuery(text)
        return sw

    def _request(self, sw: Any, accept: str) -> bytes:
        import http.client
        from urllib.error import HTTPError, URLError

        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        sw.addCustomHttpHeader("Accept", accept)
        # Virtuoso answers with one X-SPARQL-default-graph header per default-graph-uri, and
        # http.client refuses a response with more than 100 headers (http.client._MAXHEADERS, a
        # guard for servers we do not choose). Allow ours: two per graph and some room.
        wanted = 2 * len(self._graphs or ()) + 100
        if getattr(http.client, "_MAXHEADERS", wanted) < wanted:
            http.client._MAXHEADERS = wanted
        try:
            return sw.query().response.read()
        except http.client.HTTPException as exc:  # a malformed answer (not an OSError)
            raise QueryError(f"endpoint {self.url} sent a malformed HTTP answer: {exc}") from None
        except SPARQLWrapperException as exc:
            raise QueryError(
                f"endpoint {self.url} refused the query ({type(exc).__name__}): {endpoint_reason(exc)}"
            ) from None
        except HTTPError as exc:
            raise QueryError(f"endpoint {self.url} answered HTTP {exc.code} {exc.reason}") from None
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise QueryError(f"cannot reach endpoint {self.url}: {reason}") from None

    def graphs(self) -> list[str]:
        """The store's graphs under ``{BASE}graph/`` (listed once)."""
        if self._graphs is None:
            prefix = base_iri() + "graph/"
            text = (
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                f"FILTER(STRSTARTS(STR(?g), {Term.literal(prefix).n3()})) }}"
            )
            result = result_from_json(self._json(self._wrapper(text)))
            assert isinstance(result, SelectResult)
            self._graphs = sorted(r[0].value for r in result.rows if r[0] is not None)
        return self._graphs

    def _json(self, sw: Any) -> dict[str, Any]:
        body = self._request(sw, "application/sparql-results+json")
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise QueryError(
                f"endpoint {self.url} did not answer with SPARQL JSON results: {body[:200]!r}"
            ) from None

    def run(self, text: str, bindings: Mapping[str, Term] | None = None) -> Result:
        try:
            form = query_form(text)
        except QueryError:
            raise QueryError(read_only_refusal(text) or "not a SPARQL query (no SELECT, CONSTRUCT, DESCRIBE or ASK)") from None
        text = inject_values(text, bindings or {}) if bindings else text
        # the query's own FROM / FROM NAMED choose its dataset; the protocol's would override them
        graphs = self.graphs() if self.union and not has_dataset_clause(text) else []
        sw = self._wrapper(text, graphs)
        if form in ("CONSTRUCT", "DESCRIBE"):
            body = self._request(sw, "application/n-triples, text/turtle;q=0.9")
            if body.lstrip()[:1] in (b"{", b"["):
                raise QueryError(f"endpoint {self.url} answered a graph query with JSON")
            return triples_from_rdf(body, ox.RdfFormat.TURTLE)
        return result_from_json(self._json(sw))


# ------------------------------------------------------------------------ parameter values


def parse_param_args(items: Sequence[str]) -> dict[str, str]:
    """``name=value`` pairs from the command line."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip().lstrip("?$")
        if not sep or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise QueryError(f"--param expects name=value, got {item!r}")
        if name in out:
            raise QueryError(f"--param {name} given twice")
        out[name] = value
    return out


def auto_term(value: str, prefixes: Mapping[str, str]) -> Term:
    """Type a value by its look: ``<IRI>`` or known ``prefix:name`` → IRI, integer → xsd:integer,
    anything else → a string literal."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        return Term.iri(value[1:-1])
    m = _PNAME.match(value)
    if m and (m.group(1) or "") in prefixes:
        return Term.iri(prefixes[m.group(1) or ""] + m.group(2))
    if _INTEGER.match(value):
        return Term.literal(str(int(value)), XSD_INTEGER)
    return Term.literal(value)


class Resolver(Protocol):
    """Finds entities in the data: by printed name, and whether an IRI is one of a kind."""

    def by_label(self, kind: str, name: str) -> Term: ...

    def exists(self, kind: str, term: Term) -> bool: ...


def term_for(param: Parameter, value: str, prefixes: Mapping[str, str], resolve: Resolver | None) -> Term:
    """The RDF term for a declared parameter's value; raises QueryError naming the parameter."""
    raw = value.strip()
    kind = param.type
    if kind == "auto":
        return auto_term(value, prefixes)
    if kind == "integer":
        if not _INTEGER.match(raw):
            raise QueryError(f"parameter {param.name} expects an integer, got {value!r}")
        return Term.literal(str(int(raw)), XSD_INTEGER)
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise QueryError(f"parameter {param.name} expects true or false, got {value!r}")
        return Term.literal(raw.lower(), XSD + "boolean")
    if kind == "string":
        return Term.literal(value)
    looks_iri = (raw.startswith("<") and raw.endswith(">")) or bool(
        (m := _PNAME.match(raw)) and (m.group(1) or "") in prefixes
    )
    if looks_iri:
        return auto_term(raw, prefixes)
    if kind == "iri":
        raise QueryError(f"parameter {param.name} expects an IRI (<…> or prefix:name), got {value!r}")
    # an entity kind: slug, document file name, or a label resolved in the data
    if kind == "document" and raw.endswith(".txt"):
        raw = raw[:-4]
    if _SLUG.match(raw) or (kind == "document" and re.match(r"^[A-Za-z0-9_\-]+$", raw)):
        term = Term.iri(f"{base_iri()}{kind}/{raw}")
        if resolve is None or resolve.exists(kind, term):
            return term
    if resolve is None:
        raise QueryError(f"parameter {param.name}: {value!r} is not an IRI or a {kind} id")
    return resolve.by_label(kind, raw)


@dataclass
class LabelResolver:
    """Resolve a printed name (label, alias, short name) to the one entity of a kind that has it,
    running small parameterised queries on the same backend."""

    backend: Backend

    def exists(self, kind: str, term: Term) -> bool:
        text = f"SELECT ?entity WHERE {{ ?entity a <{ENTITY_CLASSES[kind]}> }} LIMIT 1"
        result = self.backend.run(text, {"entity": term})
        return isinstance(result, SelectResult) and bool(result.rows)

    def by_label(self, kind: str, name: str) -> Term:
        text = (
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
            f"PREFIX stikg: <{STIKG}>\n"
            "SELECT DISTINCT ?entity ?name WHERE {\n"
            f"  ?entity a <{ENTITY_CLASSES[kind]}> ;\n"
            "          rdfs:label|skos:prefLabel|skos:altLabel|stikg:shortName|stikg:fileName ?label .\n"
            "  FILTER(STR(?label) = ?name)\n"
            "} ORDER BY ?entity"
        )
        result = self.backend.run(text, {"name": Term.literal(name)})
        found = sorted({r[0].value for r in result.rows if r[0] is not None}) if isinstance(result, SelectResult) else []
        if not found:
            raise QueryError(f"no {kind} is named {name!r} (give its id, IRI or exact label)")
        if len(found) > 1:
            raise QueryError(f"{name!r} names {len(found)} {kind}s: {', '.join(found)}; give the IRI")
        return Term.iri(found[0])


def implicit_parameter(name: str) -> Parameter:
    """The type of an undeclared variable bound with --param: entity kinds by name
    (?program, ?strategy, ?organization, ?hub, ?document), years as integers, else by look."""
    if name in ENTITY_KINDS:
        return Parameter(name, name)
    if name == "fiscal_year" or name.endswith("_year"):
        return Parameter(name, "integer")
    return Parameter(name, "auto")


def bind_parameters(
    query: Query, given: Mapping[str, str], resolve: Resolver | None = None
) -> dict[str, Term]:
    """Terms for the query's parameters: given values, else defaults; optional ones may stay unbound.

    A library query (with a header) accepts only its declared parameters; an ad-hoc file accepts
    any variable of the query, typed by :func:`auto_term`.
    """
    prefixes = {**standard_prefixes(), **query_prefixes(query.text)}
    variables = query_variables(query.text)
    out: dict[str, Term] = {}
    for name, value in given.items():
        param = query.parameter(name)
        if param is None:
            if name not in variables:
                declared = ", ".join(p.name for p in query.parameters) or "none declared"
                raise QueryError(f"query {query.name} has no parameter or variable ?{name} (parameters: {declared})")
            param = implicit_parameter(name)
        out[name] = term_for(param, value, prefixes, resolve)
    for param in query.parameters:
        if param.name in out:
            continue
        if param.default is not None:
            out[param.name] = term_for(param, param.default, prefixes, resolve)
        elif not param.optional:
            raise QueryError(
                f"query {query.name} needs --param {param.name}=… ({param.type}"
                + (f": {param.description}" if param.description else "")
                + ")"
            )
    return out


def run_query(query: Query, backend: Backend, given: Mapping[str, str] | None = None) -> Result:
    """Bind parameters (resolving entity names on the same backend) and run."""
    bindings = bind_parameters(query, given or {}, LabelResolver(backend))
    return backend.run(query.text, bindings)


def embedded_backend(paths: Paths, dataset: Path | None = None) -> EmbeddedBackend:
    from stikg.store import open_store

    return EmbeddedBackend(open_store(paths, dataset=dataset))
