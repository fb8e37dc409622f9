"""Run groups of calls in forked worker processes: the helper of the kg/ writer and of extraction.

Each group but the last runs in a forked child (when ``fork`` is available and there is more
than one CPU), the last in this process meanwhile; results come back through a pipe, in order.
"""

from __future__ import annotations

import gc
import os
import signal
from collections.abc import Callable
from typing import Any, TypeVar

from stikg.core.errors import StikgError

T = TypeVar("T")


def run_groups(groups: list[list[Callable[[], T]]], parallel: bool = True) -> list[T]:
    """Call every function of every group; return their results (group by group, in order).

    With ``parallel`` (and ``fork`` available, and more than one CPU) every group but the last
    runs in a forked worker process, the last in this process meanwhile. A worker's exception is
    raised here; a worker that dies without answering is an error too. Workers are killed if this
    process fails first, and die with it (``PR_SET_PDEATHSIG``) if it is killed. A group whose
    worker cannot be started runs here.
    """
    import multiprocessing as mp

    if not (parallel and len(groups) > 1 and _can_fork()):
        return [fn() for group in groups for fn in group]
    ctx = mp.get_context("fork")
    results: list[list] = [[] for _ in groups]  # every group's is filled below, here or by its worker
    started = []  # (group number, process, pipe end)
    try:
        for i, group in enumerate(groups[:-1]):
            reader, writer = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, args=(group, writer, os.getpid()), daemon=True)
            try:
                proc.start()
            except OSError:  # no fork today (process or memory limits): done here below
                reader.close()
                continue
            finally:
                writer.close()
            started.append((i, proc, reader))
        for i, group in enumerate(groups):
            if i == len(groups) - 1 or not any(i == j for j, _, _ in started):
                results[i] = [fn() for fn in group]
        for i, proc, reader in started:
            try:
                status, payload = reader.recv()
            except EOFError:
                proc.join()
                raise StikgError(f"a worker process died (exit code {proc.exitcode})") from None
            proc.join()
            if status == "error":
                raise payload
            results[i] = payload
        return [result for group_results in results for result in group_results]
    finally:
        for _, proc, reader in started:
            if proc.is_alive():
                proc.kill()
            proc.join()
            reader.close()


def _can_fork() -> bool:
    import multiprocessing as mp

    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    # (a daemonic process, e.g. a multiprocessing pool worker, may not have children)
    return cpus > 1 and "fork" in mp.get_all_start_methods() and not mp.current_process().daemon


def _worker(group: list[Callable[[], Any]], conn, parent: int) -> None:
    """A forked worker: run the group, send ("ok", results) or ("error", exception)."""
    gc.disable()  # short-lived; collecting would only copy the parent's pages
    _die_with_parent(parent)
    try:
        conn.send(("ok", [fn() for fn in group]))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        try:
            conn.send(("error", exc))
        except Exception:  # the exception does not pickle
            conn.send(("error", StikgError(f"a worker process failed: {exc!r}")))
    finally:
        conn.close()


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies (no orphan writing into staging)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)
