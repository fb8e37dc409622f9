"""The query store is part of the build, and the fast query plans answer the same rows.

Functional, not timed (the timings are benchmarks/bench_library.py's, docs/SCALE.md §5):
``stikg build`` leaves ``var/store`` current, so the first query opens it instead of rebuilding
it; a fresh clone (``kg/`` committed, no ``var/store``) still builds it on first use; and every
library query gives the same rows on the on-disk store and on an in-memory store of the same dump.
"""

from __future__ import annotations

import pytest

from servers import REAL_KG, make_fixture_project, make_real_project
from stikg.sparql import EmbeddedBackend, GraphResult, library, run_query
from stikg.sparql.store import STAMP_NAME, memory_store, open_store, read_stamp, refresh_store


def _stamp_mtime(store_dir) -> int:
    return (store_dir / STAMP_NAME).stat().st_mtime_ns


def test_refresh_builds_once_then_open_reuses(tmp_path):
    data = make_fixture_project(tmp_path / "project")
    assert not data.paths.store.exists()  # a fresh clone: kg/ only
    assert refresh_store(data.paths) is True
    built_at = _stamp_mtime(data.paths.store)
    assert refresh_store(data.paths) is False  # current: nothing to do
    store = open_store(data.paths)
    assert bool(store.query("ASK { GRAPH ?g { ?s ?p ?o } }"))
    assert _stamp_mtime(data.paths.store) == built_at  # the first query did not rebuild it


def test_open_store_still_builds_a_missing_store(tmp_path):
    data = make_fixture_project(tmp_path / "project")
    store = open_store(data.paths)
    assert read_stamp(data.paths.store) is not None
    assert bool(store.query("ASK { ?s ?p ?o }", use_default_graph_as_union=True))


def test_refresh_rebuilds_after_the_dump_changed(tmp_path):
    data = make_fixture_project(tmp_path / "project")
    refresh_store(data.paths)
    with open(data.nq, "a", encoding="utf-8") as handle:
        handle.write('<https://example.org/x> <https://example.org/p> "new" .\n')
    assert refresh_store(data.paths) is True
    store = open_store(data.paths)
    assert bool(store.query('ASK { <https://example.org/x> ?p "new" }', use_default_graph_as_union=True))


def test_build_leaves_the_store_current(project):
    """``stikg build`` refreshes var/store right after swapping in kg/: the first query opens it."""
    from stikg.build import build
    from stikg.core.config import Paths

    paths = Paths(project)
    build(paths, quiet=True, reasoner="fast")
    assert read_stamp(paths.store) is not None
    built_at = _stamp_mtime(paths.store)
    assert refresh_store(paths) is False
    backend = EmbeddedBackend(open_store(paths))
    assert run_query(library(paths.queries)["documents"], backend).rows
    assert _stamp_mtime(paths.store) == built_at


def _rows(result):
    if isinstance(result, GraphResult):
        return sorted(map(repr, result.triples))
    return getattr(result, "rows", getattr(result, "value", None))


@pytest.mark.parametrize("which", ["fixture", "kg"])
def test_disk_and_memory_give_identical_rows(tmp_path, which):
    if which == "kg":
        assert REAL_KG.is_file(), "kg/dataset.nq is committed"
        data = make_real_project(tmp_path / "project")
    else:
        data = make_fixture_project(tmp_path / "project")
    disk = EmbeddedBackend(open_store(data.paths))
    memory = EmbeddedBackend(memory_store(data.nq))
    for name, query in library(data.root / "queries").items():
        if "in no set order" in query.text:  # a GROUP_CONCAT whose order the header leaves open
            continue
        try:
            on_disk = run_query(query, disk)
        except Exception as exc:  # a required parameter without default: same error both ways
            with pytest.raises(type(exc)):
                run_query(query, memory)
            continue
        in_memory = run_query(query, memory)
        assert getattr(on_disk, "variables", None) == getattr(in_memory, "variables", None), name
        assert _rows(on_disk) == _rows(in_memory) or sorted(map(repr, _rows(on_disk))) == sorted(
            map(repr, _rows(in_memory))), name
