"""``stikg build``: corpus → extraction → mapping → OWL 2 RL reasoning → SHACL → ``kg/``.

The build is all-or-nothing: everything is written into a staging directory and swapped in with
renames, so an interrupted or failed build leaves the previous ``kg/`` as it was. A graph with
SHACL violations is not published; its report goes to ``var/last-build/`` and the build fails.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import hashlib
import pickle
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from stikg import __version__
from stikg.core import atomic
from stikg.core.config import Paths
from stikg.core.errors import StikgError, ValidationFailed
from stikg.core.parallel import run_groups
from stikg.inputs.corpus import Document, load_corpus
from stikg.rdf import serialize, vocab, void
from stikg.rdf.budget_facts import budget_triples
from stikg.rdf.kgwriter import canonical_triples, sha256_file, write_dataset, write_json
from stikg.rdf.mapping import Mapper
from stikg.rdf.reasoning import reason
from stikg.rdf.turtle_folder import load_turtle_folder
from stikg.rdf.validation import ValidationReport, load_shapes, validate, validate_prefiltered
from stikg.rdf.vocab import Triple


class Progress:
    """Timed progress lines on stderr (quiet mode prints nothing)."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.start = time.perf_counter()
        self.timings: dict[str, float] = {}
        self._last = self.start

    def step(self, name: str, detail: str = "") -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._last, 3)
        self._last = now
        if not self.quiet:
            print(f"[{now - self.start:6.1f}s] {name}{': ' + detail if detail else ''}",
                  file=sys.stderr, flush=True)


@dataclass
class BuildResult:
    """What a build produced (the graphs are kept for callers such as tests and benchmarks)."""

    graphs: dict[URIRef, set[Triple]]
    report: ValidationReport
    stats: dict
    timings: dict[str, float] = field(default_factory=dict)
    redone: int = 0  # documents extracted and mapped again (the others came from the cache)


def load_ontology(paths: Paths) -> Graph:
    """Parse every ``ontology/*.ttl``."""
    return load_turtle_folder(paths.ontology, "ontology")


def load_registry(paths: Paths):
    """The curated registry (identity only)."""
    from stikg.inputs.registry import Registry

    return Registry.load(paths.registry)


def code_fingerprint() -> str:
    """Hash of the code that turns a document into triples (extractor, mapping, vocabulary)."""
    import stikg

    package = Path(stikg.__file__).parent
    files = sorted([*package.glob("extract/*.py"), package / "rdf" / "mapping.py", package / "rdf" / "vocab.py",
                    package / "core" / "normalize.py", package / "core" / "text.py",
                    package / "inputs" / "registry.py", package / "inputs" / "registry_load.py"])
    digest = hashlib.sha256(__version__.encode())
    for f in files:
        if f.is_file():
            digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


class DocumentCache:
    """Per-document results of extract + map under ``var/cache/documents/``.

    A document's entry is reused only when its key matches: the document's bytes, its catalog
    entry, the registry files, the code fingerprint and the base IRI. So after one document
    changes, only that document is extracted and mapped again.
    """

    def __init__(self, directory: Path, registry_files: list[Path]):
        self.directory = directory
        shared = hashlib.sha256(code_fingerprint().encode() + vocab.base_iri().encode())
        for f in registry_files:
            shared.update(f.read_bytes())
        self.shared = shared.hexdigest()

    def key(self, doc: Document) -> str:
        return hashlib.sha256(f"{self.shared}|{doc.sha256}|{doc.entry!r}".encode()).hexdigest()

    def path(self, doc: Document) -> Path:
        return self.directory / f"{doc.entry.stem}.pickle"

    def get(self, doc: Document):
        """The cached (extraction, mapped document) of ``doc``, or None when absent or stale."""
        try:
            data = self.path(doc).read_bytes()
        except OSError:
            return None
        return self.decode(doc, data)

    def decode(self, doc: Document, data: bytes):
        """(extraction, mapped document) from an entry's bytes, or None when they are not ``doc``'s."""
        try:
            key, result, mapped, terms, flat = pickle.loads(data)
        except (EOFError, pickle.UnpicklingError, ValueError, AttributeError, ImportError, TypeError):
            return None
        if key != self.key(doc):
            return None
        indexes = array("I")
        indexes.frombytes(flat)
        it = iter(indexes)
        mapped.triples = {(terms[a], terms[b], terms[c]) for a, b, c in zip(it, it, it, strict=False)}
        return result, mapped

    def encode(self, doc: Document, payload) -> bytes:
        """An entry's bytes. Triples are stored as a table of distinct terms plus three indexes per
        triple: a document repeats its terms ~10 times, and building rdflib terms is what loading costs."""
        result, mapped = payload
        terms: dict = {}
        flat = array("I")
        for triple in mapped.triples:
            for term in triple:
                flat.append(terms.setdefault(term, len(terms)))
        shell = dataclasses.replace(mapped, triples=set())
        return pickle.dumps((self.key(doc), result, shell, list(terms), flat.tobytes()),
                            protocol=pickle.HIGHEST_PROTOCOL)

    def put(self, doc: Document, payload) -> None:
        self.put_bytes(doc, self.encode(doc, payload))

    def put_bytes(self, doc: Document, data: bytes) -> None:
        atomic.write_bytes(self.path(doc), data)


