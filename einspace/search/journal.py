"""The search journal: one SQLite file recording every event of a run, the run's one source of truth.

The driver is the only writer (a lease in the file says who); every event is its own transaction,
fsynced (WAL, ``synchronous=FULL``), so a run killed at any moment loses at most the event being
written. Events are append-only (triggers refuse UPDATE and DELETE); a trial's state is what
replaying its events gives. The writer checks each event against the state machine it holds in
memory (O(1) per event), so a journal only ever holds a consistent history; replay re-checks it.
The rules are :mod:`.journal_state`; the file itself (tables, views, lease) :mod:`.journal_schema`.

While open for writing the file is in WAL mode, so readers (a status command, a report) see every
committed event without blocking the writer; ``close`` makes it a plain single file again.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

from ..errors import JournalError
from .journal_schema import (FORMAT, Event, append_row, close_writer, create_file, dumps, open_reader,
                             open_writer, read_events)
from .journal_state import FAILURES, State, replaying
from .trial import ORIGINS, Trial

__all__ = ["Journal", "Event", "FAILURES"]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a replay builds many new (acyclic) objects: its
    repeated scans of the growing heap would otherwise double the time of a large replay."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
        self._state = State()
        self._conn: Optional[sqlite3.Connection] = open_reader(self.path)
        try:
            self._catch_up()
            if write:   # the lease; then anything a dying writer committed after the read-only replay
                writer = open_writer(self.path)
                self._conn.close()
                self._conn, self.writable = writer, True
                self._catch_up()
        except BaseException:
            self.close()   # a lease just taken is released again
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
        state, where = self._state, repr(str(self.path))
        with _gc_paused():
            for seq, kind, trial, attempt, t, data in read_events(self._connection(), self.path, state.last_seq):
                handler = getattr(state, "on_" + kind, None)
                if handler is None:
                    raise JournalError(f"{where}: event {seq} has kind {kind!r}, unknown to this einspace "
                                       f"(a newer one wrote it?)")
                try:
                    handler(trial, attempt, t, data, replaying)
                except JournalError as err:
                    raise JournalError(f"{where} is a broken journal: event {seq} ({kind}): {err}") from None
                except (KeyError, TypeError, ValueError, AttributeError) as err:
                    raise JournalError(f"{where} is a broken journal: event {seq} ({kind}) has bad data "
                                       f"({type(err).__name__}: {err})") from None
                state.last_seq = seq

    def _read(self) -> State:
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
                fidelity: str, notes: Optional[dict[str, Any]] = None) -> int:
        """A new trial (pending), journaled before it is sent anywhere; ``notes``, a JSON object,
        is what the strategy says of it (a surrogate's prediction), kept with the trial."""
        if origin not in ORIGINS:   # on writing only: a journal may hold origins since retired
            raise JournalError(f"trial {trial}: origin must be one of {', '.join(ORIGINS)}, got {origin!r}")
        if not isinstance(arch, str) or not arch.strip():
            raise JournalError(f"trial {trial}: the architecture text is empty")
        parents = list(parents) if isinstance(parents, (list, tuple)) else parents
        data = {"origin": origin, "parents": parents, "arch": arch, "hash": hash, "seed": seed, "fidelity": fidelity}
        if notes is not None:   # only when given: a proposal without notes is journaled as it always was
            data["notes"] = notes
        return self._append("trial_proposed", trial, None, data)

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
        for row in read_events(self._connection(), self.path, 0):
            yield Event(*row)

    def trials(self) -> list[Trial]:
        """Every trial, by id."""
        state = self._read()
        recs = state.recs.values() if state.in_order else (state.recs[i] for i in sorted(state.recs))
        with _gc_paused():
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
            size = size if type(size) is int and size >= 0 else len(state.scored)
        elif type(size) is not int or size < 0:
            raise JournalError(f"a population size is a non-negative integer, got {size!r}")
        chosen = state.scored[max(0, len(state.scored) - size):]
        return [state.recs[i].trial() for i in chosen]

    def finals(self) -> dict[int, dict[str, Any]]:
        """Trial id -> its final-fidelity evaluation."""
        return dict(self._read().finals)
