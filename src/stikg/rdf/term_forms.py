"""The text of single RDF terms in N-Triples, Turtle and JSON-LD, and the statement order.

Every serialiser writes a term the same way wherever it occurs, so its forms are made here once:
the N-Triples form (memoised, a graph repeats its terms a lot), the Turtle form (a prefixed name
only when the local part is a safe Turtle PN_LOCAL, integers and booleans bare), the JSON-LD value,
and the prefix header a set of used prefixes gives. :func:`sorted_triples` is the statement order
every format follows (by N-Triples form, rdf:type first within a subject); :mod:`stikg.rdf.indexed`
sorts by the same key as integers.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD

from stikg.rdf.vocab import PREFIXES, Triple

# A conservative PN_LOCAL: letters, digits, '_', '-', '.', not starting with '-' or '.', not ending with '.'.
_SAFE_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_RDF_TYPE = RDF.type
_XSD_INTEGER = XSD.integer
_XSD_BOOLEAN = XSD.boolean
_INTEGER = re.compile(r"[+-]?\d+")
_PREFIX_ORDER = sorted(((str(ns), p) for p, ns in PREFIXES.items()), key=lambda x: -len(x[0]))


_NT_CACHE: dict = {}
_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LITERAL_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def term_nt(term) -> str:
    """The N-Triples form of one term (memoised: graphs repeat their terms a lot)."""
    cached = _NT_CACHE.get(term)
    if cached is not None:
        return cached
    if isinstance(term, URIRef):
        form = iri_nt(str(term))
    elif isinstance(term, Literal):
        form = literal_nt(term)
    else:
        form = f"_:{term}"
    if len(_NT_CACHE) > 2_000_000:
        _NT_CACHE.clear()
    _NT_CACHE[term] = form
    return form


def literal_nt(term: Literal) -> str:
    form = '"' + str(term).translate(_LITERAL_ESCAPES) + '"'
    if term.language:
        return form + "@" + term.language
    if term.datatype is not None:
        return form + f"^^<{term.datatype}>"
    return form


def iri_nt(text: str) -> str:
    return f"<{_escape_iri(text)}>" if _IRI_UNSAFE.search(text) else f"<{text}>"


def _escape_iri(iri: str) -> str:
    return "".join(c if c not in '<>"{}|^`\\' and ord(c) > 0x20 else f"\\u{ord(c):04X}" for c in iri)


def nt_row(triple: Triple) -> str:
    s, p, o = triple
    return f"{term_nt(s)} {term_nt(p)} {term_nt(o)} .\n"


def _sort_key(triple: Triple) -> tuple[str, str, str]:
    s, p, o = triple
    return (term_nt(s), "" if p == _RDF_TYPE else term_nt(p), term_nt(o))


def sorted_triples(triples: Iterable[Triple]) -> list[Triple]:
    """Triples in a stable order: subject, then rdf:type first, then predicate and object.

    The cyclic garbage collector is paused during the sort: the millions of key tuples it creates
    are not garbage, and scanning them repeatedly costs about a third of the time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return sorted(triples, key=_sort_key)
    finally:
        if enabled:
            gc.enable()


def nt_lines(triples: Iterable[Triple]) -> Iterator[str]:
    for t in sorted_triples(triples):
        yield nt_row(t)


# The longest namespace an IRI starts with: alternatives are tried in order, longest first.
_NAMESPACE = re.compile("|".join(re.escape(ns) for ns, _ in _PREFIX_ORDER))
_PREFIX_OF: dict[str, str] = {}
for _ns, _prefix in _PREFIX_ORDER:
    _PREFIX_OF.setdefault(_ns, _prefix)


def short_iri(term, nt: str | None = None) -> tuple[str, str]:
    """An IRI's Turtle form (a prefixed name when the local part is safe, else its N-Triples
    form ``nt``, made when not given) and the prefix it uses."""
    text = str(term)
    match = _NAMESPACE.match(text)
    if match is not None:
        local = text[match.end():]
        if local == "" or _SAFE_LOCAL.match(local):
            prefix = _PREFIX_OF[match.group()]
            return f"{prefix}:{local}", prefix
    return (term_nt(term) if nt is None else nt), ""


def object_form(term, nt: str) -> tuple[str, str]:
    """The Turtle form of a term that is not an IRI (``nt``: its N-Triples form), and the prefix
    that form uses: integers and booleans bare, other typed literals with a shortened datatype."""
    datatype = getattr(term, "datatype", None)
    lexical = str(term)
    if datatype == _XSD_INTEGER and _INTEGER.fullmatch(lexical):
        return lexical, ""
    if datatype == _XSD_BOOLEAN and lexical in ("true", "false"):
        return lexical, ""
    if isinstance(term, Literal) and datatype is not None and term.language is None:
        form, prefix = short_iri(datatype)
        return '"' + lexical.translate(_LITERAL_ESCAPES) + '"^^' + form, prefix
    return nt, ""


def jsonld_literal(term: Literal) -> str:
    """``json.dumps(jsonld_value(term), ensure_ascii=False)`` for a literal, made by hand."""
    enc = encode_basestring
    value = '{"@value": ' + enc(str(term))
    if term.language:
        value += ', "@language": ' + enc(term.language)
    elif term.datatype is not None and term.datatype != XSD.string:
        form = short_iri(term.datatype)[0]
        value += ', "@type": ' + enc(form[1:-1] if form.startswith("<") else form)
    return value + "}"


def prefix_header(used: set[str]) -> str:
    lines = [f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in sorted(used)]
    return "".join(lines) + ("\n" if lines else "")


def jsonld_context() -> dict:
    """The JSON-LD context published as ``kg/context.jsonld``: our prefixes."""
    return {"@context": {p: str(ns) for p, ns in sorted(PREFIXES.items())}}


def jsonld_value(term) -> dict:
    if isinstance(term, URIRef):
        return {"@id": _compact(term)}
    if isinstance(term, BNode):
        return {"@id": f"_:{term}"}
    value: dict = {"@value": str(term)}
    if term.language:
        value["@language"] = term.language
    elif term.datatype is not None and term.datatype != XSD.string:
        value["@type"] = _compact(term.datatype)
    return value


def _compact(term: URIRef) -> str:
    short = short_iri(term)[0]
    return short[1:-1] if short.startswith("<") else short

