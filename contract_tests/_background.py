"""Suite runs computed in a second process while the test session does other work.

A schemathesis run is CPU-bound Python (generation above all), so runs in threads would
take turns on one core. The self-tests' single-request runs are independent of everything
else, so `conftest.py` hands them to one worker process at the start of the session (on a
2-core machine: the session on one core, the worker on the other) and each test waits
for its own result. Results are plain data (`SuiteResult`), pickled back. A test whose
run was not handed out (or whose worker broke) computes it in the session's own process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor

from ._suite import SuiteResult

RunFunction = Callable[[str], SuiteResult]


class BackgroundRuns:
    """Named runs of one picklable `function(name) -> SuiteResult`, in a worker process."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[str, Future[SuiteResult]] = {}

    def start(self, function: RunFunction, names: Iterable[str]) -> None:
        wanted = [name for name in dict.fromkeys(names) if name not in self._futures]
        if not wanted:
            return
        if self._pool is None:
            # spawn: the session has threads (servers, schemathesis), which fork would copy
            # in whatever state they are in.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        for name in wanted:
            self._futures[name] = self._pool.submit(function, name)

    def result(self, function: RunFunction, name: str) -> SuiteResult:
        future = self._futures.pop(name, None)
        return function(name) if future is None else future.result()

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._futures.clear()


RUNS = BackgroundRuns()
