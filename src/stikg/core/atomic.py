"""Atomic file and directory writes: write to a temporary sibling, fsync, then rename."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from stikg.core.errors import StikgError


def _default_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _default_file_mode()
_DIR_MODE = _FILE_MODE | ((_FILE_MODE & 0o444) >> 2)  # r → x, like mkdir under the umask


def write_bytes(path: Path, data: bytes | bytearray) -> None:
    """Write ``data`` to ``path`` atomically: readers see the old file or the new one, never half."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise StikgError(f"cannot write: {exc.strerror}", path) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # e.g. the target is a directory, or the disk is full
            raise StikgError(f"cannot write: {exc.strerror or exc}", path) from None
        raise


def write_text(path: Path, text: str) -> None:
    """Atomic UTF-8 text write with LF line endings."""
    write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def replace_directory(target: Path) -> Iterator[Path]:
    """Yield a fresh staging directory; on success it atomically replaces ``target``.

    On Linux the swap is one ``renameat2(RENAME_EXCHANGE)`` call: at every instant ``target`` is
    either the old complete directory or the new one, even across ``kill -9``. Where that call
    is missing the swap falls back to two renames (old → backup, staging → target), and a crash
    between them is repaired by :func:`recover_directory` on the next run. If anything fails
    before the swap, ``target`` is untouched and the staging directory is deleted.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new.", dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    os.chmod(staging, _DIR_MODE)  # mkdtemp makes 0700
    backup = target.parent / f".{target.name}.old"
    shutil.rmtree(backup, ignore_errors=True)
    if target.exists() and _exchange(staging, target):
        _fsync_dir(target.parent)
        shutil.rmtree(staging, ignore_errors=True)  # now holds the previous version
        return
    if target.exists():
        os.replace(target, backup)
    os.replace(staging, target)
    _fsync_dir(target.parent)
    shutil.rmtree(backup, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux ``renameat2(RENAME_EXCHANGE)``; False if unsupported."""
    libc = _libc()
    if libc is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0


@functools.lru_cache(maxsize=1)
def _libc():
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        libc.renameat2.restype = ctypes.c_int
        return libc
    except (OSError, AttributeError):
        return None


def recover_directory(target: Path) -> None:
    """Repair an interrupted :func:`replace_directory`: restore the backup if the target is gone,
    and delete stale staging directories."""
    target = Path(target)
    backup = target.parent / f".{target.name}.old"
    if not target.exists() and backup.exists():
        os.replace(backup, target)
    else:
        shutil.rmtree(backup, ignore_errors=True)
    for stale in target.parent.glob(f".{target.name}.new.*"):
        shutil.rmtree(stale, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
