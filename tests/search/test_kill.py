"""Kill the search driver with SIGKILL at random moments, resume it, and compare with a run that was
never interrupted: nothing lost, nothing repeated, and (one worker) exactly the same trials.

The driver runs in a real subprocess (``python -c``); the fast test uses the proxy evaluator with a
short sleep per trial so kills land everywhere in the loop (mid-evaluation, between journal events);
the CLI test trains real networks on a tiny task.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import sqlite3
import textwrap
import time
from contextlib import closing
from pathlib import Path

import pytest

from einspace.search import Journal

SCRIPT = textwrap.dedent("""
    import sys, time
    from einspace import search
    from einspace.testing.evaluations import proxy_evaluate

    def slow(job):
        time.sleep(0.03)
        return proxy_evaluate(job)

    cfg = search.configure("fashion", strategy="re", evaluations=int(sys.argv[2]), population=5, tournament=3,
                           epochs=1, crossover=0.3)
    search.run(cfg, journal=sys.argv[1], fn=slow)
""")


def _start(journal: Path, budget: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(journal), str(budget)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def trials(path: Path) -> list[tuple]:
    with Journal(path) as log:
        return [(t.id, t.state, t.origin, t.parents, t.arch, t.seed, t.score, t.cached_from) for t in log.trials()]


def events(path: Path) -> int:
    if not path.exists():
        return 0
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        try:
            return db.execute("select count(*) from events").fetchone()[0]
        except sqlite3.OperationalError:   # created, schema not yet committed
            return 0


def kill_and_resume(journal: Path, budget: int, kills: int, rng: random.Random) -> int:
    """Start the run, SIGKILL it once the journal reaches a random number of events (plus a random
    few milliseconds, to land inside an evaluation too), ``kills`` times; then let it finish."""
    targets = sorted(rng.sample(range(3, 3 * budget), kills))
    done = 0
    for target in targets:
        proc = _start(journal, budget)
        while proc.poll() is None and events(journal) < target:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.03))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            done += 1
        proc.wait()
    proc = _start(journal, budget)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return done


def test_sigkilled_and_resumed_run_equals_the_uninterrupted_one(tmp_path):
    budget = 40
    straight = tmp_path / "straight.db"
    proc = _start(straight, budget)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    killed = tmp_path / "killed.db"
    kills = kill_and_resume(killed, budget, kills=5, rng=random.Random(7))
    assert kills == 5, "the run ended before it could be killed; raise the budget"
    got, want = trials(killed), trials(straight)
    assert [t[1] for t in got].count("finished") == budget
    assert len({t[0] for t in got}) == len(got)
    assert got == want
    with Journal(killed) as log:
        attempts = [(e.trial, e.attempt) for e in log.events() if e.kind == "trial_finished"]
        assert len(attempts) == len(set(attempts)) == len({a[0] for a in attempts})
        assert sum(1 for e in log.events() if e.kind == "run_resumed") >= kills


def _cli(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import sys; from einspace.cli import main; sys.exit(main())",
                             *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    """A fashion-shaped task as small as `einspace data build fashion --size tiny` (500/100/100),
    synthetic so that the suite needs no download."""
    from einspace import data
    root = tmp_path_factory.mktemp("data")
    data.make_fixture("fashion", root, sizes=(500, 100, 100))
    return root


def test_cli_search_on_a_tiny_task_survives_sigkill(tmp_path, tiny_root):
    journal = tmp_path / "cli.db"
    argv = ["search", "--task", "fashion", "--root", str(tiny_root), "--strategy", "re", "--population", "3",
            "--evaluations", "6", "--epochs", "1", "--journal", str(journal), "--threads", "1"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = _cli(*argv, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:   # kill it once at least one trial finished
        time.sleep(0.5)
        if events(journal) > 0:
            with Journal(journal) as log:
                if any(t.state == "finished" for t in log.trials()):
                    break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    again = _cli(*argv, env=env)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    shown = _cli("runs", "show", str(journal), "--json", env=env)
    out, err = shown.communicate(timeout=60)
    rows = [json.loads(line) for line in out.splitlines()]
    assert sum(r["status"] == "finished" for r in rows) == 6
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert {"id", "status", "origin", "parents", "arch", "score", "params", "seconds"} <= set(r)
        if r["status"] == "finished":
            assert 0 <= r["score"] <= 1 and r["params"] > 0
