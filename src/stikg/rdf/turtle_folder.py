"""The one loader of a folder of Turtle files (the ontology, the SHACL shapes)."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from stikg.core.errors import StikgError


def load_turtle_folder(directory: Path, what: str) -> Graph:
    """Every ``*.ttl`` of ``directory`` (sorted) parsed into one graph; ``what`` names the content
    in errors ("ontology", "SHACL shapes"): no file, or a file that does not parse, is a
    :class:`StikgError` naming the file."""
    graph = Graph()
    files = sorted(Path(directory).glob("*.ttl"))
    if not files:
        raise StikgError(f"no {what} file (*.ttl)", directory)
    for path in files:
        try:
            graph.parse(path, format="turtle")
        except Exception as exc:  # rdflib's parsers raise assorted exception types
            raise StikgError(f"{what} does not parse: {exc}", path) from None
    return graph
