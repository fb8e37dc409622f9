"""``stikg validate [FILES]``: SHACL-validate RDF files (default: the built kg/dataset.nq)."""

from __future__ import annotations

import argparse
import re
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
        except Exception as exc:  # the parser's own text is not for people: say where and why
            line, reason = parse_error(path, fmt, exc)
            raise StikgError(f"does not parse as {_NAMES[fmt]}: {reason}", path, line) from None
    return data


_NAMES = {"nquads": "N-Quads", "trig": "TriG", "turtle": "Turtle", "nt": "N-Triples", "json-ld": "JSON-LD",
          "xml": "RDF/XML"}


def parse_error(path: Path, fmt: str, exc: Exception) -> tuple[int | None, str]:
    """The line and a one-sentence reason of a parse error, without parser internals.

    The file is parsed again with Oxigraph, whose errors carry a line and column; what it cannot
    place falls back to the first line of the original message, trimmed.
    """
    import json

    import pyoxigraph as ox

    if isinstance(exc, json.JSONDecodeError):
        return exc.lineno, f"{exc.msg} (column {exc.colno})"
    formats = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "turtle": ox.RdfFormat.TURTLE,
               "nt": ox.RdfFormat.N_TRIPLES, "xml": ox.RdfFormat.RDF_XML, "json-ld": ox.RdfFormat.JSON_LD}
    try:
        for _ in ox.parse(path=str(path), format=formats[fmt]):
            pass
    except SyntaxError as ox_exc:
        reason = re.sub(r"^Parser error (?:at|between) [^:]*: ", "", ox_exc.msg or str(ox_exc))
        column = f" (column {ox_exc.offset})" if ox_exc.offset else ""
        line = ox_exc.lineno
        if line is None and (m := re.search(r":(\d+):\d+: ", str(exc))):  # RDF/XML: the line from the XML parser
            line = int(m.group(1))
        return line, reason[:1].lower() + reason[1:] + column
    except Exception:  # noqa: S110 - only a better message was sought
        pass
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    m = re.search(r"at line (\d+)", first)
    first = re.sub(r"\s*(?:at line \d+ of <[^>]*>:?|file://\S+?:\d+:\d+:)\s*", " ", first).strip(" :")
    return (int(m.group(1)) if m else None), (first or "syntax error")[:200]


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
