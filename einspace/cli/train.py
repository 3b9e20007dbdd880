"""``einspace train ARCH --task NAME``: train an architecture with the paper's recipe and score it.

Exit codes: 0 the run finished (status ``ok``); 1 it did not (another status), the architecture is
invalid, or the data is missing; 2 a usage error (unknown task, bad setting, unavailable device).
"""

from __future__ import annotations

import sys
from typing import Any

from ..errors import DataError, ParseError, TrainingError, TypeCheckError, UsageError
from .common import report_type_error, ARCH_HELP, TRAINING_OPTIONS, add_training_options, ensure_data, given_options, add_grammar_option, emit_json, read_arch, report_parse_error


def register(sub: Any) -> None:
    p = sub.add_parser(
        "train", help="train an architecture on a task and score it (the paper's recipe)",
        description="Train ARCH on --task with the paper's recipe (SGD, momentum 0.9, cosine schedule, the "
                    "task's lr, weight decay and batch size) and print the Evaluation. Search fidelity by "
                    "default: train on train, score on valid, 8 epochs; --final: train on train+valid, score "
                    "on test, 64 epochs. Exit 0 if the run finished (status ok), 1 if it did not or the "
                    "architecture or data is not usable, 2 on usage errors.")
    p.add_argument("arch", metavar="ARCH", help=ARCH_HELP)
    p.add_argument("--task", "-t", required=True, metavar="NAME", help="task name (see `einspace data list`)")
    p.add_argument("--root", metavar="DIR", help="data root (default: $EINSPACE_DATA or ~/.cache/einspace/data)")
    p.add_argument("--final", action="store_true", help="final fidelity: train on train+valid, score on test")
    add_training_options(p)
    p.add_argument("--threads", type=int, metavar="N", help="torch CPU threads")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed of weights, subsets and batches (0)")
    p.add_argument("--best", action="store_true", help="score = the best epoch's (default: the last epoch's)")
    p.add_argument("--save", metavar="DIR", help="write arch.txt, weights.safetensors and evaluation.json to DIR")
    p.add_argument("--no-build", action="store_true",
                   help="do not build a missing task offline first (default: build it, as `einspace data build`)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (there is none on a pipe anyway)")
    p.add_argument("--json", action="store_true", help="print the Evaluation as one JSON object")
    add_grammar_option(p)
    p.set_defaults(func=run)


def _overrides(args: Any) -> dict[str, Any]:
    out = given_options(args, TRAINING_OPTIONS + ("threads",))
    if args.final:
        out["final"] = True
    if args.best:
        out["score"] = "best"
    return out


def _print_human(ev: Any, saved: str | None) -> None:
    chance = 1 / ev.classes
    score = f"{ev.score:.2%}" if ev.score is not None else "none"
    print(f"status: {ev.status}" + (f" ({ev.message})" if ev.message else ""))
    print(f"score: {score} {ev.metric} on {ev.task} {ev.score_split} (chance {chance:.2%})"
          + (f", best epoch {ev.best_epoch}" if ev.recipe.score == "best" and ev.best_epoch else ""))
    if ev.train_loss:
        print("epoch   train loss   score")
        for i, (loss, s) in enumerate(zip(ev.train_loss, ev.epoch_scores), 1):
            print(f"{i:5d}   {loss if loss is not None else float('nan'):10.4f}   {s:6.2%}")
    print(f"params: {ev.params:,}; flops/sample: {ev.flops:,}; trained on {ev.train_samples:,}, "
          f"scored {ev.score_samples:,} samples")
    print(f"seconds: {ev.total_seconds:.1f} total, {ev.train_seconds:.1f} training, {ev.score_seconds:.1f} "
          f"scoring, on {ev.device} ({ev.threads} threads)")
    if saved:
        print(f"saved: {saved}")


def run(args: Any) -> int:
    from ..data.tasks import get_task
    from ..training import train
    try:
        task = get_task(args.task).name
    except DataError as err:
        raise UsageError(str(err)) from None
    try:
        tree = read_arch(args.arch, args.grammar)
    except ParseError as err:
        return report_parse_error(err, args.json)
    progress = False if (args.json or args.no_progress) else None
    try:
        ensure_data(task, args.root, not args.no_build, 'train')
        ev = train(tree, task, seed=args.seed, root=args.root, save=args.save, progress=progress,
                   grammar=args.grammar, **_overrides(args))
    except TrainingError as err:
        raise UsageError(str(err)) from None
    except TypeCheckError as err:
        return report_type_error(err, args.json)
    except DataError as err:
        print(f"einspace train: {err}", file=sys.stderr)
        return 1
    if args.json:
        emit_json(ev.to_json())
    else:
        _print_human(ev, args.save)
    return 0 if ev.ok else 1
