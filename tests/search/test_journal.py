"""The search journal: file format, refusals of bad files, the state machine and its refusals, and
the SQL views (``einspace/search/journal*.py``); the lease, live readers, crashes and replay
equivalence are in ``test_journal_live.py``. Real files in ``tmp_path``, no mocks."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from einspace.errors import EinspaceError, JournalError
from einspace.search.journal import Journal
from einspace.search.journal_schema import APPLICATION_ID, FORMAT
from einspace.search.trial import TRIAL_STATES, Trial


def ev(score: float | None = 0.5, status: str = "ok", params: int = 100) -> dict:
    return {"status": status, "score": score if status == "ok" else None, "params": params,
            "total_seconds": 1.25, "message": "" if status == "ok" else f"went {status}"}


def propose(j: Journal, tid: int, parents: tuple = (), origin: str = "random") -> int:
    return j.propose(tid, origin=origin, parents=parents, arch=f"linear({tid})", hash=f"h{tid}", seed=tid,
                     fidelity="search")


def scored(j: Journal, tid: int, score: float = 0.5) -> None:
    propose(j, tid)
    j.dispatch(tid, 1, "w1")
    j.finish(tid, 1, ev(score), worker="w1")


@pytest.fixture
def journal(tmp_path):
    with Journal.create(tmp_path / "run.journal", {"population": 3}, {"seed": 7}) as j:
        yield j


# --- the file ------------------------------------------------------------------------------------------

def test_create_then_open_round_trip(tmp_path):
    path = tmp_path / "deep" / "er" / "run.journal"
    with Journal.create(path, {"population": 3, "task": "addnist"}, {"grammar": "k", "seed": 1}) as j:
        assert j.writable and j.path == path and j.next_id == 1 and j.FORMAT == FORMAT == 1
        scored(j, 1, 0.25)
    with Journal(path) as r:
        assert not r.writable
        assert r.config == {"population": 3, "task": "addnist"} and r.meta == {"grammar": "k", "seed": 1}
        assert [t.id for t in r.trials()] == [1] and r.trial(1).score == 0.25 and r.next_id == 2
        assert [e.kind for e in r.events()] == ["run_started", "trial_proposed", "trial_dispatched", "trial_finished"]
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert raw.execute("PRAGMA user_version").fetchone()[0] == FORMAT
    raw.close()


def test_create_builds_the_file_aside_and_links_it_into_place(tmp_path):
    """A journal appears whole or not at all: no half-made file at the path if creation is killed."""
    with Journal.create(tmp_path / "a.db", {"population": 3}, {}):
        assert sorted(p.name for p in tmp_path.iterdir() if "creating" in p.name) == []
    with Journal(tmp_path / "a.db") as r:
        assert [e.kind for e in r.events()] == ["run_started"]


def test_writer_connection_is_wal_and_synchronous_full(journal):
    conn = journal._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_closed_journal_is_one_file_and_reading_it_leaves_no_litter(tmp_path):
    path = tmp_path / "run.journal"
    Journal.create(path, {}, {}).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.journal"]
    Journal(path).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.journal"]


def test_events_are_append_only(journal):
    scored(journal, 1)
    raw = sqlite3.connect(journal.path)
    for sql in ("UPDATE events SET kind = 'x'", "DELETE FROM events WHERE seq = 2"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute(sql)
    raw.close()
    assert len(list(journal.events())) == 4


def test_create_refuses_an_existing_path_and_leaves_it_alone(tmp_path):
    path = tmp_path / "run.journal"
    path.write_bytes(b"precious")
    with pytest.raises(JournalError, match="already exists"):
        Journal.create(path, {}, {})
    assert path.read_bytes() == b"precious"
    Journal.create(tmp_path / "b.journal", {}, {}).close()
    before = (tmp_path / "b.journal").read_bytes()
    with pytest.raises(JournalError, match="already exists"):
        Journal.create(tmp_path / "b.journal", {}, {})
    assert (tmp_path / "b.journal").read_bytes() == before
    (tmp_path / "c.journal-wal").write_bytes(b"stale")   # SQLite would read a stale -wal as ours
    with pytest.raises(JournalError, match="already exists"):
        Journal.create(tmp_path / "c.journal", {}, {})
    assert not (tmp_path / "c.journal").exists()


def _foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE events (x)")
    conn.commit()
    conn.close()


def _newer(path: Path) -> None:
    Journal.create(path, {}, {}).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {FORMAT + 1}")
    conn.close()


def _no_events_table(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {FORMAT}")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.close()


BAD_FILES = {
    "random bytes": (lambda p: p.write_bytes(os.urandom(3000)), "not an SQLite database"),
    "empty": (lambda p: p.write_bytes(b""), "empty file"),
    "text": (lambda p: p.write_text("trial 1: ok\n"), "not an SQLite database"),
    "foreign SQLite": (_foreign, "not an einspace journal"),
    "newer format": (_newer, "newer than this einspace"),
    "no events table": (_no_events_table, "broken journal"),
}


@pytest.mark.parametrize("write", [False, True])
@pytest.mark.parametrize("what", sorted(BAD_FILES))
def test_bad_files_are_refused_and_left_byte_identical(tmp_path, what, write):
    make, message = BAD_FILES[what]
    path = tmp_path / "x.journal"
    make(path)
    before = path.read_bytes()
    with pytest.raises(JournalError, match=message) as err:
        Journal(path, write=write)
    assert isinstance(err.value, EinspaceError) and str(path) in str(err.value)
    assert path.read_bytes() == before


def test_missing_path_and_folder_are_refused(tmp_path):
    with pytest.raises(JournalError, match="no journal"):
        Journal(tmp_path / "nothing.journal")
    with pytest.raises(JournalError, match="not a file"):
        Journal(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_hand_inserted_bad_events_are_reported_with_their_seq(tmp_path):
    path = tmp_path / "run.journal"
    Journal.create(path, {}, {}).close()
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO events (kind, trial, attempt, time, data) VALUES ('trial_dispatched', 9, 1, 0, '{\"worker\": \"\"}')")
    raw.commit()
    with pytest.raises(JournalError, match=r"event 2 \(trial_dispatched\).*no such trial"):
        Journal(path)
    raw.execute("INSERT INTO events (kind, time, data) VALUES ('trial_teleported', 0, '{}')")
    raw.execute("INSERT INTO events (kind, time, data) VALUES ('run_finished', 0, '{not json')")
    raw.commit()
    raw.close()
    with pytest.raises(JournalError, match="event 4 has data that is not JSON"):
        Journal(path)


# --- the state machine ------------------------------------------------------------------------------------

def test_every_transition(journal):
    j = journal
    propose(j, 1)
    t = j.trial(1)
    assert (t.state, t.attempts, t.evaluation, t.done, t.status) == ("pending", 0, None, False, None)
    j.dispatch(1, 1, "w1")
    assert j.trial(1).attempts == 1 and j.trial(1).worker == "w1" and [p.id for p in j.pending()] == [1]
    j.finish(1, 1, ev(0.5), worker="w2")
    t = j.trial(1)
    assert (t.state, t.score, t.status, t.worker) == ("finished", 0.5, "ok", "w2") and t.finished_at >= t.proposed_at
    propose(j, 2, parents=(1,), origin="mutation")
    j.dispatch(2, 1)
    j.finish(2, 1, ev(status="oom"))
    t = j.trial(2)
    assert (t.state, t.score, t.status, t.message, t.parents) == ("failed", None, "oom", "went oom", (1,))
    propose(j, 3)
    j.cache(3, 1)
    t = j.trial(3)
    assert (t.state, t.score, t.cached_from, t.evaluation, t.attempts) == ("cached", 0.5, 1, ev(0.5), 0)
    propose(j, 4)
    j.dispatch(4, 1)
    j.fail(4, 1, "worker_died", "killed")
    t = j.trial(4)
    assert (t.state, t.attempts, t.message, t.failure, t.status) == ("pending", 1, "killed", None, None)
    j.dispatch(4, 2)
    j.fail(4, 2, "error", "bug", final=True)
    t = j.trial(4)
    assert (t.state, t.attempts, t.failure, t.status, t.score) == ("failed", 2, "error", "error", None)
    propose(j, 5)
    j.cache(5, 3)   # from a cached trial: the evaluation is the original's
    assert j.trial(5).evaluation == ev(0.5) and j.trial(5).cached_from == 3
    j.final(1, ev(0.9))
    assert j.finals() == {1: ev(0.9)}
    assert j.completions() == [1, 2, 3, 4, 5] and {t.state for t in j.trials()} <= set(TRIAL_STATES)
    assert [t.id for t in j.population()] == [1, 3, 5] and [t.id for t in j.population(2)] == [3, 5]
    j.finish_run("budget reached")
    assert j.finished_run == "budget reached"
    j.resumed({"pid": 1})
    assert j.finished_run is None and j.next_id == 6
    seq = propose(j, 6)
    assert seq == max(e.seq for e in j.events())


def _setup_refusals(j: Journal) -> None:
    scored(j, 1)                              # finished
    propose(j, 2)                             # pending, never dispatched
    propose(j, 3)
    j.dispatch(3, 1)                          # pending, attempt 1 in flight
    propose(j, 4)
    j.dispatch(4, 1)
    j.finish(4, 1, ev(status="nan"))          # failed


REFUSALS = {
    "propose an existing id": (lambda j: propose(j, 1), "already proposed"),
    "propose id 0": (lambda j: propose(j, 0), "positive integer"),
    "propose with an unknown parent": (lambda j: propose(j, 9, parents=(42,)), "parents"),
    "propose an unknown origin": (lambda j: j.propose(9, origin="magic", parents=[], arch="a", hash="h", seed=1,
                                                      fidelity="f"), "origin"),
    "propose an empty architecture": (lambda j: j.propose(9, origin="random", parents=[], arch=" ", hash="h",
                                                          seed=1, fidelity="f"), "empty"),
    "propose a non-integer seed": (lambda j: j.propose(9, origin="random", parents=[], arch="a", hash="h",
                                                       seed="1", fidelity="f"), "seed"),
    "dispatch an unknown trial": (lambda j: j.dispatch(42, 1), "no such trial"),
    "dispatch a finished trial": (lambda j: j.dispatch(1, 2), "already finished"),
    "dispatch a failed trial": (lambda j: j.dispatch(4, 2), "already failed"),
    "dispatch skipping an attempt": (lambda j: j.dispatch(2, 2), "next attempt is 1"),
    "dispatch an attempt again": (lambda j: j.dispatch(3, 1), "next attempt is 2"),
    "finish an attempt never dispatched": (lambda j: j.finish(2, 1, ev()), "not dispatched"),
    "finish the wrong attempt": (lambda j: j.finish(3, 2, ev()), "not dispatched"),
    "finish a finished trial": (lambda j: j.finish(1, 1, ev()), "already finished"),
    "finish ok without a score": (lambda j: j.finish(3, 1, {"status": "ok", "score": None}), "finite score"),
    "finish with a NaN score": (lambda j: j.finish(3, 1, ev(float("nan"))), "JSON"),
    "finish without a status": (lambda j: j.finish(3, 1, {"score": 0.5}), "no status"),
    "finish with a non-dict": (lambda j: j.finish(3, 1, "ok"), "Evaluation JSON dict"),
    "finish with unserialisable data": (lambda j: j.finish(3, 1, {"status": "ok", "score": 1, "x": {1, 2}}), "JSON"),
    "cache from a pending trial": (lambda j: j.cache(2, 3), "it is pending"),
    "cache from a failed trial": (lambda j: j.cache(2, 4), "it is failed"),
    "cache from an unknown trial": (lambda j: j.cache(2, 42), "no such trial"),
    "cache from itself": (lambda j: j.cache(2, 2), "it is pending"),
    "cache a finished trial": (lambda j: j.cache(1, 1), "already finished"),
    "fail an attempt never dispatched": (lambda j: j.fail(2, 1, "error", "x"), "not dispatched"),
    "fail with an Evaluation status": (lambda j: j.fail(3, 1, "oom", "x"), "journaled with finish"),
    "fail a finished trial": (lambda j: j.fail(1, 1, "error", "x", final=True), "already finished"),
    "final of a pending trial": (lambda j: j.final(2, ev()), "it is pending"),
    "final of a failed trial": (lambda j: j.final(4, ev()), "it is failed"),
    "final of an unknown trial": (lambda j: j.final(42, ev()), "no such trial"),
    "final with a bad evaluation": (lambda j: j.final(1, {"status": "ok"}), "finite score"),
    "resume with a non-dict meta": (lambda j: j.resumed("me"), "meta dict"),
    "finish the run twice": (lambda j: (j.finish_run("a"), j.finish_run("b")), "already finished"),
    "propose after the run finished": (lambda j: (j.finish_run("done"), propose(j, 9)), "run is finished"),
    "dispatch after the run finished": (lambda j: (j.finish_run("done"), j.dispatch(2, 1)), "run is finished"),
}


@pytest.mark.parametrize("what", sorted(REFUSALS))
def test_every_refusal_changes_nothing(journal, what):
    _setup_refusals(journal)
    call, message = REFUSALS[what]
    events = len(list(journal.events()))
    trials = journal.trials()
    with pytest.raises(JournalError, match=message):
        call(journal)
    assert journal.trials() == trials
    with Journal(journal.path) as fresh:
        assert fresh.trials() == trials
        assert len(list(fresh.events())) - events in (0, 1)   # only the finish_run of a two-step case


def test_misuse_of_the_object(journal, tmp_path):
    scored(journal, 1)
    with pytest.raises(JournalError, match="no trial 9"):
        journal.trial(9)
    with pytest.raises(JournalError, match="non-negative"):
        journal.population(-1)
    with Journal(journal.path) as reader:
        with pytest.raises(JournalError, match="read-only"):
            propose(reader, 2)
    journal.close()
    journal.close()   # idempotent
    with pytest.raises(JournalError, match="closed"):
        journal.trials()


def test_best_breaks_ties_by_the_lowest_id(journal):
    assert journal.best() is None
    scored(journal, 3, 0.7)
    scored(journal, 2, 0.7)
    scored(journal, 4, 0.6)
    propose(journal, 1)
    journal.cache(1, 3)
    assert journal.best().id == 1
    scored(journal, 5, 0.8)
    assert journal.best().id == 5
    with Journal(journal.path) as fresh:
        assert fresh.best().id == 5 and [t.id for t in fresh.trials()] == [1, 2, 3, 4, 5]


def test_population_is_the_last_scored_in_completion_order(journal):
    for tid in range(1, 6):
        propose(journal, tid)
        journal.dispatch(tid, 1)
    for tid in (4, 2, 5, 1, 3):
        journal.finish(tid, 1, ev(0.1 * tid) if tid != 5 else ev(status="timeout"))
    assert journal.completions() == [4, 2, 5, 1, 3]
    assert [t.id for t in journal.population()] == [2, 1, 3]      # config population 3; 5 has no score
    assert [t.id for t in journal.population(10)] == [4, 2, 1, 3] and journal.population(0) == []
    assert_views_agree(journal)


# --- the views ------------------------------------------------------------------------------------------

def _view_row(t: Trial) -> tuple:
    e = t.evaluation or {}
    return (t.id, t.state, t.origin, list(t.parents), t.arch, t.hash, t.seed, t.attempts, t.status, t.score,
            e.get("params"), e.get("total_seconds"), t.cached_from)


def assert_views_agree(j: Journal) -> None:
    raw = sqlite3.connect(f"file:{j.path}?mode=ro", uri=True)
    try:
        def rows(view: str) -> list[tuple]:
            out = raw.execute(f"SELECT * FROM {view}").fetchall()
            return [r[:3] + (json.loads(r[3]),) + r[4:] for r in out]
        assert rows("trials") == [_view_row(t) for t in j.trials()]
        assert rows("population") == [_view_row(t) for t in j.population()]
    finally:
        raw.close()


def test_views_agree_with_the_replay(journal):
    test_every_transition(journal)
    assert_views_agree(journal)
