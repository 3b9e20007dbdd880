"""The search driver: the journal's one writer, the strategy's caller, the executor's client.

One loop: keep the executor's slots full with proposals (journaled *before* they are sent), and on
every completion journal the result, tell the strategy, and propose the next. Everything the loop
knows is in the journal, so a run killed at any moment resumes by replaying it: trials proposed but
not finished are sent again with the same architecture and seed, finished ones never repeat. With
one slot the proposals, architectures and scores of a killed-and-resumed run are exactly those of
an uninterrupted run with the same seed.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from typing import Any, Optional

from .. import __version__
from ..data.tasks import get_task
from ..errors import JournalError, SearchError
from ..language.grammar import load_grammar
from ..language.printer import to_string
from ..training.refusal import refusal
from ..types.normal_form import structural_hash
from .config import SearchConfig, fidelity_key
from .display import Display, make_display
from .executors import Executor
from .journal import Journal
from .strategies import Space, Strategy, make_strategy
from .trial import Job, Outcome, Trial, trial_seed

__all__ = ["Driver", "Counts", "journal_meta", "check_meta", "CACHED_IN_A_ROW"]

#: proposals in a row that only repeat known architectures before the run stops (a stuck strategy)
CACHED_IN_A_ROW = 1000


@dataclass
class Counts:
    """What the display shows and the loop decides on."""

    finished: int = 0         # trained, status ok: the budget's unit
    failed: int = 0
    cached: int = 0
    failures_in_a_row: int = 0
    cached_in_a_row: int = 0
    in_flight: int = 0
    best: Optional[float] = None
    best_trial: Optional[int] = None


class Driver:
    """Runs one search to its budget against one journal (see the module docstring)."""

    def __init__(self, config: SearchConfig, journal: Journal, executor: Executor, *,
                 root: Optional[str] = None, display: Optional[Display] = None) -> None:
        self.config = config
        self.journal = journal
        self.executor = executor
        self.root = None if root is None else os.fspath(root)
        self.task = get_task(config.task)
        self.display = display or make_display("none")
        limits = dict(config.limits)
        for name in ("max_params", "max_memory"):   # never propose what the fidelity would refuse
            value = getattr(config.fidelity, name)
            if value is not None and name not in limits:
                limits[name] = value
        self.space = Space(self.task.input, config.grammar, config.p_computation, tuple(limits.items()), self.root)
        self.strategy: Strategy = make_strategy(config, self.space)
        self.fidelity = fidelity_key(config.recipe, config.fidelity)
        self.counts = Counts()
        self.known: dict[str, int] = {}       # structural hash -> first trial trained ok with it
        self._pending_jobs: dict[int, Job] = {}
        self._replay()

    # --- rebuilding from the journal ---------------------------------------------------------------

    def _replay(self) -> None:
        trials = {t.id: t for t in self.journal.trials()}
        for trial in trials.values():
            self.strategy.proposed(trial)
        for tid in self.journal.completions():
            self._count(trials[tid])
            self.strategy.tell(trials[tid])

    def _count(self, trial: Trial) -> None:
        c = self.counts
        if trial.state == "finished":
            c.finished += 1
            c.failures_in_a_row = 0
            c.cached_in_a_row = 0
            self.known.setdefault(trial.hash, trial.id)
        elif trial.state == "cached":
            c.cached += 1
            c.cached_in_a_row += 1
        elif trial.state == "failed":
            c.failed += 1
            c.failures_in_a_row += 1
        if trial.score is not None and (c.best is None or trial.score > c.best):
            c.best, c.best_trial = trial.score, trial.id

    # --- the loop ------------------------------------------------------------------------------------

    def run(self) -> str:
        """Run until the budget is met; returns why it stopped. Raises SearchError when it cannot go on."""
        self.display.start(self.config, self.executor.describe(), self.counts)
        try:
            for trial in self.journal.pending():   # proposed, never finished: send them again as they were
                self._dispatch(trial, trial.attempts + 1)
            while True:
                self._fill()
                if self.executor.in_flight() == 0:
                    if self.counts.finished >= self.config.evaluations:
                        break
                    raise SearchError("the strategy has nothing to propose and nothing is running "
                                      "(a seeded population whose seeds all failed?)")
                for outcome in self.executor.wait(timeout=1.0):
                    self._complete(outcome)
            reason = f"budget of {self.config.evaluations} evaluations reached"
            self.journal.finish_run(reason)
            return reason
        finally:
            self.display.stop(self.counts)

    def _wanted(self) -> bool:
        c = self.counts
        return c.finished + self.executor.in_flight() < self.config.evaluations

    def _fill(self) -> None:
        while self._wanted() and self.executor.in_flight() < self.executor.slots:
            tid = self.journal.next_id
            proposal = self.strategy.propose(tid, random.Random(trial_seed(self.config.seed, tid)))
            if proposal is None:
                return
            text = to_string(proposal.arch)
            digest = structural_hash(proposal.arch)
            self.journal.propose(tid, origin=proposal.origin, parents=list(proposal.parents), arch=text,
                                 hash=digest, seed=trial_seed(self.config.seed, tid), fidelity=self.fidelity,
                                 notes=proposal.notes)
            trial = self.journal.trial(tid)
            self.strategy.proposed(trial)
            source = proposal.copy_of
            if source is None and self.config.dedup:
                source = self.known.get(digest)
            if source is not None:
                origin = self.journal.trial(source)
                source = origin.cached_from if origin.cached_from is not None else source  # the one trained
                self.journal.cache(tid, source)
                self._told(self.journal.trial(tid))
                if self.counts.cached_in_a_row >= CACHED_IN_A_ROW:
                    raise SearchError(f"{CACHED_IN_A_ROW} proposals in a row repeated known architectures; the "
                                      f"strategy is stuck (run with --no-dedup, or a larger population)")
                continue
            self._dispatch(trial, 1)

    def _dispatch(self, trial: Trial, attempt: int) -> None:
        refused = refusal(trial.arch, self.task, seed=trial.seed, recipe=self.config.recipe,
                          fidelity=self.config.fidelity, grammar=self.config.grammar)
        if refused is not None:   # over the size limits: recorded, never sent
            self.journal.dispatch(trial.id, attempt, "driver")
            self.journal.finish(trial.id, attempt, refused.to_json(), worker="driver")
            self._told(self.journal.trial(trial.id))
            return
        job = Job(trial.id, attempt, trial.arch, trial.seed, self.config.task, self.config.recipe.to_json(),
                  self.config.fidelity.to_json(), self.root, self.config.grammar, self.config.proxies)
        self.journal.dispatch(trial.id, attempt, self.executor.describe())
        self.executor.submit(job)
        self.counts.in_flight = self.executor.in_flight()

    def _complete(self, outcome: Outcome) -> None:
        job = outcome.job
        if outcome.evaluation is not None:
            self.journal.finish(job.trial, job.attempt, outcome.evaluation, worker=outcome.worker)
        elif outcome.died and job.attempt <= self.config.retries:
            self.journal.fail(job.trial, job.attempt, "worker_died", outcome.error or "the worker died")
            self.display.note(f"trial {job.trial}: worker died (attempt {job.attempt}); retrying")
            self._dispatch(self.journal.trial(job.trial), job.attempt + 1)
            return
        else:
            status = "worker_died" if outcome.died else "error"
            self.journal.fail(job.trial, job.attempt, status, outcome.error or status, final=True)
        self._told(self.journal.trial(job.trial))

    def _told(self, trial: Trial) -> None:
        self._count(trial)
        self.strategy.tell(trial)
        self.counts.in_flight = self.executor.in_flight()
        self.display.trial(trial, self.counts)
        if trial.state == "failed" and self.counts.failures_in_a_row >= self.config.max_failures:
            why = trial.message or trial.status
            raise SearchError(f"{self.counts.failures_in_a_row} evaluations in a row failed (the last, trial "
                              f"{trial.id}: {trial.status}: {why}); fix the cause, or resume with a larger "
                              f"--max-failures")


def journal_meta(config: SearchConfig) -> dict[str, Any]:
    """What the journal records about the software that writes it."""
    return {"grammar": load_grammar(config.grammar).key, "version": __version__, "seed": config.seed,
            "host": os.uname().nodename, "pid": os.getpid(), "time": time.time()}


def check_meta(stored: dict[str, Any], config: SearchConfig, where: str) -> None:
    """Refuse a journal whose grammar differs, or that a newer einspace wrote."""
    mine = journal_meta(config)
    if stored.get("grammar") != mine["grammar"]:
        raise JournalError(f"{where} was written with another grammar (key {str(stored.get('grammar'))[:12]}..., "
                           f"now {mine['grammar'][:12]}...); its architectures may not parse the same")
    theirs = _version(stored.get("version", ""))
    if theirs is None or theirs > _version(__version__):
        raise JournalError(f"{where} was written by einspace {stored.get('version')!r}, newer than this "
                           f"{__version__}; upgrade to resume it")


def _version(text: str) -> Optional[tuple[int, ...]]:
    try:
        return tuple(int(p) for p in str(text).split(".")[:3])
    except ValueError:
        return None

