"""Reading SPARQL text without running it: a lexer that skips strings, IRIs and comments, the
variables and outermost WHERE group of a query, VALUES injection, the query form, prefixes, the
dataset clause and the read-only check (SPARQL Update and SERVICE are refused)."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stikg.sparql.results import Result, SelectResult
from stikg.sparql.terms import QueryError, Term

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


def subselect_groups(text: str, name: str) -> list[int]:
    """Offsets just after the ``{`` of each sub-select's WHERE group where ``VALUES ?name`` can go too.

    A parameter given at the outermost group is a join the planner applies after evaluating a
    sub-select whole (program_amounts for one programme: 192 ms on disk at 1.8M quads). Stated
    inside the sub-select as well it restricts the scan. That is the same answer only when the
    sub-select projects ``?name`` as a plain variable and binds it in a triple pattern of its own
    group before any OPTIONAL mentions it, and never with ``AS ?name``; other sub-selects are
    left alone.
    """
    tokens = tokenize(text)
    forms = [k for k, t in enumerate(tokens) if t.kind == "word" and t.text.upper() == "SELECT"]
    first = next((k for k, t in enumerate(tokens) if t.kind == "word"
                  and t.text.upper() in {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}), None)
    out = []
    for i in forms:
        if i == first:
            continue
        j, parens, projected = i + 1, 0, False
        while j < len(tokens):
            tok = tokens[j]
            if tok.text == "(":
                parens += 1
            elif tok.text == ")":
                parens -= 1
            elif parens == 0 and (tok.text == "{" or (tok.kind == "word" and tok.text.upper() == "WHERE")):
                break
            elif parens == 0 and tok.kind == "var" and tok.text[1:] == name:
                projected = True
            j += 1
        while j < len(tokens) and tokens[j].text != "{":
            j += 1
        if projected and j < len(tokens) and _bound_first_in_group(tokens, j, name):
            out.append(tokens[j].start + 1)
    return out


def _bound_first_in_group(tokens: list[Token], open_at: int, name: str) -> bool:
    """Whether ``?name`` (or ``$name``) occurs in a triple pattern at the top of the group opened at
    ``open_at`` before it occurs inside any nested group, parentheses or after ``AS``."""
    depth, parens = 0, 0
    for k in range(open_at, len(tokens)):
        tok = tokens[k]
        if tok.text == "{":
            depth += 1
        elif tok.text == "}":
            depth -= 1
            if depth == 0:
                return False
        elif tok.text == "(":
            parens += 1
        elif tok.text == ")":
            parens -= 1
        elif tok.kind == "var" and tok.text[1:] == name:
            if k > 0 and tokens[k - 1].kind == "word" and tokens[k - 1].text.upper() == "AS":
                return False
            return depth == 1 and parens == 0
    return False


def inject_values(text: str, bindings: Mapping[str, Term]) -> str:
    """Insert ``VALUES ?name { term }`` for each binding at the start of the outermost WHERE group.

    The terms are written by :meth:`Term.n3`, which escapes everything, and the result is parsed
    again: a parameter value can never change the structure of the query.
    """
    if not bindings:
        return text
    injected = with_values(text, bindings)
    check_syntax(injected)
    return injected


def with_values(text: str, bindings: Mapping[str, Term]) -> str:
    """``text`` with ``VALUES ?name { term }`` for each binding at the start of the outermost WHERE
    group and of each sub-select where it gives the same answer (:func:`subselect_groups`)."""
    points: dict[int, list[str]] = {where_group_start(text): sorted(bindings)}
    for name in sorted(bindings):
        for at in subselect_groups(text, name):
            points.setdefault(at, []).append(name)
    for at in sorted(points, reverse=True):
        block = " ".join(f"VALUES ?{name} {{ {bindings[name].n3()} }}" for name in points[at])
        text = f"{text[:at]} {block} {text[at:]}"
    return text


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
    ops = sorted({update_operation_name(op) for op in (update.get("request") or [])} - {""}) or ["update"]
    return f"SPARQL Update ({', '.join(ops)}) is not allowed: the graph is read-only"