# Extract and map in two processes when at least this many documents must be (re)done.
PARALLEL_EXTRACT_MIN_DOCUMENTS = 4


def _extract_one(doc: Document, registry, mapper: Mapper, paths: Paths, write: bool):
    """Extract and map one document; write its CSVs when ``write``."""
    from stikg.extract import extract_document

    result = extract_document(list(doc.lines), doc.entry.id, fiscal_year=doc.entry.fiscal_year,
                              kind=doc.entry.kind, registry=registry)
    mapped = mapper.map_document(doc, result)
    if write:
        result.write_csv(paths.extracted / doc.entry.stem)
    return result, mapped


def _split_by_size(documents: list[Document], parts: int) -> list[list[Document]]:
    """``documents`` in ``parts`` groups of about equal total length (largest first, to the lightest)."""
    groups: list[list[Document]] = [[] for _ in range(parts)]
    loads = [0] * parts
    for doc in sorted(documents, key=lambda d: (-len(d.lines), d.entry.stem)):
        lightest = loads.index(min(loads))
        groups[lightest].append(doc)
        loads[lightest] += len(doc.lines) + 1
    return [g for g in groups if g]


def extract_and_map(documents: list[Document], registry, paths: Paths, mapper: Mapper,
                    write: bool = True, use_cache: bool = True,
                    parallel: bool = True) -> tuple[dict, dict, int]:
    """Extract and map each document (reusing cached results); returns (extractions, mapped, redone).

    Documents to (re)do are split between a forked worker process and this one when there are
    enough of them (``parallel``); the worker sends each result back as cache-entry bytes.
    A document's CSVs are written before its cache entry: a crash in between leaves no cache
    entry, so the next build redoes that document and rewrites its CSVs.
    """
    cache = DocumentCache(paths.root / "var" / "cache" / "documents", sorted(paths.registry.glob("*.yaml")))
    done: dict[str, tuple] = {}
    todo: list[Document] = []
    for doc in documents:
        cached = cache.get(doc) if use_cache else None
        if cached is None:
            todo.append(doc)
        else:
            done[doc.entry.id] = cached
            if write and not (paths.extracted / doc.entry.stem).is_dir():
                cached[0].write_csv(paths.extracted / doc.entry.stem)

    def here(doc: Document) -> tuple[Document, tuple]:
        payload = _extract_one(doc, registry, mapper, paths, write)
        if use_cache:
            cache.put(doc, payload)
        return doc, payload

    def there(doc: Document) -> tuple[Document, bytes]:
        return doc, cache.encode(doc, _extract_one(doc, registry, mapper, paths, write))

    if parallel and len(todo) >= PARALLEL_EXTRACT_MIN_DOCUMENTS:
        worker_docs, own_docs = _split_by_size(todo, 2)
        calls: list[list[Callable[[], tuple[Document, Any]]]] = [
            [functools.partial(there, d) for d in worker_docs], [functools.partial(here, d) for d in own_docs]]
        for doc, got in run_groups(calls):
            if isinstance(got, bytes):  # from the worker: store it, then read it back like a cache hit
                if use_cache:
                    cache.put_bytes(doc, got)
                got = cache.decode(doc, got)
                if got is None:
                    raise StikgError("the extraction worker sent back an unreadable result", doc.path)
            done[doc.entry.id] = got
    else:
        for doc in todo:
            done[doc.entry.id] = here(doc)[1]
    extractions = {doc.entry.id: done[doc.entry.id][0] for doc in documents}
    mapped = {doc.entry.id: done[doc.entry.id][1] for doc in documents}
    return extractions, mapped, len(todo)


