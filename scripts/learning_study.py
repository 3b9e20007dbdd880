"""Issue 16's measurements in the study's setting: ``python scripts/learning_study.py run``.

The cells are searches like ``scripts/study.py``'s (same flags, same fidelity, same budget), next
to that study's journals in ``OUT``, which they compare against:

    re-surrogate    RE(Scratch) whose children are filtered by a random forest (``--surrogate rf
                    --candidates 20 --evaluate 5``)                        vs  <task>-re-scratch
    re-fitted       RE(Scratch) sampling and mutating from a grammar fitted (``einspace grammar
                    fit --top 20%``) on the same task's random-search journal <task>-rs-s<seed>
                                                                           vs  <task>-re-scratch
    rs-fitted-A     random search (so: random samples, each trained once) from the grammar fitted
                    on task A's random-search journal                      vs  <task>-rs

The fitted grammars are written to ``OUT/grammars/<A>-rs-s<seed>-top20.lark`` (kept: the journals
name them). Afterwards every re-* cell's best-on-valid trial is retrained at final fidelity, as in
the study. Killed, the same command resumes. ``report`` prints the comparison tables.

    python scripts/learning_study.py run --tasks fashion,chesseract --seeds 0
    python scripts/learning_study.py run --cells chesseract-rs-fitted-fashion-s0
    python scripts/learning_study.py report
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Optional

import study

STRATEGIES = ("re-surrogate", "re-fitted", "rs-fitted")


def fitted_grammar(out: Path, task: str, seed: int) -> Path:
    """The grammar fitted on ``task``'s random-search journal, written once."""
    from einspace.analysis import fit
    path = out / "grammars" / f"{task}-rs-s{seed}-top20.lark"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fitted = fit(out / f"{study.cell_name(task, 'rs', seed)}.db", top="20%")
        fitted.write(path)
        print(f"[learning] fitted {path.name} on {fitted.architectures} architectures, "
              f"radius {fitted.radius:.3f}{' (repaired)' if fitted.repaired else ''}", flush=True)
    return path


def parse_cell(name: str) -> tuple[str, str, int]:
    """``chesseract-rs-fitted-fashion-s0`` -> (task, strategy, seed)."""
    head, _, seed = name.rpartition("-s")
    task, _, strategy = head.partition("-")
    if not seed.isdigit() or not (strategy in STRATEGIES[:2] or strategy.startswith("rs-fitted-")):
        sys.exit(f"learning_study: cannot read the cell name {name!r}")
    return task, strategy, int(seed)


def cells(args: argparse.Namespace) -> list[tuple[str, str, int]]:
    if args.cells:
        return [parse_cell(n) for n in study._names(args.cells)]
    tasks = study._names(args.tasks)
    out = []
    for seed in (int(s) for s in study._names(args.seeds)):
        for task in tasks:
            out += [(task, "re-surrogate", seed), (task, "re-fitted", seed)]
            out += [(task, f"rs-fitted-{source}", seed) for source in study._names(args.fitted_from)]
    return out


def configure(task: str, strategy: str, seed: int, args: argparse.Namespace) -> Any:
    from einspace import search
    extra: dict[str, Any] = {}
    if strategy == "re-surrogate":
        extra = {"surrogate": "rf", "candidates": args.candidates, "evaluate": args.evaluate}
    elif strategy == "re-fitted":
        extra = {"grammar": str(fitted_grammar(Path(args.out), task, seed))}
    else:
        extra = {"grammar": str(fitted_grammar(Path(args.out), strategy.removeprefix("rs-fitted-"), seed))}
    return search.configure(
        task, strategy="rs" if strategy.startswith("rs") else "re", evaluations=args.evaluations,
        population=args.population, tournament=args.tournament, seed=seed, epochs=args.epochs,
        train_limit=study._limit(args.train_limit), valid_limit=study._limit(args.valid_limit),
        batch_size=args.batch_size, time_limit=args.time_limit, max_params=args.max_params,
        device=args.device, **extra)


