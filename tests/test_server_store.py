"""Where ``stikg serve`` reads the graph (``--store auto|memory|disk``) and the reload of its
workers when the data changes (a new build swaps kg/ in).

The choice is a unit test of :func:`stikg.commands.serve.choose_store` with the available memory
patched, plus the CLI's start-up line and refusals; the reload runs a :class:`Server` in this
process on a copy of the test fixture and replaces its kg/dataset.nq as a build does (a new file
renamed over the old one).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from servers import make_fixture_project
from stikg.core.errors import StikgError
from stikg.sparql.store import open_store, refresh_store
from stikg.web.server import Server

NEW = "https://w3id.org/stikg/program/reload-check"
ASK_NEW = f"SELECT (COUNT(*) AS ?n) WHERE {{ <{NEW}> ?p ?o }}"


def test_auto_serves_from_memory_when_the_copies_fit(tmp_path, monkeypatch):
    from stikg.commands import serve

    dump = tmp_path / "dataset.nq"
    dump.write_bytes(b"<urn:s> <urn:p> <urn:o> <urn:g> .\n" * 30_000)  # ~1 MB: ~1.5 MB per worker, shown rounded
    monkeypatch.setattr("stikg.core.system.available_memory", lambda: 2**30)
    in_memory, words = serve.choose_store("auto", dump, 3)
    assert in_memory and words.startswith("dataset in memory (--store auto: 3 × ~1 MB of 1.0 GB available")
    monkeypatch.setattr("stikg.core.system.available_memory", lambda: 8 * 2**20)  # 4.5 MB needed > half of 8
    in_memory, words = serve.choose_store("auto", dump, 3)
    assert not in_memory and words.startswith("var/store on disk (--store auto:") and "more than 50% " in words
    assert serve.choose_store("disk", dump, 3) == (False, "var/store on disk (--store disk)")
    assert serve.choose_store("memory", dump, 3) == (True, "dataset in memory (--store memory)")
    monkeypatch.setattr("stikg.core.system.available_memory", lambda: 2**20)
    with pytest.raises(StikgError, match=r"--in-memory would need"):
        serve.choose_store("memory", dump, 3)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    data = make_fixture_project(tmp_path_factory.mktemp("store") / "project")
    open_store(data.paths)
    return data


def run_cli(project, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STIKG_ROOT": str(project.root)}
    return subprocess.run([sys.executable, "-m", "stikg.cli", "serve", *args], env=env, capture_output=True,
                          text=True, timeout=60)


def test_contradicting_store_options_are_one_sentence(project):
    done = run_cli(project, "--in-memory", "--store", "disk", "--port", "0")
    assert done.returncode == 2 and "--in-memory and --store disk contradict" in done.stderr
    assert "Traceback" not in done.stderr
    done = run_cli(project, "--store", "nowhere", "--port", "0")
    assert done.returncode == 2 and "invalid choice: 'nowhere'" in done.stderr


def count(server: Server, query: str = ASK_NEW) -> int:
    url = server.url + "/sparql?" + urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(url, timeout=30) as resp:
        return int(json.loads(resp.read())["results"]["bindings"][0]["n"]["value"])


def swap_in_a_new_build(project) -> None:
    """kg/dataset.nq replaced as a build replaces it: a complete new file renamed over the old."""
    nq = project.nq
    staged = nq.with_name(".dataset.nq.new")
    staged.write_bytes(nq.read_bytes() + f'<{NEW}> <http://www.w3.org/2000/01/rdf-schema#label> "new" '
                       f"<https://w3id.org/stikg/graph/registry> .\n".encode())
    os.replace(staged, nq)


def wait_for(server: Server, expected: int, seconds: float = 30) -> float:
    started = time.monotonic()
    while count(server) != expected:
        assert time.monotonic() - started < seconds, f"the workers did not reload within {seconds} s"
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.mark.parametrize("where", ["memory", "disk"])
def test_workers_reload_when_the_dataset_changes(tmp_path, where):
    data = make_fixture_project(tmp_path / "project")
    open_store(data.paths)
    options = ({"dataset": data.nq} if where == "memory"
               else {"prepare": functools.partial(refresh_store, data.paths)})
    server = Server(store_dir=data.paths.store, port=0, timeout=5.0, workers=2, fast_workers=1,
                    queries_dir=data.paths.queries, access_log=False, watch=data.nq, **options).start()
    try:
        assert count(server) == 0 and count(server) == 0  # the second one from the answer cache
        pids = {w.process.pid for lane in server.pool.live.values() for w in lane}
        swap_in_a_new_build(data)
        waited = wait_for(server, 1)
        # every worker was replaced, lanes at full strength again, and the cache holds no old answer
        deadline = time.monotonic() + 30
        while True:
            live = server.pool.live
            now = {w.process.pid for lane in live.values() for w in lane}
            if len(live["general"]) == 2 and len(live["fast"]) == 1 and not now & pids:
                break
            assert time.monotonic() < deadline, (len(live["general"]), len(live["fast"]), now & pids)
            time.sleep(0.1)
        assert all(count(server) == 1 for _ in range(5))
        assert count(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") > 0
        print(f"\n{where}: new data answered {waited:.2f} s after the swap")
    finally:
        server.close()
