"""The one table of formats and media types: RDF serialisations and SPARQL result formats.

Serialisers (stikg.rdf.serialize, VoID's distributions), the SPARQL endpoint's content
negotiation (stikg.web.workers) and the linked-data routes (stikg.web.linkeddata) all read
their codes, media types and extensions from here; each context adds only what is particular
to it (e.g. ``application/json`` means SPARQL results on /sparql but JSON-LD on an entity IRI).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    """A format: its short code, canonical media type, other accepted media types, file extension."""

    code: str
    media_type: str
    aliases: tuple[str, ...] = ()
    extension: str = ""
    label: str = ""


RDF_FORMATS: dict[str, Format] = {f.code: f for f in (
    Format("ttl", "text/turtle", ("application/x-turtle",), "ttl", "Turtle"),
    Format("nt", "application/n-triples", (), "nt", "N-Triples"),
    Format("nq", "application/n-quads", (), "nq", "N-Quads"),
    Format("trig", "application/trig", (), "trig", "TriG"),
    Format("jsonld", "application/ld+json", (), "jsonld", "JSON-LD"),
    Format("rdf", "application/rdf+xml", (), "rdf", "RDF/XML"),
)}
RESULT_FORMATS: dict[str, Format] = {f.code: f for f in (
    Format("json", "application/sparql-results+json", ("application/json",), "srj", "SPARQL JSON"),
    Format("xml", "application/sparql-results+xml", ("application/xml",), "srx", "SPARQL XML"),
    Format("csv", "text/csv", (), "csv", "CSV"),
    Format("tsv", "text/tab-separated-values", (), "tsv", "TSV"),
)}
HTML = Format("html", "text/html", ("application/xhtml+xml",), "html", "HTML")
ALL_FORMATS: dict[str, Format] = {**RDF_FORMATS, **RESULT_FORMATS, "html": HTML}


def content_type(code: str) -> str:
    """The Content-Type header of a format (UTF-8 text)."""
    return f"{ALL_FORMATS[code].media_type}; charset=utf-8"


def offers(codes: Iterable[str]) -> dict[str, str]:
    """media type → code for content negotiation over ``codes`` (canonical types, then aliases)."""
    out: dict[str, str] = {}
    for code in codes:
        fmt = ALL_FORMATS[code]
        for media in (fmt.media_type, *fmt.aliases):
            out.setdefault(media, code)
    return out
