"""``einspace search``: run (or resume) random sampling, random search or regularised evolution
(optionally surrogate-filtered).

Exit codes: 0 the budget was reached; 1 the search stopped (too many failures, every seed failed,
a journal that cannot be used); 2 a usage error. Killed at any moment, the same command (or
``--resume JOURNAL``) continues it: nothing finished is lost or repeated.
"""

from __future__ import annotations

import sys
from typing import Any

from ..errors import DataError, GrammarError, SearchError, TrainingError, UsageError
from .common import TRAINING_OPTIONS, add_grammar_option, add_training_options, emit_json, ensure_data, given_options

#: configuration flags -> SearchConfig / training fields (None when not given)
_SEARCH = ("population", "tournament", "evaluations", "seed", "crossover", "max_failures", "retries",
           "p_computation", "surrogate", "candidates", "evaluate", "proxies")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "search", help="search the space on a task: random sampling, random search, regularised evolution",
        description="Search --task with a strategy, training every candidate with the paper's recipe at search "
                    "fidelity (8 epochs on train, scored on valid; --epochs/--train-limit to go faster). Every "
                    "event goes to the SQLite --journal; re-running the same command, or --resume JOURNAL, "
                    "continues a stopped or killed run. (docs/search.md in the source repository explains the journal.)")
    p.add_argument("--task", "-t", metavar="NAME", help="task name (see `einspace data list`)")
    p.add_argument("--journal", "-j", metavar="FILE", help="the run's journal, e.g. runs/x.db (created if missing)")
    p.add_argument("--resume", metavar="FILE", help="continue the run journaled in FILE with its own configuration")
    g = p.add_argument_group("strategy")
    g.add_argument("--strategy", choices=("re", "rs", "sample"), default=None,
                   help="re: regularised evolution (default); rs: random search (best of K); sample: random "
                        "sampling (mean of K)")
    g.add_argument("--evaluations", "-n", type=int, metavar="C", help="budget: trainings finished ok (1000)")
    g.add_argument("--population", type=int, metavar="P", help="population size of re (100)")
    g.add_argument("--tournament", type=int, metavar="S", help="tournament size of re, drawn with replacement (10)")
    g.add_argument("--crossover", type=float, metavar="RATE", help="share of children made by crossover (0.0)")
    g.add_argument("--seed-arch", metavar="SEEDS",
                   help="seed the population: seed names (resnet18 or resnet18,vit,...), a seed file, or a file "
                        "of architectures one per line; each trained once, copied to fill the population")
    g.add_argument("--seed", type=int, metavar="N", help="root seed of every trial's randomness (0)")
    g.add_argument("--no-dedup", action="store_true",
                   help="train structural duplicates again (default: reuse the earlier result, state cached)")
    g.add_argument("--p-computation", type=float, metavar="P", help="p(M -> C) of the sampler (0.32)")
    g.add_argument("--surrogate", choices=("rf", "gbr", "knn"), default=None,
                   help="filter re's children with a surrogate fitted on the trained trials: rf random forest, "
                        "gbr gradient boosting, knn nearest neighbours (default: none, plain re)")
    g.add_argument("--candidates", type=int, metavar="K",
                   help="with --surrogate: children drawn per step, ranked by the surrogate (20)")
    g.add_argument("--evaluate", type=int, metavar="E",
                   help="with --surrogate: the best E of each step's candidates are trained, the rest never (5)")
    g.add_argument("--proxies", metavar="NAMES",
                   help="zero-cost proxies each trial computes before training, recorded in its evaluation "
                        "and used by the surrogate, e.g. grad_norm,snip")
    g.add_argument("--max-failures", type=int, metavar="N", help="stop after N failed evaluations in a row (50)")
    g.add_argument("--retries", type=int, metavar="N", help="re-sends of a trial whose worker died (1)")
    t = p.add_argument_group("training (every trial)")
    add_training_options(t)
    e = p.add_argument_group("where evaluations run")
    e.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local: in this process (default); dask: worker processes")
    e.add_argument("--workers", type=int, default=1, metavar="W", help="dask LocalCluster workers (1)")
    e.add_argument("--threads", type=int, metavar="N", help="torch threads per worker (dask: 1)")
    e.add_argument("--scheduler", metavar="ADDR", help="a running dask scheduler, e.g. tcp://HOST:8786")
    e.add_argument("--lifetime", type=float, metavar="S", help="restart dask workers after S seconds (HPC wall time)")
    p.add_argument("--root", metavar="DIR", help="data root (default: $EINSPACE_DATA or ~/.cache/einspace/data)")
    p.add_argument("--no-build", action="store_true", help="do not build a missing offline task first")
    p.add_argument("--display", choices=("auto", "rich", "plain", "none"), default="auto",
                   help="auto: a live view on a terminal, plain lines on a pipe (on standard error)")
    p.add_argument("--json", action="store_true", help="print the run's summary as one JSON object")
    add_grammar_option(p)
    p.set_defaults(func=run)


