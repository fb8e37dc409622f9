"""Fast, deterministic RDF serialisers: N-Triples, N-Quads, Turtle, TriG and JSON-LD.

rdflib's Turtle serialiser is superlinear and orders some output by hash; these writers sort
statements once (by their N-Triples form) and stream them, so the same graph always gives the
same bytes and a million triples take seconds. Literal and IRI escaping is N-Triples escaping,
which is valid Turtle/TriG; IRIs are shortened to prefixed names only when the local part is a
safe Turtle PN_LOCAL. Every format is made from an :class:`Indexed` (terms numbered, triples as
sorted integers), which ``kgwriter`` builds once for all the files of ``kg/``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rdflib import URIRef

from stikg.rdf.formats import RDF_FORMATS
from stikg.rdf.indexed import Indexed
from stikg.rdf.vocab import Triple

FORMATS = ("ttl", "nt", "nq", "trig", "jsonld")
MEDIA_TYPES = {code: RDF_FORMATS[code].media_type for code in FORMATS}


def ntriples(triples: Iterable[Triple]) -> str:
    """N-Triples in the order of :func:`sorted_triples` (rdf:type first within a subject)."""
    index = Indexed({"": triples})
    return "".join(index.ntriples(index.keys[""]))


def nquads(graphs: Mapping[URIRef, Iterable[Triple]]) -> str:
    """All graphs as N-Quads, lines sorted."""
    return "".join(Indexed(graphs).nquads())


def turtle(triples: Iterable[Triple]) -> str:
    """Readable Turtle: prefixes, one block per subject, predicates grouped with ';'."""
    index = Indexed({"": triples})
    return "".join(index.turtle(index.keys[""]))


def trig(graphs: Mapping[URIRef, Iterable[Triple]]) -> str:
    """TriG: one GRAPH block per named graph, graphs in IRI order."""
    return "".join(Indexed(graphs).trig())


def jsonld(graphs: Mapping[URIRef, Iterable[Triple]]) -> str:
    """JSON-LD 1.1 with the published context inlined; one named-graph object per graph."""
    # Built by hand around json.dumps of each node's parts (the C encoder; indent= would use the
    # slow pure-Python one): one node object per line keeps the file diffable.
    return "".join(Indexed(graphs).jsonld())


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
