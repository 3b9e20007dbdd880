"""Evaluations on Dask workers: a ``LocalCluster`` of processes on this machine, or any scheduler.

The only module of the package that imports dask and distributed, so ``import einspace.search``
stays light. Jobs travel as plain data (:class:`~einspace.search.trial.Job`) to
:func:`einspace.search.worker.run_job` on a worker; a worker process that dies under a job reports
that job as ``died`` at once, and the driver decides whether to try again.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Optional

import dask
import distributed
from distributed import Client, Future, LocalCluster, WorkerPlugin
from distributed.comm.core import CommClosedError
from distributed.scheduler import KilledWorker

from ...errors import ExecutorError
from ..trial import Job, Outcome
from ..worker import evaluate, run_job
from .base import Executor

__all__ = ["DaskExecutor", "WorkerSetup", "CLUSTER_CONFIG"]

#: what the executor sets on a cluster it starts: a job whose worker dies fails at once
#: (``KilledWorker``) instead of being re-run on other workers, where one architecture that kills
#: its process would take several workers down; no worker is sent more jobs than it has threads;
#: and the nanny does not export ``MALLOC_TRIM_THRESHOLD_=65536`` to its workers, which makes glibc
#: hand memory back to the kernel after every large free: torch training then runs several times
#: slower (5x measured on the benchmark's network), mostly in system time
CLUSTER_CONFIG = {"distributed.scheduler.allowed-failures": 0,
                  "distributed.scheduler.worker-saturation": 1.0,
                  "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
#: how long a remote scheduler's thread count is trusted before it is asked again (seconds)
_SLOTS_TTL = 2.0
#: errors that mean the job's process or the connection to it was lost, not that the job failed
_LOST = (KilledWorker, CommClosedError, distributed.client.FutureCancelledError)


class WorkerSetup(WorkerPlugin):
    """Run on every worker as it starts (and again on one the nanny restarts): names the process
    for :func:`~einspace.search.worker.worker_name`, sets torch's thread count, and imports the
    training stack once so the first job does not pay for it."""

    name = "einspace-worker-setup"

    def __init__(self, threads: int = 1):
        self.threads = threads

    def setup(self, worker: distributed.Worker) -> None:
        from .. import worker as einspace_worker
        from ...training import run  # noqa: F401  (imports torch and the interpreter: warm start)
        import torch

        torch.set_num_threads(self.threads)
        einspace_worker.configure(name=str(worker.name), threads=self.threads)


class DaskExecutor(Executor):
    """Runs jobs on Dask workers, one job per worker thread.

    Without ``scheduler``: starts a ``LocalCluster`` of ``workers`` worker *processes* (one thread
    each, so a worker can be killed without touching the driver; its nanny starts a new one), with
    :data:`CLUSTER_CONFIG` applied to the cluster it starts, and shuts it down on :meth:`close`.
    ``memory_limit`` is per worker (``"auto"``: the machine's memory shared out; a worker over it is
    restarted and its job comes back ``died``). ``lifetime`` (seconds) restarts each worker after
    that long, staggered by a tenth, letting its current job finish first: what ``dask worker
    --lifetime`` does on a cluster whose jobs have a wall-clock limit.

    With ``scheduler="tcp://host:8786"``: connects to a running scheduler (ExecutorError if it
    cannot be reached within ``connect_timeout`` seconds); ``slots`` follows the cluster's total
    worker threads as workers come and go (at least 1). Set on *that* scheduler, before it starts::

        DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=0 dask scheduler
        # or in ~/.config/dask/distributed.yaml:  distributed: {scheduler: {allowed-failures: 0}}

    otherwise Dask itself re-runs a job whose worker died on up to three more workers before the
    driver hears of it. Start the workers with ``dask worker tcp://host:8786 --nthreads 1
    --lifetime 3h50m --lifetime-restart`` (one thread each; restarted before a 4-hour limit), and
    with ``distributed: {nanny: {pre-spawn-environ: {MALLOC_TRIM_THRESHOLD_: null}}}`` in their
    Dask config (or ``--no-nanny``): the nanny's default trim threshold slows torch training
    several times (see :data:`CLUSTER_CONFIG`).

    On SLURM (``dask_jobqueue``, not a dependency of einspace)::

        from dask_jobqueue import SLURMCluster
        cluster = SLURMCluster(cores=1, processes=1, memory="8GB", walltime="04:00:00",
                               scheduler_options={"allowed_failures": 0},   # or the config above
                               worker_extra_args=["--lifetime", "3h50m", "--lifetime-stagger", "5m"])
        cluster.adapt(minimum=1, maximum=32)
        executor = DaskExecutor(scheduler=cluster.scheduler_address)

    ``threads``: torch threads per job. ``fn(job) -> dict``: the evaluation (default
    :func:`~einspace.search.worker.evaluate`), sent by reference, so it must be importable on the
    workers. ``silence_logs``: keep distributed's log lines (a killed worker, a closing cluster) off
    standard error.
    """

    name = "dask"

    def __init__(self, workers: int = 2, threads: int = 1, scheduler: Optional[str] = None,
                 fn: Callable[[Job], dict[str, Any]] = evaluate, lifetime: Optional[float] = None,
                 memory_limit: str | int | float = "auto", silence_logs: bool = True,
                 connect_timeout: float = 10.0):
        _check_count("workers", workers)
        _check_count("threads", threads)
        if lifetime is not None and not (isinstance(lifetime, (int, float)) and lifetime > 0):
            raise ExecutorError(f"lifetime must be a number of seconds > 0, got {lifetime!r}")
        self._fn = fn
        self._futures: dict[str, tuple[Future, Job]] = {}
        self._closed = False
        self._cluster: Optional[LocalCluster] = None
        self._scheduler = scheduler
        self._workers = workers
        self._slots: tuple[float, int] = (0.0, 1)
        self._logging = _Quiet() if silence_logs else None
        try:
            if scheduler is None:
                self._cluster = _start_cluster(workers, memory_limit, lifetime, silence_logs)
                self._client = Client(self._cluster, set_as_default=False)
            else:
                self._client = _connect(scheduler, connect_timeout)
            self._client.register_plugin(WorkerSetup(threads))
        except BaseException:
            self.close()
            raise

    # --- the contract --------------------------------------------------------------------------------

    @property
    def slots(self) -> int:
        if self._cluster is not None:
            return self._workers
        checked, count = self._slots
        if not self._closed and time.monotonic() - checked > _SLOTS_TTL:
            count = max(1, sum(self._client.nthreads().values()))
            self._slots = (time.monotonic(), count)
        return count

    def submit(self, job: Job) -> None:
        self._check_open()
        if job.key in self._futures:
            raise ExecutorError(f"job {job.key} is already in flight; resubmit with the next attempt number")
        future = self._client.submit(run_job, job, self._fn, key=job.key, pure=False)
        self._futures[job.key] = (future, job)

    def wait(self, timeout: Optional[float] = None) -> list[Outcome]:
        if not self._futures:
            return []
        pending = [future for future, _ in self._futures.values()]
        try:
            with self._client.as_current():  # distributed.wait uses the current client, not ours by default
                distributed.wait(pending, timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        done = [key for key, (future, _) in self._futures.items() if future.done()]
        return [_outcome(*self._futures.pop(key)) for key in done]

    def in_flight(self) -> int:
        return len(self._futures)

    def describe(self) -> str:
        if self._cluster is not None:
            return f"dask LocalCluster {self._workers} worker{'s' if self._workers != 1 else ''}"
        return f"dask {self._scheduler}"

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        futures = [future for future, _ in self._futures.values()]
        self._futures.clear()
        client = getattr(self, "_client", None)
        try:
            if client is not None:
                if futures and client.status == "running":
                    client.cancel(futures, force=True)
                client.close(timeout=10)
            if self._cluster is not None:
                self._cluster.close(timeout=20)
        finally:
            if self._logging is not None:
                self._logging.restore()

    # --- for tests and tools -------------------------------------------------------------------------

    @property
    def client(self) -> Client:
        """The ``distributed.Client`` jobs go through (to look at workers, ``client.processing()``)."""
        return self._client


def _check_count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ExecutorError(f"{name} must be an integer >= 1, got {value!r}")


def _start_cluster(workers: int, memory_limit: str | int | float, lifetime: Optional[float],
                   silence_logs: bool) -> LocalCluster:
    options: dict[str, Any] = {}
    if lifetime is not None:
        options.update(lifetime=f"{lifetime}s", lifetime_stagger=f"{lifetime / 10}s", lifetime_restart=True)
    try:
        with dask.config.set(CLUSTER_CONFIG):
            return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                dashboard_address=None, memory_limit=memory_limit,
                                # no dashboard; its HTTP routes on a free port, not a busy 8787
                                scheduler_kwargs={"allowed_failures": 0, "dashboard": False,
                                                  "dashboard_address": "127.0.0.1:0"},
                                silence_logs=logging.CRITICAL if silence_logs else logging.WARNING, **options)
    except (OSError, TimeoutError, RuntimeError) as err:
        raise ExecutorError(f"could not start a Dask LocalCluster of {workers} workers: "
                            f"{type(err).__name__}: {err} (a script that starts one must do so under "
                            "`if __name__ == '__main__':`, as worker processes re-import it)") from err


def _connect(address: str, timeout: float) -> Client:
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise ExecutorError(f"could not reach the Dask scheduler at {address!r} within {timeout:g} s "
                            f"({type(err).__name__}: {err}); is it running, and is the address "
                            "tcp://HOST:PORT?") from err


def _outcome(future: Future, job: Job) -> Outcome:
    """The Outcome of a finished future: run_job's own, or ``died`` / ``error`` from how it failed."""
    if future.status == "finished":
        try:  # the result is fetched from the worker now; it can be lost on the way
            return future.result(timeout=60)
        except _LOST + (OSError, TimeoutError) as err:
            return Outcome(job, died=True, error=f"lost while fetching the result: {type(err).__name__}: {err}"[:2000])
    if future.status == "cancelled":
        return Outcome(job, died=True, error="lost: the scheduler cancelled the job (connection lost?)")
    err = future.exception()
    if isinstance(err, KilledWorker):
        last = err.last_worker
        name = last.name if last.name is not None else last.address   # a LocalCluster's names are 0, 1, ...
        return Outcome(job, died=True, worker=str(name),
                       error=f"KilledWorker: worker {name} ({last.address}, pid {last.pid}) died while "
                             f"running {job.key}")
    text = f"{type(err).__name__}: {err}"[:2000]
    return Outcome(job, died=isinstance(err, _LOST), error=text)


class _Quiet:
    """distributed's loggers raised to CRITICAL in the driver while the executor lives."""

    def __init__(self) -> None:
        self._loggers = [logging.getLogger(name) for name in ("distributed", "distributed.scheduler",
                                                                 "distributed.nanny", "distributed.core",
                                                                 "distributed.worker", "distributed.client")]
        self._levels = [logger.level for logger in self._loggers]
        for logger in self._loggers:
            logger.setLevel(logging.CRITICAL)

    def restore(self) -> None:
        for logger, level in zip(self._loggers, self._levels):
            logger.setLevel(level)
