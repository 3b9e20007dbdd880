"""Benchmark of the search journal: replay time of a large journal, and the cost of one journaled trial.

    .venv/bin/python tests/benchmarks/bench_journal.py [--trials 10000 100000] [--cycles 20]

Replay: a synthetic journal of N trials (propose, dispatch, finish with a realistic ~1.5 KB
Evaluation dict; every 50th trial cached, every 100th losing an attempt first, every 200th out of
memory) is written in one transaction (``write_synthetic``: executemany, not the per-event API,
which fsyncs each event), then ``Journal(path)`` + ``trials()`` + ``population()`` is timed, the
median of 3. Goal: under 5 s at 10^5 trials. Write: ``propose`` + ``dispatch`` + ``finish`` of one
trial through the public API (synchronous=FULL, three fsynced transactions), median in ms — the
journal's overhead per trial in the driver. Import ``replay_figures`` / ``write_figures`` to use
the numbers elsewhere.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from einspace.search.journal import Journal

ARCH = ("sequential(sequential(conv(3, 64, 1, 1), norm, relu), branching(clone(2), identity, "
        "sequential(conv(3, 64, 1, 1), norm, relu, conv(3, 64, 1, 1), norm), add), relu, "
        "sequential(conv(3, 128, 2, 1), norm, relu), branching(clone(2), identity, "
        "sequential(conv(3, 128, 1, 1), norm, relu, conv(3, 128, 1, 1), norm), add), relu)")
GOAL_SECONDS = 5.0


def evaluation(trial: int, status: str = "ok") -> dict[str, Any]:
    """An Evaluation JSON dict shaped like the real one (every field, ~1.5 KB)."""
    score = round(0.5 + (trial * 7919 % 1000) / 2000, 6) if status == "ok" else None
    epochs = 8
    return {
        "status": status, "score": score, "arch": ARCH, "task": "addnist", "input": "3x28x28", "classes": 20,
        "seed": trial * 2654435761 % 2**31,
        "recipe": {"optimizer": "sgd", "lr": 0.04, "momentum": 0.9, "nesterov": True, "weight_decay": 0.0005,
                   "schedule": "cosine", "warmup_epochs": 0, "batch_size": 256, "label_smoothing": 0.0,
                   "augment": "none", "grad_clip": 5.0, "score": "last", "recalibrate": "auto",
                   "precision": "fp32"},
        "fidelity": {"epochs": epochs, "train_limit": 5000, "score_limit": 1000, "time_limit": 600.0,
                     "max_params": 20000000, "max_memory": 200000000, "device": "cpu", "threads": 1},
        "params": 1234567 + trial, "flops": 98765432, "memory": 1234567, "metric": "accuracy",
        "score_split": "valid",
        "train_loss": [round(2.9 / (e + 1), 6) for e in range(epochs)] if status == "ok" else [],
        "epoch_scores": [round(0.1 * e, 6) for e in range(epochs)] if status == "ok" else [],
        "best_epoch": epochs - 1 if status == "ok" else None, "recalibrated": False,
        "train_samples": 5000, "score_samples": 1000, "build_seconds": 0.0123, "train_seconds": 45.678,
        "score_seconds": 1.234, "total_seconds": 47.01, "device": "cpu", "threads": 1, "version": "0.1.0",
        "grammar": "4f1c2b7a9d0e3f5a6b8c1d2e4f7a9b0c3d5e6f8a1b2c4d6e8f0a1b3c5d7e9f1a",
        "message": "" if status == "ok" else "CUDA out of memory while training (tried to allocate 2.00 GiB)",
    }


def _rows(trials: int) -> list[tuple]:
    rows: list[tuple] = []
    t = time.time()
    add = rows.append
    finished = 0
    for i in range(1, trials + 1):
        t += 1.0
        cached = i % 50 == 0 and finished
        add(("trial_proposed", i, None, t, json.dumps({
            "origin": "mutation" if i > 100 else "random", "parents": [i - 1] if i > 100 else [],
            "arch": ARCH, "hash": f"{i:064x}", "seed": i * 2654435761 % 2**31, "fidelity": "search-f"})))
        if cached:
            add(("trial_cached", i, None, t, json.dumps({"source": finished})))
            continue
        attempt = 1
        add(("trial_dispatched", i, attempt, t, json.dumps({"worker": "tcp://10.0.0.7:40000"})))
        if i % 100 == 1:
            add(("trial_failed", i, attempt, t, json.dumps({"status": "worker_died", "message": "killed"})))
            attempt = 2
            add(("trial_dispatched", i, attempt, t, json.dumps({"worker": "tcp://10.0.0.8:40000"})))
        status = "oom" if i % 200 == 7 else "ok"
        add(("trial_finished", i, attempt, t + 0.5, json.dumps({"evaluation": evaluation(i, status),
                                                                "worker": "tcp://10.0.0.7:40000"})))
        if status == "ok":
            finished = i
    return rows


def write_synthetic(path: Path, trials: int) -> int:
    """A valid journal of ``trials`` trials at ``path``, written in one transaction; its event count."""
    Journal.create(path, {"population": 100, "strategy": "evolution"}, {"seed": 0, "bench": True}).close()
    rows = _rows(trials)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO events (kind, trial, attempt, time, data) VALUES (?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return len(rows) + 1


def replay_figures(trials: int) -> dict[str, Any]:
    """Write a synthetic journal of ``trials`` trials and time opening it (median of 3)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.journal"
        events = write_synthetic(path, trials)
        size = path.stat().st_size
        times = []
        for _ in range(3):
            start = time.perf_counter()
            with Journal(path) as journal:
                replayed, population = len(journal.trials()), len(journal.population())
            times.append(time.perf_counter() - start)
            del journal   # freed before the next round starts its clock, not inside it
            assert (replayed, population) == (trials, 100), (replayed, population)
    return {"trials": trials, "events": events, "file_mb": size / 2**20, "replay_s": statistics.median(times),
            "goal_s": GOAL_SECONDS if trials >= 100_000 else None}


