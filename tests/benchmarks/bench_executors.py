"""Speed-up of the Dask executor (1 and 2 worker processes) over the local executor.

Run as a script (prints a table)::

    python tests/benchmarks/bench_executors.py [--jobs 8] [--repeats 3] [--epochs 4] [--samples 1024]

Every job is the same fixed-cost evaluation: a small convolutional network (three im2col
convolutions with norm and relu, 15k parameters) trained ``--epochs`` epochs on ``--samples``
images of a synthetic AddNIST-shaped task (``einspace.data.make_fixture`` in a temporary folder),
batch 64, one torch thread, about a second or two of work. ``--jobs`` jobs go through each executor
the way the search driver sends them (``slots`` in flight, refilled as outcomes come back), after
one untimed warm-up job per slot (a fresh worker's first job pays for parsing the grammar). The
figure is wall seconds (median of ``--repeats``), jobs/s, and the speed-up over the local executor
(goal: >= 1.8x at 2 workers). Cluster start-up is timed apart, as a search pays it once.

Another script can ``from bench_executors import speedup_figures`` (under ``if __name__ ==
"__main__":``, since Dask's worker processes re-import the main module).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from typing import Any

from einspace import data
from einspace.search.executors import Executor, make_executor
from einspace.search.trial import Job
from einspace.training import Fidelity, Recipe

ARCH = ("let conv(c, k, s, p) = routing[im2col(k,s,p), linear(c), col2im]\n"
        "sequential(conv(16,3,1,1), norm, relu, conv(32,3,2,1), norm, relu, conv(32,3,2,1), norm, relu)")


def make_jobs(root: str, count: int, epochs: int, samples: int, first: int = 0) -> list[Job]:
    """``count`` identical-cost jobs (seeds differ, so no two are the same run)."""
    ds = data.load("addnist", root)
    recipe = Recipe.for_task(ds.task, batch_size=64).to_json()
    fidelity = Fidelity.for_task(ds.task, epochs=epochs, train_limit=samples, threads=1, device="cpu").to_json()
    return [Job(first + i, 1, ARCH, first + i, "addnist", recipe, fidelity, root=root) for i in range(count)]


def drive(executor: Executor, jobs: list[Job]) -> float:
    """Run ``jobs`` as the search driver does (``slots`` in flight); wall seconds. Fails loudly on a
    job that did not come back ok, since a failed job would make the figure meaningless."""
    start = time.perf_counter()
    queue, done = list(jobs), 0
    while done < len(jobs):
        while queue and executor.in_flight() < executor.slots:
            executor.submit(queue.pop(0))
        for outcome in executor.wait():
            status = (outcome.evaluation or {}).get("status")
            if status != "ok":
                raise RuntimeError(f"{outcome.job.key}: {outcome.error or status}")
            done += 1
    return time.perf_counter() - start


def measure(kind: str, workers: int, root: str, jobs: int, repeats: int, epochs: int, samples: int) -> dict[str, Any]:
    """Start-up seconds, and wall seconds of each repeat of ``jobs`` jobs, on one executor."""
    started = time.perf_counter()
    options: dict[str, Any] = {} if kind == "local" else {"workers": workers, "threads": 1}
    with make_executor(kind, **options) as executor:
        startup = time.perf_counter() - started
        drive(executor, make_jobs(root, executor.slots, epochs, samples, first=10_000))  # warm-up
        walls = [drive(executor, make_jobs(root, jobs, epochs, samples, first=r * jobs)) for r in range(repeats)]
        where = executor.describe()
    wall = statistics.median(walls)
    return {"executor": where, "startup_s": startup, "walls_s": walls, "wall_s": wall, "jobs_per_s": jobs / wall}


def speedup_figures(jobs: int = 8, repeats: int = 1, epochs: int = 4, samples: int = 1024) -> dict[str, Any]:
    """``{"local": row, "dask1": row, "dask2": row, "speedup1": x, "speedup2": x, ...}``; a row is
    :func:`measure`'s dict. Builds its own fixture data in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="bench-executors-") as root:
        data.make_fixture("addnist", root, sizes=(samples, 128, 64))
        rows = {"local": measure("local", 1, root, jobs, repeats, epochs, samples),
                "dask1": measure("dask", 1, root, jobs, repeats, epochs, samples),
                "dask2": measure("dask", 2, root, jobs, repeats, epochs, samples)}
    base = rows["local"]["wall_s"]
    return {**rows, "speedup1": base / rows["dask1"]["wall_s"], "speedup2": base / rows["dask2"]["wall_s"],
            "jobs": jobs, "repeats": repeats, "epochs": epochs, "samples": samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--samples", type=int, default=1024)
    args = parser.parse_args()
    figures = speedup_figures(args.jobs, args.repeats, args.epochs, args.samples)
    print(f"{args.jobs} jobs of {args.epochs} epochs x {args.samples} images (one torch thread), "
          f"median of {args.repeats} repeat(s)\n")
    print(f"{'executor':<30} {'start-up s':>10} {'wall s':>8} {'jobs/s':>8} {'speed-up':>9}   repeats (s)")
    base = figures["local"]["wall_s"]
    for key in ("local", "dask1", "dask2"):
        row = figures[key]
        walls = " ".join(f"{w:.2f}" for w in row["walls_s"])
        print(f"{row['executor']:<30} {row['startup_s']:>10.2f} {row['wall_s']:>8.2f} {row['jobs_per_s']:>8.2f} "
              f"{base / row['wall_s']:>8.2f}x   {walls}")
    print(f"\ngoal: >= 1.80x at 2 workers; measured {figures['speedup2']:.2f}x")


if __name__ == "__main__":
    main()
