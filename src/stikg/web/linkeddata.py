"""Linked data in ``stikg serve``: dereferenceable IRIs, dumps, the VoID and the ontology.

:func:`install` adds these routes to a :class:`stikg.web.sparql_app.App`:

* ``/{kind}/{id}`` for kind ∈ :data:`KINDS` is the entity ``{BASE}{kind}/{id}`` (``BASE`` =
  ``$STIKG_BASE_IRI``, default ``https://w3id.org/stikg/``). It answers ``303 See Other`` to
  ``/{kind}/{id}.html | .ttl | .jsonld | .nt | .rdf`` chosen by ``Accept`` (HTML when nothing offered
  matches, with a ``Link`` header naming the alternates); each suffix URL serves that
  representation. The RDF is the entity's triples as subject, the labels of the entities they
  link to, the entity's evidence, and for a programme its facts (allocations, citations, roles,
  flows, periods) with their evidence. Descriptions are CONSTRUCT queries run by the server's
  :class:`~stikg.web.workers.WorkerPool`, so they see exactly the data ``/sparql`` sees.
* ``/source/{doc}`` the whole source document with numbered, anchored lines (``#L{n}``).
* ``/dumps/{file}`` the kg/ dump files; ``/dataset`` and ``/.well-known/void`` the VoID;
  ``/graph/{name}`` a named graph's Turtle; ``/ontology`` the ontology (HTML docs or Turtle).

Every response made here carries the security headers of :data:`SECURITY_HEADERS` (the server
adds ``X-Content-Type-Options: nosniff`` to all responses). Paths are never joined to the file
system: documents, dumps and graphs are looked up in allow-lists, so ``..`` cannot escape.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef

from stikg.core.config import Paths, base_iri, find_root
from stikg.core.errors import StikgError
from stikg.rdf import serialize
from stikg.rdf.formats import content_type, offers
from stikg.sparql import AskResult, GraphResult, QueryError, SelectResult, Term
from stikg.web import html as pages
from stikg.web.http import HTTPError, Request, Response, negotiate
from stikg.web.snapshot import snapshot_for
from stikg.web.sparql_app import App
from stikg.web.summaries import Summaries
from stikg.web.workers import Job

KINDS = ("program", "strategy", "organization", "hub", "document", "allocation", "budget", "citation", "flow",
         "role", "period", "evidence")
VOID_KINDS = ("dataset", "distribution")
ONTOLOGY_IRI = "https://w3id.org/stikg/ontology"
ONTOLOGY_NS = ONTOLOGY_IRI + "#"
PAGE_FORMATS = ("html", "ttl", "jsonld", "nt", "rdf")
EXTENSIONS = {code: content_type(code) for code in PAGE_FORMATS}
# on an entity IRI, plain JSON means JSON-LD (on /sparql it means SPARQL results)
OFFERS = {**offers(("html", "ttl", "jsonld")), "application/json": "jsonld", **offers(("nt", "rdf"))}
DUMPS = {name: content_type(name.rsplit(".", 1)[1])
         for name in ("dataset.nq", "dataset.trig", "dataset.jsonld", "stikg.ttl", "void.ttl", "context.jsonld")}
SECURITY_HEADERS = pages.SECURITY_HEADERS
LABEL_PREDICATES = (
    "http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://purl.org/dc/terms/title", "http://www.w3.org/2004/02/skos/core#notation",
    ONTOLOGY_NS + "fileName",
)
_SLUG = re.compile(r"[A-Za-z0-9_\-]+(?:[./][A-Za-z0-9_\-]+)*")
INCOMING_LIMIT = 300


def _values(iri: str) -> str:
    return Term.iri(iri).n3()


_LABEL_FILTER = "FILTER(?lp IN (" + ", ".join(f"<{p}>" for p in LABEL_PREDICATES) + "))"
_FILTER_F = _LABEL_FILTER.replace("?lp", "?flp")
DESCRIBE = f"""PREFIX stikg: <{ONTOLOGY_NS}>
CONSTRUCT {{ ?s ?p ?o . ?o ?lp ?label . ?f ?fp ?fo . ?fo ?flp ?flabel . ?ev ?ep ?eo . }}
WHERE {{
  VALUES ?s {{ %s }}
  {{ ?s ?p ?o . OPTIONAL {{ ?o ?lp ?label . {_LABEL_FILTER} }} }}
  UNION {{ ?f stikg:forProgram|stikg:citingProgram ?s . ?f ?fp ?fo .
           OPTIONAL {{ ?fo ?flp ?flabel . {_FILTER_F} }} }}
  UNION {{ ?f stikg:forProgram|stikg:citingProgram ?s . ?f stikg:hasEvidence ?ev . ?ev ?ep ?eo . }}
  UNION {{ ?s stikg:hasEvidence ?ev . ?ev ?ep ?eo . }}
}}"""
EXISTS = "ASK { VALUES ?s { %s } { ?s ?p ?o } UNION { ?x ?y ?s } }"
INCOMING = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX stikg: <https://w3id.org/stikg/ontology#>
SELECT DISTINCT ?x ?p ?label WHERE {
  VALUES ?s { %s }
  ?x ?p ?s . FILTER(isIRI(?x) && ?p NOT IN (stikg:forProgram, stikg:citingProgram))
  OPTIONAL { ?x rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "ja")) }
} ORDER BY ?p ?x LIMIT %d"""
SIMILAR = """SELECT DISTINCT ?s ?label WHERE {
  ?s a ?type . FILTER(STRSTARTS(STR(?s), %s) && CONTAINS(LCASE(STR(?s)), %s))
  OPTIONAL { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER(LANGMATCHES(LANG(?label), "ja")) }
} ORDER BY ?s LIMIT 10"""


