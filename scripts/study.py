"""The paper's Table 1 experiment, at a scale this machine affords: ``python scripts/study.py run``.

One *cell* is one search: a task, a strategy and a search seed, journaled in ``OUT/<cell>.db``:

    rs          random search: K random samples; its best-on-valid is the "random search" row and
                its first ``--samples`` samples, retrained, the "random sampling" row
    re-scratch  regularised evolution from random samples            (RE(Scratch))
    re-rn18     regularised evolution seeded with resnet18           (RE(RN18); its seed trial,
                retrained, is the "RN18" row)
    re-mix      seeded with resnet18, wideresnet16_4, vit, mlp_mixer (RE(Mix), on --mix-tasks)

Every strategy gets the same number of evaluations (``--evaluations``): the paper fixes the
budget that way, and on a shared machine a count is reproducible where wall-clock time is not.
After the searches, each cell's best-on-valid trial is retrained at final fidelity (train+valid,
scored on test) and recorded in its journal (``einspace runs best --final`` does the same for one
journal). Killed at any point, the same command resumes: a finished cell is skipped, an unfinished
journal resumes, and a final already recorded is not trained again.

    python scripts/study.py run                                   # the CPU study of docs/results.md
    python scripts/study.py run --tasks fashion --strategies rs --seeds 0     # one cell
    python scripts/study.py run --device cuda --epochs 8 --final-epochs 64 --evaluations 500 \\
        --population 100 --tournament 10 --train-limit 0 --final-train-limit 0 --out runs/paper
    python scripts/study.py report                                # tables and figures from OUT
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from study_report import report

STRATEGIES = ("rs", "re-scratch", "re-rn18", "re-mix")
SEED_ARCHS = {"re-rn18": "resnet18", "re-mix": "resnet18,wideresnet16_4,vit,mlp_mixer"}
DEFAULT_TASKS = "fashion,language,chesseract,gutenberg"


def cell_name(task: str, strategy: str, seed: int) -> str:
    return f"{task}-{strategy}-s{seed}"


def cells(args: argparse.Namespace) -> list[tuple[str, str, int]]:
    """(task, strategy, seed) in running order: every task's cells for seed 0 first, so a study cut
    short still holds one full seed."""
    tasks = _names(args.tasks)
    mix = set(_names(args.mix_tasks))
    out = []
    for seed in (int(s) for s in _names(args.seeds)):
        for task in tasks:
            for strategy in _names(args.strategies):
                if strategy not in STRATEGIES:
                    sys.exit(f"study: unknown strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
                if strategy == "re-mix" and task not in mix:
                    continue
                out.append((task, strategy, seed))
    return out


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _limit(n: int) -> Optional[int]:
    return None if n == 0 else n


def configure(task: str, strategy: str, seed: int, args: argparse.Namespace) -> Any:
    from einspace import search
    return search.configure(
        task, strategy="rs" if strategy == "rs" else "re", seed_arch=SEED_ARCHS.get(strategy),
        evaluations=args.evaluations, population=args.population, tournament=args.tournament, seed=seed,
        epochs=args.epochs, train_limit=_limit(args.train_limit), valid_limit=_limit(args.valid_limit),
        batch_size=args.batch_size, time_limit=args.time_limit, max_params=args.max_params,
        device=args.device)


def search_cell(task: str, strategy: str, seed: int, args: argparse.Namespace, scheduler: str,
                configure_cell: Callable[..., Any] = configure) -> None:
    """Run (or resume, or skip when finished) one cell; ``configure_cell(task, strategy, seed, args)``
    makes its SearchConfig."""
    from einspace import search
    from einspace.search import Journal
    path = Path(args.out) / f"{cell_name(task, strategy, seed)}.db"
    if path.exists():
        with Journal(path) as log:
            if log.finished_run is not None:
                print(f"[study] {path.name}: done ({log.finished_run})", flush=True)
                return
    started = time.monotonic()
    where = {"workers": args.workers, "threads": 1, "scheduler": scheduler} if args.executor == "dask" else {}
    result = search.run(None if path.exists() else configure_cell(task, strategy, seed, args), journal=path,
                        executor=args.executor, root=args.root, display=args.display, **where)
    best = "none" if result.best is None else f"{result.best.score:.2%}"
    print(f"[study] {path.name}: {result.reason}, best {best} on valid, "
          f"{time.monotonic() - started:.0f} s", flush=True)


def final_jobs(task: str, strategy: str, seed: int, args: argparse.Namespace) -> list[tuple[Path, int, bool]]:
    """(journal, trial id, extra) still to retrain at final fidelity: the best trial of every cell,
    the seed trial of re-rn18 (the RN18 row) and, as extras, the first --samples samples of rs
    (random sampling); the last two for search seed 0 only."""
    from einspace.search import Journal
    path = Path(args.out) / f"{cell_name(task, strategy, seed)}.db"
    if not path.exists():
        return []
    with Journal(path) as log:
        if log.finished_run is None:
            return []
        best, trials, finals = log.best(), log.trials(), log.finals()
    wanted = [] if best is None else [best.id]
    first_seed = seed == 0
    if strategy == "re-rn18" and first_seed:
        wanted += [t.id for t in trials if t.origin == "seed" and not t.parents and t.score is not None][:1]
    if strategy == "rs" and first_seed:
        wanted += [t.id for t in trials if t.score is not None][:args.samples]
    extra = set(wanted[2:] if strategy == "re-rn18" else wanted[1:]) - {wanted[0]} if wanted else set()
    return [(path, i, i in extra) for i in dict.fromkeys(wanted) if i not in finals]


def final_fidelity(args: argparse.Namespace, fidelity: Any) -> Any:
    return replace(fidelity, final=True, epochs=args.final_epochs, train_limit=_limit(args.final_train_limit),
                   valid_limit=None, time_limit=None)


def train_final(path: str, trial_id: int, final_epochs: int, final_train_limit: int,
                root: Optional[str]) -> tuple[str, int, dict]:
    """Retrain one trial at final fidelity (runs on a worker); returns its evaluation record."""
    import torch

    from einspace.search import Journal, SearchConfig
    from einspace.training import train
    torch.set_num_threads(1)
    with Journal(path) as log:
        config = SearchConfig.from_json(log.config)
        trial = log.trial(trial_id)
    ns = argparse.Namespace(final_epochs=final_epochs, final_train_limit=final_train_limit)
    ev = train(trial.arch, config.task, seed=trial.seed, recipe=config.recipe,
               fidelity=final_fidelity(ns, config.fidelity), root=root, grammar=config.grammar, progress=False)
    return path, trial_id, ev.to_json()


def run_finals(jobs: list[tuple[Path, int, bool]], args: argparse.Namespace, client: Any) -> None:
    from einspace.search import Journal
    if not jobs:
        return
    print(f"[study] {len(jobs)} final-fidelity trainings", flush=True)
    submit = (lambda *a: client.submit(train_final, *a, pure=False)) if client is not None else None
    if submit is None:
        results = (train_final(str(p), i, args.final_epochs, args.final_train_limit, args.root) for p, i, _ in jobs)
    else:
        from distributed import as_completed
        futures = [submit(str(p), i, args.final_epochs, args.final_train_limit, args.root) for p, i, _ in jobs]
        results = (f.result() for f in as_completed(futures))
    for n, (path, trial_id, ev) in enumerate(results, 1):
        with Journal(path, write=True) as log:   # recorded as each one ends: a killed study keeps it
            log.final(trial_id, ev)
        score = "none" if ev["score"] is None else f"{ev['score']:.2%}"
        print(f"[study] final {n}/{len(jobs)} {Path(path).name} trial {trial_id}: {ev['status']}, "
              f"{score} on test, {ev['total_seconds']:.0f} s", flush=True)


@contextmanager
def cluster(args: argparse.Namespace) -> Iterator[tuple[Any, Optional[str]]]:
    """(client, scheduler address) of a LocalCluster of ``--workers`` shared by every cell and the
    finals, closed at the end; (None, None) with ``--executor local``."""
    if args.executor != "dask":
        yield None, None
        return
    import dask
    from distributed import Client, LocalCluster

    from einspace.search.executors.dask import CLUSTER_CONFIG
    dask.config.set(CLUSTER_CONFIG)
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as local, Client(local) as client:
        yield client, local.scheduler_address


def run(args: argparse.Namespace) -> int:
    Path(args.out).mkdir(parents=True, exist_ok=True)
    if args.root:
        os.environ["EINSPACE_DATA"] = args.root
    todo = cells(args)
    from einspace.data.builders import RECIPES, build
    from einspace.data.loaders import task_directory
    for task in dict.fromkeys(t for t, _, _ in todo):   # offline tasks not on disk yet are built first
        if task in RECIPES and not task_directory(task, args.root).is_dir():
            build(task, args.root, size=args.size)
    started = time.monotonic()
    with cluster(args) as (client, scheduler):
        for task, strategy, seed in todo:
            search_cell(task, strategy, seed, args, scheduler)
        jobs = [job for cell in todo for job in final_jobs(*cell, args)]
        jobs.sort(key=lambda job: job[2])   # every table cell's one training before the extra samples
        run_finals(jobs, args, client)
    print(f"[study] {len(todo)} cells in {time.monotonic() - started:.0f} s wall-clock", flush=True)
    return 0


def add_search_flags(go: argparse.ArgumentParser) -> None:
    """The search and final-fidelity flags, shared with scripts/learning_study.py."""
    go.add_argument("--evaluations", type=int, default=30, help="trained evaluations per search (30)")
    go.add_argument("--population", type=int, default=10, help="RE population P (10)")
    go.add_argument("--tournament", type=int, default=3, help="RE tournament S (3)")
    go.add_argument("--epochs", type=int, default=2, help="search epochs (2)")
    go.add_argument("--train-limit", type=int, default=512, help="search training subset, 0 = all (512)")
    go.add_argument("--valid-limit", type=int, default=500, help="scored validation subset, 0 = all (500)")
    go.add_argument("--batch-size", type=int, default=32, help="batch size (32)")
    go.add_argument("--time-limit", type=float, default=90.0, help="seconds per search evaluation (90)")
    go.add_argument("--max-params", type=int, default=20_000_000, help="largest network proposed (20M)")
    go.add_argument("--final-epochs", type=int, default=4, help="final-fidelity epochs (4)")
    go.add_argument("--final-train-limit", type=int, default=1024,
                    help="final training subset of train+valid, 0 = all (1024)")
    go.add_argument("--samples", type=int, default=5, help="random samples retrained for the random-sampling row (5)")
    go.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N (cpu)")
    go.add_argument("--executor", choices=("dask", "local"), default="dask")
    go.add_argument("--workers", type=int, default=2, help="dask worker processes (2)")
    go.add_argument("--size", choices=("tiny", "small", "full"), default="small",
                    help="size of a task built offline when missing (small)")
    go.add_argument("--root", default=None, help="data root (default: $EINSPACE_DATA)")
    go.add_argument("--display", default="plain", choices=("auto", "rich", "plain", "none"))
    go.add_argument("--out", default="docs/results", help="folder of the journals (docs/results)")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="study.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run", help="run the grid (or the cells selected), resumably, then the finals")
    go.add_argument("--tasks", default=DEFAULT_TASKS, help=f"comma-separated (default: {DEFAULT_TASKS})")
    go.add_argument("--strategies", default=",".join(STRATEGIES), help="comma-separated subset of "
                    + ", ".join(STRATEGIES))
    go.add_argument("--seeds", default="0,1", help="search seeds, comma-separated (default: 0,1)")
    go.add_argument("--mix-tasks", default="fashion,language", help="tasks that get re-mix")
    add_search_flags(go)
    rep = sub.add_parser("report", help="the markdown tables and figures of docs/results.md, from the journals")
    rep.add_argument("--out", default="docs/results", help="folder of the journals (docs/results)")
    rep.add_argument("--img", default="docs/img/results", help="folder for the figures (docs/img/results)")
    args = parser.parse_args(argv)
    return run(args) if args.command == "run" else report(Path(args.out), Path(args.img))


if __name__ == "__main__":
    sys.exit(main())
