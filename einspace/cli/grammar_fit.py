"""``einspace grammar fit JOURNAL``: grammar probabilities fitted to a search's best architectures."""

from __future__ import annotations

import argparse
import math

from ..errors import FitError, UsageError
from .common import emit_json, grammar_arg

DESCRIPTION = (
    "Fit the grammar's rule probabilities and terminal choice weights (maximum likelihood, counted as the "
    "sampler draws them, with additive smoothing so none is 0) to the best scored trials of a search journal, "
    "and write them as a grammar file that sample, mutate and search --grammar read. The fitted grammar's "
    "spectral radius is reported; a fit above the margin has p(M -> C) raised to the smallest value that "
    "brings the radius to the margin (the report and the file's header say so).")


def _top(text: str) -> str:
    from ..analysis import fitting
    try:
        fitting.parse_top(text)
    except FitError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def _number(low: float, high: float, what: str, open_low: bool = False):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not (math.isfinite(value) and low <= value <= high) or (open_low and value == low):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text}")
        return value
    return parse


def register(sub) -> None:
    p = sub.add_parser("fit", help="fit the probabilities to a search journal's best architectures",
                       description=DESCRIPTION)
    p.add_argument("journal", metavar="JOURNAL", help="a search journal (read only)")
    p.add_argument("--top", type=_top, default="20%", metavar="K",
                   help="the best K scored trials: a percentage (20%%, the default), a fraction (0.2) or a count (15)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the fitted grammar to FILE (else only report)")
    p.add_argument("--smoothing", type=_number(0.0, 1e12, "a number >= 0"), default=1.0, metavar="X",
                   help="additive (Laplace) smoothing: p = (draws + X) / (n + K X) over a symbol's K options "
                        "(default 1; 0 is the plain maximum likelihood)")
    p.add_argument("--margin", type=_number(0.0, 1.0, "a number in (0, 1]", open_low=True), default=0.99,
                   metavar="R", help="the largest spectral radius kept before p(M -> C) is raised (default 0.99)")
    p.add_argument("--grammar", metavar="FILE", help="the grammar to fit (default: the journal's, else the packaged one)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis import fit
    g = grammar_arg(args.grammar)
    fitted = fit(args.journal, top=args.top, smoothing=args.smoothing, grammar=g, margin=args.margin)
    if args.output:
        try:
            fitted.write(args.output)
        except FitError as err:
            raise UsageError(str(err)) from None
    if args.json:
        out = fitted.to_json()
        out["output"] = args.output
        emit_json(out)
        return 0
    _report(fitted, args.output)
    return 0


def _report(f, output) -> None:
    from ..language.grammar import KIND_RHS
    print(f"fitted to {f.origin}: the top {f.top} of its scored trials ({f.architectures} of {f.scored}), "
          f"smoothing {f.smoothing:g}")
    print(f"grammar {f.base.path or '<string>'}")
    print(f"  {'':22} {'draws':>6} {'original':>9}  {'fitted':>8}")
    for sym, row in f.probabilities.items():
        for key, p in row.items():
            name = f"{sym} -> {' '.join(KIND_RHS[key])}" if sym in f.base.productions else f"{sym:2} {key}"
            print(f"  {name:22} {f.counts.draws[sym][key]:>6} {f.original[sym].get(key, 0.0):>9.4f}  {p:>8.4f}")
    unlisted = {s: c for s, c in f.counts.unlisted.items() if c}
    if unlisted:
        print("not counted (outside the grammar's rules and choice sets): "
              + ", ".join(f"{s} {c}" for s, c in unlisted.items()))
    verdict = "consistent" if f.radius < 1.0 else "NOT consistent"
    print(f"spectral radius {f.radius:.6f}: {verdict} (margin {f.margin:g})")
    if f.repaired:
        print(f"repaired: the fit's radius was {f.fitted_radius:.6f}; p(M -> C) raised from "
              f"{f.fitted_p_computation:.4f} to {f.probabilities['M']['computation']:.4f}, the other M rules keeping their ratio")
    print(f"wrote {output}" if output else "not written (give -o FILE)")
