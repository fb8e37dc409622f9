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
import math
import multiprocessing
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
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


def _query(store: Any, job: Job) -> Any:
    import pyoxigraph as ox

    from stikg.sparql import has_dataset_clause

    kwargs: dict[str, Any] = {}
    if job.default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    elif not job.named_graphs and not has_dataset_clause(job.text):
        kwargs["use_default_graph_as_union"] = True  # no dataset named: the default graph is the union
    if job.named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    if job.bindings:
        kwargs["substitutions"] = {ox.Variable(k): v.to_ox() for k, v in job.bindings}
    return store.query(job.text, **kwargs)


def _run_job(store: Any, job: Job) -> tuple[str, Any, bool]:
    import pyoxigraph as ox

    from stikg.sparql import in_query_order, result_from_ox

    raw = _query(store, job)
    if not job.as_result and job.fmt in NATIVE_FORMATS and isinstance(raw, ox.QuerySolutions):
        body = native_select(raw, job)
        if body is not None:
            return ("body", body, False)
        raw = _query(store, job)  # it may be over the cap: the exact path below states the cap
    result = in_query_order(result_from_ox(raw, job.limit), job.text)
    truncated = bool(getattr(result, "truncated", False))
    if job.as_result:
        return ("result", result, truncated)
    return ("body", serialize(result, job.fmt, job.limit), truncated)


# SELECT answers as SPARQL JSON are written by pyoxigraph itself (Rust, no Python object per row
# or term). In its output a row ends with ``},{`` before the next one; these bytes can also occur
# inside a value, so counting them over-estimates the rows, never under-estimates: below the cap
# the native answer is complete (the same JSON document as :func:`format_json`'s, without the
# indentation); once the count passes the cap, the writing stops and the query runs again on the
# exact path, which cuts the answer at the cap and says so (:func:`serialize`). The other formats
# stay on the Python path: pyoxigraph's CSV leaves IRIs with a comma unquoted, its TSV writes
# booleans bare, its XML is laid out differently.
NATIVE_FORMATS = ("json",)


class _OverCap(Exception):
    """Raised inside pyoxigraph's serialiser: the answer may have more rows than the cap."""


