"""The default executor: evaluations run one at a time in the driver's own process.

No processes, no pickling, nothing to start: the search loop and the training share one process,
so a debugger or a profiler sees both. ``submit`` only queues; the job runs inside ``wait``, so the
driver keeps its usual submit-then-wait rhythm with one slot.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Callable, Optional

from ..trial import Job, Outcome
from ..worker import evaluate, run_job
from .base import Executor

__all__ = ["LocalExecutor"]


class LocalExecutor(Executor):
    """Runs each job in this process, in submission order, when :meth:`wait` is called.

    ``fn(job) -> dict`` is the evaluation (default :func:`einspace.search.worker.evaluate`).
    :meth:`wait` runs the queued jobs in order and returns their outcomes (the driver keeps one in
    flight, so usually one); with ``timeout`` it starts no further job once that many seconds have
    passed, but a started job runs to its end (the fidelity's ``time_limit`` bounds a training).
    A worker cannot die apart from the driver here, so ``died`` is never set.
    """

    name = "local"
    slots = 1

    def __init__(self, fn: Callable[[Job], dict[str, Any]] = evaluate):
        self._fn = fn
        self._queue: deque[Job] = deque()
        self._closed = False

    def submit(self, job: Job) -> None:
        self._check_open()
        self._queue.append(job)

    def wait(self, timeout: Optional[float] = None) -> list[Outcome]:
        deadline = None if timeout is None else time.monotonic() + timeout
        done: list[Outcome] = []
        while self._queue and (not done or deadline is None or time.monotonic() < deadline):
            done.append(run_job(self._queue.popleft(), self._fn))
        return done

    def in_flight(self) -> int:
        return len(self._queue)

    def describe(self) -> str:
        return "local"

    def close(self) -> None:
        self._closed = True
        self._queue.clear()
