"""The embedded SPARQL store: a pyoxigraph store on disk (``var/store``) built from ``kg/dataset.nq``.

The store is derived data. It carries a stamp (``stikg-store.json`` inside the store directory)
naming the ``kg/manifest.json`` hash and the dataset's size and mtime it was built from; when
they change, the next use rebuilds it. Repeated queries therefore never re-parse the dumps.

Building is serialised across processes by an ``flock`` on ``var/store.lock`` (released by the
kernel when a holder dies, so a crashed build never leaves the store locked for good). A build
goes into a staging directory that replaces the old store atomically
(:func:`stikg.core.atomic.replace_directory`); a store that is missing its stamp, cannot be opened or
fails a probe query is treated as corrupted and rebuilt.

Queries open the store read-only, so any number of processes may query it at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from stikg.core.atomic import recover_directory, replace_directory
from stikg.core.config import Paths
from stikg.core.errors import StikgError
from stikg.core.hashing import sha256_of_file

FILES_NAME = "stikg-store-files.json"
STAMP_NAME = "stikg-store.json"
STAMP_VERSION = 1
LOCK_TIMEOUT_S = 600.0


class StoreError(StikgError):
    """The embedded store cannot be built or opened."""


@dataclass(frozen=True)
class Stamp:
    """What a store was built from; equal stamps mean the store is current."""

    manifest_sha256: str | None
    dataset_size: int
    dataset_mtime_ns: int
    dataset_sha256: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "version": STAMP_VERSION,
            "manifest_sha256": self.manifest_sha256,
            "dataset_size": self.dataset_size,
            "dataset_mtime_ns": self.dataset_mtime_ns,
            "dataset_sha256": self.dataset_sha256,
        }


def current_stamp(dataset: Path, manifest: Path) -> Stamp:
    """The stamp of the dataset as it is now on disk (cheap: hashes the manifest, not the dump).

    Without a manifest the dataset itself is hashed, so a hand-edited dump is still noticed.
    """
    try:
        st = dataset.stat()
    except FileNotFoundError:
        raise StoreError(
            "no built graph: run `stikg build` first (or give --endpoint URL)", dataset
        ) from None
    manifest_hash = sha256_of_file(manifest) if manifest.is_file() else None
    dataset_hash = None if manifest_hash else sha256_of_file(dataset)
    return Stamp(manifest_hash, st.st_size, st.st_mtime_ns, dataset_hash)


def read_stamp(store_dir: Path) -> dict[str, object] | None:
    """The stamp a store was built with, or None when absent or unreadable (an incomplete store)."""
    try:
        data = json.loads((store_dir / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@contextlib.contextmanager
def _locked(lock_path: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"another process has been building the store for {timeout:.0f} s", lock_path
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def build_store(dataset: Path, store_dir: Path, stamp: Stamp) -> None:
    """Bulk-load ``dataset`` (N-Quads) into a fresh store that atomically replaces ``store_dir``."""
    try:
        with replace_directory(store_dir) as staging:
            store = ox.Store(str(staging))
            try:
                store.bulk_load(path=str(dataset), format=ox.RdfFormat.N_QUADS)
                store.flush()
                store.optimize()
            except SyntaxError as exc:
                raise StoreError(f"cannot load the dataset: {exc}", dataset) from None
            finally:
                del store
            (staging / FILES_NAME).write_text(
                json.dumps(_store_files(staging), sort_keys=True) + "\n", encoding="utf-8"
            )
            (staging / STAMP_NAME).write_text(
                json.dumps(stamp.as_dict(), sort_keys=True) + "\n", encoding="utf-8"
            )
    except OSError as exc:
        raise StoreError(f"cannot build the store: {exc}", store_dir) from None


def _open_read_only(store_dir: Path) -> ox.Store | None:
    """Open and probe the store; None when it is corrupted or unreadable."""
    try:
        store = ox.Store.read_only(str(store_dir))
        bool(store.query("ASK { GRAPH ?g { ?s ?p ?o } }"))
        return store
    except (OSError, RuntimeError, ValueError):
        return None


def _store_files(store_dir: Path) -> dict[str, int]:
    """Size of every database file (RocksDB's SST/MANIFEST/CURRENT/…; not logs, locks or our files)."""
    skip = {STAMP_NAME, FILES_NAME, "LOCK"}
    return {p.name: p.stat().st_size for p in sorted(store_dir.iterdir())
            if p.is_file() and p.name not in skip and not p.name.startswith("LOG")}


def _files_intact(store_dir: Path) -> bool:
    """The database files are those the build left, with the same sizes (a cheap stat check that
    catches truncated or deleted files, which RocksDB may open without complaint)."""
    try:
        recorded = json.loads((store_dir / FILES_NAME).read_text(encoding="utf-8"))
        return all((store_dir / name).stat().st_size == size for name, size in recorded.items())
    except (OSError, ValueError, AttributeError):
        return False


def _stamp_matches(store_dir: Path, stamp: Stamp) -> bool:
    return read_stamp(store_dir) == stamp.as_dict() and _files_intact(store_dir)


def refresh_store(paths: Paths, *, dataset: Path | None = None) -> bool:
    """(Re)build ``var/store`` from ``dataset`` (default ``kg/dataset.nq``) unless it is current;
    True when it was built. ``stikg build`` calls this right after swapping in ``kg/``, so the
    first query after a build opens a ready store instead of bulk-loading the dump (9–12 s and
    ~1 GB at 1.1M quads, measured 2026-12)."""
    dataset = dataset or paths.kg / "dataset.nq"
    manifest = dataset.parent / "manifest.json"
    store_dir = paths.store
    if _stamp_matches(store_dir, current_stamp(dataset, manifest)) and _probe(store_dir):
        return False
    with _locked(store_dir.parent / "store.lock"):
        recover_directory(store_dir)
        stamp = current_stamp(dataset, manifest)
        if _stamp_matches(store_dir, stamp) and _probe(store_dir):
            return False
        build_store(dataset, store_dir, stamp)
    return True


def _probe(store_dir: Path) -> bool:
    """The store opens and answers (then it is closed again)."""
    store = _open_read_only(store_dir)
    ok = store is not None
    del store
    return ok


def open_store(paths: Paths, *, dataset: Path | None = None) -> ox.Store:
    """The read-only store for ``paths`` (default ``kg/dataset.nq``), (re)built first when needed
    (a fresh clone has ``kg/`` but no ``var/store``; ``stikg build`` leaves it current)."""
    dataset = dataset or paths.kg / "dataset.nq"
    manifest = dataset.parent / "manifest.json"
    store_dir = paths.store
    if _stamp_matches(store_dir, current_stamp(dataset, manifest)):
        store = _open_read_only(store_dir)
        if store is not None:
            return store
    refresh_store(paths, dataset=dataset)
    store = _open_read_only(store_dir)
    if store is None:
        raise StoreError("the store was rebuilt but cannot be opened", store_dir)
    return store


def memory_store(dataset: Path) -> ox.Store:
    """An in-memory store loaded from an N-Quads/TriG file (tests, benchmarks)."""
    fmt = ox.RdfFormat.TRIG if dataset.suffix == ".trig" else ox.RdfFormat.N_QUADS
    store = ox.Store()
    store.bulk_load(path=str(dataset), format=fmt)
    return store