def _config(args: Any) -> Any:
    from ..search import configure
    settings = {**given_options(args, _SEARCH), **given_options(args, TRAINING_OPTIONS)}
    if args.executor == "local" and args.threads is not None:
        settings["threads"] = args.threads   # in-process: the training's own thread count
    if args.no_dedup:
        settings["dedup"] = False
    try:
        from ..language.grammar import load_grammar
        load_grammar(args.grammar)   # a bad grammar file is a usage error, before anything starts
        return configure(args.task, strategy=args.strategy or "re", seed_arch=args.seed_arch, grammar=args.grammar,
                         **settings)
    except (TrainingError, DataError, GrammarError) as err:
        raise UsageError(str(err)) from None


def run(args: Any) -> int:
    from ..search import run as search
    journal = args.resume or args.journal
    if journal is None:
        raise UsageError("give --journal FILE (a new or existing run) or --resume FILE")
    if args.resume and args.journal and args.resume != args.journal:
        raise UsageError("--resume and --journal name different files")
    config = None
    if args.task is not None:
        config = _config(args)
        ensure_data(config.task, args.root, not args.no_build, "search")
    elif not args.resume:
        raise UsageError("give --task NAME to start a search (or --resume FILE to continue one)")
    if args.resume and config is None and (args.max_failures is not None or args.retries is not None):
        from ..search import Journal, SearchConfig
        with Journal(journal) as log:
            stored = SearchConfig.from_json(log.config)
        config = stored.with_resume_settings(_resume_free(stored, args))
    display = "none" if args.json and args.display == "auto" else args.display
    options = {} if args.lifetime is None else {"lifetime": args.lifetime}
    try:
        threads = None if args.executor == "local" else args.threads
        result = search(config, journal=journal, executor=args.executor, workers=args.workers,
                        threads=threads, scheduler=args.scheduler, root=args.root, display=display, **options)
    except SearchError as err:
        print(f"einspace search: stopped: {err}", file=sys.stderr)
        return 1
    if args.json:
        emit_json(result.to_json())
    else:
        best = result.best
        print(f"{result.reason}; journal {result.path}")
        if best is not None:
            print(f"best: trial {best.id}, {best.score:.2%} on valid: {best.arch[:200]}")
        summary = result.summary
        if summary.get("figure") == "mean" and summary.get("value") is not None:
            print(f"random sampling: mean score {summary['value']:.2%} over {summary['trials']} samples")
        if summary.get("surrogate"):
            print(_surrogate_line(summary["surrogate"]))
    return 0


def _surrogate_line(s: dict[str, Any]) -> str:
    rho = "n/a" if s.get("spearman") is None else f"{s['spearman']:.2f}"
    line = (f"surrogate {s['model']}: {s['steps']} steps of the best {s['evaluate']} of {s['candidates']}, "
            f"{s['refits']} refits, Spearman {rho} on {s['predicted']} trials predicted before they were scored")
    return f"{line}; {s['note']}" if s.get("note") else line


def _resume_free(stored: Any, args: Any) -> Any:
    from dataclasses import replace
    return replace(stored, **given_options(args, ("max_failures", "retries")))
