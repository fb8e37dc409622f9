"""Faults: builds, pushes and the store cache never lose data.

* ``kill -9`` of ``stikg build`` at seeded random moments spread over a measured build leaves
  ``kg/`` as the previous complete build or the new complete build (every file's hash matches
  ``manifest.json``, ``dataset.nq`` parses with the manifest's per-graph counts, and the build is
  byte-identical to any other complete build of the same inputs); the next build succeeds.
* Kills injected at the exact dangerous moments of the write (staging written, manifest written,
  between the two renames of the swap, after the swap) and of the per-document cache.
* ``kill -9`` of ``stikg push`` against a real Oxigraph server leaves each remote graph either
  old or new (per-graph triple counts).
* A store in ``var/store`` that was truncated, or left half-built with its lock holder killed,
  is detected and rebuilt from ``kg/`` by the next ``stikg query``.

Sizes: ``STIKG_KILL_POINTS`` (default 3; the full run uses 24), ``STIKG_PUSH_KILLS`` (default 4;
full 20), seed ``STIKG_KILL_SEED``.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from servers import REAL_KG, make_fixture_project, oxigraph_process
from stikg.core.config import Paths

KILL_POINTS = int(os.environ.get("STIKG_KILL_POINTS", "3"))
PUSH_KILLS = int(os.environ.get("STIKG_PUSH_KILLS", "4"))
SEED = int(os.environ.get("STIKG_KILL_SEED", "20261123"))
DOC = "000_06e5a7bc9af66719.txt"
VARIANT_LINE = ("600百万円（前年度予算額：500百万円）", "650百万円（前年度予算額：500百万円）")


def record(test: str, **data: object) -> None:
    """Append measured results for ``scripts/reliability_report.py`` (when it asks for them)."""
    target = os.environ.get("STIKG_RELIABILITY_RESULTS")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"test": test, **data}, ensure_ascii=False) + "\n")


def env_for(root: Path) -> dict[str, str]:
    return {**os.environ, "STIKG_ROOT": str(root), "PYTHONUNBUFFERED": "1"}


def stikg(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stikg.cli", *args], cwd=root, env=env_for(root),
                          capture_output=True, text=True, timeout=timeout)


def kill_after(cmd: list[str], root: Path, delay: float, timeout: float = 300, log: Path | None = None) -> int | None:
    """Start ``cmd``, SIGKILL its process group after ``delay`` s; its exit status if it ended first.
    Its stderr goes to ``log`` when given."""
    err = log.open("wb") if log else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(cmd, cwd=root, env=env_for(root), stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True)
    finally:
        if log:
            err.close()
    try:
        proc.wait(delay)
        return proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)
        return None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)


PHASES = ("load", "extract+map", "registry+catalog", "reason", "validate", "write")


def phase_reached(log: Path, status: int | None) -> str:
    """The build step a kill interrupted, from the build's progress lines (``[  1.2s] reason: …``
    is printed when the step ends)."""
    if status == 0:
        return "completed"
    done = [m.group(1) for m in re.finditer(r"^\[\s*[\d.]+s\] ([a-z+]+)", log.read_text(errors="replace"), re.M)]
    if not done:
        return "start-up"
    index = PHASES.index(done[-1]) + 1 if done[-1] in PHASES else len(PHASES)
    return PHASES[index] if index < len(PHASES) else "after write"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def set_variant(root: Path, variant: int) -> None:
    """Variant 0 is the corpus as it is; variant 1 changes one printed amount of one document."""
    path = root / "sources" / DOC
    text = path.read_text(encoding="utf-8")
    for other in VARIANT_LINE:
        text = text.replace(other, VARIANT_LINE[variant], 1)
    path.write_text(text, encoding="utf-8")


def doc_hash(root: Path, variant: int) -> str:
    set_variant(root, variant)
    return sha256(root / "sources" / DOC)


class KgState:
    """A verified complete ``kg/``: the manifest's hash and the variant it was built from."""

    def __init__(self, kg: Path):
        problems = check_kg(kg)
        if problems:
            raise AssertionError(f"{kg} is not a complete build: " + "; ".join(problems[:5]))
        manifest = json.loads((kg / "manifest.json").read_text(encoding="utf-8"))
        self.digest = sha256(kg / "manifest.json")
        self.doc = manifest["inputs"][f"sources/{DOC}"]
        self.quads = sum(manifest["graphs"].values())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KgState) and self.digest == other.digest

    def __repr__(self) -> str:
        return f"KgState({self.digest[:12]}, doc {self.doc[:8]})"


