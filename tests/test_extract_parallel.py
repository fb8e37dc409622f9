"""Extraction and mapping split over two processes: same results as one process, same cache, clear errors."""

from __future__ import annotations

import pytest

from stikg import build as build_module
from stikg.build import DocumentCache, _split_by_size, extract_and_map, load_registry
from stikg.core.config import Paths
from stikg.core.errors import StikgError
from stikg.inputs.corpus import load_corpus
from stikg.rdf.mapping import Mapper


def _run(paths: Paths, **options):
    documents = load_corpus(paths.sources, paths.catalog)
    registry = load_registry(paths)
    return documents, extract_and_map(documents, registry, paths, Mapper(registry), **options)


def _csvs(paths: Paths) -> dict[str, bytes]:
    return {str(f.relative_to(paths.extracted)): f.read_bytes() for f in sorted(paths.extracted.rglob("*.csv"))}


def test_two_processes_give_what_one_gives(project, tmp_path):
    paths = Paths(project)
    documents, (ext_p, map_p, redone_p) = _run(paths, use_cache=True, parallel=True)
    csv_parallel = _csvs(paths)
    assert redone_p == len(documents) >= build_module.PARALLEL_EXTRACT_MIN_DOCUMENTS
    serial = Paths(project)
    for f in serial.extracted.rglob("*.csv"):
        f.unlink()
    _, (ext_s, map_s, redone_s) = _run(serial, use_cache=False, parallel=False)
    assert redone_s == redone_p
    assert _csvs(serial) == csv_parallel
    for doc in documents:
        key = doc.entry.id
        assert map_p[key].triples == map_s[key].triples
        assert map_p[key] == map_s[key]
        assert ext_p[key].amounts == ext_s[key].amounts
    # the worker's results were stored in the cache: a second run redoes nothing and gives the same
    _, (_, map_c, redone_c) = _run(paths, use_cache=True, parallel=True)
    assert redone_c == 0
    assert {k: m.triples for k, m in map_c.items()} == {k: m.triples for k, m in map_p.items()}


def test_a_worker_error_is_the_documents_clear_error(project, monkeypatch):
    paths = Paths(project)
    documents = load_corpus(paths.sources, paths.catalog)
    target = max(documents, key=lambda d: len(d.lines)).entry.id  # the largest goes to the worker
    real = build_module._extract_one

    def failing(doc, *args):
        if doc.entry.id == target:
            raise StikgError("cannot read this page", doc.path, 12)
        return real(doc, *args)

    monkeypatch.setattr(build_module, "_extract_one", failing)
    with pytest.raises(StikgError) as caught:
        _run(paths, use_cache=True, parallel=True)
    assert caught.value.line == 12 and caught.value.file.endswith(".txt")
    assert "cannot read this page" in str(caught.value)
    # nothing of the failed document was cached
    cache = DocumentCache(paths.root / "var" / "cache" / "documents", sorted(paths.registry.glob("*.yaml")))
    assert cache.get(next(d for d in documents if d.entry.id == target)) is None


def test_documents_are_split_by_size():
    class Doc:
        def __init__(self, name, n):
            self.lines = ("x",) * n
            self.entry = type("E", (), {"stem": name})()

    docs = [Doc("a", 100), Doc("b", 60), Doc("c", 50), Doc("d", 10)]
    first, second = _split_by_size(docs, 2)
    assert [d.entry.stem for d in first] == ["a", "d"] and [d.entry.stem for d in second] == ["b", "c"]
    assert _split_by_size(docs[:1], 2) == [docs[:1]]
