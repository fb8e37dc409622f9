"""The SPARQL application: ``/``, ``/sparql`` (SPARQL 1.1 Protocol), ``/library``, ``/static``.

Read-only: the query is parsed (rdflib's SPARQL parser) before it runs. SPARQL Update
(INSERT/DELETE/LOAD/CLEAR/DROP/CREATE/…) is refused with 403, and so is SERVICE; syntax errors
are 400 with the parser's reason; the client never sees a traceback. Other routes are added
with :meth:`App.route` by the modules :mod:`stikg.web.server` installs.
"""

from __future__ import annotations

import html
import logging
import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs

from stikg.core.errors import StikgError
from stikg.sparql import (
    AskResult,
    GraphResult,
    Query,
    QueryError,
    Result,
    SelectResult,
    Term,
    bind_parameters,
    library,
    unknown_query_message,
)
from stikg.web.http import (
    Handler,
    HTTPError,
    Request,
    Response,
    error_response,
    json_response,
    negotiate,
    static_text,
)
from stikg.web.workers import (
    CONTENT_TYPES,
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_RESULTS,
    DEFAULT_TIMEOUT_S,
    GRAPH_TYPES,
    SELECT_TYPES,
    Job,
    WorkerPool,
    classify,
)

log = logging.getLogger("stikg.web.server")

SERVICE_DESCRIPTION_TYPES = {"text/turtle": "ttl", "application/n-triples": "nt", "text/html": "html"}
_RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                   "Turtle", "N-Triples")


def service_description(endpoint: str, max_results: int, timeout: float, fmt: str = "ttl") -> bytes:
    """The endpoint's SPARQL 1.1 Service Description (what it speaks, its dataset, its limits)."""
    from rdflib import BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import RDF, RDFS

    sd = Namespace("http://www.w3.org/ns/sparql-service-description#")
    formats = Namespace("http://www.w3.org/ns/formats/")
    g = Graph()
    g.bind("sd", sd)
    g.bind("formats", formats)
    service, dataset, default = URIRef(endpoint), BNode("dataset"), BNode("default")
    g.add((service, RDF.type, sd.Service))
    g.add((service, sd.endpoint, service))
    g.add((service, sd.supportedLanguage, sd.SPARQL11Query))
    g.add((service, sd.feature, sd.UnionDefaultGraph))
    for name in _RESULT_FORMATS:
        g.add((service, sd.resultFormat, formats[name]))
    g.add((service, sd.defaultDataset, dataset))
    g.add((dataset, RDF.type, sd.Dataset))
    g.add((dataset, sd.defaultGraph, default))
    g.add((default, RDF.type, sd.Graph))
    g.add((service, RDFS.comment, Literal(
        f"Read-only: SPARQL Update, LOAD and SERVICE are refused. The default graph is the union of the "
        f"named graphs unless the query (FROM / FROM NAMED) or the protocol (default-graph-uri / "
        f"named-graph-uri) names a dataset. Answers are capped at {max_results} rows or triples "
        f"(X-Stikg-Truncated: true) and queries time out after {timeout:g} s (503).", lang="en")))
    text = g.serialize(format="turtle" if fmt == "ttl" else "nt")
    return text.encode("utf-8")


@dataclass
class AppConfig:
    timeout: float = DEFAULT_TIMEOUT_S
    max_results: int = DEFAULT_MAX_RESULTS
    max_body: int = DEFAULT_MAX_BODY
    queries_dir: Path | None = None


