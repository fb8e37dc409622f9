"""``stikg export``: the built dataset in a linked-data format (deterministic bytes)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stikg.core import atomic
from stikg.core.config import Paths, find_root
from stikg.core.errors import StikgError

FORMATS = ("ttl", "nt", "nq", "trig", "jsonld")
HELP = "Export the built graph as Turtle, N-Triples, N-Quads, TriG or JSON-LD (stdout or --out FILE)."
GRAPH_FORMATS = ("graphml", "gexf")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", "-f", required=True, choices=FORMATS + GRAPH_FORMATS)
    parser.add_argument("--out", "-o", type=Path, default=None, help="output file (default: stdout)")
    parser.add_argument("--graph", action="append", default=None,
                        help="only this named graph IRI (repeatable; default: all graphs)")


def run(args: argparse.Namespace) -> int:
    from stikg.rdf import serialize
    from stikg.rdf.kgwriter import read_dataset

    paths = Paths(find_root())
    if args.format in GRAPH_FORMATS:
        from stikg.lineage import export_network  # networkx lineage graph (Gephi formats)

        data = export_network(paths, args.format)
    else:
        graphs = read_dataset(paths.kg / "dataset.nq")
        if args.graph:
            unknown = [g for g in args.graph if g not in {str(n) for n in graphs}]
            if unknown:
                raise StikgError(f"no named graph {unknown[0]} in the dataset (see `stikg stats`)")
            graphs = {n: t for n, t in graphs.items() if str(n) in args.graph}
        data = serialize.serialize(args.format, graphs)
    if args.out is None:
        sys.stdout.write(data)
    else:
        write_export(args.out, data)
        print(f"wrote {args.out} ({len(data.encode('utf-8')):,} bytes, {args.format})", file=sys.stderr)
    return 0


def write_export(out: Path, data: str) -> None:
    """Write ``data`` atomically (a failure is one line and leaves no partial file)."""
    atomic.write_text(out, data)
