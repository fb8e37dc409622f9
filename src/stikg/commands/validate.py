"""``stikg validate [FILES]``: SHACL-validate RDF files (default: the built kg/dataset.nq)."""

from __future__ import annotations

import argparse
from pathlib import Path

from stikg.core import atomic
from stikg.core.config import Paths, find_root
from stikg.core.errors import StikgError

HELP = "Validate RDF files (default kg/dataset.nq) against shapes/; report for people and as Turtle."

_FORMATS = {".nq": "nquads", ".trig": "trig", ".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld",
            ".rdf": "xml", ".owl": "xml"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", type=Path, help="RDF files (.nq .trig .ttl .nt .jsonld .rdf)")
    parser.add_argument("--shapes", type=Path, default=None, help="shapes directory (default shapes/)")
    parser.add_argument("--turtle", type=Path, default=None, help="also write the report as Turtle here")
    parser.add_argument("--limit", type=int, default=50, help="findings to print (default 50)")


def load_data(files: list[Path]):
    """Union of all triples in the files (named graphs merged), with a clear error per file."""
    from rdflib import Dataset, Graph

    data = Graph()
    for path in files:
        fmt = _FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise StikgError(f"unknown RDF file type {path.suffix!r}", path)
        if not path.is_file():
            raise StikgError("file not found", path)
        try:
            if fmt in ("nquads", "trig"):
                ds = Dataset()
                ds.parse(path, format=fmt)
                for s, p, o, _ in ds.quads((None, None, None, None)):
                    data.add((s, p, o))
            else:
                data.parse(path, format=fmt)
        except StikgError:
            raise
        except Exception as exc:  # parser errors carry the line in their text
            raise StikgError(f"does not parse: {exc}", path) from None
    return data


def run(args: argparse.Namespace) -> int:
    from stikg.build import load_ontology
    from stikg.rdf.validation import load_shapes, validate

    paths = Paths(find_root())
    files = args.files or [paths.kg / "dataset.nq"]
    data = load_data(files)
    report = validate(data, load_shapes(args.shapes or paths.shapes), load_ontology(paths))
    print(report.text(limit=args.limit), end="")
    if args.turtle:
        atomic.write_text(args.turtle, report.turtle())
    return 1 if report.violations else 0
