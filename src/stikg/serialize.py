"""Fast, deterministic RDF serialisers: N-Triples, N-Quads, Turtle, TriG and JSON-LD.

rdflib's Turtle serialiser is superlinear and orders some output by hash; these writers sort
statements once (by their N-Triples form) and stream them, so the same graph always gives the
same bytes and a million triples take seconds. Literal and IRI escaping is N-Triples escaping,
which is valid Turtle/TriG; IRIs are shortened to prefixed names only when the local part is a
safe Turtle PN_LOCAL.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterable, Iterator, Mapping

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD

from stikg.vocab import PREFIXES

Triple = tuple
FORMATS = ("ttl", "nt", "nq", "trig", "jsonld")
MEDIA_TYPES = {
    "ttl": "text/turtle", "nt": "application/n-triples", "nq": "application/n-quads",
    "trig": "application/trig", "jsonld": "application/ld+json",
}

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
        text = str(term)
        form = f"<{_escape_iri(text)}>" if _IRI_UNSAFE.search(text) else f"<{text}>"
    elif isinstance(term, Literal):
        form = '"' + str(term).translate(_LITERAL_ESCAPES) + '"'
        if term.language:
            form += "@" + term.language
        elif term.datatype is not None:
            form += f"^^<{term.datatype}>"
    else:
        form = f"_:{term}"
    if len(_NT_CACHE) > 2_000_000:
        _NT_CACHE.clear()
    _NT_CACHE[term] = form
    return form


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


def ntriples(triples: Iterable[Triple]) -> str:
    return "".join(nt_lines(triples))


def nquads(graphs: Mapping[URIRef, Iterable[Triple]]) -> str:
    """All graphs as N-Quads, lines sorted."""
    lines = []
    for name, triples in graphs.items():
        suffix = f" <{name}> .\n"
        lines.extend(f"{term_nt(t[0])} {term_nt(t[1])} {term_nt(t[2])}{suffix}" for t in triples)
    lines.sort()
    return "".join(lines)


class _Shortener:
    """Prefixed names for IRIs (memoised) and Turtle forms for objects."""

    def __init__(self):
        self.order = _PREFIX_ORDER
        self.used: set[str] = set()
        self._iri_cache: dict = {}
        self._obj_cache: dict = {}

    def iri(self, term: URIRef) -> str:
        cached = self._iri_cache.get(term)
        if cached is not None:
            if cached[1]:
                self.used.add(cached[1])
            return cached[0]
        text = str(term)
        form, prefix = None, ""
        for ns, candidate in self.order:
            if text.startswith(ns):
                local = text[len(ns):]
                if local == "" or _SAFE_LOCAL.match(local):
                    form, prefix = f"{candidate}:{local}", candidate
                break
        if form is None:
            form = term_nt(term)
        self._iri_cache[term] = (form, prefix)
        if prefix:
            self.used.add(prefix)
        return form

    def obj(self, term) -> str:
        if isinstance(term, URIRef):
            return self.iri(term)
        cached = self._obj_cache.get(term)
        if cached is not None:
            return cached
        datatype = getattr(term, "datatype", None)
        lexical = str(term)
        if datatype == _XSD_INTEGER and _INTEGER.fullmatch(lexical):
            form = lexical
        elif datatype == _XSD_BOOLEAN and lexical in ("true", "false"):
            form = lexical
        elif isinstance(term, Literal) and datatype is not None and term.language is None:
            form = term_nt(Literal(lexical)) + "^^" + self.iri(datatype)
        else:
            form = term_nt(term)
        if len(self._obj_cache) < 1_000_000:
            self._obj_cache[term] = form
        return form


def _turtle_body(triples: Iterable[Triple], shortener: _Shortener, indent: str = "") -> list[str]:
    out: list[str] = []
    current_s = current_p = None
    for s, p, o in sorted_triples(triples):
        subj = shortener.iri(s) if isinstance(s, URIRef) else term_nt(s)
        pred = "a" if p == _RDF_TYPE else shortener.iri(p)  # 'a' only as a predicate, never an object
        obj = shortener.obj(o)
        if s != current_s:
            if current_s is not None:
                out.append(" .\n")
            out.append(f"{indent}{subj} {pred} {obj}")
            current_s, current_p = s, p
        elif p != current_p:
            out.append(f" ;\n{indent}    {pred} {obj}")
            current_p = p
        else:
            out.append(f" ,\n{indent}        {obj}")
    if current_s is not None:
        out.append(" .\n")
    return out


def _prefix_header(shortener: _Shortener) -> str:
    lines = [f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in sorted(shortener.used)]
    return "".join(lines) + ("\n" if lines else "")


def turtle(triples: Iterable[Triple]) -> str:
    """Readable Turtle: prefixes, one block per subject, predicates grouped with ';'."""
    shortener = _Shortener()
    body = _turtle_body(triples, shortener)
    return _prefix_header(shortener) + "".join(body)


def trig(graphs: Mapping[URIRef, Iterable[Triple]]) -> str:
    """TriG: one GRAPH block per named graph, graphs in IRI order."""
    shortener = _Shortener()
    parts = []
    for name in sorted(graphs, key=str):
        body = _turtle_body(graphs[name], shortener, indent="    ")
        parts.append(f"<{name}> {{\n" + "".join(body) + "}\n\n")
    return _prefix_header(shortener) + "".join(parts)


def jsonld_context() -> dict:
    """The JSON-LD context published as ``kg/context.jsonld``: our prefixes."""
    return {"@context": {p: str(ns) for p, ns in sorted(PREFIXES.items())}}


def _jsonld_value(term, shortener: _Shortener) -> dict:
    if isinstance(term, URIRef):
        return {"@id": _compact(term, shortener)}
    if isinstance(term, BNode):
        return {"@id": f"_:{term}"}
    value: dict = {"@value": str(term)}
    if term.language:
        value["@language"] = term.language
    elif term.datatype is not None and term.datatype != XSD.string:
        value["@type"] = _compact(term.datatype, shortener)
    return value


def _compact(term: URIRef, shortener: _Shortener) -> str:
    short = shortener.iri(term)
    return short[1:-1] if short.startswith("<") else short


def _node_objects(triples: Iterable[Triple], shortener: _Shortener) -> list[dict]:
    nodes: dict = {}
    for s, p, o in sorted_triples(triples):
        node = nodes.setdefault(s, {"@id": _compact(s, shortener) if isinstance(s, URIRef) else f"_:{s}"})
        if p == RDF.type and isinstance(o, URIRef):
            node.setdefault("@type", []).append(_compact(o, shortener))
        else:
            node.setdefault(_compact(p, shortener), []).append(_jsonld_value(o, shortener))
    return list(nodes.values())


def jsonld(graphs: Mapping[URIRef, Iterable[Triple]]) -> str:
    """JSON-LD 1.1 with the published context inlined; one named-graph object per graph."""
    shortener = _Shortener()
    # Built by hand around json.dumps of each node (the C encoder; indent= would use the slow
    # pure-Python one): one node object per line keeps the file diffable.
    parts = ['{"@context": ' + json.dumps(jsonld_context()["@context"], ensure_ascii=False) + ',\n "@graph": [']
    graph_parts = []
    for name in sorted(graphs, key=str):
        nodes = ",\n   ".join(json.dumps(n, ensure_ascii=False) for n in _node_objects(graphs[name], shortener))
        graph_parts.append('\n  {"@id": ' + json.dumps(str(name)) + ', "@graph": [\n   ' + nodes + "\n  ]}")
    parts.append(",".join(graph_parts))
    parts.append("\n ]}\n")
    return "".join(parts)


def serialize(fmt: str, graphs: Mapping[URIRef, Iterable[Triple]]) -> str:
    """Serialise named graphs in one of :data:`FORMATS` (ttl/nt merge the graphs)."""
    if fmt == "nq":
        return nquads(graphs)
    if fmt == "trig":
        return trig(graphs)
    if fmt == "jsonld":
        return jsonld(graphs)
    merged: set[Triple] = set()
    for triples in graphs.values():
        merged.update(triples)
    if fmt == "ttl":
        return turtle(merged)
    if fmt == "nt":
        return ntriples(merged)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
