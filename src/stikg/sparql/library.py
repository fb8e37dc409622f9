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

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from stikg.sparql.syntax import check_syntax
from stikg.sparql.terms import PARAM_TYPES, QueryError

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
