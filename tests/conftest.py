"""Shared fixtures: the project root, a throw-away copy of the project, and one shared build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INPUT_DIRS = ("sources", "ontology", "shapes", "mappings/registry", "queries")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def copy_project(target: Path) -> Path:
    """Copy the build inputs (not kg/ or var/) into ``target`` and return it."""
    for name in INPUT_DIRS:
        shutil.copytree(ROOT / name, target / name)
    return target


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the project inputs, for tests that build or break things."""
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """One full build of a copy of the project, shared by the tests that only read its output."""
    from stikg.build import build
    from stikg.core.config import Paths

    paths = Paths(copy_project(tmp_path_factory.mktemp("built") / "project"))
    result = build(paths, quiet=True)
    return paths, result
