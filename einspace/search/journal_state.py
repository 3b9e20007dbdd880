"""The journal's state machine: what its events say about each trial, and which event may come next.

One handler per event kind, used both by the writer (check, then write, then apply: a refused event
changes neither disk nor memory) and by replay (the same rules re-checked on every event read), so
the writer's in-memory state and a fresh replay cannot disagree. Each handler is O(1). Pure Python,
no I/O: the file is :mod:`.journal_schema`, the API :mod:`.journal`.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Optional

from ..errors import JournalError
from .trial import Trial

__all__ = ["State", "TrialRecord", "FAILURES", "SCORED", "replaying", "check_evaluation"]

#: statuses of a lost attempt (an Evaluation, whatever its status, is a finish, not a failure)
FAILURES = ("worker_died", "error")
#: the trial states that carry a score
SCORED = ("finished", "cached")

Commit = Callable[[], None]


def replaying() -> None:
    """The ``commit`` of a replayed event: it is on disk already."""


def check_evaluation(what: str, evaluation: Any) -> dict[str, Any]:
    """``evaluation`` if it is an Evaluation JSON dict the journal can rank (a status; a finite score if ok)."""
    if type(evaluation) is not dict:
        raise JournalError(f"{what}: the evaluation must be an Evaluation JSON dict, got {type(evaluation).__name__}")
    status, score = evaluation.get("status"), evaluation.get("score")
    if type(status) is not str or not status:
        raise JournalError(f"{what}: the evaluation has no status (got {status!r})")
    if status == "ok" and not (type(score) in (int, float) and math.isfinite(score)):
        raise JournalError(f"{what}: an evaluation with status ok needs a finite score, got {score!r}")
    return evaluation


class TrialRecord:
    """A trial during replay: mutable (one update per event, nothing copied), turned into a frozen
    :class:`.trial.Trial` on demand and cached until its next change."""

    __slots__ = ("id", "origin", "parents", "arch", "hash", "seed", "fidelity", "state", "evaluation",
                 "cached_from", "attempts", "open", "worker", "message", "proposed_at", "finished_at",
                 "failure", "notes", "frozen")

    def __init__(self, trial: int, t: float, data: dict[str, Any]):
        self.id, self.proposed_at = trial, t
        self.origin, self.arch, self.hash = data["origin"], data["arch"], data["hash"]
        self.parents, self.seed, self.fidelity = tuple(data["parents"]), data["seed"], data["fidelity"]
        self.state, self.evaluation, self.cached_from, self.attempts = "pending", None, None, 0
        self.open: tuple[int, ...] = ()   # attempts dispatched and not over (a tuple: no GC-tracked set per trial)
        self.worker, self.message, self.finished_at, self.failure = "", "", None, None
        self.notes: Optional[dict[str, Any]] = data.get("notes")   # absent from most proposals
        self.frozen: Optional[Trial] = None

    def trial(self) -> Trial:
        if self.frozen is None:
            self.frozen = Trial(self.id, self.origin, self.parents, self.arch, self.hash, self.seed,
                                self.state, self.evaluation, self.cached_from, self.attempts, self.worker,
                                self.message, self.proposed_at, self.finished_at, self.failure, self.notes)
        return self.frozen


class State:
    """Everything the events say so far. Each ``on_<kind>(trial, attempt, time, data, commit)``
    checks its event (JournalError), calls ``commit``, then applies the event."""

    def __init__(self) -> None:
        self.recs: dict[int, TrialRecord] = {}
        self.in_order = True          # ids were proposed increasing, so recs is already sorted by id
        self.max_id = self.last_seq = 0
        self.completed: list[int] = []
        self.scored: list[int] = []
        self.best: Optional[TrialRecord] = None
        self.best_score: Any = None
        self.open_ids: set[int] = set()
        self.finals: dict[int, dict[str, Any]] = {}
        self.config: dict[str, Any] = {}
        self.meta: dict[str, Any] = {}
        self.started = False
        self.finished_run: Optional[str] = None

    # --- what the handlers share ------------------------------------------------------------------------

    def _running(self, trial: Any, verb: str) -> None:
        if self.finished_run is not None:
            raise JournalError(f"cannot {verb} trial {trial!r}: the run is finished ({self.finished_run}); "
                               f"journal run_resumed first")

    def _known(self, trial: Any, verb: str) -> TrialRecord:
        rec = self.recs.get(trial) if type(trial) is int else None
        if rec is None:
            raise JournalError(f"cannot {verb} trial {trial!r}: no such trial was proposed")
        return rec

    def _pending(self, trial: Any, verb: str, attempt: Any = None) -> TrialRecord:
        self._running(trial, verb)
        rec = self._known(trial, verb)
        if rec.state != "pending":
            raise JournalError(f"cannot {verb} trial {trial}: it is already {rec.state}")
        if attempt is not None and (type(attempt) is not int or attempt not in rec.open):
            sent = ", ".join(map(str, rec.open)) or "none"
            raise JournalError(f"cannot {verb} attempt {attempt!r} of trial {trial}: it was not dispatched "
                               f"or is already over (attempts in flight: {sent})")
        return rec

    def _complete(self, rec: TrialRecord, state: str, t: float) -> None:
        rec.state, rec.finished_at, rec.open, rec.frozen = state, t, (), None
        self.open_ids.discard(rec.id)
        self.completed.append(rec.id)
        if state in SCORED:
            self.scored.append(rec.id)
            score, best = rec.evaluation["score"], self.best  # type: ignore[index]
            if best is None or score > self.best_score or (score == self.best_score and rec.id < best.id):
                self.best, self.best_score = rec, score

    @staticmethod
    def _text(trial: Any, name: str, value: Any) -> None:
        if type(value) is not str:
            raise JournalError(f"trial {trial}: {name} must be text, got {value!r}")

    # --- run events ---------------------------------------------------------------------------------------

    def on_run_started(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        if self.started:
            raise JournalError("the run was already started (a journal holds one run_started)")
        if type(data["config"]) is not dict or type(data["meta"]) is not dict:
            raise JournalError("run_started needs a config dict and a meta dict")
        commit()
        self.started, self.config, self.meta = True, data["config"], data["meta"]

    def on_run_resumed(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        if type(data["meta"]) is not dict:
            raise JournalError(f"run_resumed needs a meta dict, got {data['meta']!r}")
        commit()
        self.finished_run = None

    def on_run_finished(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        if self.finished_run is not None:
            raise JournalError(f"the run is already finished ({self.finished_run})")
        if type(data["reason"]) is not str:
            raise JournalError(f"the reason a run finished must be text, got {data['reason']!r}")
        commit()
        self.finished_run = data["reason"]

    # --- trial events -------------------------------------------------------------------------------------

    def on_trial_proposed(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        self._running(trial, "propose")
        if type(trial) is not int or trial < 1:
            raise JournalError(f"a trial id must be a positive integer, got {trial!r}")
        if trial in self.recs:
            raise JournalError(f"cannot propose trial {trial}: it was already proposed")
        parents, recs = data["parents"], self.recs
        if type(parents) is not list or not all(type(p) is int and p in recs for p in parents):
            raise JournalError(f"trial {trial}: parents must be ids of earlier trials, got {parents!r}")
        if not (type(data["origin"]) is type(data["arch"]) is type(data["hash"]) is type(data["fidelity"]) is str):
            for name in ("origin", "arch", "hash", "fidelity"):
                self._text(trial, name, data[name])
        if type(data["seed"]) is not int:
            raise JournalError(f"trial {trial}: seed must be an integer, got {data['seed']!r}")
        if "notes" in data and type(data["notes"]) is not dict:
            raise JournalError(f"trial {trial}: notes must be a JSON object, got {data['notes']!r}")
        commit()
        recs[trial] = TrialRecord(trial, t, data)
        if trial < self.max_id:
            self.in_order = False
        else:
            self.max_id = trial
        self.open_ids.add(trial)

    def on_trial_dispatched(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        rec = self._pending(trial, "dispatch")
        if type(attempt) is not int or attempt != rec.attempts + 1:
            raise JournalError(f"cannot dispatch attempt {attempt!r} of trial {trial}: it had {rec.attempts} "
                               f"dispatch(es), so the next attempt is {rec.attempts + 1}")
        self._text(trial, "worker", data["worker"])
        commit()
        rec.attempts, rec.worker, rec.open, rec.frozen = attempt, data["worker"], rec.open + (attempt,), None

    def on_trial_finished(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        rec = self._pending(trial, "finish", attempt)
        evaluation = check_evaluation(f"trial {trial}", data["evaluation"])
        self._text(trial, "worker", data["worker"])
        commit()
        rec.evaluation, rec.message = evaluation, str(evaluation.get("message") or "")
        rec.worker = data["worker"] or rec.worker
        self._complete(rec, "finished" if evaluation["status"] == "ok" else "failed", t)

    def on_trial_cached(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        rec = self._pending(trial, "cache")
        source = data["source"]
        src = self.recs.get(source) if type(source) is int else None
        if src is None or src.state not in SCORED:
            why = "no such trial" if src is None else f"it is {src.state}, not finished or cached with a score"
            raise JournalError(f"cannot cache trial {trial} from trial {source!r}: {why}")
        commit()
        rec.evaluation, rec.cached_from = src.evaluation, source
        self._complete(rec, "cached", t)

    def on_trial_failed(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        rec = self._pending(trial, "fail", attempt)
        status, message = data["status"], data["message"]
        if status not in FAILURES:
            raise JournalError(f"trial {trial}: a lost attempt's status is one of {', '.join(FAILURES)}, got "
                               f"{status!r} (an Evaluation, whatever its status, is journaled with finish)")
        self._text(trial, "message", message)
        commit()
        rec.open, rec.message, rec.frozen = tuple(a for a in rec.open if a != attempt), message, None
        if data.get("final"):
            rec.failure = status
            self._complete(rec, "failed", t)

    def on_trial_final(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        rec = self._known(trial, "journal a final evaluation of")
        if rec.state not in SCORED:
            raise JournalError(f"cannot journal a final evaluation of trial {trial}: it is {rec.state}, "
                               f"not finished or cached")
        evaluation = check_evaluation(f"final evaluation of trial {trial}", data["evaluation"])
        commit()
        self.finals[trial] = evaluation   # a later retrain replaces an earlier one