def run(args: argparse.Namespace) -> int:
    todo = cells(args)
    started = time.monotonic()
    with study.cluster(args) as (client, scheduler):
        for task, strategy, seed in todo:
            study.search_cell(task, strategy, seed, args, scheduler, configure)
        jobs = [job for t, s, seed in todo if s.startswith("re-")
                for job in study.final_jobs(t, s, seed, args)]
        study.run_finals(jobs, args, client)
    print(f"[learning] {len(todo)} cells in {time.monotonic() - started:.0f} s wall-clock", flush=True)
    return 0


def _summary(path: Path) -> Optional[dict[str, Any]]:
    from einspace.search import Journal
    if not path.exists():
        return None
    with Journal(path) as log:
        if log.finished_run is None:   # still running (or killed): not a row yet
            return None
        trials, best, finals = log.trials(), log.best(), log.finals()
    scores = [t.score for t in trials if t.score is not None]
    trained = [t.evaluation for t in trials if t.evaluation is not None and t.state == "finished"]
    final = finals.get(best.id) if best is not None else None
    return {"trials": len(trials), "scored": len(scores),
            "mean": statistics.fmean(scores) if scores else None,
            "best": None if best is None else best.score, "test": None if final is None else final.get("score"),
            "minutes": sum(e.get("total_seconds") or 0 for e in trained) / 60,
            "params": statistics.median(e["params"] for e in trained if e.get("params")) if trained else None}


def _pct(x: Optional[float]) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def report(args: argparse.Namespace) -> int:
    out = Path(args.out)
    names = sorted(p.stem for p in out.glob("*-s[0-9]*.db"))
    print("| cell | against | best valid % | test % (final) | baseline valid % | baseline test % |")
    print("|---|---|---|---|---|---|")
    for name in names:
        task, _, rest = name.partition("-")
        if rest.rpartition("-s")[0] not in ("re-surrogate", "re-fitted"):
            continue
        seed = int(name.rpartition("-s")[2])
        base = study.cell_name(task, "re-scratch", seed)
        a, b = _summary(out / f"{name}.db"), _summary(out / f"{base}.db")
        if a is None:
            continue
        print(f"| {name} | {base} | {_pct(a['best'])} | {_pct(a['test'])} | "
              f"{_pct(b and b['best'])} | {_pct(b and b['test'])} |")
    print()
    print("| random samples | scored / trained | mean valid % | best valid % | median params | train minutes |")
    print("|---|---|---|---|---|---|")
    for name in names:
        strategy = name.partition("-")[2].rpartition("-s")[0]
        s = _summary(out / f"{name}.db")
        if s is None or not (strategy == "rs" or strategy.startswith("rs-fitted-")):
            continue
        params = "—" if s["params"] is None else f"{s['params'] / 1e6:.2f} M"
        print(f"| {name} | {s['scored']} / {s['trials']} | {_pct(s['mean'])} | {_pct(s['best'])} | "
              f"{params} | {s['minutes']:.1f} |")
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="learning_study.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("run", help="run the learning cells (resumably), then their finals")
    go.add_argument("--tasks", default="fashion,chesseract", help="comma-separated (fashion,chesseract)")
    go.add_argument("--seeds", default="0", help="search seeds (0)")
    go.add_argument("--fitted-from", default="fashion", help="tasks whose fitted grammar is sampled (fashion)")
    go.add_argument("--cells", default="", help="run exactly these cells, e.g. fashion-re-fitted-s0")
    go.add_argument("--candidates", type=int, default=20, help="re-surrogate: children ranked per step (20)")
    go.add_argument("--evaluate", type=int, default=5, help="re-surrogate: children trained per step (5)")
    study.add_search_flags(go)
    rep = sub.add_parser("report", help="markdown tables of the learning cells against the study's")
    rep.add_argument("--out", default="docs/results", help="folder of the journals (docs/results)")
    args = parser.parse_args(argv)
    return run(args) if args.command == "run" else report(args)


if __name__ == "__main__":
    sys.exit(main())
