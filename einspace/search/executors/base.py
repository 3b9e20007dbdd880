"""The contract every executor keeps: where a search's evaluations run, and how they come back.

The driver (the search loop) owns everything else: it keeps :attr:`Executor.slots` jobs in flight,
journals each dispatch with :meth:`Executor.describe`, and retries a lost attempt by resubmitting
the job with ``attempt + 1``. An executor never retries, never reorders a job's fields and never
raises out of :meth:`Executor.wait` for a failure of a job.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Optional

from ...errors import ExecutorError
from ..trial import Job, Outcome

__all__ = ["Executor"]


class Executor(abc.ABC):
    """Runs jobs and hands back their outcomes. What every implementation guarantees:

    * :meth:`submit` queues a job and returns at once, without waiting for the evaluation; after
      :meth:`close` it raises :class:`~einspace.errors.ExecutorError`. A job's ``key`` must be
      unique among the jobs in flight (the driver's ``trial-<id>-<attempt>`` is).
    * :meth:`wait` blocks until at least one submitted job has completed (or ``timeout`` seconds
      have passed, when it may return ``[]``), then returns *every* completed job not returned
      before, each exactly once. With nothing in flight it returns ``[]`` at once.
    * Every submitted job comes back as exactly one :class:`~einspace.search.trial.Outcome`:
      ``evaluation`` set (the Evaluation JSON dict, whatever its status); or ``error`` (an
      exception escaped the evaluation: a bug, or bad input found on the worker); or ``died=True``
      (the process holding the job was lost: killed, out of memory). A job whose worker dies never
      hangs :meth:`wait` and never raises out of it.
    * ``Outcome.worker`` names where the job ran (``local`` in the driver's process);
      ``Outcome.seconds`` is the time the evaluation itself took there.
    * :meth:`close` is idempotent; jobs still in flight are abandoned (their outcomes are never
      returned), and whatever the executor started (a local cluster) is shut down.

    ``name`` is the kind (``local``, ``dask``); ``slots`` how many jobs run at once.
    """

    name: str = ""

    @property
    @abc.abstractmethod
    def slots(self) -> int:
        """How many jobs run at once (W): the driver keeps this many in flight. At least 1."""

    @abc.abstractmethod
    def submit(self, job: Job) -> None:
        """Queue ``job``; never blocks on its evaluation. ExecutorError when closed."""

    @abc.abstractmethod
    def wait(self, timeout: Optional[float] = None) -> list[Outcome]:
        """Every job completed since the last call, blocking until there is one (or ``timeout``)."""

    @abc.abstractmethod
    def in_flight(self) -> int:
        """Jobs submitted whose outcomes have not yet been returned by :meth:`wait`."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where jobs run, in a few words: ``local``, ``dask LocalCluster 2 workers``, ``dask tcp://host:8786``."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release what the executor holds; idempotent."""

    @property
    def closed(self) -> bool:
        return getattr(self, "_closed", False)

    def _check_open(self) -> None:
        if self.closed:
            raise ExecutorError(f"the {self.describe()} executor is closed; no more jobs can be submitted")

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, kind: Optional[type[BaseException]], value: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.in_flight()} in flight"
        return f"<{type(self).__name__} {self.describe()}: {state}>"
