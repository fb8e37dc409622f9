"""Hashes, in one place: short stable digests for IRIs and SHA-256 of files."""

from __future__ import annotations

import hashlib
from pathlib import Path


def digest(*parts: object, length: int = 16) -> str:
    """A stable short hash of the parts (used for fact IRIs; never line numbers alone)."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


def sha256_of_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks (a dump of a national corpus is gigabytes)."""
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()
