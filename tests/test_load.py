"""Short load test: concurrent clients against ``stikg serve`` on 127.0.0.1, zero errors, memory
stable. The full run (50 clients × 2,000 requests) is ``python benchmarks/load_test.py``; sizes
here come from ``STIKG_LOAD_CLIENTS`` / ``STIKG_LOAD_REQUESTS`` (default 10 × 120)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from servers import REAL_KG, make_fixture_project

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import load_test  # noqa: E402

CLIENTS = int(os.environ.get("STIKG_LOAD_CLIENTS", "10"))
REQUESTS = int(os.environ.get("STIKG_LOAD_REQUESTS", "120"))
MAX_GROWTH_MB = 50.0


def record(test: str, **data: object) -> None:
    """Append measured results for ``scripts/reliability_report.py`` (when it asks for them)."""
    target = os.environ.get("STIKG_RELIABILITY_RESULTS")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"test": test, **data}, ensure_ascii=False) + "\n")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("load") / "project"
    if REAL_KG.is_file():
        return load_test.make_project(ROOT, target)
    return make_fixture_project(target).root


def test_concurrent_clients_zero_errors_and_stable_memory(project):
    with load_test.serving(project) as (url, proc):
        report = load_test.run(url, proc.pid, CLIENTS, REQUESTS, timeout=60, max_growth_mb=MAX_GROWTH_MB)
    record("load_short", **asdict(report))
    print(load_test.summary(report))
    assert report.requests == CLIENTS * REQUESTS
    assert {"library", "sparql"} <= set(report.mix), report.mix
    assert report.errors == 0, report.error_examples
    assert report.growth_mb < MAX_GROWTH_MB, report.rss_mb


def test_load_test_refuses_a_remote_target():
    with pytest.raises(SystemExit, match="only a local server"):
        load_test.run("http://example.org:80", os.getpid(), 1, 1)
