"""``stikg serve``: a read-only SPARQL 1.1 Protocol endpoint and a query page.

Layout (all routing lives in :class:`App`; later work adds routes with :meth:`App.route`):

* ``GET /``                      the query page (library queries, a CodeMirror editor, results)
* ``GET|POST /sparql``           SPARQL 1.1 Protocol (query via GET ``?query=``, POST form or
                                 ``application/sparql-query``); results by ``Accept``
* ``GET /library``               the query library as JSON (name, title, questions, parameters, text)
* ``GET /library/NAME``          run a library query with its parameters bound as RDF terms
* ``GET /static/…``              vendored assets (no CDN, no network at run time)

Why the standard library: ``http.server`` is enough for a local analyst endpoint; requests are
handled by a *bounded* thread pool (:class:`BoundedHTTPServer`) and every query runs in a
worker *process* of :class:`WorkerPool`. pyoxigraph (0.5) has no way to cancel a running query,
so a query that outlives ``--timeout`` has its worker process killed and replaced: the
pathological query really stops and the other workers keep answering.

Read-only: the query is parsed (rdflib's SPARQL parser) before it runs. SPARQL Update
(INSERT/DELETE/LOAD/CLEAR/DROP/CREATE/…) is refused with 403, and so is SERVICE; syntax errors
are 400 with the parser's reason; the client never sees a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import html
import importlib
import importlib.util
import json
import logging
import multiprocessing
import queue
import re
import socket
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from stikg.errors import StikgError
from stikg.query import (
    PARSER_LOCK,
    AskResult,
    GraphResult,
    Query,
    QueryError,
    Result,
    SelectResult,
    Term,
    bind_parameters,
    format_csv,
    format_json,
    format_rdf,
    format_tsv,
    format_xml,
    library,
    read_only_refusal,
    syntax_error_message,
    unknown_query_message,
)

log = logging.getLogger("stikg.server")

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_RESULTS = 10_000
DEFAULT_MAX_BODY = 1 << 20
SELECT_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "ttl",
    "application/x-turtle": "ttl",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/rdf+xml": "rdf",
    "application/ld+json": "jsonld",
    "application/n-quads": "nq",
    "application/trig": "trig",
}
CONTENT_TYPES = {
    "json": "application/sparql-results+json; charset=utf-8",
    "xml": "application/sparql-results+xml; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "ttl": "text/turtle; charset=utf-8",
    "nt": "application/n-triples; charset=utf-8",
    "rdf": "application/rdf+xml; charset=utf-8",
    "jsonld": "application/ld+json; charset=utf-8",
    "nq": "application/n-quads; charset=utf-8",
    "trig": "application/trig; charset=utf-8",
}


class HTTPError(Exception):
    """An error answered to the client with ``status`` and a one-line ``message``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# ------------------------------------------------------------------------- read-only policy


def _walk(node: Any) -> Any:
    """Every node of an rdflib SPARQL parse tree (CompValue / ParseResults / lists)."""
    stack = [node]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, Mapping):
            stack.extend(item.values())
        if isinstance(item, list | tuple) or type(item).__name__ == "ParseResults":
            with contextlib.suppress(TypeError):
                stack.extend(list(item))


@functools.lru_cache(maxsize=512)
def classify(text: str) -> str:
    """The query form (SELECT, CONSTRUCT, DESCRIBE, ASK) of a query the endpoint may run.

    Raises :class:`HTTPError` 403 for SPARQL Update and SERVICE, 400 for syntax errors.
    """
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        with PARSER_LOCK:  # pyparsing is not thread-safe
            tree = parseQuery(text)
    except Exception as exc:  # pyparsing, and rdflib's assorted errors (undefined prefix, bad IRI …)
        refusal = read_only_refusal(text)
        if refusal is not None:
            raise HTTPError(403, refusal) from None
        raise HTTPError(400, syntax_error_message(text, exc)) from None
    for node in _walk(tree):
        if getattr(node, "name", None) == "ServiceGraphPattern":
            raise HTTPError(403, "SERVICE (federated query) is not allowed on this endpoint")
    form = getattr(tree[1], "name", "")
    return {
        "SelectQuery": "SELECT", "ConstructQuery": "CONSTRUCT",
        "DescribeQuery": "DESCRIBE", "AskQuery": "ASK",
    }.get(form, "SELECT")


