"""``stikg serve``: a read-only SPARQL 1.1 Protocol endpoint and a query page.

Layout (all routing lives in :class:`App`; later work adds routes with :meth:`App.route`):

* ``GET /``                      the query page (library queries, a CodeMirror editor, results)
* ``GET|POST /sparql``           SPARQL 1.1 Protocol (query via GET ``?query=``, POST form or
                                 ``application/sparql-query``); results by ``Accept``
* ``GET /library``               the query library as JSON (name, title, questions, parameters, text)
* ``GET /library/NAME``          run a library query with its parameters bound as RDF terms
* ``GET /static/…``              vendored assets (no CDN, no network at run time)

The HTTP stack is uvicorn (httptools parser) running :class:`~stikg.web.asgi.AsgiApp`: uvicorn
parses requests, keeps connections alive for ``keep_alive`` seconds and refuses connections
past ``max_connections`` with 503; :mod:`stikg.web.protocol` adds the deadline and size cap on
request heads that uvicorn lacks (408/431). Bodies are read in the event loop (cap → 413,
deadline → 408), so slow clients hold sockets, not threads; handlers run on ``threads``
threads and every query in a worker *process* of :class:`WorkerPool`. pyoxigraph (0.5) has no
way to cancel a running query, so a query that outlives ``--timeout`` has its worker process
killed and replaced: the pathological query really stops and the other workers keep answering.
Queries expected to be cheap have their own worker lane, so they never queue behind slow ones.

Read-only: the query is parsed (rdflib's SPARQL parser) before it runs. SPARQL Update
(INSERT/DELETE/LOAD/CLEAR/DROP/CREATE/…) is refused with 403, and so is SERVICE; syntax errors
are 400 with the parser's reason; the client never sees a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import uvicorn

from stikg.core.errors import StikgError
from stikg.web import browse, lineage_routes, linkeddata
from stikg.web.asgi import DEFAULT_CSP, AsgiApp, Limits, page_csp
from stikg.web.protocol import HEAD_TIMEOUT_S, MAX_HEAD_BYTES, guarded
from stikg.web.sparql_app import App, AppConfig
from stikg.web.workers import (
    DEFAULT_CACHE_BYTES,
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_RESULTS,
    DEFAULT_TIMEOUT_S,
    QUEUE_WAIT_S,
    WorkerPool,
)

log = logging.getLogger("stikg.web.server")

__all__ = ["DEFAULT_CACHE_BYTES", "DEFAULT_CSP", "DEFAULT_MAX_BODY", "DEFAULT_MAX_RESULTS", "DEFAULT_TIMEOUT_S", "KEEP_ALIVE_S",
           "MAX_CONNECTIONS", "QUEUE_WAIT_S", "Server", "free_port", "make_app", "page_csp"]

KEEP_ALIVE_S = 5
MAX_CONNECTIONS = 1000
BACKLOG = 1024

# -------------------------------------------------------------------------------- server


class Server:
    """uvicorn serving the app and its worker pool; ``start()`` runs it in a background thread.

    ``workers`` general query processes plus ``fast_workers`` kept for cheap queries;
    ``threads`` run the handlers; ``client_timeout`` bounds the time a client may take to send
    its request head and, again, its body; ``keep_alive`` the idle time between requests;
    ``cache_mb`` the serialised answers kept for repeated queries (0: none); ``watch`` the
    dataset file whose change reloads the workers (after ``prepare``, e.g. refreshing var/store).
    """

    def __init__(
        self, *, store_dir: Path | None = None, dataset: Path | None = None, host: str = "127.0.0.1",
        port: int = 8000, timeout: float = DEFAULT_TIMEOUT_S, max_results: int = DEFAULT_MAX_RESULTS,
        max_body: int = DEFAULT_MAX_BODY, workers: int = 2, threads: int = 16, queries_dir: Path | None = None,
        fast_workers: int = 1, queue_wait: float = QUEUE_WAIT_S, client_timeout: float = HEAD_TIMEOUT_S,
        keep_alive: int = KEEP_ALIVE_S, max_connections: int = MAX_CONNECTIONS, access_log: bool = True,
        cache_mb: int = DEFAULT_CACHE_BYTES >> 20, watch: Path | None = None,
        prepare: Callable[[], object] | None = None,
    ):
        try:
            self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, port))
            self.sock.listen(BACKLOG)
        except OSError as exc:
            self.sock.close()
            raise StikgError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        # the general lane never holds every thread: cheap queries and pages keep a quarter (2 at least)
        max_waiting = max(1, threads - max(2, threads // 4) - workers)
        try:
            self.pool = WorkerPool(store_dir, workers, dataset=dataset, fast=fast_workers, queue_wait=queue_wait,
                                   max_waiting=max_waiting, cache_bytes=cache_mb << 20, watch=watch,
                                   prepare=prepare)
        except BaseException:
            self.sock.close()
            raise
        self.app = make_app(self.pool, AppConfig(timeout, max_results, max_body, queries_dir))
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="stikg-http")
        self.asgi = AsgiApp(self.app, self.executor, Limits(max_body, body_timeout=client_timeout), access_log)
        self.config = uvicorn.Config(
            self.asgi, http=guarded(client_timeout, MAX_HEAD_BYTES), ws="none", lifespan="off", interface="asgi3",
            loop="asyncio", log_config=None, access_log=False, server_header=False,
            limit_concurrency=max_connections, timeout_keep_alive=keep_alive, timeout_graceful_shutdown=3,
            backlog=BACKLOG,
        )
        self.uvicorn = uvicorn.Server(self.config)
        self.thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The host and port listened on (the port the system chose for ``port=0``)."""
        host, port = self.sock.getsockname()[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def serve_forever(self) -> None:
        """Serve until ``close()`` (or, in the main thread, SIGINT/SIGTERM)."""
        asyncio.run(self.uvicorn.serve(sockets=[self.sock]))

    def start(self) -> Server:
        self.thread = threading.Thread(target=self.serve_forever, daemon=True, name="stikg-serve")
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.uvicorn.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def close(self) -> None:
        self.uvicorn.should_exit = True
        if self.thread is not None:
            self.thread.join(10)
        self.sock.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.pool.close()
        self.asgi.close()


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
