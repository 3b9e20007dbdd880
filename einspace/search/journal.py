"""The search journal: one SQLite file recording every event of a run, the run's one source of truth.

The driver is the only writer (a lease in the file says who); every event is its own transaction,
fsynced (WAL, ``synchronous=FULL``), so a run killed at any moment loses at most the event being
written. Events are append-only (triggers refuse UPDATE and DELETE); a trial's state is what
replaying its events gives. The writer checks each event against the state machine it holds in
memory (O(1) per event), so a journal only ever holds a consistent history; replay re-checks it.
The file itself (tables, views, lease) is :mod:`.journal_schema`.

While open for writing the file is in WAL mode, so readers (a status command, a report) see every
committed event without blocking the writer; ``close`` makes it a plain single file again.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

from ..errors import JournalError
from .journal_schema import (FAILURES, FORMAT, SCORED, Event, TrialRecord, check_evaluation, append_row,
                             close_writer, create_file, dumps, is_int, open_reader, open_writer, read_rows)
from .trial import ORIGINS, Trial

__all__ = ["Journal", "Event", "FAILURES"]

Commit = Callable[[], None]


def _replaying() -> None:
    """The ``commit`` of a replayed event: it is on disk already."""


class _State:
    """Everything the events say so far, and the rules an event must follow to be appended.

    Each ``on_<kind>`` handler checks the event (JournalError), calls ``commit`` (the writer's disk
    write; a no-op while replaying), then applies it: a refused event changes neither disk nor memory.
    """

    def __init__(self) -> None:
        self.recs: dict[int, TrialRecord] = {}
        self.in_order = True          # ids were proposed increasing: recs is already sorted by id
        self.max_id = self.last_seq = 0
        self.completed: list[int] = []
        self.scored: list[int] = []
        self.best: Optional[TrialRecord] = None
        self.open_ids: set[int] = set()
        self.finals: dict[int, dict[str, Any]] = {}
        self.config: dict[str, Any] = {}
        self.meta: dict[str, Any] = {}
        self.started = False
        self.finished_run: Optional[str] = None

    def _known(self, trial: Any, verb: str) -> TrialRecord:
        rec = self.recs.get(trial) if is_int(trial) else None
        if rec is None:
            raise JournalError(f"cannot {verb} trial {trial!r}: no such trial was proposed")
        return rec

    def _running(self, trial: Any, verb: str) -> None:
        if self.finished_run is not None:
            raise JournalError(f"cannot {verb} trial {trial!r}: the run is finished ({self.finished_run}); "
                               f"journal run_resumed first")

    def _pending(self, trial: Any, verb: str, attempt: Any = None) -> TrialRecord:
        self._running(trial, verb)
        rec = self._known(trial, verb)
        if rec.state != "pending":
            raise JournalError(f"cannot {verb} trial {trial}: it is already {rec.state}")
        if attempt is not None and attempt not in rec.open:
            sent = ", ".join(map(str, sorted(rec.open))) or "none"
            raise JournalError(f"cannot {verb} attempt {attempt!r} of trial {trial}: it was not dispatched "
                               f"or is already over (attempts in flight: {sent})")
        return rec

    def _complete(self, rec: TrialRecord, state: str, t: float) -> None:
        rec.state, rec.finished_at, rec.frozen = state, t, None
        rec.open.clear()
        self.open_ids.discard(rec.id)
        self.completed.append(rec.id)
        if state in SCORED:
            self.scored.append(rec.id)
            best, score = self.best, rec.score()
            if best is None or score > best.score() or (score == best.score() and rec.id < best.id):
                self.best = rec

    # --- the handlers, one per event kind (arguments: trial, attempt, time, data, commit) ----------------

    def on_run_started(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        if self.started:
            raise JournalError("the run was already started (a journal holds one run_started)")
        if not isinstance(data["config"], dict) or not isinstance(data["meta"], dict):
            raise JournalError("run_started needs a config dict and a meta dict")
        commit()
        self.started, self.config, self.meta = True, data["config"], data["meta"]

    def on_run_resumed(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        if not isinstance(data["meta"], dict):
            raise JournalError(f"run_resumed needs a meta dict, got {data['meta']!r}")
        commit()
        self.finished_run = None

    def on_run_finished(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        if self.finished_run is not None:
            raise JournalError(f"the run is already finished ({self.finished_run})")
        if not isinstance(data["reason"], str):
            raise JournalError(f"the reason a run finished must be text, got {data['reason']!r}")
        commit()
        self.finished_run = data["reason"]

    def on_trial_proposed(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        self._running(trial, "propose")
        if not is_int(trial) or trial < 1:
            raise JournalError(f"a trial id must be a positive integer, got {trial!r}")
        if trial in self.recs:
            raise JournalError(f"cannot propose trial {trial}: it was already proposed")
        parents = data["parents"]
        if not isinstance(parents, list) or not all(is_int(p) and p in self.recs for p in parents):
            raise JournalError(f"trial {trial}: parents must be ids of earlier trials, got {parents!r}")
        for name in ("origin", "arch", "hash", "fidelity"):
            if not isinstance(data[name], str):
                raise JournalError(f"trial {trial}: {name} must be text, got {data[name]!r}")
        if not is_int(data["seed"]):
            raise JournalError(f"trial {trial}: seed must be an integer, got {data['seed']!r}")
        commit()
        self.recs[trial] = TrialRecord(trial, t, data)
        self.in_order = self.in_order and trial > self.max_id
        self.max_id = max(self.max_id, trial)
        self.open_ids.add(trial)

    def on_trial_dispatched(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        rec = self._pending(trial, "dispatch")
        if not is_int(attempt) or attempt != rec.attempts + 1:
            raise JournalError(f"cannot dispatch attempt {attempt!r} of trial {trial}: it had {rec.attempts} "
                               f"dispatch(es), so the next attempt is {rec.attempts + 1}")
        if not isinstance(data["worker"], str):
            raise JournalError(f"trial {trial}: worker must be text, got {data['worker']!r}")
        commit()
        rec.attempts, rec.worker, rec.frozen = attempt, data["worker"], None
        rec.open.add(attempt)

    def on_trial_finished(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        rec = self._pending(trial, "finish", attempt)
        evaluation = check_evaluation(f"trial {trial}", data["evaluation"])
        if not isinstance(data["worker"], str):
            raise JournalError(f"trial {trial}: worker must be text, got {data['worker']!r}")
        commit()
        rec.evaluation, rec.message = evaluation, str(evaluation.get("message") or "")
        rec.worker = data["worker"] or rec.worker
        self._complete(rec, "finished" if evaluation["status"] == "ok" else "failed", t)

    def on_trial_cached(self, trial: Any, attempt: Any, t: float, data: dict, commit: Commit) -> None:
        rec = self._pending(trial, "cache")
        source = data["source"]
        src = self.recs.get(source) if is_int(source) else None
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
        if not isinstance(message, str):
            raise JournalError(f"trial {trial}: message must be text, got {message!r}")
        commit()
        rec.open.discard(attempt)
        rec.message, rec.frozen = message, None
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


class Journal:
    """A search run's journal file (see the module docstring); the API the driver, CLI and reports use.

    ``Journal(path)`` opens an existing journal read-only (it follows a live writer: every read
    first takes in the events committed since); ``Journal(path, write=True)`` or :meth:`create`
    make this process its one writer. Every refusal is a JournalError.
    """

    FORMAT: int = FORMAT

    def __init__(self, path: str | os.PathLike[str], *, write: bool = False):
        self.path = Path(path)
        self.writable = False
        self._state = _State()
        self._conn: Optional[sqlite3.Connection] = open_reader(self.path)
        try:
            self._catch_up()
            if write:   # the lease; then anything a dying writer committed after the read-only replay
                writer = open_writer(self.path)
                self._conn.close()
                self._conn, self.writable = writer, True
                self._catch_up()
        except BaseException:
            self._conn.close()
            self._conn = None
            raise

    @classmethod
    def create(cls, path: str | os.PathLike[str], config: dict, meta: dict) -> "Journal":
        """Start a new journal at ``path`` (parent folders made) and return it writable; refuse
        (JournalError) if anything is already there — nothing is ever overwritten."""
        where = Path(path)
        if not isinstance(config, dict) or not isinstance(meta, dict):
            raise JournalError(f"{str(where)!r}: config and meta must be dicts")
        create_file(where, dumps({"config": config, "meta": meta}, f"{str(where)!r}: run_started"))
        return cls(where, write=True)

    # --- opening, closing ------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the lease and return the file to a single file (when no reader holds it); idempotent."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self.writable:
            close_writer(conn, self.path)
        else:
            conn.close()

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "closed" if self._conn is None else "writable" if self.writable else "read-only"
        return f"Journal({str(self.path)!r}, {mode}, {len(self._state.recs)} trials)"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise JournalError(f"journal {str(self.path)!r} is closed")
        return self._conn

    def _catch_up(self) -> None:
        """Replay the events after the last one seen (all of them on opening): a single pass."""
        state, loads, where = self._state, json.loads, repr(str(self.path))
        for seq, kind, trial, attempt, t, text in read_rows(self._connection(), self.path, state.last_seq):
            handler = getattr(state, "on_" + kind, None)
            if handler is None:
                raise JournalError(f"{where}: event {seq} has kind {kind!r}, unknown to this einspace (a newer one wrote it?)")
            try:
                handler(trial, attempt, t, loads(text), _replaying)
            except JournalError as err:
                raise JournalError(f"{where} is a broken journal: event {seq} ({kind}): {err}") from None
            except (KeyError, TypeError, ValueError, AttributeError) as err:
                raise JournalError(f"{where} is a broken journal: event {seq} ({kind}) has bad data "
                                   f"({type(err).__name__}: {err})") from None
            state.last_seq = seq

    def _read(self) -> _State:
        """The state to answer from: the writer's is always current; a reader takes in new events."""
        if not self.writable:
            self._catch_up()
        else:
            self._connection()
        return self._state

    # --- writing ---------------------------------------------------------------------------------------

    def _append(self, kind: str, trial: Optional[int], attempt: Optional[int], data: dict[str, Any]) -> int:
        if not self.writable:
            raise JournalError(f"journal {str(self.path)!r} is open read-only; open it with write=True to {kind}")
        conn = self._connection()
        text = dumps(data, f"{str(self.path)!r}: {kind} of trial {trial}" if trial else f"{str(self.path)!r}: {kind}")
        t, seq = time.time(), []
        row = (kind, trial, attempt, t, text)
        getattr(self._state, "on_" + kind)(trial, attempt, t, json.loads(text),
                                           lambda: seq.append(append_row(conn, self.path, row)))
        self._state.last_seq = seq[0]
        return seq[0]

    def resumed(self, meta: dict) -> int:
        """A new process continues the run (``meta``: who, what version); clears :attr:`finished_run`."""
        return self._append("run_resumed", None, None, {"meta": meta})

    def propose(self, trial: int, *, origin: str, parents: Sequence[int], arch: str, hash: str, seed: int,
                fidelity: str) -> int:
        """A new trial (pending), journaled before it is sent anywhere."""
        if origin not in ORIGINS:   # on writing only: a journal may hold origins since retired
            raise JournalError(f"trial {trial}: origin must be one of {', '.join(ORIGINS)}, got {origin!r}")
        if not isinstance(arch, str) or not arch.strip():
            raise JournalError(f"trial {trial}: the architecture text is empty")
        parents = list(parents) if isinstance(parents, (list, tuple)) else parents
        return self._append("trial_proposed", trial, None, {"origin": origin, "parents": parents, "arch": arch,
                                                            "hash": hash, "seed": seed, "fidelity": fidelity})

    def dispatch(self, trial: int, attempt: int, worker: str = "") -> int:
        """Attempt ``attempt`` (1, then one more per retry) of a pending trial was sent to ``worker``."""
        return self._append("trial_dispatched", trial, attempt, {"worker": worker})

    def finish(self, trial: int, attempt: int, evaluation: dict, worker: str = "") -> int:
        """An attempt came back with an Evaluation (any status: ok -> finished, others -> failed)."""
        return self._append("trial_finished", trial, attempt, {"evaluation": evaluation, "worker": worker})

    def cache(self, trial: int, source: int) -> int:
        """A pending trial reuses the evaluation of ``source`` (finished or cached) instead of training."""
        return self._append("trial_cached", trial, None, {"source": source})

    def fail(self, trial: int, attempt: int, status: str, message: str, *, final: bool = False) -> int:
        """An attempt was lost (``worker_died`` / ``error``): the trial stays pending for a retry,
        or becomes failed when ``final`` (out of retries)."""
        extra = {"final": True} if final else {}
        return self._append("trial_failed", trial, attempt, {"status": status, "message": message, **extra})

    def final(self, trial: int, evaluation: dict) -> int:
        """A final-fidelity retrain of a finished or cached trial (a later one replaces it)."""
        return self._append("trial_final", trial, None, {"evaluation": evaluation})

    def finish_run(self, reason: str) -> int:
        """The run ended (budget reached, ...); trial events are refused until :meth:`resumed`."""
        return self._append("run_finished", None, None, {"reason": reason})

    # --- reading ---------------------------------------------------------------------------------------

    @property
    def config(self) -> dict[str, Any]:
        return self._state.config

    @property
    def meta(self) -> dict[str, Any]:
        """The meta of ``run_started`` (later ``run_resumed`` metas are in :meth:`events`)."""
        return self._state.meta

    @property
    def finished_run(self) -> Optional[str]:
        """Why the run finished, if its last run event is ``run_finished``; else None."""
        return self._read().finished_run

    @property
    def next_id(self) -> int:
        """The id the next proposal takes: one more than the largest so far (1 in a new run)."""
        return self._read().max_id + 1

    def events(self) -> Iterator[Event]:
        """Every event, in order, read from the file."""
        for seq, kind, trial, attempt, t, text in read_rows(self._connection(), self.path, 0):
            yield Event(seq, kind, trial, attempt, t, json.loads(text))

    def trials(self) -> list[Trial]:
        """Every trial, by id."""
        state = self._read()
        recs = state.recs.values() if state.in_order else (state.recs[i] for i in sorted(state.recs))
        return [rec.trial() for rec in recs]

    def trial(self, trial_id: int) -> Trial:
        rec = self._read().recs.get(trial_id)
        if rec is None:
            raise JournalError(f"journal {str(self.path)!r} has no trial {trial_id!r}")
        return rec.trial()

    def completions(self) -> list[int]:
        """Trial ids in the order they completed (finished, cached, failed): how strategies replay them."""
        return list(self._read().completed)

    def pending(self) -> list[Trial]:
        """Proposed trials with no result yet, by id (a resumed driver sends them again)."""
        state = self._read()
        return [state.recs[i].trial() for i in sorted(state.open_ids)]

    def best(self) -> Optional[Trial]:
        """The highest-scoring finished or cached trial (the lowest id among equals); None before any."""
        best = self._read().best
        return None if best is None else best.trial()

    def population(self, size: Optional[int] = None) -> list[Trial]:
        """The last ``size`` scored trials in completion order (default ``config["population"]``, else
        all): regularised evolution's population, where each child joins and the oldest leaves."""
        state = self._read()
        if size is None:
            size = state.config.get("population")
            size = size if is_int(size) and size >= 0 else len(state.scored)
        elif not is_int(size) or size < 0:
            raise JournalError(f"a population size is a non-negative integer, got {size!r}")
        chosen = state.scored[max(0, len(state.scored) - size):]
        return [state.recs[i].trial() for i in chosen]

    def finals(self) -> dict[int, dict[str, Any]]:
        """Trial id -> its final-fidelity evaluation."""
        return dict(self._read().finals)