# ------------------------------------------------------------------------------ workers


@dataclass(frozen=True)
class Job:
    """One query for a worker: text, RDF-term bindings, output format and limits."""

    text: str
    fmt: str
    limit: int
    bindings: tuple[tuple[str, Term], ...] = ()
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    as_result: bool = False


def _run_job(store: Any, job: Job) -> tuple[str, Any, bool]:
    import pyoxigraph as ox

    from stikg.query import has_dataset_clause, in_query_order, result_from_ox

    kwargs: dict[str, Any] = {}
    if job.default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    elif not job.named_graphs and not has_dataset_clause(job.text):
        kwargs["use_default_graph_as_union"] = True  # no dataset named: the default graph is the union
    if job.named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    if job.bindings:
        kwargs["substitutions"] = {ox.Variable(k): v.to_ox() for k, v in job.bindings}
    raw = store.query(job.text, **kwargs)
    result = in_query_order(result_from_ox(raw, job.limit), job.text)
    truncated = bool(getattr(result, "truncated", False))
    if job.as_result:
        return ("result", result, truncated)
    return ("body", serialize(result, job.fmt, job.limit), truncated)


def _worker_main(conn: Any, store_dir: str, dataset: str | None) -> None:
    """Worker process: open the store read-only (or load a dataset in memory), answer jobs."""
    import pyoxigraph as ox

    try:
        if dataset:
            from stikg.store import memory_store

            store = memory_store(Path(dataset))
        else:
            store = ox.Store.read_only(store_dir)
    except Exception as exc:  # reported to the parent, which fails to start
        conn.send(("fatal", f"cannot open the store: {exc}", False))
        return
    conn.send(("ready", None, False))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            conn.send(_run_job(store, job))
        except SyntaxError as exc:
            conn.send(("error", (400, syntax_error_message(job.text, exc)), False))
        except (RuntimeError, ValueError, TypeError, OSError) as exc:
            conn.send(("error", (400, f"query failed: {exc}"), False))
        except Exception as exc:  # never let a worker die silently
            conn.send(("error", (500, f"internal error: {type(exc).__name__}"), False))


class Worker:
    """A worker process and the parent's end of its pipe."""

    def __init__(self, ctx: Any, store_dir: str, dataset: str | None):
        parent, child = ctx.Pipe()
        self.conn = parent
        self.process = ctx.Process(target=_worker_main, args=(child, store_dir, dataset), daemon=True)
        self.process.start()
        child.close()

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            self.kill()
            raise StikgError(f"a query worker did not start within {timeout:.0f} s")
        kind, message, _ = self.conn.recv()
        if kind != "ready":
            self.kill()
            raise StikgError(str(message))

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.join(2)
        with contextlib.suppress(Exception):
            self.conn.close()


def ready_timeout(dataset: Path | None) -> float:
    """Seconds a worker may take to start: 60, plus loading time for an in-memory dataset
    (N-Quads load at ~40 MB/s on this machine's 2 cores; allow a quarter of that)."""
    if not dataset:
        return 60.0
    try:
        size = Path(dataset).stat().st_size
    except OSError:
        return 60.0
    return 60.0 + size / 10_000_000


