"""``stikg docs``: the ontology's HTML documentation (``docs/ontology/index.html``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stikg.core import atomic
from stikg.core.config import Paths, find_root
from stikg.web import ontology_docs

HELP = "generate the ontology's HTML documentation from ontology/*.ttl (default docs/ontology/index.html)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", "-o", type=Path, default=None,
                        help="output HTML file (default docs/ontology/index.html); ontology.css is written beside it")
    parser.add_argument("--ontology", type=Path, default=None, help="ontology directory (default ontology/)")


def run(args: argparse.Namespace) -> int:
    paths = Paths(find_root())
    out = args.out or paths.root / "docs" / "ontology" / "index.html"
    graph = ontology_docs.load(args.ontology or paths.ontology)
    page = ontology_docs.render(graph)
    atomic.write_text(out, page)
    atomic.write_text(out.parent / ontology_docs.DEFAULT_CSS, ontology_docs.stylesheet())
    terms = ontology_docs.documented_terms(graph)
    print(f"wrote {out} ({len(terms)} terms documented) and {out.parent / ontology_docs.DEFAULT_CSS}", file=sys.stderr)
    return 0
