"""``stikg build``: build kg/ from the corpus, the registry, the ontology and the shapes."""

from __future__ import annotations

import argparse

from stikg.core.config import Paths, find_root

HELP = "Build the knowledge graph into kg/ (extract, map, reason with owlrl, validate with pyshacl)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--dry-run", action="store_true", help="build and validate but write nothing")
    parser.add_argument("--no-cache", action="store_true",
                        help="extract and map every document again (ignore var/cache/)")
    parser.add_argument("--reasoner", choices=("auto", "owlrl", "fast"), default="auto",
                        help="OWL 2 RL engine: owlrl (reference), fast (same entailments, linear), "
                             "auto (owlrl up to 60k asserted triples, else fast)")


def run(args: argparse.Namespace) -> int:
    from stikg.build import build

    paths = Paths(find_root())
    result = build(paths, quiet=args.quiet, write=not args.dry_run, reasoner=args.reasoner,
                   use_cache=not args.no_cache)
    total = sum(len(t) for t in result.graphs.values())
    print(f"built {len(result.graphs)} named graphs, {total} quads"
          f"{' (dry run, nothing written)' if args.dry_run else ' → ' + str(paths.kg)}")
    print(result.report.text(limit=10), end="")
    return 0
