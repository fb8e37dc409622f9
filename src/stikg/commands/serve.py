"""``stikg serve``: the read-only SPARQL 1.1 endpoint and query page on the built graph."""

from __future__ import annotations

import argparse
import functools
import logging
import signal
import sys
from pathlib import Path

from stikg.core.config import Paths, find_root
from stikg.sparql.store import open_store, refresh_store
from stikg.web.protocol import HEAD_TIMEOUT_S
from stikg.web.server import (
    DEFAULT_CACHE_BYTES,
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_RESULTS,
    DEFAULT_TIMEOUT_S,
    KEEP_ALIVE_S,
    MAX_CONNECTIONS,
    QUEUE_WAIT_S,
    Server,
)

HELP = "serve the graph: SPARQL 1.1 endpoint at /sparql and a query page at / (read-only)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help=f"seconds a query may run before it is stopped (default {DEFAULT_TIMEOUT_S:g})")
    parser.add_argument("--max-results", type=int, default=DEFAULT_MAX_RESULTS,
                        help=f"rows/triples per answer at most (default {DEFAULT_MAX_RESULTS})")
    parser.add_argument("--max-body", type=int, default=DEFAULT_MAX_BODY,
                        help=f"request body bytes at most (default {DEFAULT_MAX_BODY})")
    parser.add_argument("--workers", type=int, default=2,
                        help="query worker processes that run any query (default 2)")
    parser.add_argument("--fast-workers", type=int, default=1,
                        help="more worker processes kept for queries expected to finish fast, so that "
                             "these never wait behind slow ones (default 1; 0 for none)")
    parser.add_argument("--queue-wait", type=float, default=QUEUE_WAIT_S,
                        help="seconds a query that needs a general worker may wait for one before the "
                             f"answer is 503 with Retry-After (default {QUEUE_WAIT_S:g})")
    parser.add_argument("--threads", type=int, default=16,
                        help="threads running the request handlers; half at most wait for general "
                             "workers (default 16)")
    parser.add_argument("--client-timeout", type=float, default=HEAD_TIMEOUT_S,
                        help="seconds a client may take to send its request line and headers, and "
                             f"again its body, before 408 and the connection closes (default {HEAD_TIMEOUT_S:g})")
    parser.add_argument("--keep-alive", type=int, default=KEEP_ALIVE_S,
                        help=f"seconds an idle connection stays open between requests (default {KEEP_ALIVE_S:g})")
    parser.add_argument("--cache-mb", type=int, default=DEFAULT_CACHE_BYTES >> 20,
                        help="megabytes of answers kept for repeated queries (the store is read-only "
                             f"while served; default {DEFAULT_CACHE_BYTES >> 20}; 0 for none)")
    parser.add_argument("--max-connections", type=int, default=MAX_CONNECTIONS,
                        help=f"open connections at most; requests beyond get 503 (default {MAX_CONNECTIONS})")
    parser.add_argument("--dataset", type=Path, metavar="FILE.nq",
                        help="serve this N-Quads file instead of kg/dataset.nq (cached in var/store)")
    parser.add_argument("--store", choices=("auto", "memory", "disk"), default="auto",
                        help="where the workers read the graph: memory (each worker loads the dataset: "
                             "joins 4-8x faster than on disk, ~1.5x the dump in RAM per worker and a load at "
                             "start and after a timeout), disk (var/store, RocksDB) or auto (default: memory "
                             "when every worker's copy fits in half the available memory, else disk)")
    parser.add_argument("--in-memory", action="store_true", help="the same as --store memory")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")


# Resident memory of one worker's in-memory store per byte of N-Quads (measured at 1.1M quads:
# a 232 MB dump took ~340 MB per worker).
MEMORY_PER_DUMP_BYTE = 1.5


# --store auto serves from memory when the workers' copies take at most this share of the memory
# available at start: the rest stays for the server process, page cache, a reload (old and new
# workers overlap while the new ones load) and everything else on the machine.
AUTO_MEMORY_SHARE = 0.5


def memory_need(dataset: Path, workers: int) -> tuple[int, int]:
    """Bytes the workers' in-memory copies of ``dataset`` would take, and bytes available now."""
    from stikg.core.system import available_memory

    return int(dataset.stat().st_size * MEMORY_PER_DUMP_BYTE * workers), available_memory()