class WorkerPool:
    """A fixed number of query worker processes; a query past its timeout kills its worker."""

    def __init__(self, store_dir: Path | None, size: int = 2, dataset: Path | None = None):
        self.ctx = multiprocessing.get_context("spawn")
        self.store_dir = str(store_dir or "")
        self.dataset = str(dataset) if dataset else None
        self.size = size
        self.ready_timeout = ready_timeout(dataset)
        self.idle: queue.Queue[Worker] = queue.Queue()
        self.closed = False
        workers = [Worker(self.ctx, self.store_dir, self.dataset) for _ in range(size)]
        for worker in workers:
            worker.wait_ready(self.ready_timeout)
            self.idle.put(worker)

    def _replace(self) -> None:
        def start() -> None:
            try:
                worker = Worker(self.ctx, self.store_dir, self.dataset)
                worker.wait_ready(self.ready_timeout)
            except StikgError as exc:
                log.error("cannot restart a query worker: %s", exc)
                return
            if self.closed:
                worker.kill()
            else:
                self.idle.put(worker)

        threading.Thread(target=start, daemon=True).start()

    def run(self, job: Job, timeout: float) -> tuple[Any, bool]:
        """Run ``job``; raises HTTPError 503 when no worker frees up, 504-style 503 on timeout."""
        deadline = time.monotonic() + timeout
        try:
            worker = self.idle.get(timeout=timeout)
        except queue.Empty:
            raise HTTPError(503, f"all {self.size} query workers are busy; try again") from None
        try:
            worker.conn.send(job)
            remaining = max(0.0, deadline - time.monotonic())
            if not worker.conn.poll(remaining):
                worker.kill()
                self._replace()
                worker = None
                raise HTTPError(503, f"query timed out after {timeout:g} s and was stopped")
            kind, payload, truncated = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            if worker is not None:
                worker.kill()
                self._replace()
                worker = None
            raise HTTPError(500, "the query worker died; the query was not answered") from None
        finally:
            if worker is not None:
                self.idle.put(worker)
        if kind == "error":
            status, message = payload
            raise HTTPError(status, message)
        return payload, truncated

    def close(self) -> None:
        self.closed = True
        while True:
            try:
                worker = self.idle.get_nowait()
            except queue.Empty:
                break
            with contextlib.suppress(Exception):
                worker.conn.send(None)
            worker.kill()


def truncation_note(limit: int | None) -> str:
    """The words a capped answer carries in its body (and the X-Stikg-Truncated header)."""
    cap = f"{limit:,} rows or triples" if limit else "its result cap"
    return (f"truncated: this answer stops at the server's cap of {cap}; narrow the query "
            "(LIMIT/OFFSET, FILTER) or run it on a store without a cap (stikg query, stikg push)")