# ----------------------------------------------------------------------------- RDF terms


def to_rdflib(term: Term) -> Any:
    """A :class:`Term` as an rdflib term (for the deterministic serialisers)."""
    if term.type == "uri":
        return URIRef(term.value)
    if term.type == "bnode":
        return BNode(term.value)
    if term.lang:
        return Literal(term.value, lang=term.lang)
    if term.datatype:
        return Literal(term.value, datatype=URIRef(term.datatype))
    return Literal(term.value)


def from_rdflib(term: Any) -> Term:
    if isinstance(term, URIRef):
        return Term("uri", str(term))
    if isinstance(term, BNode):
        return Term("bnode", str(term))
    return Term.literal(str(term), str(term.datatype) if term.datatype else None, term.language)


def render_rdf(fmt: str, triples: Iterable[tuple[Term, Term, Term]]) -> bytes:
    """Turtle, N-Triples, JSON-LD (default graph, the published context) or RDF/XML of ``triples``."""
    rdf = {tuple(to_rdflib(t) for t in triple) for triple in triples}
    if fmt == "ttl":
        return serialize.turtle(rdf).encode("utf-8")
    if fmt == "nt":
        return serialize.ntriples(rdf).encode("utf-8")
    if fmt == "jsonld":
        wrapped = json.loads(serialize.jsonld({URIRef("urn:x-stikg:description"): rdf}))
        nodes = wrapped["@graph"][0]["@graph"] if wrapped["@graph"] else []
        document = {"@context": wrapped["@context"], "@graph": nodes}
        return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    if fmt == "rdf":
        graph = Graph()
        for triple in sorted(rdf):
            graph.add(triple)
        return graph.serialize(format="xml").encode("utf-8")
    raise ValueError(f"unknown RDF format {fmt!r}")


# ----------------------------------------------------------------------------- responses


secure = pages.secure