def check_kg(kg: Path) -> list[str]:
    """What is wrong with ``kg/`` as a complete build (empty when nothing)."""
    if not kg.is_dir():
        leftovers = sorted(p.name for p in kg.parent.glob(f".{kg.name}*"))
        return [f"{kg} does not exist (left over: {', '.join(leftovers) or 'nothing'})"]
    try:
        manifest = json.loads((kg / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"manifest.json unreadable: {exc}"]
    problems = []
    files = {p.relative_to(kg).as_posix() for p in kg.rglob("*") if p.is_file()} - {"manifest.json"}
    if files != set(manifest["outputs"]):
        problems.append(f"files differ from the manifest: {sorted(files ^ set(manifest['outputs']))}")
    for name, digest in manifest["outputs"].items():
        if (kg / name).is_file() and sha256(kg / name) != digest:
            problems.append(f"{name}: hash differs from manifest.json")
    try:
        counts = Counter(q.graph_name.value for q in ox.parse(path=str(kg / "dataset.nq"), format=ox.RdfFormat.N_QUADS))
    except (OSError, SyntaxError, ValueError) as exc:
        return [*problems, f"dataset.nq does not parse: {exc}"]
    if dict(counts) != manifest["graphs"]:
        problems.append("dataset.nq per-graph counts differ from manifest.json")
    return problems


@pytest.fixture(scope="module")
def kg_built(built, tmp_path_factory):
    """The shared build of a project copy (conftest ``built``), its graphs pickled for write tests."""
    paths, result = built
    blob = tmp_path_factory.mktemp("reliability") / "graphs.pickle"
    blob.write_bytes(pickle.dumps((result.graphs, result.report, result.stats)))
    return paths.root, result, blob


def clone(built_root: Path, target: Path) -> Path:
    shutil.copytree(built_root, target, symlinks=True)
    return target


# ------------------------------------------------------------------ kill -9 at random points


def test_kill_build_at_random_points_never_loses_kg(kg_built, tmp_path):
    root = clone(kg_built[0], tmp_path / "project")
    rng = random.Random(SEED)
    hashes = {v: doc_hash(root, v) for v in (0, 1)}
    seen: dict[str, KgState] = {}  # complete build per input variant (builds are byte-identical)
    seen[hashes[0]] = KgState(root / "kg")
    set_variant(root, 1)
    started = time.monotonic()  # one complete build of the other variant measures the build time
    done = stikg(root, "build", "--reasoner", "fast", "--quiet")
    estimate = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    state = KgState(root / "kg")
    assert state.doc == hashes[1]
    seen[state.doc] = state
    outcomes: list[dict[str, object]] = []
    cmd = [sys.executable, "-m", "stikg.cli", "build", "--reasoner", "fast"]
    for point in range(KILL_POINTS):
        target = 0 if state.doc == hashes[1] else 1  # always the other inputs: old → new each time
        set_variant(root, target)
        fraction = rng.uniform(0.0, 1.1)
        log = tmp_path / f"build-{point}.log"
        status = kill_after(cmd, root, fraction * estimate, log=log)
        after = KgState(root / "kg")  # raises when kg/ is not complete
        assert after == state or after.doc == hashes[target], (point, fraction, state, after)
        if after.doc in seen:
            assert after == seen[after.doc], f"two different complete builds of the same inputs: {after}"
        seen[after.doc] = after
        outcomes.append({"point": point, "fraction": round(fraction, 3), "exited": status,
                         "phase": phase_reached(log, status), "kg": "new" if after != state else "previous"})
        state = after
    final_target = 0 if state.doc == hashes[1] else 1
    set_variant(root, final_target)
    started = time.monotonic()
    done = stikg(root, "build", "--reasoner", "fast", "--quiet")
    final_seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    final = KgState(root / "kg")
    assert final.doc == hashes[final_target] and final != state
    if final.doc in seen:
        assert final == seen[final.doc]
    assert not list(root.glob(".kg.*")), "staging or backup directories left behind"
    check_extracted(root)
    record("kill_build_random", kill_points=KILL_POINTS, seed=SEED, estimate_s=round(estimate, 2),
           final_build_s=round(final_seconds, 2), outcomes=outcomes,
           survived=len(outcomes), new=sum(1 for o in outcomes if o["kg"] == "new"),
           phases=dict(Counter(str(o["phase"]) for o in outcomes)))


def check_extracted(root: Path) -> None:
    """``mappings/extracted/<doc>/*.csv`` are what extracting the current document gives."""
    from stikg.extract import extract_document
    from stikg.inputs.corpus import load_corpus
    from stikg.inputs.registry import Registry

    paths = Paths(root)
    registry = Registry.load(paths.registry)
    for doc in load_corpus(paths.sources, paths.catalog):
        result = extract_document(list(doc.lines), doc.entry.id, fiscal_year=doc.entry.fiscal_year,
                                  kind=doc.entry.kind, registry=registry)
        for name, text in result.tables().items():
            on_disk = (paths.extracted / doc.entry.stem / name).read_text(encoding="utf-8")
            assert on_disk == text, f"mappings/extracted/{doc.entry.stem}/{name} is stale"


# ------------------------------------------------------------- kills at the dangerous moments

INJECT = r"""
import os, pickle, signal, sys
from pathlib import Path
point, root, blob = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])

def die():
    os.kill(os.getpid(), signal.SIGKILL)

import stikg.build as b
from stikg.core.config import Paths
from stikg.inputs.corpus import load_corpus
paths = Paths(root)
kg, backup = str(paths.kg), str(paths.kg.parent / ".kg.old")
real_replace, real_write_dataset, real_write_json = os.replace, b.write_dataset, b.write_json

def replace(src, dst, *a, **k):
    real_replace(src, dst, *a, **k)
    if point == "between_renames" and str(src) == kg and str(dst) == backup:
        die()
    if point == "after_swap" and str(dst) == kg:
        die()

def write_dataset(directory, graphs):
    counts = real_write_dataset(directory, graphs)
    if point == "staging":
        die()
    return counts

def write_json(path, data):
    real_write_json(path, data)
    if point == "manifest" and Path(path).name == "manifest.json":
        die()

from stikg.core import atomic
real_exchange = atomic._exchange

def exchange(a, c):
    swapped = real_exchange(a, c)
    if point == "between_renames" and swapped:
        die()  # after the atomic exchange, before the old version (now in staging) is removed
    return swapped

real_fsync_dir = atomic._fsync_dir

def fsync_dir(path):
    real_fsync_dir(path)
    if point == "after_swap":
        die()  # the new kg/ is in place (by exchange or rename), nothing cleaned up yet

atomic._exchange, atomic._fsync_dir = exchange, fsync_dir
os.replace, b.write_dataset, b.write_json = replace, write_dataset, write_json
graphs, report, stats = pickle.loads(blob.read_bytes())
b.write_kg(paths, graphs, report, stats, load_corpus(paths.sources, paths.catalog))
"""


def changed_graphs(blob: Path, target: Path) -> None:
    """The pickled build with one triple less in one document graph (a different ``kg/``)."""
    graphs, report, stats = pickle.loads(blob.read_bytes())
    name = next(g for g in sorted(graphs) if "document" in str(g))
    graphs[name] = set(sorted(graphs[name])[1:])
    target.write_bytes(pickle.dumps((graphs, report, stats)))


@pytest.mark.parametrize("point", ["staging", "manifest", "between_renames", "after_swap"])
def test_kill_at_each_step_of_the_swap(kg_built, tmp_path, point):
    """Readers see the previous or the new complete kg/ right after the crash; the next build
    repairs the directory and succeeds."""
    from stikg.build import write_kg
    from stikg.core import atomic
    from stikg.inputs.corpus import load_corpus

    root = clone(kg_built[0], tmp_path / "project")
    before = KgState(root / "kg")
    blob = tmp_path / "new.pickle"
    changed_graphs(kg_built[2], blob)
    done = subprocess.run([sys.executable, "-c", INJECT, point, str(root), str(blob)], env=env_for(root),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, (done.returncode, done.stderr[-2000:])
    problems = check_kg(root / "kg")
    state = None if problems else KgState(root / "kg")
    reader = None
    if point == "between_renames" or problems:  # where readers may see no kg/ at all
        reader = stikg(root, "query", "documents", "--format", "csv")
    # the next build: recover_directory() then write (as stikg.build.build does)
    paths = Paths(root)
    atomic.recover_directory(paths.kg)
    result = kg_built[1]
    write_kg(paths, result.graphs, result.report, result.stats, load_corpus(paths.sources, paths.catalog))
    again = KgState(root / "kg")
    assert again == before and not list(root.glob(".kg.*"))
    record("kill_build_injected", point=point, kg_after_crash="ok" if state else "; ".join(problems),
           reader_exit=reader.returncode if reader else None)
    assert not problems, f"after a crash at {point}: " + "; ".join(problems)
    assert state is not None and (state == before or state.quads == before.quads - 1)  # old, or the new graphs
    if reader is not None:
        assert reader.returncode == 0 and reader.stdout.count("\n") > 1, \
            f"`stikg query` after a crash at {point}: {reader.stderr.strip()}"


CACHE_KILL = r"""
import os, signal, sys
from pathlib import Path
import stikg.build as b
from stikg.core.config import Paths
from stikg.inputs.corpus import load_corpus
from stikg.rdf.mapping import Mapper
from stikg.inputs.registry import Registry
root, doc = Path(sys.argv[1]), sys.argv[2]
real_put = b.DocumentCache.put

def put(self, document, payload):
    real_put(self, document, payload)
    if document.entry.id == doc:
        os.kill(os.getpid(), signal.SIGKILL)

b.DocumentCache.put = put
paths = Paths(root)
registry = Registry.load(paths.registry)
b.extract_and_map(load_corpus(paths.sources, paths.catalog), registry, paths, Mapper(registry))
"""


def test_kill_between_cache_and_extracted_csvs(kg_built, tmp_path):
    """Killed after a changed document's cache entry is written but before its CSVs: the next
    build must still write ``mappings/extracted/<doc>/`` for the new text."""
    from stikg.build import extract_and_map
    from stikg.inputs.corpus import load_corpus
    from stikg.inputs.registry import Registry
    from stikg.rdf.mapping import Mapper

    root = clone(kg_built[0], tmp_path / "project")
    set_variant(root, 1)
    done = subprocess.run([sys.executable, "-c", CACHE_KILL, str(root), DOC], env=env_for(root),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    paths = Paths(root)
    registry = Registry.load(paths.registry)
    extract_and_map(load_corpus(paths.sources, paths.catalog), registry, paths, Mapper(registry))
    amounts = (paths.extracted / DOC.removesuffix(".txt") / "amounts.csv").read_text(encoding="utf-8")
    record("kill_cache_then_csv", stale="650百万円" not in amounts)
    check_extracted(root)


# ---------------------------------------------------------------------------------- push


def _counts(endpoint: str) -> dict[str, int]:
    from stikg.sparql import EndpointBackend, SelectResult

    result = EndpointBackend(endpoint, union=False).run(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert isinstance(result, SelectResult)
    return {row[0].value: int(row[1].value) for row in result.rows}


def _push_projects(tmp_path: Path) -> tuple[Path, Path]:
    """Two project roots: ``old`` (the built kg, or the fixture) and ``new`` (every graph changed)."""
    old = tmp_path / "old"
    if REAL_KG.is_file():
        (old / "kg").mkdir(parents=True)
        shutil.copy2(REAL_KG, old / "kg" / "dataset.nq")
    else:
        make_fixture_project(old)
    new = tmp_path / "new"
    (new / "kg").mkdir(parents=True)
    lines = (old / "kg" / "dataset.nq").read_text(encoding="utf-8").splitlines()
    graphs = sorted({line.rsplit(" ", 2)[-2] for line in lines if line.strip()})
    keep = lines[::2] + lines[1::4]  # drop a quarter of every graph's lines
    extra = [f'<urn:stikg:push-test> <urn:stikg:p> "new {i}" {g} .' for i, g in enumerate(graphs)]
    (new / "kg" / "dataset.nq").write_text("\n".join(sorted(set(keep + extra))) + "\n", encoding="utf-8")
    return old, new


def test_kill_push_leaves_each_graph_old_or_new(tmp_path):
    from stikg.sparql.push import push, read_graphs

    old, new = _push_projects(tmp_path)
    expected = {name: {g: len(t) for g, t in read_graphs(p / "kg" / "dataset.nq").items()}
                for name, p in (("old", old), ("new", new))}
    assert all(expected["old"][g] != expected["new"][g] for g in expected["old"])
    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    with oxigraph_process(tmp_path / "store") as server:
        push(old / "kg" / "dataset.nq", server.query)
        started = time.monotonic()
        done = stikg(new, "push", "--endpoint", server.query)
        assert done.returncode == 0, done.stderr
        duration = time.monotonic() - started
        assert _counts(server.query) == expected["new"]
        for point in range(PUSH_KILLS):
            source = old if point % 2 == 0 else new
            status = kill_after([sys.executable, "-m", "stikg.cli", "push", "--endpoint", server.query],
                                source, rng.uniform(0.0, 1.05) * duration)
            counts = _counts(server.query)
            for graph, n in counts.items():
                assert n in (expected["old"][graph], expected["new"][graph]), (point, graph, n)
            assert set(counts) == set(expected["old"])
            olds = sum(1 for g, n in counts.items() if n == expected["old"][g])
            outcomes["finished" if status == 0 else
                     "all old" if olds == len(counts) else "all new" if olds == 0 else "mixed"] += 1
        done = stikg(new, "push", "--endpoint", server.query)
        assert done.returncode == 0, done.stderr
        assert _counts(server.query) == expected["new"]
    record("kill_push_random", kills=PUSH_KILLS, push_s=round(duration, 2), outcomes=dict(outcomes),
           graphs=len(expected["old"]), quads_old=sum(expected["old"].values()),
           quads_new=sum(expected["new"].values()))


def test_truncated_graph_store_put_leaves_the_graph_as_it_was(tmp_path):
    """What a push killed mid-upload sends: a PUT whose body stops half-way. Oxigraph must keep
    the old graph (push relies on one PUT per graph being atomic)."""
    graph = "https://w3id.org/stikg/graph/document/push-test"
    old = "".join(f'<urn:s{i}> <urn:p> "old {i}" .\n' for i in range(200)).encode()
    new = "".join(f'<urn:s{i}> <urn:p> "new {i}" .\n' for i in range(20000)).encode()
    with oxigraph_process(tmp_path / "store") as server:
        from stikg.sparql.push import Client

        url = f"{server.graph_store}?{urllib.parse.urlencode({'graph': graph})}"
        Client().request("PUT", url, old, {"Content-Type": "text/turtle"})
        port = int(urllib.parse.urlsplit(server.query).port or 80)
        for fraction in (0.05, 0.5, 0.95):
            cut = new.rfind(b"\n", 0, int(len(new) * fraction)) + 1
            head = (f"PUT {urllib.parse.urlsplit(url).path}?{urllib.parse.urlsplit(url).query} HTTP/1.1\r\n"
                    f"Host: 127.0.0.1\r\nContent-Type: text/turtle\r\nContent-Length: {len(new)}\r\n\r\n").encode()
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(head + new[:cut])
                time.sleep(0.2)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, (1).to_bytes(4, "little") + (0).to_bytes(4, "little"))
            time.sleep(0.3)
            assert _counts(server.query).get(graph) == 200, fraction
    record("truncated_put", cuts=[5, 50, 95], kept=200)


# --------------------------------------------------------------------------------- store


@pytest.fixture
def store_project(tmp_path):
    data = make_fixture_project(tmp_path / "project")
    done = stikg(data.root, "query", "documents", "--format", "csv")
    assert done.returncode == 0, done.stderr
    return data.root, done.stdout


def _largest(store: Path, pattern: str) -> Path:
    return max(store.glob(pattern), key=lambda p: p.stat().st_size)


@pytest.mark.parametrize("victim", ["sst", "MANIFEST", "CURRENT", "stamp", "deleted-sst"])
def test_damaged_store_is_detected_and_rebuilt(store_project, victim):
    root, expected = store_project
    store = root / "var" / "store"
    if victim == "sst":
        path = _largest(store, "*.sst")
        os.truncate(path, path.stat().st_size // 2)
    elif victim == "deleted-sst":
        _largest(store, "*.sst").unlink()
    elif victim == "MANIFEST":
        path = _largest(store, "MANIFEST-*")
        os.truncate(path, path.stat().st_size // 2)
    elif victim == "CURRENT":
        os.truncate(store / "CURRENT", 3)
    else:
        (store / "stikg-store.json").write_text("{", encoding="utf-8")
    done = stikg(root, "query", "documents", "--format", "csv")
    record("store_damage", victim=victim, exit=done.returncode, same_answer=done.stdout == expected)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected, f"the store with a damaged {victim} answered differently (not rebuilt)"


STORE_KILL = r"""
import os, signal, sys
from pathlib import Path
import stikg.sparql.store as s
real = s.build_store

def build_store(dataset, store_dir, stamp):
    import pyoxigraph as ox
    from stikg.core.atomic import replace_directory
    with replace_directory(store_dir) as staging:
        store = ox.Store(str(staging))
        store.bulk_load(path=str(dataset), format=ox.RdfFormat.N_QUADS)
        os.kill(os.getpid(), signal.SIGKILL)

s.build_store = build_store
from stikg.cli import main
main(["query", "documents"])
"""


def test_store_build_killed_while_holding_the_lock(store_project):
    """A `stikg query` killed -9 while rebuilding the store (lock held, staging half-written):
    the next query takes the lock, cleans up and answers as before."""
    root, expected = store_project
    (root / "kg" / "manifest.json").write_text('{"fixture": "changed"}\n', encoding="utf-8")  # forces a rebuild
    done = subprocess.run([sys.executable, "-c", STORE_KILL], cwd=root, env=env_for(root), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    assert list((root / "var").glob(".store.new.*")), "expected a half-built staging store"
    (root / "var" / "store.lock").write_text("12345 stale\n", encoding="utf-8")
    started = time.monotonic()
    done = stikg(root, "query", "documents", "--format", "csv", timeout=120)
    assert done.returncode == 0 and done.stdout == expected, done.stderr
    assert time.monotonic() - started < 60
    assert not list((root / "var").glob(".store.*")), "staging store left behind"
    record("store_stale_lock", seconds=round(time.monotonic() - started, 2))
