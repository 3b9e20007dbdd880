"""``einspace sample --input TYPE [-n N] [--seed S] [--json] [--stats]``: draw valid architectures."""

from __future__ import annotations

import argparse
import sys
import time

from ..errors import UsageError
from ..errors import GrammarError
from .common import add_grammar_option, emit_json, input_type, limit


_DEFAULT = object()  # "use the budget's default" (None means "no limit")


def _shape(text: str) -> tuple:
    """``64x7x7``; ``?`` (or ``_``, ``*``) leaves a dimension free: ``64x?x?``."""
    parts = [p.strip() for p in text.lower().replace("×", "x").split("x")]
    try:
        shape = tuple(None if p in ("?", "_", "*") else int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"cannot read output shape {text!r}: write e.g. 64x7x7 or 64x?x?") from None
    if len(shape) not in (2, 3) or any(s is not None and s < 1 for s in shape):
        raise argparse.ArgumentTypeError(f"an output shape has 2 (col) or 3 (im) positive dimensions, got {text!r}")
    return shape


def register(sub) -> None:
    p = sub.add_parser(
        "sample", help="draw architectures from the probabilistic grammar (all valid, within budgets)",
        description="Draw N architectures for --input from the grammar's PCFG. Every one type-checks at the "
                    "input and respects the budgets, which are enforced while sampling. --json prints one "
                    "object per line: arch (canonical text) and the check fields (valid, input, output, params, "
                    "flops, memory, nodes, instantiated_nodes, depth). --stats prints distribution statistics instead.")
    p.add_argument("--input", "-i", required=True, metavar="TYPE", help="input type, e.g. 3x28x28 or col:64x512")
    p.add_argument("-n", type=int, default=1, metavar="N", help="number of architectures (default 1)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: fresh randomness)")
    p.add_argument("--json", action="store_true", help="JSON lines (with --stats: one JSON object)")
    p.add_argument("--stats", action="store_true", help="print statistics over the N samples instead of them")
    p.add_argument("--style", choices=("canonical", "compact", "brackets"), default="canonical",
                   help="notation of the printed architectures (default canonical)")
    p.add_argument("--p-computation", type=float, default=None, metavar="P",
                   help="p(M -> C); the other module rules share the rest in their ratio (grammar default 0.32)")
    from ..generate.budget import DEFAULT_BUDGET
    g = p.add_argument_group("budgets (an integer, or 'none' for no limit; at least one of --max-nodes and "
                             "--max-depth must stay finite)")
    for name, help_ in (("max-nodes", "nodes of the instantiated network: AST nodes, terminals included, a 4/8-way template once per copy"), ("max-depth", "tree depth"),
                        ("max-params", "parameters"), ("max-flops", "FLOPs per sample"),
                        ("max-memory", "activation elements per sample")):
        default = getattr(DEFAULT_BUDGET, name.replace("-", "_"))
        g.add_argument(f"--{name}", type=limit, default=_DEFAULT, metavar="N", help=f"{help_} (default {default:,})")
    g.add_argument("--output-mode", choices=("im", "col"), default=None, help="required output mode")
    g.add_argument("--output-shape", type=_shape, default=None, metavar="SHAPE",
                   help="required output shape without the batch, ? for a free dimension: 64x7x7, 64x?x?")
    add_grammar_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.n < 1:
        raise UsageError("-n must be at least 1")
    if args.p_computation is not None and not 0.0 <= args.p_computation <= 1.0:
        raise UsageError("--p-computation must be in [0, 1]")
    t = input_type(args.input)
    from ..language.analysis import instantiated_size
    from ..generate.budget import Budget, BudgetError
    from ..generate.chooser import RandomChooser
    from ..types.evaluator import infer
    from ..language.grammar import load_grammar
    from ..language.printer import to_string
    from ..generate.sampler import SamplingError, sample
    limits = {name: getattr(args, name) for name in ("max_nodes", "max_depth", "max_params", "max_flops", "max_memory")
              if getattr(args, name) is not _DEFAULT}
    try:
        budget = Budget.of(None, output_mode=args.output_mode, output_shape=args.output_shape, **limits)
        grammar = load_grammar(args.grammar)
    except (BudgetError, GrammarError) as err:
        raise UsageError(str(err)) from None
    chooser = RandomChooser(args.seed)
    rows = []
    for _ in range(args.n):
        start = time.perf_counter()
        try:
            arch = sample(t, chooser=chooser, grammar=grammar, budget=budget, p_computation=args.p_computation)
        except BudgetError as err:  # a budget the sampler cannot use (e.g. no finite size limit)
            raise UsageError(f"{err} (give --max-nodes or --max-depth a number)") from None
        except SamplingError as err:
            print(f"sample: {err}", file=sys.stderr)
            return 1
        seconds = time.perf_counter() - start
        typed = infer(arch, t)
        row = {"arch": to_string(arch), "valid": True, "input": t.to_json(), "output": typed.output.to_json(),
               "params": typed.params, "flops": typed.flops, "memory": typed.memory, "nodes": arch.size,
               "instantiated_nodes": instantiated_size(arch), "depth": arch.depth}
        if args.stats:
            from ..language.analysis import tree_counts
            row["terminals"], row["nonterminals"] = tree_counts(arch)
            row["seconds"] = seconds
            row["mode"] = typed.output.mode
            rows.append(row)
        elif args.json:
            emit_json(row)
        else:
            print(row["arch"] if args.style == "canonical" else to_string(arch, args.style))
    if args.stats:
        _print_stats(rows, t, args)
    return 0


def _print_stats(rows: list, t, args) -> None:
    from ..language.analysis import summarize
    fields = ("terminals", "nonterminals", "nodes", "depth", "params", "flops", "memory", "seconds")
    stats = {f: summarize(r[f] for r in rows).to_json() for f in fields}
    modes = {m: sum(1 for r in rows if r["mode"] == m) for m in ("im", "col")}
    if args.json:
        emit_json({"n": len(rows), "input": t.to_json(), "stats": stats, "output_modes": modes})
        return
    print(f"{len(rows)} architectures for input {t}")
    print(f"{'':14}{'min':>10} {'mean':>12} {'median':>12} {'std':>12} {'max':>12}")
    for f in fields:
        s = stats[f]
        fmt = (lambda v: f"{v * 1e3:.3f}ms") if f == "seconds" else (lambda v: f"{v:,.2f}" if v % 1 else f"{int(v):,}")
        print(f"{f:14}{fmt(s['min']):>10} {fmt(s['mean']):>12} {fmt(s['median']):>12} {fmt(s['std']):>12} "
              f"{fmt(s['max']):>12}")
    print(f"output modes: {modes['im']} im, {modes['col']} col")
