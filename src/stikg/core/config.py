"""Project paths and the configurable base IRI."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BASE_IRI = "https://w3id.org/stikg/"


_ROOT_OVERRIDE: Path | None = None


def set_root(root: Path | None) -> None:
    """Fix the project root for this process (the CLI's ``--root DIR``); ``None`` clears it."""
    global _ROOT_OVERRIDE
    _ROOT_OVERRIDE = root.resolve() if root is not None else None


def root_override() -> Path | None:
    """The root fixed by :func:`set_root`, if any."""
    return _ROOT_OVERRIDE


def find_root(start: Path | None = None) -> Path:
    """The project root: ``--root`` (:func:`set_root`), else $STIKG_ROOT, else the nearest parent
    holding sources/catalog.yaml, else the current directory."""
    if _ROOT_OVERRIDE is not None:
        return _ROOT_OVERRIDE
    env = os.environ.get("STIKG_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "sources" / "catalog.yaml").is_file():
            return candidate
    return here


def is_project(root: Path) -> bool:
    """Whether ``root`` looks like a stikg project (sources/catalog.yaml or a built kg/)."""
    return (root / "sources" / "catalog.yaml").is_file() or (root / "kg" / "dataset.nq").is_file()


def root_hint(root: Path) -> str:
    """A sentence for errors about a missing project file: where we looked and how to point elsewhere."""
    if is_project(root):
        return f"project root {root}"
    return (f"{root} is not a stikg project (no sources/catalog.yaml, no kg/dataset.nq); "
            "give --root DIR or set STIKG_ROOT")


@dataclass(frozen=True)
class Paths:
    """Where each stage reads and writes, relative to the project root."""

    root: Path

    @property
    def sources(self) -> Path:
        return self.root / "sources"

    @property
    def catalog(self) -> Path:
        return self.sources / "catalog.yaml"

    @property
    def ontology(self) -> Path:
        return self.root / "ontology"

    @property
    def shapes(self) -> Path:
        return self.root / "shapes"

    @property
    def registry(self) -> Path:
        return self.root / "mappings" / "registry"

    @property
    def extracted(self) -> Path:
        return self.root / "mappings" / "extracted"

    @property
    def kg(self) -> Path:
        return self.root / "kg"

    @property
    def queries(self) -> Path:
        return self.root / "queries"

    @property
    def store(self) -> Path:
        """The on-disk pyoxigraph store built from kg/ (not committed)."""
        return self.root / "var" / "store"


def base_iri() -> str:
    """The base IRI of every entity: $STIKG_BASE_IRI or the default; always ends with '/'."""
    base = os.environ.get("STIKG_BASE_IRI", DEFAULT_BASE_IRI)
    return base if base.endswith("/") else base + "/"
