"""SPARQL terms: RDF terms as the SPARQL JSON results format has them, their escaping, and the
project's standard prefixes. Everything else in :mod:`stikg.sparql` speaks :class:`Term`."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from stikg.core.config import base_iri
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
INTEGER_LEXICAL = re.compile(r"^[+-]?[0-9]+$")
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
        datatype = self.datatype or ""
        return self.type == "literal" and datatype.startswith(XSD) and (
            datatype[len(XSD):] in {"integer", "decimal", "double", "float", "int", "long"}
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
