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
import html
import logging
import re
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from stikg.core.errors import StikgError
from stikg.web import browse, lineage_routes, linkeddata
from stikg.web.http import Request, Response, error_response
from stikg.web.sparql_app import App, AppConfig
from stikg.web.workers import DEFAULT_MAX_BODY, DEFAULT_MAX_RESULTS, DEFAULT_TIMEOUT_S, WorkerPool

log = logging.getLogger("stikg.web.server")

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
    """The application with every route: SPARQL, linked data (IRIs, /source, /dumps, VoID,
    /ontology) and /lineage. The route modules receive the app; none of them imports this module."""
    app = App(pool, config or AppConfig())
    lineage_routes.install(app)
    linkeddata.install(app)
    browse.install(app)  # the list pages and /search (issue 17)
    return app

def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free right now on ``host`` (for tests and benchmarks)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
