"""Parameter values: from ``name=value`` arguments to RDF terms by the parameter's declared type,
entity names resolved by label on the same backend, and :func:`run_query` that binds and runs."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from stikg.core.config import base_iri
from stikg.rdf.vocab import STIKG_NS as STIKG
from stikg.sparql.backends import Backend
from stikg.sparql.library import Parameter, Query
from stikg.sparql.results import Result, SelectResult
from stikg.sparql.syntax import query_prefixes, query_variables
from stikg.sparql.terms import (
    _PNAME,
    _SLUG,
    ENTITY_CLASSES,
    ENTITY_KINDS,
    INTEGER_LEXICAL,
    XSD,
    XSD_INTEGER,
    QueryError,
    Term,
    standard_prefixes,
)

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
    if INTEGER_LEXICAL.match(value):
        return Term.literal(str(int(value)), XSD_INTEGER)
    return Term.literal(value)


class Resolver(Protocol):
    """Finds entities in the data: by printed name, and whether an IRI is one of a kind."""

    def by_label(self, kind: str, name: str) -> Term: ...

    def exists(self, kind: str, term: Term) -> bool: ...


_ABSOLUTE_IRI = re.compile(r"^https?://[^\s<>\"{}|^`\\]+$")


def term_for(param: Parameter, value: str, prefixes: Mapping[str, str], resolve: Resolver | None) -> Term:
    """The RDF term for a declared parameter's value; raises QueryError naming the parameter."""
    raw = value.strip()
    kind = param.type
    if kind == "auto":
        return auto_term(value, prefixes)
    if kind == "integer":
        if not INTEGER_LEXICAL.match(raw):
            raise QueryError(f"parameter {param.name} expects an integer, got {value!r}")
        return Term.literal(str(int(raw)), XSD_INTEGER)
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise QueryError(f"parameter {param.name} expects true or false, got {value!r}")
        return Term.literal(raw.lower(), XSD + "boolean")
    if kind == "string":
        return Term.literal(value)
    if _ABSOLUTE_IRI.match(raw):  # a bare http(s) IRI, as pages and lists link to entities
        return Term.iri(raw)
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
