"""Search: strategies propose architectures, executors evaluate them, a journal records everything.

* :func:`run` — run a search to its budget (or resume it), journaled in one SQLite file;
* :func:`configure` — a :class:`SearchConfig` from a task name and settings;
* :class:`Journal` — read (or, as the driver, write) a run's journal: ``trials()``, ``best()``,
  ``population()``;
* strategies (``einspace.search.strategies``) and executors (``einspace.search.executors``);
* surrogate-filtered evolution (``configure(..., surrogate="rf", candidates=20, evaluate=5)``):
  the regressor in ``einspace.search.surrogate``, the tree features it reads in
  ``einspace.search.features``.

    >>> from einspace import search                                            # doctest: +SKIP
    >>> cfg = search.configure("fashion", strategy="re", evaluations=20, population=5, epochs=1)
    >>> result = search.run(cfg, journal="runs/fashion.db")                    # killed? run it again
    >>> search.Journal("runs/fashion.db").best().score

See docs/search.md. Names load on first use, so reading a journal needs neither torch nor dask.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["run", "configure", "Run", "SearchConfig", "Journal", "Trial", "Job", "Outcome", "trial_seed",
           "STRATEGIES"]

_NAMES = {
    "run": "session", "configure": "session", "Run": "session",
    "SearchConfig": "config", "STRATEGIES": "config",
    "Journal": "journal",
    "Trial": "trial", "Job": "trial", "Outcome": "trial", "trial_seed": "trial",
}


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'einspace.search' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
