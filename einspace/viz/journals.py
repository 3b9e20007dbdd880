"""What the search plots and the report read from a journal: one snapshot per run, taken once.

A plot may be handed paths or open :class:`~einspace.search.Journal` objects, one or several; each
is read into a :class:`RunView` (the trials, the completion order, the configuration) so the
drawing code never touches SQLite, and a journal this module opened itself is closed again at once
(a live search keeps writing undisturbed).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from ..errors import JournalError
from ..search.journal import Journal
from ..search.trial import Trial

__all__ = ["RunView", "JournalLike", "read_run", "read_runs"]

JournalLike = Union[str, "os.PathLike[str]", Journal]


@dataclass(frozen=True)
class RunView:
    """A read-only snapshot of one run: everything the plots and the report need."""

    path: Path
    config: dict[str, Any]
    meta: dict[str, Any]
    trials: tuple[Trial, ...]
    completions: tuple[int, ...]
    best: Optional[Trial]
    finished_run: Optional[str]
    finals: dict[int, dict[str, Any]]
    label: str = ""

    @cached_property
    def by_id(self) -> dict[int, Trial]:
        return {t.id: t for t in self.trials}

    @property
    def name(self) -> str:
        """The legend label: the given label, else the file name and the strategy."""
        if self.label:
            return self.label
        strategy = self.config.get("strategy")
        return f"{self.path.stem} ({strategy})" if strategy else self.path.stem

    @property
    def started(self) -> float:
        """Unix time the run started: the journal's ``run_started`` time, else the first proposal."""
        t = self.meta.get("time")
        if isinstance(t, (int, float)) and not isinstance(t, bool):
            return float(t)
        return min((t.proposed_at for t in self.trials), default=0.0)

    def finished(self) -> list[Trial]:
        """Trained, scored trials in completion order: each one a real evaluation (cached trials
        repeat an earlier score and failed ones have none)."""
        by_id = self.by_id
        return [by_id[i] for i in self.completions if by_id[i].state == "finished" and by_id[i].score is not None]

    def counts(self) -> Counter[str]:
        """Trials by state (finished, failed, cached, pending)."""
        return Counter(t.state for t in self.trials)

    def failures(self) -> Counter[str]:
        """Failed trials by status (``nan``, ``oom``, ``worker_died``, ...)."""
        return Counter(t.status or "unknown" for t in self.trials if t.state == "failed")

    def lineage(self, trial: Optional[int] = None) -> list[Trial]:
        """The trial (default the best) and its first parents back to a root, root first.

        The first parent is the one a mutation changed or a crossover's recipient; a seed copy's
        parent is the seed. Ids always decrease along the chain; a parent missing from the journal
        ends it."""
        if trial is None:
            if self.best is None:
                return []
            trial = self.best.id
        chain, seen = [], set()
        current: Optional[Trial] = self.by_id.get(trial)
        if current is None:
            raise JournalError(f"journal {str(self.path)!r} has no trial {trial!r}")
        while current is not None and current.id not in seen:
            chain.append(current)
            seen.add(current.id)
            current = self.by_id.get(current.parents[0]) if current.parents else None
        return chain[::-1]


def read_run(journal: JournalLike, label: str = "") -> RunView:
    """Snapshot one journal (a path is opened read-only and closed again; a JournalError if it
    cannot be opened)."""
    if isinstance(journal, Journal):
        return _snapshot(journal, label)
    with Journal(journal) as log:
        return _snapshot(log, label)


def _snapshot(log: Journal, label: str) -> RunView:
    return RunView(path=log.path, config=dict(log.config), meta=dict(log.meta), trials=tuple(log.trials()),
                   completions=tuple(log.completions()), best=log.best(), finished_run=log.finished_run,
                   finals=log.finals(), label=label)


def read_runs(journals: Union[JournalLike, RunView, Sequence[Union[JournalLike, RunView]]]) -> list[RunView]:
    """Snapshot one journal or several (paths, Journals, or snapshots already taken)."""
    if isinstance(journals, (str, os.PathLike, Journal, RunView)):
        journals = [journals]
    return [j if isinstance(j, RunView) else read_run(j) for j in journals]