def choose_store(mode: str, dataset: Path, workers: int) -> tuple[bool, str]:
    """In memory or not for ``--store mode``, and the words the start-up line says it with."""
    if mode == "disk":
        return False, "var/store on disk (--store disk)"
    if mode == "memory":
        check_memory(dataset, workers)
        return True, "dataset in memory (--store memory)"
    need, free = memory_need(dataset, workers)
    gb = f"{workers} × ~{need / workers / 2**20:,.0f} MB of {free / 2**30:.1f} GB available"
    if need <= free * AUTO_MEMORY_SHARE:
        return True, f"dataset in memory (--store auto: {gb})"
    return False, f"var/store on disk (--store auto: {gb} is more than {AUTO_MEMORY_SHARE:.0%} for memory)"


def check_memory(dataset: Path, workers: int) -> None:
    """Refuse ``--in-memory`` up front when the workers' copies would not fit in free memory."""
    from stikg.core.errors import StikgError

    need, free = memory_need(dataset, workers)
    if need > free:
        raise StikgError(
            f"{dataset}: --in-memory would need ~{need / 2**30:.1f} GB for {workers} worker(s) "
            f"(~{MEMORY_PER_DUMP_BYTE:g}× the dump each) but {free / 2**30:.1f} GB is available; "
            f"serve from var/store (drop --in-memory) or use fewer --workers (or --fast-workers 0)")


MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process (``mallopt(M_ARENA_MAX)``) before the request
    threads start, unless ``MALLOC_ARENA_MAX`` already says how many. glibc gives each thread that
    allocates its own arena (up to 8 per core); with 16 request threads each arena keeps the peak
    of its thread's answers, and the server's RSS grew by 45 MB under the load test although the
    Python heap stayed flat (tracemalloc). With 2 arenas: 11 MB (docs/RELIABILITY.md). True when set."""
    import ctypes
    import os

    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(-8, arenas))  # M_ARENA_MAX is -8 in glibc's malloc.h
    except (OSError, AttributeError):  # not glibc: nothing to do
        return False


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from stikg.core.errors import StikgError

    for name in ("timeout", "max_results", "max_body", "workers", "threads", "queue_wait", "client_timeout",
                 "keep_alive", "max_connections"):
        if getattr(args, name) <= 0:
            raise StikgError(f"--{name.replace('_', '-')} must be positive")
    if args.fast_workers < 0 or args.cache_mb < 0:
        raise StikgError(f"--{'fast-workers' if args.fast_workers < 0 else 'cache-mb'} must be 0 or more")
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(message)s", stream=sys.stderr)
    limit_malloc_arenas()
    paths = Paths(find_root())
    mode = args.store
    if args.in_memory:
        if mode == "disk":
            raise StikgError("--in-memory and --store disk contradict each other: give one of them")
        mode = "memory"
    dataset = args.dataset or paths.kg / "dataset.nq"
    if mode == "memory" and not dataset.is_file():
        raise StikgError(f"{dataset}: no such dataset (run `stikg build` first)")
    in_memory, where = (False, "") if not dataset.is_file() else choose_store(mode, dataset, args.workers + args.fast_workers)
    if not in_memory:
        store = open_store(paths, dataset=args.dataset)  # build or refresh var/store first (or say why not)
        del store
        where = where or "var/store on disk"
    server = Server(
        store_dir=paths.store, dataset=dataset if in_memory else None, watch=dataset,
        prepare=None if in_memory else functools.partial(refresh_store, paths, dataset=args.dataset), host=args.host, port=args.port, timeout=args.timeout,
        max_results=args.max_results, max_body=args.max_body, workers=args.workers,
        threads=args.threads, queries_dir=paths.queries, fast_workers=args.fast_workers,
        queue_wait=args.queue_wait, client_timeout=args.client_timeout, keep_alive=args.keep_alive,
        max_connections=args.max_connections, access_log=not args.quiet, cache_mb=args.cache_mb,
    )
    print(f"stikg serve: SPARQL endpoint {server.url}/sparql, query page {server.url}/ "
          f"(timeout {args.timeout:g} s, at most {args.max_results} results, "
          f"{args.workers}+{args.fast_workers} query workers, {where})", file=sys.stderr, flush=True)
    previous = signal.signal(signal.SIGTERM, _stop)  # uvicorn drains, then re-raises it here
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()
    return 0
