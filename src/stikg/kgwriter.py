"""Deterministic serialisation of the built graph into ``kg/``.

N-Quads lines are sorted; blank nodes (only the ontology has them, for OWL lists) are given
canonical labels first, so the same input always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.compare import to_canonical_graph

from stikg import atomic, serialize
from stikg.vocab import PREFIXES

Triple = tuple


def canonical_triples(graph: Graph) -> set[Triple]:
    """The graph's triples with blank nodes relabelled canonically (stable across runs)."""
    if not any(isinstance(t, BNode) for triple in graph for t in (triple[0], triple[2])):
        return set(graph)
    return set(to_canonical_graph(graph))


def nquad_lines(graph_name: URIRef, triples: Iterable[Triple]) -> list[str]:
    """One N-Quads line per triple in ``graph_name`` (unsorted)."""
    suffix = f" <{graph_name}> .\n"
    return [serialize.nt_row(t)[: -len(" .\n")] + suffix for t in triples]


def to_graph(triples: Iterable[Triple]) -> Graph:
    """An rdflib graph with the project's prefixes bound."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    for triple in triples:
        graph.add(triple)
    return graph


def turtle(triples: Iterable[Triple]) -> str:
    """Readable, deterministic Turtle with the project's prefixes."""
    return serialize.turtle(triples)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_json(path: Path, data: Mapping) -> None:
    atomic.write_text(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def write_dataset(directory: Path, graphs: Mapping[URIRef, set[Triple]]) -> dict[str, int]:
    """Write ``dataset.nq`` (all graphs, sorted), ``stikg.ttl`` (merged) and ``graphs/*.ttl``.

    Returns the triple count per graph name.
    """
    directory = Path(directory)
    lines: list[str] = []
    counts: dict[str, int] = {}
    merged: set[Triple] = set()
    for name in sorted(graphs):
        triples = graphs[name]
        counts[str(name)] = len(triples)
        lines.extend(nquad_lines(name, triples))
        merged |= triples
        short = str(name).rsplit("/graph/", 1)[-1].replace("/", "-")
        atomic.write_text(directory / "graphs" / f"{short}.ttl", turtle(triples))
    lines.sort()
    atomic.write_text(directory / "dataset.nq", "".join(lines))
    atomic.write_text(directory / "dataset.trig", serialize.trig(graphs))
    atomic.write_text(directory / "dataset.jsonld", serialize.jsonld(graphs))
    write_json(directory / "context.jsonld", serialize.jsonld_context())
    atomic.write_text(directory / "stikg.ttl", turtle(merged))
    return counts


def read_dataset(path: Path) -> dict[URIRef, set[Triple]]:
    """Read ``kg/dataset.nq`` back into rdflib terms, graph by graph (pyoxigraph parses it fast)."""
    import pyoxigraph
    from rdflib import Literal
    from rdflib.namespace import XSD

    from stikg.errors import StikgError

    path = Path(path)
    if not path.is_file():
        raise StikgError("no built graph: run `stikg build` first", path)
    cache: dict = {}

    def term(t):
        got = cache.get(t)
        if got is not None:
            return got
        if isinstance(t, pyoxigraph.NamedNode):
            got = URIRef(t.value)
        elif isinstance(t, pyoxigraph.BlankNode):
            got = BNode(t.value)
        elif t.language:
            got = Literal(t.value, lang=t.language)
        elif t.datatype.value == str(XSD.string):
            got = Literal(t.value)
        else:
            got = Literal(t.value, datatype=URIRef(t.datatype.value))
        cache[t] = got
        return got

    graphs: dict[URIRef, set[Triple]] = {}
    try:
        with path.open("rb") as handle:
            for quad in pyoxigraph.parse(handle, pyoxigraph.RdfFormat.N_QUADS):
                name = URIRef(quad.graph_name.value) if isinstance(quad.graph_name, pyoxigraph.NamedNode) \
                    else URIRef("urn:x-stikg:default")
                graphs.setdefault(name, set()).add((term(quad.subject), term(quad.predicate), term(quad.object)))
    except SyntaxError as exc:
        raise StikgError(f"does not parse as N-Quads: {exc}", path) from None
    return graphs
