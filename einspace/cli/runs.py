"""``einspace runs show|best|plot|report JOURNAL``: read a search's journal (safe while the search runs).

``show`` prints one line per trial (``--json``: one object per line with at least id, status,
origin, parents, arch, score, params, seconds); ``best`` the best trial, and with ``--final``
retrains it at final fidelity (train+valid, scored on test) and records that in the journal;
``plot`` writes the search plots of one or more runs (SVG and PNG), ``report`` one self-contained
HTML page about a run.
"""

from __future__ import annotations

import sys
from typing import Any

from .common import emit_json, ensure_data


def register(sub: Any) -> None:
    p = sub.add_parser("runs", help="read a search's journal: every trial, the best one",
                       description="Read the journal a search writes (einspace search --journal FILE).")
    rs = p.add_subparsers(dest="runs_command", metavar="ACTION")
    show = rs.add_parser("show", help="one line per trial: id, status, origin, parents, arch, score, params, seconds")
    show.add_argument("journal", metavar="JOURNAL")
    show.add_argument("--state", choices=("finished", "failed", "cached", "pending"), help="only trials in this state")
    show.add_argument("--json", action="store_true", help="one JSON object per line")
    show.set_defaults(func=run_show)
    best = rs.add_parser("best", help="the best trial; --final retrains it at final fidelity and records its test score")
    best.add_argument("journal", metavar="JOURNAL")
    best.add_argument("--final", action="store_true", help="train on train+valid with the final epochs, score on test")
    best.add_argument("--epochs", type=int, metavar="N", help="epochs of the final training (the task's: 64)")
    best.add_argument("--root", metavar="DIR", help="data root")
    best.add_argument("--device", metavar="D", help="cpu, cuda, cuda:N")
    best.add_argument("--json", action="store_true", help="one JSON object")
    best.set_defaults(func=run_best)
    plot = rs.add_parser("plot", help="write the search plots of one or more runs as SVG and PNG",
                         description="Write the best score so far (against evaluations and against time) and "
                                     "score against parameters for all the runs together, and for each run "
                                     "the operations of its best architectures and the best one's lineage.")
    plot.add_argument("journal", metavar="JOURNAL", nargs="+", help="journals; several are compared on one plot")
    plot.add_argument("-o", "--out", metavar="DIR", required=True, help="folder for the files (made if missing)")
    plot.set_defaults(func=run_plot)
    report = rs.add_parser("report", help="write one self-contained HTML page about a run",
                           description="Write the configuration, trials by state, the best architecture, "
                                       "every plot and a sortable table of every trial into one HTML file "
                                       "that opens with no network access.")
    report.add_argument("journal", metavar="JOURNAL")
    report.add_argument("-o", "--out", metavar="FILE", required=True, help="the HTML file to write")
    report.set_defaults(func=run_report)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def trial_json(t: Any) -> dict[str, Any]:
    """The fields of one trial that ``runs show --json`` prints."""
    ev = t.evaluation or {}
    seconds = ev.get("total_seconds") if t.state != "cached" else 0.0
    return {"id": t.id, "status": t.state, "origin": t.origin, "parents": list(t.parents), "arch": t.arch,
            "score": t.score, "params": ev.get("params"), "seconds": seconds, "evaluation": t.status,
            "attempts": t.attempts, "cached_from": t.cached_from, "hash": t.hash, "seed": t.seed,
            "worker": t.worker, "message": t.message}


def _line(t: Any) -> str:
    row = trial_json(t)
    score = "-" if row["score"] is None else f"{row['score']:.2%}"
    params = "-" if row["params"] is None else f"{row['params']:,}"
    seconds = "-" if row["seconds"] is None else f"{row['seconds']:.1f}"
    state = t.state if t.state != "failed" else f"failed:{t.status}"
    parents = ",".join(map(str, t.parents)) or "-"
    arch = t.arch if len(t.arch) <= 60 else t.arch[:57] + "..."
    return f"{t.id:6d}  {state:18s} {t.origin:9s} {parents:9s} {score:>7s} {params:>12s} {seconds:>7s}  {arch}"


def run_show(args: Any) -> int:
    from ..search import Journal
    with Journal(args.journal) as log:
        trials = [t for t in log.trials() if args.state is None or t.state == args.state]
    if args.json:
        for t in trials:
            emit_json(trial_json(t))
        return 0
    print(f"{'id':>6s}  {'status':18s} {'origin':9s} {'parents':9s} {'score':>7s} {'params':>12s} {'seconds':>7s}  arch")
    for t in trials:
        print(_line(t))
    return 0


def run_best(args: Any) -> int:
    from ..search import Journal, SearchConfig
    with Journal(args.journal) as log:
        best = log.best()
        config = SearchConfig.from_json(log.config)
        finals = log.finals()
    if best is None:
        print(f"einspace runs: no trial in {args.journal} has a score yet")
        return 1
    out = trial_json(best)
    if best.id in finals:
        out["final"] = finals[best.id]
    if args.final:
        from dataclasses import replace
        from ..training import train
        ensure_data(config.task, args.root, True, "runs")
        fidelity = replace(config.fidelity, final=True, epochs=args.epochs or _final_epochs(config),
                           train_limit=None, valid_limit=None, device=args.device)
        ev = train(best.arch, config.task, seed=best.seed, recipe=config.recipe, fidelity=fidelity,
                   root=args.root, grammar=config.grammar, progress=False if args.json else None)
        with Journal(args.journal, write=True) as log:
            log.final(best.id, ev.to_json())
        out["final"] = ev.to_json()
    if args.json:
        emit_json(out)
    else:
        print(f"trial {best.id} ({best.origin}): {best.score:.2%} on valid, {out['params']:,} params")
        print(best.arch)
        final = out.get("final")
        if final is not None:
            score = "none" if final["score"] is None else f"{final['score']:.2%}"
            print(f"final fidelity ({final['fidelity']['epochs']} epochs on train+valid): {final['status']}, "
                  f"{score} on test")
    return 0


def _final_epochs(config: Any) -> int:
    from ..data.tasks import get_task
    return get_task(config.task).hyper.epochs_eval


def run_plot(args: Any) -> int:
    from pathlib import Path

    from ..errors import UsageError
    from ..viz.journals import read_runs
    from ..viz.plots import plot_all
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"-o {args.out}: exists and is not a folder")
    runs = read_runs(args.journal)   # every journal is opened before anything is written
    try:
        written = plot_all(runs, out)
    except OSError as err:
        print(f"einspace runs plot: cannot write into {args.out}: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


def run_report(args: Any) -> int:
    from pathlib import Path

    from ..errors import UsageError
    from ..viz.report import write_report
    out = Path(args.out)
    if out.is_dir():
        raise UsageError(f"-o {args.out}: is a folder; give the HTML file to write")
    try:
        path = write_report(args.journal, out)
    except OSError as err:
        print(f"einspace runs report: cannot write {args.out}: {err}", file=sys.stderr)
        return 1
    print(path)
    return 0
