"""``stikg push --endpoint URL [--graph-store URL] [--user … --password …]``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from stikg.core.config import Paths, find_root
from stikg.sparql.push import DEFAULT_CHUNK_BYTES, Client, PushError, push

HELP = "upload kg/dataset.nq's named graphs to a triple store (Graph Store Protocol PUT) and verify"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", required=True, metavar="URL",
                        help="the store's SPARQL query endpoint (used to verify the counts)")
    parser.add_argument("--graph-store", metavar="URL",
                        help="Graph Store Protocol URL (default: guessed for Oxigraph /query and Virtuoso /sparql)")
    parser.add_argument("--user", help="user for HTTP basic/digest authentication")
    parser.add_argument("--password", help="password (or set STIKG_PUSH_PASSWORD)")
    parser.add_argument("--dataset", type=Path, metavar="FILE.nq", help="push this file instead of kg/dataset.nq")
    parser.add_argument("--retries", type=int, default=4, help="retries per request (default 4)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per request (default 120)")
    parser.add_argument("--chunk-mb", type=float, default=DEFAULT_CHUNK_BYTES / 2**20, metavar="MB",
                        help="send a larger graph in parts of at most this many MB of N-Triples: PUT, then POST "
                             f"(default {DEFAULT_CHUNK_BYTES // 2**20}; stores limit one request's size)")
    parser.add_argument("--prune", action="store_true",
                        help="also DELETE graphs under the base IRI's graph/ that the dataset no longer has")


def run(args: argparse.Namespace) -> int:
    for url in (args.endpoint, args.graph_store):
        if url is not None and not url.startswith(("http://", "https://")):
            raise PushError(f"not an http(s) URL: {url!r}")
    if not args.chunk_mb > 0:
        raise PushError(f"--chunk-mb must be positive, not {args.chunk_mb}")
    password = args.password if args.password is not None else os.environ.get("STIKG_PUSH_PASSWORD")
    dataset = args.dataset or Paths(find_root()).kg / "dataset.nq"
    client = Client(args.user, password, retries=args.retries, timeout=args.timeout)
    reports = push(
        dataset, args.endpoint, args.graph_store, user=args.user, password=password, client=client,
        prune=args.prune, progress=lambda line: print(line, file=sys.stderr),
        chunk_bytes=max(1, int(args.chunk_mb * 2**20)),
    )
    total = sum(r.triples for r in reports)
    print(f"pushed {len(reports)} graphs, {total} triples to {args.endpoint}; counts verified")
    return 0
