"""``stikg query NAME|FILE.rq [--param name=value …] [--format …] [--endpoint URL]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stikg.core.config import Paths, find_root
from stikg.sparql import (
    FORMATS,
    Backend,
    EndpointBackend,
    LabelResolver,
    QueryError,
    SelectResult,
    Term,
    bind_parameters,
    embedded_backend,
    library,
    load_query,
    render,
)
from stikg.sparql.terms import ENTITY_CLASSES

MAX_CANDIDATES = 8
PLURALS = {"strategy": "strategies", "organization": "organisations"}

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


class CandidateResolver(LabelResolver):
    """A name that is no exact label may be part of one: a unique partial match is used (and said
    so on stderr); several are listed with their ids, as ``stikg viz`` does."""

    def by_label(self, kind: str, name: str) -> Term:
        try:
            return super().by_label(kind, name)
        except QueryError as exact_error:
            found = self._containing(kind, name)
            if not found:
                raise exact_error from None
        if len(found) == 1:
            iri, label = found[0]
            print(f"stikg query: {kind} {name!r} taken as {label} ({_slug(iri)})", file=sys.stderr)
            return Term.iri(iri)
        shown = ", ".join(f"{label} ({_slug(iri)})" for iri, label in found[:MAX_CANDIDATES])
        more = f" … ({len(found) - MAX_CANDIDATES} more)" if len(found) > MAX_CANDIDATES else ""
        raise QueryError(f"{name!r} is part of the names of {len(found)} {PLURALS.get(kind, kind + 's')}: {shown}{more}; give one of their ids")

    def _containing(self, kind: str, name: str) -> list[tuple[str, str]]:
        text = (
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
            "PREFIX stikg: <https://w3id.org/stikg/ontology#>\n"
            "SELECT DISTINCT ?entity ?label ?name WHERE {\n"
            f"  ?entity a <{ENTITY_CLASSES[kind]}> ;\n"
            "          rdfs:label|skos:prefLabel|skos:altLabel|stikg:shortName ?label .\n"
            "  FILTER(CONTAINS(LCASE(STR(?label)), LCASE(?name)))\n"
            "} ORDER BY ?entity ?label"
        )
        result = self.backend.run(text, {"name": Term.literal(name.strip())})
        if not isinstance(result, SelectResult) or not name.strip():
            return []
        first: dict[str, str] = {}
        for row in result.rows:
            if row[0] is not None and row[1] is not None:
                first.setdefault(row[0].value, row[1].value)
        return sorted(first.items())


def _slug(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


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
    backend: Backend
    if args.endpoint:
        if not args.endpoint.startswith(("http://", "https://")):
            raise QueryError(f"--endpoint must be an http(s) URL, got {args.endpoint!r}")
        backend = EndpointBackend(
            args.endpoint, union=not args.endpoint_default_graph, timeout=args.timeout,
            user=args.user, password=args.password,
        )
    else:
        backend = embedded_backend(paths, args.dataset)
    bindings = bind_parameters(query, given, CandidateResolver(backend))
    result = backend.run(query.text, bindings)
    text = render(result, args.format)
    if args.output:
        from stikg.core.atomic import write_text

        write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