# Above this many asserted triples ``auto`` switches from owlrl to the fast engine (same entailments,
# checked by tests/test_reasoning.py); owlrl's cost grows too fast beyond it.
AUTO_REASONER_LIMIT = 60_000
# Above this many triples pyshacl validates only the focus nodes a pre-pass cannot clear, on
# worker processes (same report, checked by tests/test_validation_fast.py). The real corpus
# (~20,000) stays below it: pyshacl over the whole graph, the reference, takes seconds there; at
# 120,000 triples it took 32 s against 4 s for the pre-pass path at 230,000 (docs/SCALE.md).
PREFILTERED_VALIDATION_LIMIT = 50_000


def choose_reasoner(engine: str, asserted: int) -> str:
    """``owlrl`` or ``fast``; ``auto`` picks owlrl (the reference) for graphs it handles quickly."""
    if engine == "auto":
        return "owlrl" if asserted <= AUTO_REASONER_LIMIT else "fast"
    return engine


def build(paths: Paths, quiet: bool = False, write: bool = True, reasoner: str = "auto",
          use_cache: bool = True) -> BuildResult:
    """Build the whole graph; write ``kg/`` (atomically) unless ``write`` is false.

    Python's cyclic garbage collector is paused for the build: the graph is millions of
    long-lived tuples and terms, and every collection would walk them all again (at a million
    triples that was a third of the run). Reference counting still frees what the stages drop.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(paths, quiet, write, reasoner, use_cache)
    finally:
        if was_enabled:
            gc.enable()


def _build(paths: Paths, quiet: bool, write: bool, reasoner: str, use_cache: bool) -> BuildResult:
    progress = Progress(quiet)
    atomic.recover_directory(paths.kg)
    documents = load_corpus(paths.sources, paths.catalog)
    registry = load_registry(paths)
    ontology = load_ontology(paths)
    shapes = load_shapes(paths.shapes)
    progress.step("load", f"{len(documents)} documents, ontology {len(ontology)} triples")

    mapper = Mapper(registry)
    extractions, mapped, redone = extract_and_map(documents, registry, paths, mapper, write=write,
                                                  use_cache=use_cache)
    progress.step("extract+map", f"{redone} of {len(documents)} documents (re)done, "
                                 f"{sum(len(r.amounts) for r in extractions.values())} amounts")
    graphs: dict[URIRef, set[Triple]] = {}
    for doc in documents:
        graphs[vocab.graph_iri(f"document/{doc.entry.stem}")] = mapped[doc.entry.id].triples
    graphs[vocab.graph_iri("registry")] = mapper.map_registry()
    graphs[vocab.graph_iri("catalog")] = mapper.map_catalog(d.entry for d in documents)
    asserted = set().union(*graphs.values())
    progress.step("registry+catalog", f"{len(asserted)} asserted triples")
    budgets = budget_triples(asserted)
    graphs[vocab.graph_iri("budgets")] = budgets
    asserted |= budgets
    progress.step("budgets", f"{sum(1 for t in budgets if t[1] == RDF.type)} programme budgets")

    engine = choose_reasoner(reasoner, len(asserted))
    inferred = reason(asserted, ontology, engine)
    graphs[vocab.graph_iri("inferred")] = inferred
    progress.step("reason", f"OWL 2 RL ({engine}): {len(inferred)} inferred triples")

    everything = asserted | inferred
    if len(everything) > PREFILTERED_VALIDATION_LIMIT:
        steps: dict = {}
        report = validate_prefiltered(everything, shapes, ontology, timings=steps)
        how = (f" (pre-pass: {steps.get('suspects', '?')} suspect focus nodes; Oxigraph loaded at "
               f"{steps.get('load_store', '?')} s, pre-pass done at {steps.get('prefilter', '?')} s, "
               f"pyshacl {steps.get('pyshacl', 0)} s)")
    else:
        data = Graph()
        for triple in everything:
            data.add(triple)
        report = validate(data, shapes, ontology)
        how = ""
    c = report.counts
    progress.step("validate", f"{c.get('Violation', 0)} violations, {c.get('Warning', 0)} warnings, "
                              f"{c.get('Info', 0)} info{how}")

    graphs[vocab.graph_iri("ontology")] = canonical_triples(ontology)
    stats = compute_stats(documents, extractions, mapped, graphs, report)
    result = BuildResult(graphs=graphs, report=report, stats=stats, timings=progress.timings, redone=redone)
    if report.violations:
        last = paths.root / "var" / "last-build"
        atomic.write_text(last / "shacl-report.txt", report.text())
        atomic.write_text(last / "shacl-report.ttl", report.turtle())
        raise ValidationFailed(
            f"the graph has {report.violations} SHACL violation(s); kg/ was left unchanged. "
            f"First: {report.findings[0].focus} {report.findings[0].path}: "
            f"{report.findings[0].message} (full report: {last / 'shacl-report.txt'})")
    if write:
        write_kg(paths, graphs, report, stats, documents)
        progress.step("write", f"kg/ ({sum(len(t) for t in graphs.values())} quads)")
    return result


def write_kg(paths: Paths, graphs: dict[URIRef, set[Triple]], report: ValidationReport, stats: dict,
             documents: list[Document]) -> None:
    """Write every ``kg/`` file into a staging directory, then swap it in atomically."""
    from stikg.rdf.kgwriter import shared_index

    # One index of the graphs (terms numbered, triples sorted) for the dataset files and VoID.
    with atomic.replace_directory(paths.kg) as staging, shared_index(graphs):
        counts = write_dataset(staging, graphs)
        atomic.write_text(staging / "void.ttl", serialize.turtle(void.describe(graphs, documents)))
        atomic.write_text(staging / "shacl-report.txt", report.text())
        atomic.write_text(staging / "shacl-report.ttl", report.turtle())
        write_json(staging / "stats.json", stats)
        outputs = {p.relative_to(staging).as_posix(): sha256_file(p)
                   for p in sorted(staging.rglob("*")) if p.is_file()}
        write_json(staging / "manifest.json", {
            "generator": f"stikg {__version__}",
            "base_iri": vocab.base_iri(),
            "inputs": input_hashes(paths, documents),
            "graphs": counts,
            "outputs": outputs,
        })
    # The query store is part of the build: the first `stikg query` / `stikg serve` after it
    # opens var/store at once instead of bulk-loading kg/dataset.nq (stikg.sparql.store).
    from stikg.sparql.store import refresh_store

    refresh_store(paths)


def input_hashes(paths: Paths, documents: list[Document]) -> dict[str, str]:
    """SHA-256 of every input file (documents, catalog, registry, ontology, shapes)."""
    files = [paths.catalog, *sorted(paths.registry.glob("*.yaml")), *sorted(paths.ontology.glob("*.ttl")),
             *sorted(paths.shapes.glob("*.ttl"))]
    hashes = {f.relative_to(paths.root).as_posix(): sha256_file(f) for f in files}
    hashes.update({f"sources/{d.entry.id}": d.sha256 for d in documents})
    return dict(sorted(hashes.items()))


def compute_stats(documents, extractions, mapped, graphs, report: ValidationReport) -> dict:
    """Counts per class and per document; what was extracted, skipped and unresolved."""
    from stikg.rdf.kgwriter import with_predicate

    # The rdf:type triples of each graph (a document's graph is its mapped triples: found once),
    # and the distinct ones of all graphs (no union of all the triples).
    typed_in = {id(triples): with_predicate(triples, RDF.type) for triples in graphs.values()}
    typed = set().union(*typed_in.values())
    classes = Counter(str(o) for s, p, o in typed if not isinstance(o, Literal))
    per_document = {}
    for doc in documents:
        ext = extractions[doc.entry.id]
        m = mapped[doc.entry.id]
        doc_typed = typed_in.get(id(m.triples))
        if doc_typed is None:
            doc_typed = with_predicate(m.triples, RDF.type)
        per_class = Counter(str(o) for s, p, o in doc_typed)
        per_document[doc.entry.id] = {
            "lines": len(doc.lines),
            "triples": len(m.triples),
            "records": {name: len(getattr(ext, name, ())) for name in
                        ("amounts", "citations", "organizations", "flows", "periods")},
            "classes": dict(sorted(per_class.items())),
            "skipped": dict(sorted(Counter(r.reason for r in getattr(ext, "report", ())).items())),
            "unresolved": dict(sorted(Counter(u.kind for u in m.unresolved).items())),
            "not_mapped_program_unknown": dict(sorted(Counter(t for t, _ in m.unmapped).items())),
        }
    return {
        "graphs": {str(k): len(v) for k, v in sorted(graphs.items())},
        "classes": dict(sorted(classes.items())),
        "documents": per_document,
        "shacl": dict(sorted(report.counts.items())),
    }
