"""``einspace.search.run(...) -> Run``: start a search, or resume the one a journal holds.

The journal decides: a path that does not exist starts a new run with the given configuration; an
existing journal is resumed, and then the configuration given must be the journal's own (or
omitted: ``run(journal=path)`` continues it as it was). A journal of another configuration, grammar
or newer version is refused before anything is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..errors import JournalError, SearchError
from ..training.recipe import Fidelity, Recipe, resolve
from .config import SearchConfig
from .display import make_display
from .driver import Driver, check_meta, journal_meta
from .executors import make_executor
from .journal import Journal
from .seeding import resolve_seeds
from .strategies import STRATEGY_CLASSES
from .trial import Trial

__all__ = ["run", "Run", "configure"]


@dataclass(frozen=True)
class Run:
    """A search as its journal holds it after :func:`run` returned."""

    path: Path
    config: SearchConfig
    reason: str
    trials: tuple[Trial, ...] = field(repr=False)
    best: Optional[Trial] = None
    summary: dict[str, Any] = field(default_factory=dict)

    def by_state(self, state: str) -> list[Trial]:
        return [t for t in self.trials if t.state == state]

    def to_json(self) -> dict[str, Any]:
        counts = {s: len(self.by_state(s)) for s in ("finished", "failed", "cached", "pending")}
        best = None if self.best is None else {"id": self.best.id, "score": self.best.score, "arch": self.best.arch}
        return {"journal": str(self.path), "strategy": self.config.strategy, "task": self.config.task,
                "reason": self.reason, "trials": counts, "best": best, "summary": self.summary}


def configure(task: str, *, strategy: str = "re", seed_arch: Optional[str] = None, grammar: Optional[str] = None,
              recipe: Optional[Recipe] = None, fidelity: Optional[Fidelity] = None,
              limits: Optional[dict[str, Optional[int]]] = None, **settings: Any) -> SearchConfig:
    """A :class:`SearchConfig` for ``task``: the task's recipe and search fidelity (8 epochs) unless
    given, training overrides (``epochs=1``, ``train_limit=500``, ``lr=0.1`` ...) among ``settings``,
    seeds resolved from ``seed_arch`` (names, a seed file, a file of architectures)."""
    from ..data.tasks import get_task
    config_fields = set(SearchConfig.__dataclass_fields__) - {"task", "strategy", "seeds", "seed_labels",
                                                              "recipe", "fidelity", "limits", "grammar"}
    search = {k: v for k, v in settings.items() if k in config_fields}
    training = {k: v for k, v in settings.items() if k not in config_fields}
    meta = get_task(task)
    if meta.classes is None:
        raise SearchError(f"task {task!r} is a dense-prediction task; search covers classification")
    recipe, fidelity = resolve(meta, recipe, fidelity, training)
    seeds, labels = resolve_seeds(seed_arch, meta.input, grammar)
    return SearchConfig(task=meta.name, strategy=strategy, seeds=seeds, seed_labels=labels, recipe=recipe,
                        fidelity=fidelity, limits=tuple((limits or {}).items()), grammar=grammar, **search)


def _open(path: Path, config: Optional[SearchConfig]) -> tuple[Journal, SearchConfig, bool]:
    """(writable journal, the run's configuration, whether it is resumed)."""
    if path.exists():
        with Journal(path) as reader:   # checked read-only first: a refused journal is left as it was
            stored = SearchConfig.from_json(reader.config)
            if config is not None:
                config.check_resumes(reader.config, str(path))
                stored = stored.with_resume_settings(config)
            check_meta(reader.meta, stored, str(path))
        journal = Journal(path, write=True)
        try:
            journal.resumed(journal_meta(stored))
        except BaseException:
            journal.close()
            raise
        return journal, stored, True
    if config is None:
        raise JournalError(f"no journal at {str(path)!r} to resume; give a configuration to start one")
    return Journal.create(path, config.to_json(), journal_meta(config)), config, False


def run(config: Optional[SearchConfig] = None, *, journal: str | os.PathLike[str], executor: str = "local",
        workers: int = 1, threads: Optional[int] = None, scheduler: Optional[str] = None,
        root: Optional[str | os.PathLike[str]] = None, display: str = "none", fn: Any = None,
        **executor_options: Any) -> Run:
    """Run the search ``config`` (see :func:`configure`) to its budget, journaled in ``journal``.

    ``executor``: ``local`` (in this process) or ``dask`` (``workers`` processes of a LocalCluster,
    or the cluster at ``scheduler``). ``display``: ``auto`` (rich on a terminal, lines on a pipe),
    ``rich``, ``plain``, ``none``. ``fn`` replaces the evaluation function (``worker.evaluate``) —
    for benchmarks and tests of the machinery, never needed to search. Re-running with the same
    journal resumes. Raises SearchError / JournalError / ExecutorError (all EinspaceErrors).
    """
    path = Path(journal)
    shown = make_display(display)
    options = dict(executor_options)
    if fn is not None:
        options["fn"] = fn
    # the executor first: a bad setting must leave no journal behind (a cluster that starts for a
    # journal refused next is closed again at once)
    with make_executor(executor, workers=workers, threads=threads, scheduler=scheduler, **options) as ex:
        log, config, resumed = _open(path, config)
        try:
            if config.strategy not in STRATEGY_CLASSES:
                raise SearchError(f"unknown strategy {config.strategy!r}")
            if resumed:
                shown.note(f"resuming {path}: {len(log.trials())} trials journaled, {len(log.pending())} to re-send")
            driver = Driver(config, log, ex, root=None if root is None else os.fspath(root), display=shown)
            reason = driver.run()
            trials = tuple(log.trials())
            scored = [t for t in trials if t.score is not None]
            return Run(path, config, reason, trials, log.best(), driver.strategy.summary(scored))
        finally:
            log.close()
