"""Deterministic serialisation of the built graph into ``kg/``.

N-Quads lines are sorted; blank nodes (only the ontology has them, for OWL lists) are given
canonical labels first, so the same input always gives the same bytes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import operator
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.compare import to_canonical_graph

from stikg.core import atomic
from stikg.core.errors import StikgError
from stikg.core.hashing import sha256_of_file
from stikg.core.parallel import run_groups
from stikg.rdf import serialize
from stikg.rdf.indexed import Indexed
from stikg.rdf.term_forms import jsonld_context, nt_row
from stikg.rdf.vocab import PREFIXES, Triple


def canonical_triples(graph: Graph) -> set[Triple]:
    """The graph's triples with blank nodes relabelled canonically (stable across runs)."""
    if not any(isinstance(t, BNode) for triple in graph for t in (triple[0], triple[2])):
        return set(graph)
    return set(to_canonical_graph(graph))


def nquad_lines(graph_name: URIRef, triples: Iterable[Triple]) -> list[str]:
    """One N-Quads line per triple in ``graph_name`` (unsorted)."""
    suffix = f" <{graph_name}> .\n"
    return [nt_row(t)[: -len(" .\n")] + suffix for t in triples]


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


# Digests of the files this process (or its writer workers) just wrote, by path, with the
# size and mtime they had: sha256_file() returns these instead of reading the file back.
_WRITTEN: dict[str, tuple[int, int, str]] = {}


def sha256_file(path: Path) -> str:
    path = Path(path)
    known = _WRITTEN.get(str(path))
    if known is not None:
        st = path.stat()
        if (st.st_size, st.st_mtime_ns) == known[:2]:
            return known[2]
    return sha256_of_file(path)


def write_json(path: Path, data: Mapping) -> None:
    atomic.write_text(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def _write(path: Path, pieces: list[str]) -> dict[str, str]:
    """Write the text atomically; return {path: sha256 of its bytes}.

    Encoded a slice of pieces at a time: a whole file joined into one ``str`` would take up to four
    bytes a character (Japanese labels make it two), twice the UTF-8 bytes written.
    """
    data = bytearray()
    step = 4096 if len(pieces) > 65536 else 1  # many lines, or a few graphs' texts
    for i in range(0, len(pieces), step):
        data += "".join(pieces[i:i + step]).encode("utf-8")
    atomic.write_bytes(path, data)
    return {str(path): hashlib.sha256(data).hexdigest()}


def _remember(digests: Mapping[str, str]) -> None:
    for name, digest in digests.items():
        st = Path(name).stat()
        _WRITTEN[name] = (st.st_size, st.st_mtime_ns, digest)


def graph_file_name(name: URIRef) -> str:
    """``graphs/<short>.ttl`` for a named graph (``…/graph/document/x`` → ``document-x.ttl``)."""
    short = str(name).rsplit("/graph/", 1)[-1].replace("/", "-")
    return f"{short}.ttl"


def _write_nquads(directory: Path, index: Indexed) -> dict[str, str]:
    return _write(directory / "dataset.nq", index.nquads())


def _write_turtle_and_trig(directory: Path, index: Indexed) -> dict[str, str]:
    """``graphs/*.ttl`` (one graph each) and ``dataset.trig`` (the same statements, indented)."""
    digests: dict[str, str] = {}
    bodies = {}
    for name, text, indented, used in index.turtle_files(sorted(index.keys)):
        digests.update(_write(directory / "graphs" / graph_file_name(name), [text]))
        bodies[name] = (indented, used)
    digests.update(_write(directory / "dataset.trig", index.trig(bodies)))
    return digests


def _write_jsonld(directory: Path, index: Indexed) -> dict[str, str]:
    return _write(directory / "dataset.jsonld", index.jsonld())


def _write_merged(directory: Path, index: Indexed) -> dict[str, str]:
    # (also counts what void.describe() reports, here while the worker still writes)
    return _write(directory / "stikg.ttl", index.merged_turtle())


# Writers for the files of write_dataset(), in two groups of about equal work: the first runs in
# a forked worker process (when fork is available), the second in this process meanwhile (so
# what it adds to the shared index, the merged triples and their counts, stays for VoID).
WRITERS = ((_write_nquads, _write_jsonld), (_write_turtle_and_trig, _write_merged))


_SHARED: list[list] = []  # [graphs, index or None] of the open shared_index() blocks


@contextlib.contextmanager
def shared_index(graphs: Mapping[URIRef, set[Triple]]) -> Iterator[None]:
    """Within the block, :func:`index_of` gives the same index of ``graphs`` to every caller
    (``write_dataset``, ``void.describe``), made on first use. ``graphs`` must not change meanwhile."""
    entry = [graphs, None]
    _SHARED.append(entry)
    try:
        yield
    finally:
        _SHARED.remove(entry)


def index_of(graphs: Mapping[URIRef, set[Triple]]) -> Indexed:
    """The :class:`Indexed` of ``graphs``: the shared one inside :func:`shared_index`."""
    for entry in reversed(_SHARED):
        if entry[0] is graphs:
            if entry[1] is None:
                entry[1] = Indexed(graphs)
            return entry[1]
    return Indexed(graphs)


def with_predicate(triples: Iterable[Triple], predicate: URIRef) -> list[Triple]:
    """The triples whose predicate is ``predicate``: a string test in C first (rdflib's ``==`` is
    Python, slow over a million triples), then ``==`` on the few that pass."""
    triples = triples if isinstance(triples, (set, frozenset, list, tuple)) else list(triples)
    candidates = itertools.compress(triples, map(str.__eq__, map(operator.itemgetter(1), triples),
                                                 itertools.repeat(str(predicate))))
    return [t for t in candidates if t[1] == predicate]


def write_dataset(directory: Path, graphs: Mapping[URIRef, set[Triple]], parallel: bool = True) -> dict[str, int]:
    """Write ``dataset.nq`` (all graphs, sorted), ``dataset.trig``, ``dataset.jsonld``,
    ``context.jsonld``, ``stikg.ttl`` (merged) and ``graphs/*.ttl``.

    The graphs are indexed once (terms numbered, each graph sorted once) and every file is made
    from that index; with ``parallel`` the writers are split between this process and a forked
    worker. Returns the triple count per graph name.
    """
    directory = Path(directory)
    counts = {str(name): len(graphs[name]) for name in sorted(graphs)}
    index = index_of(graphs)
    _WRITTEN.clear()
    digests = run_groups([[functools.partial(w, directory, index) for w in group] for group in WRITERS],
                         parallel=parallel)
    for part in digests:
        _remember(part)
    write_json(directory / "context.jsonld", jsonld_context())
    return counts


def read_dataset(path: Path) -> dict[URIRef, set[Triple]]:
    """Read ``kg/dataset.nq`` back into rdflib terms, graph by graph (pyoxigraph parses it fast)."""
    import pyoxigraph
    from rdflib import Literal
    from rdflib.namespace import XSD


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