class App:
    """Routes requests to handlers; add routes with :meth:`route` (regex on the path)."""

    def __init__(self, pool: WorkerPool, config: AppConfig):
        self.pool = pool
        self.config = config
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.route("GET", r"/", self.index)
        self.route("GET", r"/sparql", self.sparql)
        self.route("POST", r"/sparql", self.sparql)
        self.route("GET", r"/library", self.library_list)
        self.route("GET", r"/library/(?P<name>[A-Za-z0-9_\-]+)", self.library_run)
        self.route("GET", r"/static/(?P<path>[A-Za-z0-9_\-./]+)", self.static)

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Register ``handler`` for ``method`` on paths fully matching ``pattern``."""
        self.routes.append((method, re.compile(pattern), handler))

    def dispatch(self, request: Request) -> Response:
        try:
            if request.method == "OPTIONS":
                return Response(204)
            allowed = []
            for method, pattern, handler in self.routes:
                match = pattern.fullmatch(request.path)
                if not match:
                    continue
                if method != request.method and not (method == "GET" and request.method == "HEAD"):
                    allowed.append(method)
                    continue
                request.match = match
                return handler(request)
            if allowed:
                return error_response(405, f"{request.method} is not allowed on {request.path}",
                                      {"Allow": ", ".join(sorted(set(allowed)))})
            return error_response(404, f"no such page: {request.path}")
        except HTTPError as exc:
            return error_response(exc.status, exc.message, exc.headers)
        except StikgError as exc:
            return error_response(400, exc.message)
        except Exception:  # never a traceback to the client
            log.error("internal error on %s %s\n%s", request.method, request.path, traceback.format_exc())
            return error_response(500, "internal server error")

    # -- SPARQL protocol

    def _query_from_request(self, request: Request) -> tuple[str, dict[str, list[str]]]:
        params = {k: list(v) for k, v in request.params.items()}
        if request.method == "POST":
            ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype == "application/sparql-query":
                params.setdefault("query", []).insert(0, _utf8(request.body, "the query"))
            elif ctype == "application/x-www-form-urlencoded":
                form = _utf8(request.body, "the form")
                try:
                    fields = parse_qs(form, keep_blank_values=True, errors="strict")
                except UnicodeDecodeError:
                    raise HTTPError(400, "the form is not UTF-8 once percent-decoded") from None
                for key, values in fields.items():
                    params.setdefault(key, []).extend(values)
            elif ctype == "application/sparql-update":
                raise HTTPError(403, "SPARQL Update is not allowed: this endpoint is read-only")
            else:
                raise HTTPError(415, f"unsupported Content-Type {ctype or '(none)'}; use "
                                     "application/sparql-query or application/x-www-form-urlencoded")
        if "update" in params:
            raise HTTPError(403, "SPARQL Update is not allowed: this endpoint is read-only")
        queries = params.get("query") or []
        if len(queries) != 1 or not queries[0].strip():
            raise HTTPError(400, "give exactly one SPARQL query (the 'query' parameter)")
        return queries[0], params

    def sparql(self, request: Request) -> Response:
        if request.method == "GET" and not request.params:
            # no query: a SPARQL 1.1 service description for RDF clients, the query page for browsers
            fmt = negotiate(request.headers.get("Accept"), SERVICE_DESCRIPTION_TYPES, "html")
            if fmt == "html":
                return Response(303, headers={"Location": "/", "Vary": "Accept"})
            host = request.headers.get("Host") or "localhost"
            body = service_description(f"http://{host}/sparql", self.config.max_results, self.config.timeout, fmt)
            return Response(200, body, CONTENT_TYPES[fmt], {"Vary": "Accept"})
        text, params = self._query_from_request(request)
        form = classify(text)
        fmt = self._format(request, form)
        job = Job(
            text=text, fmt=fmt, limit=self.config.max_results,
            default_graphs=tuple(_iris(params.get("default-graph-uri", []))),
            named_graphs=tuple(_iris(params.get("named-graph-uri", []))),
        )
        return self._answer(job)

    def _answer(self, job: Job) -> Response:
        """Run a query job; the answer varies by Accept and says when the cap cut it."""
        body, truncated = self.pool.run(job, self.config.timeout)
        headers = {"Vary": "Accept"}
        if truncated:
            headers["X-Stikg-Truncated"] = "true"
        return Response(200, body, CONTENT_TYPES[job.fmt], headers)

    def _format(self, request: Request, form: str) -> str:
        explicit = request.param("format")
        graph = form in ("CONSTRUCT", "DESCRIBE")
        offers = GRAPH_TYPES if graph else SELECT_TYPES
        if explicit:
            short = {"turtle": "ttl", "ntriples": "nt", "n-triples": "nt", "xml": "rdf" if graph else "xml",
                     "rdfxml": "rdf", "json-ld": "jsonld", "nquads": "nq"}.get(explicit, explicit)
            if short in offers.values():
                return short
            raise HTTPError(400, f"format {explicit!r} is not available for {form} queries")
        return negotiate(request.headers.get("Accept"), offers, "ttl" if graph else "json")

    # -- library

    def _library(self) -> dict[str, Query]:
        if self.config.queries_dir is None or not self.config.queries_dir.is_dir():
            return {}
        return library(self.config.queries_dir)

    def library_list(self, request: Request) -> Response:
        items = [
            {
                "name": q.name, "title": q.title, "question_ja": q.question_ja, "question_en": q.question_en,
                "parameters": [
                    {"name": p.name, "type": p.type, "default": p.default, "optional": p.optional,
                     "description": p.description} for p in q.parameters
                ],
                "columns": list(q.columns), "text": q.text,
            }
            for q in self._library().values()
        ]
        return json_response(items)

    def library_run(self, request: Request) -> Response:
        assert request.match is not None
        name = request.match.group("name")
        query = self._library().get(name)
        if query is None:
            raise HTTPError(404, unknown_query_message(name, sorted(self._library())))
        given = {k: v[0] for k, v in request.params.items() if k != "format" and v}
        bindings = bind_parameters(query, given, _PoolResolver(self))
        form = classify(query.text)
        fmt = self._format(request, form)
        job = Job(query.text, fmt, self.config.max_results, tuple(sorted(bindings.items())))
        return self._answer(job)

    # -- pages

    def index(self, request: Request) -> Response:
        items = []
        for q in self._library().values():
            items.append(
                f'<li><a href="#" data-name="{html.escape(q.name)}">{html.escape(q.title or q.name)}</a>'
                f'<div class="q">{html.escape(q.question_ja)}<br>{html.escape(q.question_en)}</div></li>'
            )
        page = static_text("index.html").replace("<!--LIBRARY-->", "\n".join(items))
        return Response(200, page.encode("utf-8"), "text/html; charset=utf-8")

    def static(self, request: Request) -> Response:
        assert request.match is not None
        rel = request.match.group("path")
        if ".." in rel.split("/"):
            raise HTTPError(404, "no such file")
        resource = resources.files("stikg.web").joinpath("static", *rel.split("/"))
        if not resource.is_file():
            raise HTTPError(404, f"no such file: /static/{rel}")
        ctype = {
            ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
            ".html": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8",
        }.get(Path(rel).suffix, "application/octet-stream")
        return Response(200, resource.read_bytes(), ctype, {"Cache-Control": "max-age=3600"})


class _PoolResolver:
    """Resolve entity names for /library/NAME through the worker pool (same data as the query)."""

    def __init__(self, app: App):
        self.app = app

    def _select(self, text: str, bindings: dict[str, Term]) -> SelectResult:
        job = Job(text, "json", 100, tuple(sorted(bindings.items())), as_result=True)
        result, _ = self.app.pool.run(job, self.app.config.timeout)
        assert isinstance(result, SelectResult | AskResult | GraphResult)
        return result if isinstance(result, SelectResult) else SelectResult([], [])

    def exists(self, kind: str, term: Term) -> bool:
        from stikg.sparql import LabelResolver

        return LabelResolver(self).exists(kind, term)

    def by_label(self, kind: str, name: str) -> Term:
        from stikg.sparql import LabelResolver

        return LabelResolver(self).by_label(kind, name)

    def run(self, text: str, bindings: Mapping[str, Term] | None = None) -> Result:
        return self._select(text, dict(bindings or {}))


def _utf8(body: bytes, what: str) -> str:
    """A request body as text; HTTPError 400 when it is not UTF-8."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPError(400, f"{what} is not UTF-8 (byte {body[exc.start]:#04x} at offset {exc.start})") from None


def _iris(values: list[str]) -> list[str]:
    out = []
    for value in values:
        try:
            out.append(Term.iri(value.strip()).value)
        except QueryError:
            raise HTTPError(400, f"not an absolute IRI: {value!r}") from None
    return out