class CappedBuffer:
    """A binary writer for ``QuerySolutions.serialize`` that keeps the bytes and raises
    :class:`_OverCap` once ``separator`` was written more than ``most`` times."""

    __slots__ = ("most", "parts", "seen", "separator", "tail")

    def __init__(self, separator: bytes, most: int):
        self.separator = separator
        self.most = most
        self.seen = 0
        self.tail = b""
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        keep = len(self.separator) - 1
        if keep:  # a separator split between two writes
            self.seen += (self.tail + chunk[:keep]).count(self.separator)
            self.tail = chunk[-keep:] if len(chunk) >= keep else (self.tail + chunk)[-keep:]
        self.seen += chunk.count(self.separator)
        if self.seen > self.most:
            raise _OverCap
        self.parts.append(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass


@functools.lru_cache(maxsize=512)
def _star_order(text: str) -> tuple[str, ...] | None:
    from stikg.sparql import star_columns

    order = star_columns(text)
    return tuple(order) if order else None


def native_select(raw: Any, job: Job) -> bytes | None:
    """``raw`` (unread QuerySolutions) as SPARQL JSON written by pyoxigraph; None when the answer
    may be over ``job.limit`` rows (``raw`` is then partly read)."""
    import pyoxigraph as ox

    variables = [v.value for v in raw.variables]
    buffer = CappedBuffer(b"},{", job.limit - 1)  # n rows: n - 1 separators
    try:
        raw.serialize(buffer, format=ox.QueryResultsFormat.JSON)
    except _OverCap:
        return None
    body = b"".join(buffer.parts)
    order = _star_order(job.text)
    if order:  # SELECT *: the head names the columns in the query's order (pyoxigraph sorts them)
        rank = {v: i for i, v in enumerate(order)}
        columns = sorted(variables, key=lambda v: (rank.get(v, len(rank)), variables.index(v)))
        if columns != variables:
            compact = (",", ":")
            head = b'{"head":{"vars":' + json.dumps(variables, ensure_ascii=False, separators=compact).encode()
            if not body.startswith(head):
                return None
            body = (b'{"head":{"vars":' + json.dumps(columns, ensure_ascii=False, separators=compact).encode()
                    + body[len(head):])
    return body + b"\n"


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
            kind, payload, truncated = _run_job(store, job)
            if kind == "body":  # the bytes as they are, not pickled into a second copy
                conn.send(("body", None, truncated))
                conn.send_bytes(payload)
            else:
                conn.send((kind, payload, truncated))
        except SyntaxError as exc:
            conn.send(("error", (400, syntax_error_message(job.text, exc)), False))
        except (RuntimeError, ValueError, TypeError, OSError) as exc:
            conn.send(("error", (400, f"query failed: {exc}"), False))
        except Exception as exc:  # never let a worker die silently
            conn.send(("error", (500, f"internal error: {type(exc).__name__}"), False))


class Worker:
    """A worker process and the parent's end of its pipe."""

    def __init__(self, ctx: Any, store_dir: str, dataset: str | None, lane: str = "general", generation: int = 0):
        self.lane = lane
        self.generation = generation  # which data it loaded: WorkerPool.generation at its start
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


FAST_BUDGET_S = 1.0  # a query on a fast-lane worker that runs longer is moved to the general lane
CHEAP_S = 0.2  # a query shape that finished within this goes to the fast lane next time
DEFAULT_CACHE_BYTES = 64 << 20  # serialised answers kept for repeated queries
QUEUE_WAIT_S = 2.0  # default seconds a general-lane query may wait for a worker before a 503
WATCH_S = 1.0  # seconds between two looks at the served data (a new build is picked up this fast)
_IRI = re.compile(r"<[^<>\s]*>")
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
_NUMBER = re.compile(r"(?<![\w?$])[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")
_COMMENT = re.compile(r"(?m)#[^\n<>\"']*$")
_STARS = re.compile(r"(?i)COUNT\s*\(\s*(?:DISTINCT\s+)?\*\s*\)|SELECT\s+(?:DISTINCT\s+|REDUCED\s+)?\*")
_CLOSURE = re.compile(r"[>)\w]\s*[*+]")
_VARIABLE = re.compile(r"[?$]\w+")


def query_shape(text: str) -> str:
    """``text`` with its IRIs, literals, numbers and comments blanked: queries that differ only
    in constants (an entity page's IRI, a bound year) share a shape and so a cost record."""
    shape = _IRI.sub("<>", text)
    shape = _STRING.sub('""', shape)
    shape = _COMMENT.sub("", shape)
    shape = _NUMBER.sub("0", shape)
    return " ".join(shape.split())


def looks_cheap(shape: str) -> bool:
    """A first guess for a query never run before: at most three variables and no property-path
    closure (``*``/``+``) is expected to be fast (``ASK {}``, one triple pattern)."""
    if _CLOSURE.search(_STARS.sub("", shape)):
        return False
    return len(set(_VARIABLE.findall(shape))) <= 3


class CostModel:
    """Which lane a query goes to: ``fast`` when its shape finished within :data:`CHEAP_S` last
    time (or, never seen, :func:`looks_cheap`), else ``general``. Bounded (least recently used)."""

    def __init__(self, size: int = 4096):
        self.size = size
        self.seconds: OrderedDict[str, float] = OrderedDict()
        self.lock = threading.Lock()

    def lane(self, job: Job) -> str:
        shape = query_shape(job.text)
        with self.lock:
            seconds = self.seconds.get(shape)
            if seconds is not None:
                self.seconds.move_to_end(shape)
        if seconds is None:
            return "fast" if looks_cheap(shape) else "general"
        return "fast" if seconds <= CHEAP_S else "general"

    def record(self, job: Job, seconds: float) -> None:
        shape = query_shape(job.text)
        with self.lock:
            self.seconds[shape] = seconds
            self.seconds.move_to_end(shape)
            while len(self.seconds) > self.size:
                self.seconds.popitem(last=False)


class ResultCache:
    """Serialised answers by job, bounded in bytes (least recently used first out).

    The workers read a store opened read-only at start, so an answer stays right while they
    serve; the pool empties the cache when a restarted worker could see a different store
    (:meth:`WorkerPool.data_version` changed)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.items: OrderedDict[Job, tuple[bytes, bool]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, job: Job) -> tuple[bytes, bool] | None:
        if self.limit <= 0 or job.as_result:
            return None
        with self.lock:
            hit = self.items.get(job)
            if hit is not None:
                self.items.move_to_end(job)
            return hit

    def put(self, job: Job, body: bytes, truncated: bool) -> None:
        cost = len(body) + len(job.text) + 200
        if self.limit <= 0 or job.as_result or cost > self.limit // 8:
            return
        with self.lock:
            if job in self.items:
                return
            self.items[job] = (body, truncated)
            self.size += cost
            while self.size > self.limit:
                old, (old_body, _) = self.items.popitem(last=False)
                self.size -= len(old_body) + len(old.text) + 200

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0


class Busy(HTTPError):
    """503 with ``Retry-After``: no worker of the query's lane is free (answered at once)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(503, message, {"Retry-After": str(retry_after)})


class WorkerPool:
    """Query worker processes in two lanes; a query past its timeout kills its worker.

    * ``size`` general workers run any query; at most ``max_waiting`` queries wait for one, each
      for at most ``queue_wait`` seconds, else 503 with ``Retry-After`` at once (not after the
      timeout).
    * ``fast`` more workers run only queries the :class:`CostModel` expects to be quick; such a
      query may also take an idle general worker. One that runs past :data:`FAST_BUDGET_S` on a
      fast worker has that worker killed and is run again in the general lane, so expensive
      queries never hold the fast lane for long: ``ASK {}`` is not stuck behind them.
    * the data is looked at every :data:`WATCH_S`: when ``watch`` (kg/dataset.nq) changed,
      ``prepare`` brings var/store up to date; when what the workers load changed (the store's
      stamp, or the in-memory dataset), new workers start on it while the old ones keep
      answering, and each old worker stops once a new one of its lane is ready (or when its
      query is done). Cached answers go at once; answers of old workers are not cached.
    """

    def __init__(self, store_dir: Path | None, size: int = 2, dataset: Path | None = None, *,
                 fast: int = 1, queue_wait: float = QUEUE_WAIT_S, max_waiting: int | None = None,
                 cache_bytes: int = DEFAULT_CACHE_BYTES, watch: Path | None = None,
                 prepare: Callable[[], object] | None = None):
        self.ctx = multiprocessing.get_context("spawn")
        self.store_dir = str(store_dir or "")
        self.dataset = str(dataset) if dataset else None
        self.size = size
        self.fast = fast
        self.queue_wait = queue_wait
        self.max_waiting = max_waiting if max_waiting is not None else 4 * size
        self.ready_timeout = ready_timeout(dataset)
        self.cost = CostModel()
        self.cache = ResultCache(cache_bytes)
        self.version = self.data_version()
        self.watch = watch
        self.watched = _stat(watch)
        self.prepare = prepare
        self.generation = 0
        self.closed = False
        self.stopping = threading.Event()
        self.cond = threading.Condition()
        self.free: dict[str, list[Worker]] = {"fast": [], "general": []}
        self.live: dict[str, list[Worker]] = {"fast": [], "general": []}  # free or running a query
        self.retire: dict[str, int] = {"fast": 0, "general": 0}  # older workers to stop when they come back
        self.waiting = {"fast": 0, "general": 0}
        self.busy_until: dict[int, float] = {}  # id(worker) -> deadline, general workers running a query
        workers = [Worker(self.ctx, self.store_dir, self.dataset, "general") for _ in range(size)]
        workers += [Worker(self.ctx, self.store_dir, self.dataset, "fast") for _ in range(fast)]
        try:
            for worker in workers:
                worker.wait_ready(self.ready_timeout)
        except StikgError:
            for worker in workers:
                worker.kill()
            raise
        for worker in workers:
            self.free[worker.lane].append(worker)
            self.live[worker.lane].append(worker)
        self.watcher = threading.Thread(target=self._watch, daemon=True, name="stikg-data-watch")
        self.watcher.start()

    def _replace(self, lane: str, generation: int | None = None) -> None:
        """Start a worker for ``lane`` in the background; it joins the pool once it is ready."""
        generation = self.generation if generation is None else generation

        def start() -> None:
            try:
                worker = Worker(self.ctx, self.store_dir, self.dataset, lane, generation)
                worker.wait_ready(self.ready_timeout)
            except StikgError as exc:
                log.error("cannot start a query worker: %s", exc)
                return
            self._admit(worker)

        threading.Thread(target=start, daemon=True).start()

    def _admit(self, worker: Worker) -> None:
        """A started worker joins its lane; one worker of older data there stops (now if it is
        free, else when its query is done), so a reload never leaves a lane short of workers."""
        lane = worker.lane
        stop: list[Worker] = []
        with self.cond:
            if self.closed or worker.generation < self.generation:  # superseded before it was ready
                stop.append(worker)
            else:
                self.live[lane].append(worker)
                self.free[lane].append(worker)
                older = [w for w in self.live[lane] if w.generation < worker.generation]
                idle = next((w for w in self.free[lane] if w.generation < worker.generation), None)
                if idle is not None:
                    self.free[lane].remove(idle)
                    self.live[lane].remove(idle)
                    stop.append(idle)
                elif older:
                    self.retire[lane] = min(self.retire[lane] + 1, len(older))
                self.cond.notify_all()
        for old in stop:
            with contextlib.suppress(Exception):
                old.conn.send(None)
            old.kill()

    def data_version(self) -> tuple[int, int] | None:
        """What identifies the data a new worker would open: the store's stamp file (or the
        in-memory dataset), by inode and modification time."""
        return _stat(Path(self.dataset) if self.dataset else Path(self.store_dir) / "stikg-store.json")

    def _watch(self) -> None:
        """Every :data:`WATCH_S`: when the dataset changed (a new build swapped kg/ in), bring
        var/store up to date (``prepare``, on disk) and reload the workers."""
        while not self.stopping.wait(WATCH_S):
            try:
                watched = _stat(self.watch)
                if watched != self.watched and watched is not None:
                    self.watched = watched
                    if self.prepare is not None:
                        self.prepare()
                self.reload_if_changed()
            except Exception as exc:  # keep serving the data the workers have
                log.error("cannot reload the changed data: %s", exc)

    def reload_if_changed(self) -> bool:
        """Start workers on the new data when it changed (cached answers go at once); the old
        workers keep answering until the new ones are ready. True when a reload began."""
        version = self.data_version()
        with self.cond:
            if version == self.version or version is None or self.closed:
                return False
            self.version = version
            self.generation += 1
            self.retire = {"fast": 0, "general": 0}
            generation = self.generation
            self.cache.clear()
        log.info("the served data changed: reloading %d+%d query workers", self.size, self.fast)
        for lane, count in (("general", self.size), ("fast", self.fast)):
            for _ in range(count):
                self._replace(lane, generation)
        return True

    def _release(self, worker: Worker) -> None:
        with self.cond:
            self.busy_until.pop(id(worker), None)
            lane = worker.lane
            if worker.generation < self.generation and self.retire[lane] > 0:
                self.retire[lane] -= 1
                if worker in self.live[lane]:
                    self.live[lane].remove(worker)
                stop = True
            else:
                self.free[lane].append(worker)
                self.cond.notify_all()
                stop = False
        if stop:
            with contextlib.suppress(Exception):
                worker.conn.send(None)
            worker.kill()

    def _retry_after(self) -> int:
        """Seconds until the first general worker is due to free up (1 at least)."""
        now = time.monotonic()
        soonest = min(self.busy_until.values(), default=now + 1.0)
        return max(1, math.ceil(soonest - now))

    def _acquire(self, lane: str, wait: float) -> Worker:
        lanes = ("fast", "general") if lane == "fast" else ("general",)
        deadline = time.monotonic() + wait
        with self.cond:
            if lane == "general" and not self.free["general"] and self.waiting["general"] >= self.max_waiting:
                raise Busy(f"all {self.size} query workers are busy and {self.waiting['general']} queries are "
                           "waiting; try again later", self._retry_after())
            self.waiting[lane] += 1
            try:
                while True:
                    for name in lanes:
                        if self.free[name]:
                            return self.free[name].pop()
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise Busy(f"all {self.size} query workers stayed busy for {wait:.3g} s; try again later",
                                   self._retry_after())
                    self.cond.wait(remaining)
            finally:
                self.waiting[lane] -= 1

    def run(self, job: Job, timeout: float) -> tuple[Any, bool]:
        """Run ``job`` within ``timeout`` seconds; HTTPError 503 when no worker frees up in time
        (with ``Retry-After``) or when the query timed out (its worker is killed)."""
        hit = self.cache.get(job)
        if hit is not None:
            return hit
        started = time.monotonic()
        deadline = started + timeout
        lane = self.cost.lane(job)
        wait = timeout if lane == "fast" else min(self.queue_wait, timeout)
        worker = self._acquire(lane, wait)
        generation = worker.generation
        if worker.lane == "fast":
            budget = min(FAST_BUDGET_S, deadline - time.monotonic())
            outcome = self._on(worker, job, budget, deadline)
            if outcome is None:  # over the fast lane's budget: rerun it where slow queries run
                self.cost.record(job, timeout)
                remaining = deadline - time.monotonic()
                worker = self._acquire("general", min(self.queue_wait, max(0.0, remaining)))
                generation = worker.generation
                outcome = self._on(worker, job, deadline - time.monotonic(), deadline)
        else:
            outcome = self._on(worker, job, deadline - time.monotonic(), deadline)
        if outcome is None:
            self.cost.record(job, timeout)
            raise HTTPError(503, f"query timed out after {timeout:g} s and was stopped")
        kind, payload, truncated = outcome
        self.cost.record(job, time.monotonic() - started)
        if kind == "error":
            status, message = payload
            raise HTTPError(status, message)
        if kind == "body" and generation == self.generation:  # not an answer from data being replaced
            self.cache.put(job, payload, truncated)
        return payload, truncated

    def _on(self, worker: Worker, job: Job, seconds: float, deadline: float) -> tuple[str, Any, bool] | None:
        """Send ``job`` to ``worker`` and wait ``seconds``; None (worker killed) when it took longer."""
        if worker.lane == "general":
            with self.cond:
                self.busy_until[id(worker)] = deadline
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(0.0, seconds)):
                self._discard(worker)
                return None
            outcome: tuple[str, Any, bool] = worker.conn.recv()
            if outcome[0] == "body":
                outcome = ("body", worker.conn.recv_bytes(), outcome[2])
        except (EOFError, OSError, BrokenPipeError):
            self._discard(worker)
            raise HTTPError(500, "the query worker died; the query was not answered") from None
        except BaseException:
            self._discard(worker)
            raise
        self._release(worker)
        return outcome

    def _discard(self, worker: Worker) -> None:
        with self.cond:
            self.busy_until.pop(id(worker), None)
            lane = worker.lane
            if worker in self.live[lane]:
                self.live[lane].remove(worker)
            older = worker.generation < self.generation
            if older and self.retire[lane] > 0:  # it was to stop anyway
                self.retire[lane] -= 1
        worker.kill()
        if self.reload_if_changed():  # the replacement would see other data: reload them all
            return
        if not self.closed and not older:  # an older worker's replacement is already starting
            self._replace(lane)

    def close(self) -> None:
        self.closed = True
        self.stopping.set()
        with self.cond:
            workers = self.free["fast"] + self.free["general"]
            self.free = {"fast": [], "general": []}
            self.cond.notify_all()
        for worker in workers:
            with contextlib.suppress(Exception):
                worker.conn.send(None)
            worker.kill()


def _stat(path: Path | None) -> tuple[int, int] | None:
    """A file's identity for change detection: inode and modification time (None: missing)."""
    if path is None:
        return None
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


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