def serialize(result: Result, fmt: str, limit: int | None = None) -> bytes:
    """``result`` in ``fmt``; a capped answer says so in its body where the format has room:
    a ``truncated`` member (SPARQL JSON), an XML comment (SPARQL XML, RDF/XML), a ``#`` comment
    (Turtle, N-Triples, N-Quads, TriG). CSV, TSV and JSON-LD have no such place: the
    ``X-Stikg-Truncated`` header is their notice."""
    import pyoxigraph as ox

    truncated = bool(getattr(result, "truncated", False))
    note = truncation_note(limit)
    if isinstance(result, GraphResult):
        rdf_format = {"nt": ox.RdfFormat.N_TRIPLES, "rdf": ox.RdfFormat.RDF_XML, "jsonld": ox.RdfFormat.JSON_LD,
                      "nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}.get(fmt, ox.RdfFormat.TURTLE)
        text = format_rdf(result, rdf_format)
        if truncated and fmt == "rdf":
            head, _, rest = text.partition("?>")
            text = f"{head}?>\n<!-- {note} -->{rest}" if rest else f"<!-- {note} -->\n{text}"
        elif truncated and fmt != "jsonld":
            text = f"# {note}\n{text}"
        return text.encode("utf-8")
    if truncated and fmt == "json":
        data = json.loads(format_json(result))
        data["truncated"] = {"limit": limit, "message": note}
        return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    text = {"json": format_json, "xml": format_xml, "csv": format_csv, "tsv": format_tsv}[fmt](result)
    if truncated and fmt == "xml":
        text = text.replace("</head>", f"</head>\n<!-- {note} -->", 1)
    return text.encode("utf-8")


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


# ---------------------------------------------------------------------------------- app


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""
    match: re.Match[str] | None = None

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


def negotiate(accept: str | None, offers: Mapping[str, str], default: str) -> str:
    """The format for an Accept header (q-values honoured); ``default`` for */* or nothing."""
    if not accept:
        return default
    best: tuple[float, int, str] | None = None
    for index, part in enumerate(accept.split(",")):
        bits = [b.strip() for b in part.split(";")]
        media = bits[0].lower()
        q = 1.0
        for b in bits[1:]:
            if b.startswith("q="):
                with contextlib.suppress(ValueError):
                    q = float(b[2:])
        if q <= 0:
            continue
        if media in offers:
            fmt = offers[media]
        elif media in ("*/*", "application/*", "text/*"):
            fmt = default
        else:
            continue
        candidate = (q, -index, fmt)
        if best is None or candidate > best:
            best = candidate
    if best is None:
        raise HTTPError(406, f"cannot answer with any of: {accept}; offered: {', '.join(offers)}")
    return best[2]


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
            return error_response(exc.status, exc.message)
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
                text = request.body.decode("utf-8", errors="strict")
                params.setdefault("query", []).insert(0, text)
            elif ctype == "application/x-www-form-urlencoded":
                for key, values in parse_qs(request.body.decode("utf-8"), keep_blank_values=True).items():
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
        page = _static_text("index.html").replace("<!--LIBRARY-->", "\n".join(items))
        return Response(200, page.encode("utf-8"), "text/html; charset=utf-8")

    def static(self, request: Request) -> Response:
        assert request.match is not None
        rel = request.match.group("path")
        if ".." in rel.split("/"):
            raise HTTPError(404, "no such file")
        resource = resources.files("stikg").joinpath("static", *rel.split("/"))
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
        from stikg.query import LabelResolver

        return LabelResolver(self).exists(kind, term)

    def by_label(self, kind: str, name: str) -> Term:
        from stikg.query import LabelResolver

        return LabelResolver(self).by_label(kind, name)

    def run(self, text: str, bindings: Mapping[str, Term] | None = None) -> Result:
        return self._select(text, dict(bindings or {}))


def _iris(values: list[str]) -> list[str]:
    out = []
    for value in values:
        try:
            out.append(Term.iri(value.strip()).value)
        except QueryError:
            raise HTTPError(400, f"not an absolute IRI: {value!r}") from None
    return out


@functools.lru_cache(maxsize=8)
def _static_text(name: str) -> str:
    return resources.files("stikg").joinpath("static", name).read_text(encoding="utf-8")


def json_response(data: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = f"{status} {HTTPStatus(status).phrase}: {message}\n".encode()
    return Response(status, body, "text/plain; charset=utf-8", headers or {})


# -------------------------------------------------------------------------------- server


DEFAULT_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
_META_CSP = re.compile(rb'<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"', re.IGNORECASE)


def page_csp(body: bytes) -> str:
    """The Content-Security-Policy header for an HTML page: the policy the page declares in its
    ``<meta http-equiv>`` (e.g. script hashes of the self-contained lineage view), else the default."""
    match = _META_CSP.search(body[:8192])
    if match:
        return html.unescape(match.group(1).decode("utf-8", "replace"))
    return DEFAULT_CSP


class RequestHandler(BaseHTTPRequestHandler):
    """Adapts http.server to :class:`App`; adds CORS headers; enforces the body cap."""

    server: BoundedHTTPServer
    protocol_version = "HTTP/1.1"
    # Seconds a socket read may wait: an idle or trickling connection releases its pool thread
    # instead of starving the others (slowloris); ordinary requests arrive in milliseconds.
    timeout = 10

    def _handle(self) -> None:
        app = self.server.app
        split = urlsplit(self.path)
        try:
            params = parse_qs(split.query, keep_blank_values=True, strict_parsing=False)
        except ValueError:
            params = {}
        length = self.headers.get("Content-Length")
        body = b""
        response: Response | None = None
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            response = error_response(411, "chunked request bodies are not accepted; send Content-Length")
            self.close_connection = True
        elif length:
            try:
                size = int(length)
            except ValueError:
                size = -1
            if size < 0:
                response = error_response(400, "bad Content-Length")
                self.close_connection = True
            elif size > app.config.max_body:
                response = error_response(413, f"request body over {app.config.max_body} bytes")
                self.close_connection = True
            else:
                body = self.rfile.read(size)
        if response is None:
            request = Request(self.command, unquote(split.path) or "/", params, self.headers, body)
            response = app.dispatch(request)
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type, Accept")
        self.send_header("Access-Control-Expose-Headers", "X-Stikg-Truncated")
        self.send_header("X-Content-Type-Options", "nosniff")
        headers = dict(response.headers)
        if response.content_type.startswith("text/html") and not any(
                k.lower() == "content-security-policy" for k in headers):
            headers["Content-Security-Policy"] = page_csp(response.body)
            headers.setdefault("Referrer-Policy", "no-referrer")
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(response.body)

    do_GET = do_POST = do_OPTIONS = do_HEAD = _handle

    def do_PUT(self) -> None:  # noqa: N802 - http.server naming
        self._send(error_response(405, "this endpoint is read-only", {"Allow": "GET, POST, OPTIONS"}))

    do_DELETE = do_PATCH = do_PUT

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.info("%s %s", self.address_string(), format % args)


class BoundedHTTPServer(HTTPServer):
    """HTTPServer answering requests on a fixed-size thread pool (not a thread per connection)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # listen backlog; the default 5 drops connections under load

    def __init__(self, address: tuple[str, int], app: App, threads: int = 16):
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="stikg-http")
        super().__init__(address, RequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.executor.submit(self._work, request, client_address)

    def _work(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        self.executor.shutdown(wait=False, cancel_futures=True)


class Server:
    """The HTTP server, its app and worker pool; ``start()`` runs it in a background thread."""

    def __init__(
        self, *, store_dir: Path | None = None, dataset: Path | None = None, host: str = "127.0.0.1",
        port: int = 8000, timeout: float = DEFAULT_TIMEOUT_S, max_results: int = DEFAULT_MAX_RESULTS,
        max_body: int = DEFAULT_MAX_BODY, workers: int = 2, threads: int = 16, queries_dir: Path | None = None,
    ):
        self.pool = WorkerPool(store_dir, workers, dataset=dataset)
        self.app = make_app(self.pool, AppConfig(timeout, max_results, max_body, queries_dir))
        try:
            self.httpd = BoundedHTTPServer((host, port), self.app, threads)
        except OSError as exc:
            self.pool.close()
            raise StikgError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        self.thread: threading.Thread | None = None
        self.serving = False

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def serve_forever(self) -> None:
        self.serving = True
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self.serving = False

    def start(self) -> Server:
        self.serving = True
        self.thread = threading.Thread(target=self.serve_forever, daemon=True, name="stikg-serve")
        self.thread.start()
        return self

    def close(self) -> None:
        if self.serving:  # shutdown() waits for serve_forever(), so only when it runs
            self.httpd.shutdown()
        if self.thread is not None:
            self.thread.join(5)
        self.httpd.server_close()
        self.pool.close()


def make_app(pool: WorkerPool, config: AppConfig | None = None) -> App:
    """The application with its routes; extend it with ``app.route(method, regex, handler)``."""
    app = App(pool, config or AppConfig())
    with contextlib.suppress(ImportError):  # /lineage (stikg.lineage_web); absent module → no route
        __import__("stikg.lineage_web", fromlist=["install"]).install(app)
    if importlib.util.find_spec("stikg.linkeddata"):  # IRIs, /source, /dumps, VoID, /ontology (if present)
        importlib.import_module("stikg.linkeddata").install(app)
    return app


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free right now on ``host`` (for tests and benchmarks)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
