"""National scale against a real Virtuoso: a 5000 programs × 10 years synthetic corpus (~1.1M
quads) made by ``stikg synth``, built by ``stikg build``, pushed by ``stikg push`` and queried
through ``--endpoint`` in both dataset modes; the answers must be the embedded store's. At the same
size, every library query answers the same on the on-disk store (``stikg query``) and in memory
(``stikg serve``): arbitrary SAMPLE picks differed there, though not on the real graph.

About four and a half minutes (build ~85 s, push ~50 s, the whole library on both stores ~45 s); the benchmark's figures are in docs/SCALE.md.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from servers import require_virtuoso, virtuoso_process
from stikg.core.config import Paths
from stikg.sparql import EmbeddedBackend, EndpointBackend, embedded_backend, library, run_query
from stikg.sparql.store import memory_store
from test_query_library import normalise

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from stages import query_bindings  # noqa: E402

pytestmark = [pytest.mark.server, pytest.mark.slow]

PROGRAMS, YEARS = 5000, 10
# parameterless (or defaulted) library queries: cheap enough in each mode at this size
UNION_MODE = ["documents", "request_vs_draft", "supplementary_totals"]
DEFAULT_MODE = ["agency_request_totals", "document_disagreements", "funding_flows", "funding_sources",
                "strategy_citation_counts"]
LIBRARY = sorted(library(Path(__file__).resolve().parents[1] / "queries"))


def stikg(*args: str, root: Path, timeout: float) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "stikg.cli", *args], env={**os.environ, "STIKG_ROOT": str(root)},
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"stikg {args[0]} failed:\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr
    return done


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> Path:
    require_virtuoso()  # before four minutes of building
    root = tmp_path_factory.mktemp("national") / "corpus"
    stikg("synth", "--programs", str(PROGRAMS), "--years", str(YEARS), "--out", str(root),
          root=root.parent, timeout=600)
    stikg("build", "--root", str(root), "--quiet", root=root, timeout=1800)
    return root


@pytest.fixture(scope="module")
def virtuoso(national, tmp_path_factory):
    with virtuoso_process(tmp_path_factory.mktemp("virtuoso"), buffers=170_000) as server:
        pushed = stikg("push", "--endpoint", server.query, "--graph-store", server.graph_store,
                       "--user", server.user, "--password", server.password, "--timeout", "1800",
                       root=national, timeout=1800)
        yield server, pushed


@pytest.fixture(scope="module")
def embedded(national) -> EmbeddedBackend:
    return EmbeddedBackend(memory_store(national / "kg" / "dataset.nq"))


def test_a_million_quads_are_pushed_and_verified(national, virtuoso):
    server, pushed = virtuoso
    with open(national / "kg" / "dataset.nq", "rb") as handle:
        quads = sum(1 for _ in handle)
    assert quads > 1_000_000
    assert f"{quads} triples" in pushed.stdout and "counts verified" in pushed.stdout
    # counted again by Virtuoso itself, over the kg graphs only
    count = EndpointBackend(server.query, union=False, timeout=600).run(
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        'FILTER(STRSTARTS(STR(?g), "https://w3id.org/stikg/graph/")) }')
    assert int(float(count.rows[0][0].value)) == quads


@pytest.mark.parametrize("name", UNION_MODE + DEFAULT_MODE)
def test_library_queries_answer_as_the_embedded_store_does(name, national, virtuoso, embedded):
    server, _ = virtuoso
    query = library(national / "queries")[name]
    backend = EndpointBackend(server.query, union=name in UNION_MODE, timeout=600)
    found = run_query(query, backend)
    assert normalise(found, loose=True) == normalise(run_query(query, embedded), loose=True)


@pytest.fixture(scope="module")
def on_disk(national) -> EmbeddedBackend:
    return embedded_backend(Paths(national))


@pytest.mark.parametrize("name", LIBRARY)
def test_library_queries_answer_the_same_on_disk_and_in_memory(name, national, on_disk, embedded):
    query = library(national / "queries")[name]
    bindings = query_bindings(query, embedded)  # as the benchmarks bind them (the corpus has no q-leap)
    assert normalise(on_disk.run(query.text, bindings)) == normalise(embedded.run(query.text, bindings))


def test_the_cli_queries_virtuoso_at_this_size(national, virtuoso, embedded):
    server, _ = virtuoso
    done = stikg("query", "documents", "--endpoint", server.query, "--format", "csv", root=national, timeout=600)
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == len(list((national / "sources").glob("*.txt"))) > 100
