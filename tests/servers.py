"""Real servers for the SPARQL tests: Oxigraph, Virtuoso and ``stikg serve``, on free local ports.

Import the fixtures into a test module (``from servers import oxigraph, ...``). Every server
listens on 127.0.0.1 only, lives in a temporary directory, and is stopped by process id.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from stikg.core.config import Paths
from stikg.web.server import free_port

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_TRIG = ROOT / "tests" / "fixtures" / "sparql" / "dataset.trig"
REAL_KG = ROOT / "kg" / "dataset.nq"


@dataclass(frozen=True)
class Dataset:
    """A project root for the SPARQL tests: kg/dataset.nq, kg/manifest.json, queries/."""

    name: str
    root: Path

    @property
    def paths(self) -> Paths:
        return Paths(self.root)

    @property
    def nq(self) -> Path:
        return self.root / "kg" / "dataset.nq"

    @property
    def is_fixture(self) -> bool:
        return self.name == "fixture"


def make_fixture_project(root: Path) -> Dataset:
    """A project root whose kg/ is the hand-written fixture (converted to N-Quads)."""
    (root / "kg").mkdir(parents=True, exist_ok=True)
    store = ox.Store()
    store.bulk_load(path=str(FIXTURE_TRIG), format=ox.RdfFormat.TRIG)
    lines = set(ox.serialize(store, format=ox.RdfFormat.N_QUADS).decode("utf-8").splitlines())
    lines |= _fixture_budget_quads()
    lines = sorted(lines)
    (root / "kg" / "dataset.nq").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "kg" / "manifest.json").write_text(json.dumps({"fixture": FIXTURE_TRIG.name}) + "\n", encoding="utf-8")
    shutil.copytree(ROOT / "queries", root / "queries")
    return Dataset("fixture", root)


def _fixture_budget_quads() -> set[str]:
    """The fixture's ``…/graph/budgets``, derived from its allocations as the build derives it."""
    from rdflib import Dataset as RdfDataset

    from stikg.rdf import vocab
    from stikg.rdf.budget_facts import budget_triples

    parsed = RdfDataset()
    parsed.parse(FIXTURE_TRIG, format="trig")
    graph = vocab.graph_iri("budgets").n3()
    triples = {(s, p, o) for s, p, o, _ in parsed.quads((None, None, None, None))}
    return {f"{s.n3()} {p.n3()} {o.n3()} {graph} ." for s, p, o in budget_triples(triples)}


def make_real_project(root: Path) -> Dataset:
    """A project root pointing at a copy of the built kg/ (dataset + manifest)."""
    (root / "kg").mkdir(parents=True, exist_ok=True)
    shutil.copy2(REAL_KG, root / "kg" / "dataset.nq")
    manifest = REAL_KG.parent / "manifest.json"
    if manifest.is_file():
        shutil.copy2(manifest, root / "kg" / "manifest.json")
    shutil.copytree(ROOT / "queries", root / "queries")
    return Dataset("kg", root)


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until ``url`` answers any HTTP status (or fail, showing why)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """Stop a server we started: SIGTERM to its process group, then SIGKILL."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@dataclass
class Running:
    """A running server: its query endpoint, Graph Store URL and credentials."""

    query: str
    graph_store: str
    user: str | None = None
    password: str | None = None
    proc: subprocess.Popen | None = None


@contextlib.contextmanager
def oxigraph_process(location: Path) -> Iterator[Running]:
    """``oxigraph serve --location DIR --bind 127.0.0.1:PORT`` until the context ends."""
    exe = shutil.which("oxigraph")
    if exe is None:
        pytest.skip("the oxigraph CLI is not installed (pip install oxigraph)")
    port = free_port()
    log = open(location.parent / f"oxigraph-{port}.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [exe, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", 30, proc)
        yield Running(f"http://127.0.0.1:{port}/query", f"http://127.0.0.1:{port}/store", proc=proc)
    finally:
        stop(proc)
        log.close()


VIRTUOSO_INI = """\
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {dir}/virtuoso-temp.db
TransactionFile    = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{sql_port}
DisableUnixSocket        = 1
MaxClientConnections     = 10
CheckpointInterval       = 60
CaseMode                 = 2
DirsAllowed              = ., {dir}
NumberOfBuffers          = {buffers}
MaxDirtyBuffers          = {dirty_buffers}
VADInstallDir            = /usr/share/virtuoso-opensource-7/vad/

[HTTPServer]
ServerPort                  = 127.0.0.1:{http_port}
ServerRoot                  = {dir}/vsp
MaxClientConnections        = 10
ServerThreads               = 10
Charset                     = UTF-8

[SPARQL]
ResultSetMaxRows           = 100000
MaxQueryExecutionTime      = 60
"""


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t")


def require_virtuoso() -> str:
    """The Virtuoso server binary. On a developer's machine without the Debian package the test is
    skipped (the rest of the suite still runs); under CI (``CI`` set), where ``make test`` installs
    it, a missing binary fails the test instead, so a Virtuoso test can never be skipped silently."""
    exe = virtuoso_binary()
    if exe is None:
        message = "virtuoso-t is not installed (apt-get install virtuoso-opensource)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must install it (make test does)")
        pytest.skip(message)
    return exe


@contextlib.contextmanager
def virtuoso_process(directory: Path, buffers: int = 10_000) -> Iterator[Running]:
    """Virtuoso 7 (Debian ``virtuoso-opensource``) in the foreground on a fresh database.

    A custom virtuoso.ini puts every file in ``directory`` and binds SQL and HTTP to free
    127.0.0.1 ports; ``dba``/``dba`` (the fresh database's default) may write through the
    Graph Store endpoint ``/sparql-graph-crud-auth`` (HTTP digest authentication).
    ``buffers`` is ``NumberOfBuffers`` (8 kB pages): 10,000 (80 MB) holds the test fixtures,
    ~170,000 (1.3 GB) a million triples.
    """
    exe = require_virtuoso()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vsp").mkdir(exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=directory, sql_port=sql_port, http_port=http_port, buffers=buffers,
                                       dirty_buffers=buffers * 3 // 4), encoding="utf-8")
    log = open(directory / "stdout.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [exe, "+foreground", "+configfile", str(ini)], cwd=directory,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_http(f"{base}/sparql?query=" + urllib.parse.quote("ASK {}"), 120, proc)
        yield Running(f"{base}/sparql", f"{base}/sparql-graph-crud-auth", "dba", "dba", proc)
    finally:
        stop(proc)
        log.close()