def html_response(text: str, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return pages.html_page(text, status, headers)


def alternates_header(path: str) -> str:
    return ", ".join(f'<{quote(path)}.{ext}>; rel="alternate"; type="{EXTENSIONS[ext].split(";")[0]}"'
                     for ext in ("html", "ttl", "jsonld", "nt", "rdf"))


def choose(accept: str | None) -> tuple[str, bool]:
    """The representation for ``Accept`` (q-values honoured) and whether it was a fallback."""
    try:
        return negotiate(accept, OFFERS, "html"), False
    except HTTPError:
        return "html", True


def split_extension(rest: str) -> tuple[str, str | None]:
    for ext in EXTENSIONS:
        if rest.endswith("." + ext):
            return rest[: -len(ext) - 1], ext
    return rest, None


@dataclass
class Description:
    """What we publish about one IRI: RDF triples, and (HTML only) incoming links."""

    iri: str
    triples: list[tuple[Term, Term, Term]]
    incoming: list[tuple[str, str, str]]
    incoming_total: int


# ----------------------------------------------------------------------------------- the app


class LinkedData:
    """The linked-data routes of one :class:`App` (see the module docstring)."""

    def __init__(self, app: App, root: Path):
        self.app = app
        self.paths = Paths(root)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Any]] = {}

    # -- plumbing

    @property
    def base(self) -> str:
        return base_iri()

    def linker(self, iri: str) -> str | None:
        """The path on this server that serves ``iri`` (None for IRIs we do not serve)."""
        if iri == ONTOLOGY_IRI or iri.startswith(ONTOLOGY_NS):
            return "/ontology" + (iri[len(ONTOLOGY_IRI):] if iri != ONTOLOGY_IRI else "")
        if iri.startswith(self.base):
            rest = iri[len(self.base):]
            kind = rest.split("/", 1)[0]
            if kind in KINDS or kind in VOID_KINDS or kind == "graph":
                return "/" + quote(rest, safe="/-_.~#")
        return None

    def run(self, text: str, limit: int | None = None) -> Any:
        job = Job(text, "json", limit or self.app.config.max_results, as_result=True)
        result, _ = self.app.pool.run(job, self.app.config.timeout)
        return result

    def cached(self, key: str, path: Path, load: Any) -> Any:
        """``load(path)`` memoised until the file's mtime changes."""
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return None
        with self._lock:
            hit = self._cache.get(key)
            if hit and hit[0] == mtime:
                return hit[1]
        value = load(path)
        with self._lock:
            self._cache[key] = (mtime, value)
        return value

    def void_triples(self) -> list[tuple[Term, Term, Term]]:
        def load(path: Path) -> list[tuple[Term, Term, Term]]:
            from rdflib import Graph

            return [(from_rdflib(s), from_rdflib(p), from_rdflib(o)) for s, p, o in Graph().parse(path, format="turtle")]

        return self.cached("void", self.paths.kg / "void.ttl", load) or []

    # -- routes

    def not_found(self, request: Request, suggestions: list[tuple[str, str]] | None = None) -> Response:
        kinds = {f"/{k}/…": f"{self.base}{k}/…" for k in KINDS}
        return html_response(pages.not_found_page(request.path, suggestions or [], kinds), 404)

    def entity(self, request: Request) -> Response:
        assert request.match is not None
        kind, rest = request.match.group("kind"), request.match.group("rest")
        slug, ext = split_extension(rest)
        if not _SLUG.fullmatch(slug) or ".." in slug:
            return self.not_found(request)
        iri = f"{self.base}{kind}/{slug}"
        try:
            Term.iri(iri)
        except QueryError:
            return self.not_found(request)
        path = f"/{kind}/{slug}"
        if ext is None:
            if not self.exists(iri):
                return self.not_found(request, self.similar(kind, slug))
            fmt, _ = choose(request.headers.get("Accept"))
            return secure(Response(303, f"See {path}.{fmt}\n".encode(), "text/plain; charset=utf-8", {
                "Location": f"{quote(path)}.{fmt}", "Vary": "Accept", "Link": alternates_header(path),
            }))
        description = self.describe(iri, with_incoming=ext == "html")
        if description is None:
            return self.not_found(request, self.similar(kind, slug))
        return self.represent(description, path, ext)

    def represent(self, description: Description, path: str, ext: str) -> Response:
        headers = {"Link": alternates_header(path), "Cache-Control": "max-age=300"}
        if ext == "html":
            summary, labels = "", {}
            try:
                snap = snapshot_for(self.app)
                summary = Summaries(snap, self.linker).render(description.iri, path.strip("/").split("/", 1)[0])
                labels = snap.names
            except HTTPError as exc:  # the store is busy or slow: the page without its summary, said so
                summary = f'<p class="empty" role="status">概要は作成できませんでした. No summary: {pages.esc(exc.message)}</p>'
            page = pages.entity_page(description.iri, path, description.triples, self.linker,
                                     description.incoming, description.incoming_total, INCOMING_LIMIT,
                                     summary=summary, labels=labels)
            return html_response(page, headers=headers)
        return secure(Response(200, render_rdf(ext, description.triples), EXTENSIONS[ext], headers))

    def exists(self, iri: str) -> bool:
        result = self.run(EXISTS % _values(iri))
        if isinstance(result, AskResult) and result.value:
            return True
        return any(s.value == iri for s, _, _ in self.void_triples())

    def describe(self, iri: str, with_incoming: bool = False) -> Description | None:
        result = self.run(DESCRIBE % _values(iri))
        triples = sorted(set(result.triples)) if isinstance(result, GraphResult) else []
        if not triples:  # not in the store: perhaps one of the VoID's resources (publisher, …)
            triples = self.void_description(iri)
        incoming: list[tuple[str, str, str]] = []
        total = 0
        if with_incoming:
            rows = self.run(INCOMING % (_values(iri), INCOMING_LIMIT + 1))
            if isinstance(rows, SelectResult):
                seen: dict[tuple[str, str], str] = {}
                for x, p, label in rows.rows:
                    if x is not None and p is not None:
                        seen.setdefault((x.value, p.value), label.value if label is not None else "")
                total = len(seen)
                incoming = [(x, p, label) for (x, p), label in list(seen.items())[:INCOMING_LIMIT]]
        if not triples and not incoming:
            if not self.exists(iri):
                return None
        return Description(iri, triples, incoming, total)

    def void_description(self, iri: str) -> list[tuple[Term, Term, Term]]:
        void = self.void_triples()
        own = [t for t in void if t[0].value == iri]
        linked = {o.value for _, _, o in own if o.type == "uri"}
        labels = [t for t in void if t[0].value in linked and t[1].value in LABEL_PREDICATES]
        return sorted(set(own + labels))

    def similar(self, kind: str, slug: str) -> list[tuple[str, str]]:
        """Up to 10 served IRIs of ``kind`` whose id contains a piece of ``slug``."""
        pieces = [p for p in re.split(r"[-_./]", slug.lower()) if len(p) >= 3] or [slug.lower()[:4]]
        found: list[tuple[str, str]] = []
        for piece in pieces[:3]:
            if not piece:
                continue
            query = SIMILAR % (Term.literal(f"{self.base}{kind}/").n3(), Term.literal(piece).n3())
            result = self.run(query, 10)
            if isinstance(result, SelectResult):
                for s, label in result.rows:
                    if s is not None and (href := self.linker(s.value)) and href not in dict(found):
                        found.append((href, label.value if label is not None else s.value))
        return found[:10]

    def void_resource(self, request: Request) -> Response:
        """``/dataset/…`` and ``/distribution/…``: resources described only in the VoID."""
        assert request.match is not None
        slug, ext = split_extension(request.match.group("rest"))
        path = f"/{request.match.group('kind')}/{slug}"
        iri = f"{self.base}{request.match.group('kind')}/{slug}"
        triples = self.void_description(iri)
        if not triples:
            return self.not_found(request)
        if ext is None:
            fmt, _ = choose(request.headers.get("Accept"))
            return secure(Response(303, b"", "text/plain; charset=utf-8", {
                "Location": f"{quote(path)}.{fmt}", "Vary": "Accept", "Link": alternates_header(path)}))
        return self.represent(Description(iri, triples, [], 0), path, ext)

    def dataset(self, request: Request) -> Response:
        """``/dataset`` and ``/.well-known/void``: kg/void.ttl (Turtle by default, HTML for browsers)."""
        assert request.match is not None
        void_file = self.paths.kg / "void.ttl"
        if not void_file.is_file():
            return self.not_found(request)
        ext = request.match.groupdict().get("ext")
        headers = {"Link": alternates_header("/dataset"), "Vary": "Accept"}
        if ext is None:
            accept = request.headers.get("Accept")
            fmt = "ttl" if not accept or accept.strip() == "*/*" else choose(accept)[0]
        else:
            fmt = ext
        if fmt == "ttl":
            return secure(Response(200, void_file.read_bytes(), EXTENSIONS["ttl"], headers))
        iri = f"{self.base}dataset"
        triples = self.void_triples()
        if fmt == "html":
            own = self.void_description(iri)
            page = pages.entity_page(iri, "/dataset", own, self.linker)
            return html_response(page, headers=headers)
        return secure(Response(200, render_rdf(fmt, triples), EXTENSIONS[fmt], headers))

    def dumps(self, request: Request) -> Response:
        assert request.match is not None
        name = request.match.group("file") or ""
        if name not in DUMPS:  # an allow-list: no directory listing, no path joined from input
            return self.not_found(request)
        path = self.paths.kg / name
        if not path.is_file():
            return self.not_found(request)
        headers = {"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "max-age=300"}
        # streamed: the transport opens the file once and sends it in chunks, with its ETag and
        # Last-Modified from that open file, Range and gzip (never the whole dump in memory)
        return secure(Response(200, b"", DUMPS[name], headers, file=path))

    def graph(self, request: Request) -> Response:
        """``/graph/{name}``: a named graph as Turtle (kg/graphs/{name with '/' → '-'}.ttl)."""
        assert request.match is not None
        name, ext = split_extension(request.match.group("name"))
        if ext not in (None, "ttl"):
            return self.not_found(request)
        files = {p.stem: p for p in (self.paths.kg / "graphs").glob("*.ttl")}
        path = files.get(name.replace("/", "-"))
        if path is None:
            return self.not_found(request)
        return secure(Response(200, path.read_bytes(), EXTENSIONS["ttl"], {"Cache-Control": "max-age=300"}))

    def documents(self) -> dict[str, Any]:
        from stikg.inputs.corpus import load_catalog

        entries = self.cached("catalog", self.paths.catalog, load_catalog) or []
        return {e.stem: e for e in entries}

    def source(self, request: Request) -> Response:
        """``/source/{stem}`` (or ``{stem}.txt``): the catalogued document with numbered lines."""
        assert request.match is not None
        name = request.match.group("doc") or ""
        stem = name.removesuffix(".txt")
        entry = self.documents().get(stem)  # an allow-list: only catalogued documents
        if entry is None or "/" in name or ".." in name:
            return self.not_found(request)
        from stikg.inputs.corpus import read_document_lines

        try:
            lines, _ = read_document_lines(self.paths.sources / entry.id)
        except StikgError:
            return self.not_found(request)
        page = pages.source_page(stem, entry.title_ja, lines, f"/document/{quote(stem)}.html")
        return html_response(page, headers={"Cache-Control": "max-age=300"})

    def ontology(self, request: Request) -> Response:
        """``/ontology``: 303 to ``.html`` (browsers) or ``.ttl``; the suffix URLs serve them."""
        assert request.match is not None
        ext = request.match.group("ext")
        files = sorted(self.paths.ontology.glob("*.ttl"))
        if not files:
            return self.not_found(request)
        if ext is None:
            fmt, _ = choose(request.headers.get("Accept"))
            return secure(Response(303, b"", "text/plain; charset=utf-8", {
                "Location": f"/ontology.{fmt}", "Vary": "Accept", "Link": alternates_header("/ontology")}))
        headers = {"Link": alternates_header("/ontology"), "Cache-Control": "max-age=300"}
        if ext == "html":
            from stikg.web import ontology_docs

            page = self.cached("ontology-html", files[0], lambda _: ontology_docs.render(
                ontology_docs.load(self.paths.ontology), css=pages.CSS))
            return html_response(page, headers=headers)
        if ext == "ttl" and len(files) == 1:
            return secure(Response(200, files[0].read_bytes(), EXTENSIONS["ttl"], headers))
        from stikg.web import ontology_docs

        graph = self.cached("ontology-graph", files[0], lambda _: ontology_docs.load(self.paths.ontology))
        triples = [(from_rdflib(s), from_rdflib(p), from_rdflib(o)) for s, p, o in graph]
        return secure(Response(200, render_rdf(ext, triples), EXTENSIONS[ext], headers))


def install(app: App, root: Path | None = None) -> LinkedData:
    """Add the linked-data routes to ``app``; ``root`` defaults to the project of the query library."""
    if root is None:
        queries = app.config.queries_dir
        root = queries.parent if queries is not None else find_root()
    ld = LinkedData(app, Path(root))
    kinds = "|".join(KINDS)
    app.route("GET", rf"/(?P<kind>{kinds})/(?P<rest>.+)", ld.entity)
    app.route("GET", r"/(?P<kind>dataset|distribution)/(?P<rest>.+)", ld.void_resource)
    app.route("GET", r"/(?:dataset|\.well-known/void)(?:\.(?P<ext>html|ttl|jsonld|nt))?", ld.dataset)
    app.route("GET", r"/dumps(?:/(?P<file>.*))?", ld.dumps)
    app.route("GET", r"/graph/(?P<name>.+)", ld.graph)
    app.route("GET", r"/source(?:/(?P<doc>.*))?", ld.source)
    app.route("GET", r"/ontology(?:\.(?P<ext>html|ttl|jsonld|nt))?", ld.ontology)
    return ld
