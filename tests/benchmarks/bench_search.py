"""The search layer's figures: driver overhead, a SIGKILL soak, Dask speed-up, journal replay.

Run as a script (prints one table per part)::

    python tests/benchmarks/bench_search.py [--parts overhead soak speedup replay] [--trials 200]
                                            [--kills 8] [--soak-budget 60]

* overhead: a regularised-evolution run on the proxy evaluator (instant, no training), so the
  seconds are the driver's: propose (sample / tournament + mutate), structural hash, and the
  journal's fsynced events. Reported per trial in ms, median of 3 runs, with the proxy's own
  time subtracted.
* soak: a run (one worker, proxy evaluator with a 30 ms sleep per trial) SIGKILLed at random journal
  moments ``--kills`` times and resumed, against an uninterrupted run with the same seed: lost = 0,
  repeated = 0, finished = budget, trials identical.
* speedup: ``bench_executors.speedup_figures`` — Dask with 1 and 2 workers vs the local executor on a
  fixed-cost real training.
* replay: ``bench_journal.replay_figures`` at 10^4 and 10^5 synthetic trials (goal < 5 s at 10^5).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from contextlib import closing
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

SOAK = textwrap.dedent("""
    import sys, time
    from einspace import search
    from einspace.testing.evaluations import proxy_evaluate
    cfg = search.configure("fashion", strategy="re", evaluations=int(sys.argv[2]), population=8, tournament=4,
                           epochs=1, crossover=0.2)
    search.run(cfg, journal=sys.argv[1], fn=lambda job: proxy_evaluate(job, delay=0.03))
""")


def overhead_figures(trials: int = 200, repeats: int = 3) -> dict[str, Any]:
    """Driver milliseconds per trial (propose + hash + journal), proxy evaluation excluded."""
    from einspace import search
    from einspace.testing.evaluations import proxy_evaluate
    spent: list[float] = []
    per_run: list[float] = []
    for r in range(repeats):
        inside = [0.0]

        def timed(job: Any) -> dict:
            t0 = time.perf_counter()
            out = proxy_evaluate(job)
            inside[0] += time.perf_counter() - t0
            return out
        cfg = search.configure("fashion", strategy="re", evaluations=trials, population=20, tournament=5,
                               epochs=1, seed=r)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            result = search.run(cfg, journal=Path(tmp) / "o.db", fn=timed)
            wall = time.perf_counter() - t0
        n = len(result.trials)
        per_run.append(wall / n * 1000)
        spent.append((wall - inside[0]) / n * 1000)
    return {"trials": trials, "ms_per_trial": statistics.median(per_run),
            "driver_ms_per_trial": statistics.median(spent)}


def _events(path: Path) -> int:
    if not path.exists():
        return 0
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        try:
            return db.execute("select count(*) from events").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def _trials(path: Path) -> list[tuple]:
    from einspace.search import Journal
    with Journal(path) as log:
        return [(t.id, t.state, t.origin, t.parents, t.arch, t.seed, t.score, t.cached_from) for t in log.trials()]


def soak_figures(budget: int = 60, kills: int = 8, seed: int = 0) -> dict[str, Any]:
    """Kill a run ``kills`` times at random journal points, resume it, compare with a straight run."""
    rng = random.Random(seed)

    def start(path: Path) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", SOAK, str(path), str(budget)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with tempfile.TemporaryDirectory() as tmp:
        straight, killed = Path(tmp) / "straight.db", Path(tmp) / "killed.db"
        proc = start(straight)
        _, err = proc.communicate()
        assert proc.returncode == 0, err
        done = 0
        for target in sorted(rng.sample(range(3, 3 * budget), kills)):
            proc = start(killed)
            while proc.poll() is None and _events(killed) < target:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.03))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                done += 1
            proc.wait()
        proc = start(killed)
        _, err = proc.communicate()
        assert proc.returncode == 0, err
        got, want = _trials(killed), _trials(straight)
        from einspace.search import Journal
        with Journal(killed) as log:
            finishes = [(e.trial, e.attempt) for e in log.events() if e.kind in ("trial_finished", "trial_cached")]
    ids = [t[0] for t in got]
    finished = sum(1 for t in got if t[1] == "finished")
    return {"kills": done, "budget": budget, "finished": finished, "lost": max(0, budget - finished),
            "repeated": len(finishes) - len({f[0] for f in finishes}) + len(ids) - len(set(ids)),
            "identical": got == want}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--parts", nargs="+", default=["overhead", "soak", "speedup", "replay"],
                    choices=["overhead", "soak", "speedup", "replay"])
    ap.add_argument("--trials", type=int, default=200, help="trials of the overhead run")
    ap.add_argument("--kills", type=int, default=8)
    ap.add_argument("--soak-budget", type=int, default=60)
    args = ap.parse_args()
    if "overhead" in args.parts:
        o = overhead_figures(args.trials)
        print(f"driver overhead (re, proxy evaluator, {o['trials']} trials, median of 3): "
              f"{o['driver_ms_per_trial']:.1f} ms per trial (propose + hash + journal); "
              f"{o['ms_per_trial']:.1f} ms with the proxy evaluation")
    if "soak" in args.parts:
        s = soak_figures(args.soak_budget, args.kills)
        print(f"kill soak: {s['kills']} SIGKILLs, budget {s['budget']}: finished {s['finished']}, lost {s['lost']}, "
              f"repeated {s['repeated']}, identical to the uninterrupted run: {s['identical']}")
    if "speedup" in args.parts:
        from bench_executors import speedup_figures
        print("dask speed-up:", speedup_figures())
    if "replay" in args.parts:
        from bench_journal import replay_figures
        for n in (10_000, 100_000):
            print(f"journal replay at {n} trials:", replay_figures(n))


if __name__ == "__main__":
    main()
