"""``stikg query NAME|FILE.rq [--param name=value …] [--format …] [--endpoint URL]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stikg.core.config import Paths, find_root
from stikg.sparql import (
    FORMATS,
    EndpointBackend,
    QueryError,
    embedded_backend,
    library,
    load_query,
    render,
    run_query,
)

HELP = "run a library query (queries/NAME.rq) or a .rq file on the built graph or a SPARQL endpoint"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="?", metavar="NAME|FILE.rq", help="library query name or a .rq file")
    parser.add_argument(
        "--param", "-p", action="append", default=[], metavar="NAME=VALUE",
        help="bind a parameter (IRI as <…> or prefix:name, integer, id, label or string); repeatable",
    )
    parser.add_argument("--format", "-f", choices=FORMATS, default=None,
                        help="output format (default: table; ttl for CONSTRUCT/DESCRIBE)")
    parser.add_argument("--endpoint", metavar="URL", help="run on this SPARQL 1.1 endpoint instead of the local store")
    parser.add_argument(
        "--endpoint-default-graph", action="store_true",
        help="with --endpoint: use the endpoint's own default graph instead of the union of the kg graphs",
    )
    parser.add_argument("--user", help="with --endpoint: user name for HTTP authentication")
    parser.add_argument("--password", help="with --endpoint: password for HTTP authentication")
    parser.add_argument("--timeout", type=float, default=60.0, help="with --endpoint: seconds (default 60)")
    parser.add_argument("--dataset", type=Path, metavar="FILE.nq",
                        help="query this N-Quads file instead of kg/dataset.nq (cached in var/store)")
    parser.add_argument("--list", action="store_true", help="list the library queries and their parameters")
    parser.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the result to FILE")


def _list(paths: Paths) -> str:
    lines = []
    for name, query in library(paths.queries).items():
        lines.append(f"{name}: {query.title}")
        if query.question_en:
            lines.append(f"    {query.question_en}")
        for p in query.parameters:
            default = f", default {p.default}" if p.default else (", optional" if p.optional else "")
            lines.append(f"    --param {p.name}=… ({p.type}{default})")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    paths = Paths(find_root())
    if args.list:
        sys.stdout.write(_list(paths))
        return 0
    if not args.query:
        raise QueryError("give a library query name or a .rq file (`stikg query --list` shows the library)")
    query = load_query(args.query, paths.queries)
    from stikg.sparql import parse_param_args

    given = parse_param_args(args.param)
    if args.endpoint:
        if not args.endpoint.startswith(("http://", "https://")):
            raise QueryError(f"--endpoint must be an http(s) URL, got {args.endpoint!r}")
        backend = EndpointBackend(
            args.endpoint, union=not args.endpoint_default_graph, timeout=args.timeout,
            user=args.user, password=args.password,
        )
    else:
        backend = embedded_backend(paths, args.dataset)
    result = run_query(query, backend, given)
    text = render(result, args.format)
    if args.output:
        from stikg.core.atomic import write_text

        write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
