"""What runs where a job is evaluated: ``evaluate(job)`` and the wrapper ``run_job`` every executor calls.

A job arrives as plain data (architecture text, recipe and fidelity dicts); the evaluation goes back
as the Evaluation's JSON dict, so nothing but text and numbers crosses a process or network
boundary. A worker process keeps the datasets it loaded (a small cache keyed by task and data root)
so a task's data is read once per process, not once per job. torch is imported only when a job runs.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Optional

from .trial import Job, Outcome

if TYPE_CHECKING:  # pragma: no cover
    from ..data.loaders import Dataset

__all__ = ["evaluate", "run_job", "measure_proxies", "configure", "worker_name", "cached_dataset", "clear_cache",
           "CACHE_SIZE"]

#: how many loaded datasets a process keeps (a search uses one task; a little room for a second)
CACHE_SIZE = 2

_cache: "OrderedDict[tuple[str, Optional[str]], Dataset]" = OrderedDict()
_lock = threading.Lock()
_settings: dict[str, Any] = {"name": "local", "threads": None}


def configure(name: str | None = None, threads: int | None = None) -> None:
    """Set this process's worker name (reported in every Outcome) and torch thread count.

    Called by an executor's worker setup (the Dask worker plugin); the driver's own process keeps
    the name ``local`` and its thread count. ``threads`` is applied again in the thread that runs
    each job, because torch's OpenMP thread count is per calling thread.
    """
    if name is not None:
        _settings["name"] = str(name)
    if threads is not None:
        _settings["threads"] = int(threads)


def worker_name() -> str:
    """The name this process reports: ``local``, or the Dask worker's name once configured."""
    return str(_settings["name"])


def cached_dataset(task: str, root: str | None) -> "Dataset":
    """The dataset of ``task`` under ``root``, loaded once per process (least recently used dropped)."""
    from ..data.loaders import load

    key = (task, None if root is None else str(root))
    with _lock:  # one loader at a time: two threads of one worker must not read the same task twice
        dataset = _cache.get(key)
        if dataset is None:
            dataset = load(task, root)
            _cache[key] = dataset
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        else:
            _cache.move_to_end(key)
        return dataset


def clear_cache() -> None:
    """Forget every loaded dataset (tests; a long-lived process switching tasks)."""
    with _lock:
        _cache.clear()


def evaluate(job: Job) -> dict[str, Any]:
    """Train ``job.arch`` on the job's task as the job says; the Evaluation as its JSON dict.

    Bad input (an unreadable architecture, an unknown setting, missing data) raises an
    EinspaceError, which :func:`run_job` turns into an ``error`` Outcome; every failure of the run
    itself is the Evaluation's status.
    """
    from ..training.recipe import Fidelity, Recipe
    from ..training.run import train

    threads = _settings["threads"]
    if threads is not None:
        import torch
        torch.set_num_threads(threads)
    dataset = cached_dataset(job.task, job.root)
    evaluation = train(job.arch, dataset, seed=job.seed, recipe=Recipe.from_json(job.recipe),
                       fidelity=Fidelity.from_json(job.fidelity), progress=False, grammar=job.grammar)
    return evaluation.to_json()


def measure_proxies(arch: Any, task: str, names: tuple[str, ...], *, seed: int, root: Optional[str] = None,
                    grammar: Optional[str] = None, device: Optional[str] = None,
                    threads: Optional[int] = None) -> dict[str, Any]:
    """``{"proxies": {name: value}, "proxy_seconds": s}`` of ``arch``: :func:`einspace.proxies.score`
    on this process's cached copy of the task's data, a value that is not finite as None (JSON has
    no NaN), and ``proxy_error`` with every value None when the network cannot be scored (a proxy
    is a hint for the search, never a reason to lose the trial)."""
    from ..errors import EinspaceError
    from ..proxies import score
    from ..proxies.names import CHEAP

    started = time.perf_counter()
    data: Any = task if set(names) <= CHEAP else cached_dataset(task, root)
    try:
        values = score(arch, data, names, seed=seed, root=root, grammar=grammar, device=device, threads=threads)
    except EinspaceError as err:
        return {"proxies": {n: None for n in names}, "proxy_error": f"{type(err).__name__}: {err}"[:500],
                "proxy_seconds": time.perf_counter() - started}
    clean = {n: (float(v) if math.isfinite(v) else None) for n, v in values.items()}
    return {"proxies": clean, "proxy_seconds": time.perf_counter() - started}


def _job_proxies(job: Job) -> dict[str, Any]:
    """The proxies ``job`` asks for, measured as its training will start: same seed, device, threads."""
    names = getattr(job, "proxies", ())   # a Job pickled by an einspace without the field has none
    if not names:
        return {}
    fidelity = job.fidelity or {}
    return measure_proxies(job.arch, job.task, tuple(names), seed=job.seed, root=job.root, grammar=job.grammar,
                           device=fidelity.get("device"), threads=_settings["threads"] or fidelity.get("threads"))


def run_job(job: Job, fn: Callable[[Job], dict[str, Any]] = evaluate) -> Outcome:
    """Run ``fn(job)`` and time it; an exception escaping it becomes ``Outcome(error="Type: message")``.

    The proxies the job asks for (``job.proxies``) are measured first, on the untrained network,
    and added to the evaluation dict (``proxies``, ``proxy_seconds``): with any ``fn``, so a
    search's machinery records them the same way with the real training or a stand-in. Only
    ``Exception`` is caught: KeyboardInterrupt and SystemExit still stop the process. The Outcome
    names this process's worker (:func:`worker_name`).
    """
    started = time.perf_counter()
    try:
        measured = _job_proxies(job)
        evaluation = fn(job)
        if measured:
            evaluation = {**evaluation, **measured}
    except Exception as err:  # a bug or bad input found on the worker: reported, the search goes on
        return Outcome(job, error=f"{type(err).__name__}: {err}"[:2000], worker=worker_name(),
                       seconds=time.perf_counter() - started)
    return Outcome(job, evaluation=evaluation, worker=worker_name(), seconds=time.perf_counter() - started)
