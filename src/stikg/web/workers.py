"""Query worker processes: every query runs in a process of :class:`WorkerPool`.

pyoxigraph (0.5) cannot cancel a running query, so a query that outlives ``--timeout`` has its
worker killed and replaced: the pathological query really stops and the other workers keep
answering. Also the read-only policy checked before a query runs (:func:`classify`) and the
serialisation of answers (the cap stated in the body, :func:`serialize`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import multiprocessing
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stikg.core.errors import StikgError
from stikg.rdf.formats import RDF_FORMATS, RESULT_FORMATS, content_type, offers
from stikg.sparql import (
    PARSER_LOCK,
    GraphResult,
    Result,
    Term,
    format_csv,
    format_json,
    format_rdf,
    format_tsv,
    format_xml,
    read_only_refusal,
    syntax_error_message,
)
from stikg.web.http import HTTPError

log = logging.getLogger("stikg.web.server")

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_RESULTS = 10_000
DEFAULT_MAX_BODY = 1 << 20
SELECT_TYPES = offers(RESULT_FORMATS)
GRAPH_TYPES = {**offers(("ttl", "nt")), "text/plain": "nt", **offers(("rdf", "jsonld", "nq", "trig"))}
CONTENT_TYPES = {code: content_type(code) for code in (*RESULT_FORMATS, *RDF_FORMATS)}


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

    from stikg.sparql import has_dataset_clause, in_query_order, result_from_ox

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
            from stikg.sparql.store import memory_store

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