def write_figures(cycles: int = 20) -> dict[str, Any]:
    """Time propose + dispatch + finish of one trial through the public API (fsynced), median ms."""
    with tempfile.TemporaryDirectory() as folder:
        times = []
        with Journal.create(Path(folder) / "write.journal", {"population": 100}, {"seed": 0}) as journal:
            for i in range(1, cycles + 1):
                record = evaluation(i)
                start = time.perf_counter()
                journal.propose(i, origin="random", parents=[], arch=ARCH, hash=f"{i:064x}", seed=i,
                                fidelity="search-f")
                journal.dispatch(i, 1, "tcp://10.0.0.7:40000")
                journal.finish(i, 1, record, worker="tcp://10.0.0.7:40000")
                times.append(time.perf_counter() - start)
    return {"cycles": cycles, "trial_ms": 1000 * statistics.median(times), "event_ms": 1000 * statistics.median(times) / 3}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--cycles", type=int, default=20, help="trials journaled for the write figure")
    args = parser.parse_args(argv)
    print(f"{'trials':>8} {'events':>8} {'file MB':>8} {'replay s':>9} {'goal':>8}")
    for n in args.trials:
        f = replay_figures(n)
        goal = f"< {f['goal_s']:.0f} s" if f["goal_s"] else "-"
        verdict = "" if not f["goal_s"] else ("  ok" if f["replay_s"] < f["goal_s"] else "  MISSED")
        print(f"{f['trials']:>8} {f['events']:>8} {f['file_mb']:>8.1f} {f['replay_s']:>9.2f} {goal:>8}{verdict}")
    w = write_figures(args.cycles)
    print(f"\nper trial (propose + dispatch + finish, synchronous=FULL): {w['trial_ms']:.2f} ms median "
          f"of {w['cycles']} ({w['event_ms']:.2f} ms per event)")


if __name__ == "__main__":
    main()
