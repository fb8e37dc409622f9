"""stikg.core.parallel.run_groups: forked workers, results in order, errors raised, no-fork fallback."""

from __future__ import annotations

import pytest

from stikg.core import parallel


def test_a_failing_worker_fails_the_call():
    def boom():
        raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        parallel.run_groups([[boom], [lambda: {}]])
    with pytest.raises(OSError, match="disk on fire"):
        parallel.run_groups([[lambda: {}], [boom]])


def test_a_worker_that_dies_fails_the_call():
    import os

    from stikg.core.errors import StikgError

    with pytest.raises(StikgError, match="died"):
        parallel.run_groups([[lambda: os._exit(3)], [lambda: {}]])



def test_run_groups_keeps_the_order_and_works_without_fork(monkeypatch):
    import multiprocessing.process
    import os

    groups = [[lambda: ("a", os.getpid()), lambda: ("b", os.getpid())], [lambda: ("c", os.getpid())],
              [lambda: ("d", os.getpid())]]
    results = parallel.run_groups(groups)
    assert [name for name, _ in results] == ["a", "b", "c", "d"]
    assert results[3][1] == os.getpid() and (results[0][1] != os.getpid() or not parallel._can_fork())

    def no_fork(self):
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", no_fork)
    results = parallel.run_groups(groups)
    assert [name for name, _ in results] == ["a", "b", "c", "d"]
    assert {pid for _, pid in results} == {os.getpid()}
