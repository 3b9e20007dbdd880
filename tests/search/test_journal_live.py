"""The search journal while it runs: the writer lease (refused while alive, taken over after
SIGKILL of a real process, nothing committed lost), readers following a live writer, and the
property that replaying a fresh file gives exactly the writer's in-memory state."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from einspace.errors import JournalError
from einspace.search.journal import Journal
from test_journal import assert_views_agree, ev, propose, scored


@pytest.fixture
def journal(tmp_path):
    with Journal.create(tmp_path / "run.journal", {"population": 3}, {"seed": 7}) as j:
        yield j


# --- lease, readers, crashes --------------------------------------------------------------------------------

WRITER = """
import sys, time
from einspace.search.journal import Journal
j = Journal.create(sys.argv[1], {"population": 2}, {})
for tid in range(1, 11):
    j.propose(tid, origin="random", parents=[], arch="a", hash=str(tid), seed=tid, fidelity="f")
    j.dispatch(tid, 1, "w")
    if tid < 10:
        j.finish(tid, 1, {"status": "ok", "score": tid / 10})
print("ready", flush=True)
time.sleep(120)
"""


def test_lease_refuses_a_live_writer_and_is_taken_over_after_sigkill(tmp_path):
    path = tmp_path / "run.journal"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        with pytest.raises(JournalError, match=f"being written by pid {proc.pid}"):
            Journal(path, write=True)
        with Journal(path) as reader:   # a reader is never refused, and sees every committed event
            assert len(list(reader.events())) == 1 + 10 * 2 + 9 and reader.best().id == 9
            assert [t.id for t in reader.pending()] == [10]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with Journal(path, write=True) as j:   # the dead writer's lease is taken over silently
        assert len(list(j.events())) == 30 and [t.id for t in j.pending()] == [10]
        assert j._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        j.finish(10, 1, ev(0.95))
        assert j.best().id == 10


def test_lease_in_this_process_reused_pid_and_other_host(journal):
    with pytest.raises(JournalError, match=r"being written by pid \d+ \(this process\)"):
        Journal(journal.path, write=True)
    raw = sqlite3.connect(journal.path)
    raw.execute("UPDATE lease SET started = 'another start'")   # our pid, but another process's start time
    raw.commit()
    with Journal(journal.path, write=True) as second:
        assert second.writable
    raw.execute("INSERT INTO lease VALUES (1, 1, 'elsewhere', '', 0)")
    raw.commit()
    raw.close()
    with pytest.raises(JournalError, match="host elsewhere.*DELETE FROM lease"):
        Journal(journal.path, write=True)


def test_a_reader_follows_the_writer(journal):
    scored(journal, 1, 0.3)
    with Journal(journal.path) as reader:
        assert [t.id for t in reader.trials()] == [1]
        scored(journal, 2, 0.6)
        propose(journal, 3)
        assert [t.id for t in reader.trials()] == [1, 2, 3] and reader.best().id == 2
        assert reader.trials() == journal.trials() and reader.next_id == 4
        journal.finish_run("done")
        assert reader.finished_run == "done"


# --- replay equivalence ------------------------------------------------------------------------------------

OPS = st.lists(st.tuples(st.sampled_from(["propose", "dispatch", "finish", "bad", "cache", "lose", "give_up",
                                          "final", "stop"]),
                         st.integers(0, 50), st.floats(0, 1, allow_nan=False)), min_size=5, max_size=40)


def _apply(j: Journal, op: str, pick: int, score: float) -> None:
    """Map an arbitrary (op, pick, score) onto a valid operation; one that does not apply yet
    makes progress instead (finish something in flight, else dispatch, else propose)."""
    if j.finished_run is not None:
        j.resumed({"again": pick})
    pending = j.pending()
    flying = [t for t in pending if j._state.recs[t.id].open]
    sources = [t for t in j.trials() if t.state in ("finished", "cached")]
    applies = {"propose": True, "stop": True, "dispatch": bool(pending), "cache": bool(pending and sources),
               "final": bool(sources), "finish": bool(flying), "bad": bool(flying), "lose": bool(flying),
               "give_up": bool(flying)}
    if not applies[op]:
        op = "finish" if flying else "dispatch" if pending and pick % 3 else "propose"
    if op == "propose":
        known = [t.id for t in j.trials()]
        parents = (known[pick % len(known)],) if known and pick % 2 else ()
        propose(j, j.next_id + pick % 3, parents=parents)
    elif op == "dispatch":
        t = pending[pick % len(pending)]
        j.dispatch(t.id, t.attempts + 1, f"w{pick}")
    elif op in ("finish", "bad", "lose", "give_up"):
        t = flying[pick % len(flying)]
        attempt = j._state.recs[t.id].open[-1]
        if op in ("finish", "bad"):
            j.finish(t.id, attempt, ev(round(score, 2)) if op == "finish" else ev(status="nan"))
        else:
            j.fail(t.id, attempt, "worker_died", f"lost {pick}", final=op == "give_up")
    elif op == "cache":
        j.cache(pending[pick % len(pending)].id, sources[pick % len(sources)].id)
    elif op == "final":
        j.final(sources[pick % len(sources)].id, ev(score))
    else:
        j.finish_run(f"stop {pick}")


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])  # unique files
@given(ops=OPS, population=st.one_of(st.none(), st.integers(0, 4)))
def test_replay_equals_the_writers_memory(tmp_path, ops, population):
    config = {} if population is None else {"population": population}
    with Journal.create(tmp_path / f"{uuid.uuid4().hex}.journal", config, {}) as j:
        for op in ops:
            _apply(j, *op)
        with Journal(j.path) as fresh:
            assert fresh.trials() == j.trials()
            assert fresh.completions() == j.completions()
            assert fresh.population() == j.population() and fresh.population(2) == j.population(2)
            assert fresh.pending() == j.pending() and fresh.best() == j.best()
            assert fresh.finals() == j.finals() and fresh.finished_run == j.finished_run
            assert fresh.next_id == j.next_id
        assert_views_agree(j)
