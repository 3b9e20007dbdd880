"""Where a search's evaluations run: :class:`Executor` (the contract) and :func:`make_executor`.

``local`` (the default) evaluates in the driver's own process; ``dask`` on Dask workers, a local
cluster of processes or any scheduler. The Dask executor (and dask itself) is imported only when
asked for, so importing the search layer stays light.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Callable, Optional

from ...errors import ExecutorError
from ..trial import Job
from .base import Executor
from .local import LocalExecutor

if TYPE_CHECKING:  # pragma: no cover
    from .dask import DaskExecutor

__all__ = ["Executor", "LocalExecutor", "DaskExecutor", "make_executor", "KINDS"]

#: the kinds :func:`make_executor` knows
KINDS = ("local", "dask")


def make_executor(kind: str = "local", *, workers: int = 1, threads: Optional[int] = None,
                  scheduler: Optional[str] = None, fn: Optional[Callable[[Job], dict[str, Any]]] = None,
                  **options: Any) -> Executor:
    """An executor of ``kind``, checked before anything starts.

    ``local``: one job at a time in this process (``workers`` must be 1, no ``scheduler``).
    ``dask``: a LocalCluster of ``workers`` processes, or the scheduler at ``scheduler``;
    ``threads`` is torch threads per job (default 1); further ``options`` go to
    :class:`~einspace.search.executors.dask.DaskExecutor` (``lifetime``, ``memory_limit``, ...).
    ``fn`` replaces the evaluation (default :func:`einspace.search.worker.evaluate`).
    Raises :class:`~einspace.errors.ExecutorError` on a bad setting.
    """
    if kind not in KINDS:
        raise ExecutorError(f"unknown executor {kind!r}; expected one of: {', '.join(KINDS)}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ExecutorError(f"workers must be an integer >= 1, got {workers!r}")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise ExecutorError(f"threads must be an integer >= 1, got {threads!r}")
    if scheduler is not None and (not isinstance(scheduler, str) or "://" not in scheduler and ":" not in scheduler):
        raise ExecutorError(f"scheduler must be an address such as tcp://host:8786, got {scheduler!r}")
    extra = {} if fn is None else {"fn": fn}
    if kind == "local":
        if workers != 1 or scheduler is not None or threads is not None or options:
            given = [name for name, bad in (("workers", workers != 1), ("scheduler", scheduler is not None),
                                            ("threads", threads is not None)) if bad] + sorted(options)
            raise ExecutorError(f"the local executor runs one job in this process; it takes no "
                                f"{', '.join(given)} (use kind='dask' for workers)")
        return LocalExecutor(**extra)
    from .dask import DaskExecutor
    known = set(inspect.signature(DaskExecutor).parameters) - {"workers", "threads", "scheduler", "fn"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ExecutorError(f"the dask executor takes no option {', '.join(unknown)}; "
                            f"its options: {', '.join(sorted(known))}")
    return DaskExecutor(workers=workers, threads=1 if threads is None else threads, scheduler=scheduler,
                        **extra, **options)


def __getattr__(name: str) -> Any:
    if name == "DaskExecutor":
        from .dask import DaskExecutor
        return DaskExecutor
    raise AttributeError(f"module 'einspace.search.executors' has no attribute {name!r}")
