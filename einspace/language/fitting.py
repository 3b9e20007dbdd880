"""Fitted grammar probabilities: maximum-likelihood rule probabilities and choice weights from derivations.

Why: the paper leaves learning the PCFG's probabilities as future work; fitted to a search's best
architectures, they make the sampler (and mutation, and ``search --grammar``) propose more like them.

**Counting** follows the sampler (:mod:`einspace.generate.engine`): one S draw at the root, one M draw
for every module below it; a branching draws its B terminal once, then two inner modules when B has
factor 2 and one template for 4 and 8 (the copies are not draws), then its A terminal; a routing draws
R1, its inner module and R2; a computation draws its C terminal. A draw this grammar cannot make (a
terminal outside its choice set, a module kind without a rule) is counted as *unlisted*, not as a draw.

**Estimates** are additively (Laplace) smoothed: ``p = (draws + a) / (n + K a)`` over the K options of
a symbol drawn n times, so with ``a > 0`` no rule or terminal gets probability 0 (``a = 0`` is the
plain maximum likelihood; an unseen terminal is then dropped from its choice set). A symbol never
drawn keeps the grammar's values: the data say nothing about it. Choice weights are written as
``draws + a`` (the sampler renormalises weights), rule probabilities as decimals.

**Consistency**: the fitted grammar's spectral radius (:func:`einspace.language.analysis.expectation`)
must be at most ``margin`` (default 0.99; the packaged grammar's is 0.982, and expected sizes grow as
1 / (1 - radius)). A fit above it is *repaired*: p(M -> C) is raised to the smallest multiple of
1e-4 that brings the radius to the margin (:func:`~einspace.language.analysis.critical_p_computation`),
the other M rules keeping their ratio; ``Fitted.repaired`` and the file's header say so. A grammar
without an M -> C rule cannot be repaired: :class:`~einspace.errors.FitError` names the radius.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union

from ..errors import FitError
from .analysis import critical_p_computation, expectation
from .ast import Branching, Computation, Module, Routing, Sequential
from .grammar import Grammar, grammar_from_source, load_grammar

__all__ = ["Counts", "Fitted", "FitError", "count_draws", "fit_counts", "fit_trees", "options",
           "DEFAULT_SMOOTHING", "DEFAULT_MARGIN"]

DEFAULT_SMOOTHING = 1.0
DEFAULT_MARGIN = 0.99
#: a repaired p(M -> C) is rounded up to a multiple of this (a short number in the file)
REPAIR_STEP = Fraction(1, 10_000)


def options(grammar: Grammar) -> dict[str, tuple[str, ...]]:
    """Each symbol's options in the grammar's order: module kinds for S and M, terminal texts
    (canonical, each once) for B, A, R1, R2 and C."""
    out = {lhs: tuple(p.kind for p in rules) for lhs, rules in grammar.productions.items()}
    for sym, cs in grammar.choices.items():
        out[sym] = tuple(dict.fromkeys(c.node.text() for c in cs))
    return out


@dataclass(frozen=True)
class Counts:
    """Draws per symbol and option, the draws the grammar cannot make (``unlisted``, per symbol),
    and how many derivations were counted."""

    draws: Mapping[str, Mapping[str, int]]
    unlisted: Mapping[str, int]
    architectures: int

    def total(self, symbol: str) -> int:
        return sum(self.draws[symbol].values())


def count_draws(trees: Iterable[Module], grammar: Union[Grammar, str, None] = None) -> Counts:
    """Count the draws that derive ``trees`` from S, as the sampler draws them (module docstring)."""
    g = load_grammar(grammar)
    draws = {sym: dict.fromkeys(opts, 0) for sym, opts in options(g).items()}
    unlisted = dict.fromkeys(draws, 0)
    n = 0

    def add(symbol: str, key: str) -> None:
        row = draws.get(symbol)
        if row is not None and key in row:
            row[key] += 1
        else:
            unlisted[symbol] = unlisted.get(symbol, 0) + 1

    for tree in trees:
        if not isinstance(tree, Module):
            raise FitError(f"an architecture to fit is a module tree or its text, not {type(tree).__name__}")
        n += 1
        stack: list[tuple[Module, str]] = [(tree, "S")]
        while stack:  # iterative: derivations may be deeper than Python's recursion limit
            node, lhs = stack.pop()
            add(lhs, node.kind)
            if isinstance(node, Computation):
                add("C", node.op.text())
            elif isinstance(node, Sequential):
                stack += [(node.second, "M"), (node.first, "M")]
            elif isinstance(node, Routing):
                add("R1", node.pre.text())
                add("R2", node.post.text())
                stack.append((node.inner, "M"))
            elif isinstance(node, Branching):
                add("B", node.fn.text())
                add("A", node.agg.text())
                stack.extend((b, "M") for b in reversed(node.branches))  # 2-way: two draws; 4/8: one template
    return Counts(draws, unlisted, n)


def _number(value: Any, what: str, low: float, high: float, open_low: bool = False) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < low or value > high or (open_low and value == low):
        bound = f"({low:g}, {high:g}]" if open_low else f"[{low:g}, {high:g}]"
        raise FitError(f"{what} must be a number in {bound}, got {value!r}")
    return Fraction(str(float(value)))


def _original(g: Grammar) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {lhs: {p.kind: p.prob for p in rules} for lhs, rules in g.productions.items()}
    for sym, cs in g.choices.items():
        total = sum(c.weight for c in cs)
        row: dict[str, float] = {}
        for c in cs:
            row[c.node.text()] = row.get(c.node.text(), 0.0) + c.weight / total
        out[sym] = row
    return out


def fit_counts(counts: Counts, grammar: Union[Grammar, str, None] = None, *, smoothing: float = DEFAULT_SMOOTHING,
               margin: float = DEFAULT_MARGIN, origin: str = "", top: Optional[str] = None,
               scored: Optional[int] = None) -> "Fitted":
    """The fitted grammar of ``counts`` (made by :func:`count_draws` with the same grammar).

    ``origin``, ``top`` and ``scored`` only describe where the counts came from (the file's header)."""
    g = load_grammar(grammar)
    a = _number(smoothing, "smoothing", 0.0, 1e12)
    _number(margin, "margin", 0.0, 1.0, open_low=True)
    if counts.architectures == 0:
        raise FitError("no architectures to fit")
    original = _original(g)
    values: dict[str, dict[str, Fraction]] = {}   # rules: probabilities; choices: weights (draws + a)
    for sym, row in counts.draws.items():
        n = sum(row.values())
        if n == 0:
            values[sym] = {k: Fraction(v) for k, v in original[sym].items()}
        elif sym in g.productions:
            values[sym] = {k: (c + a) / (n + len(row) * a) for k, c in row.items()}
        else:
            values[sym] = {k: c + a for k, c in row.items()}
    fitted = _grammar(g, values, counts, None)
    radius = fitted_radius = expectation(fitted).spectral_radius
    repair = None
    if radius > margin:
        repair = _repair(fitted, values, margin, radius)
        fitted = _grammar(g, values, counts, repair)
        radius = expectation(fitted).spectral_radius
    header = _header(g, counts, smoothing, margin, radius, repair, origin, top, scored)
    fitted = _grammar(g, values, counts, repair, header)
    probabilities = {s: _normalised(v) for s, v in values.items()}
    return Fitted(g, counts, probabilities, original, float(smoothing), float(margin), radius, fitted_radius,
                  repair is not None, None if repair is None else repair[0], origin, top, scored, fitted)


def _normalised(row: Mapping[str, Fraction]) -> dict[str, float]:
    total = sum(row.values())
    return {k: float(v / total) for k, v in row.items()}


def _repair(fitted: Grammar, values: dict, margin: float, radius: float) -> tuple[float, float]:
    """Raise p(M -> C) in ``values`` until the radius is at most ``margin``: (old p, new p)."""
    rules = values["M"]
    if "computation" not in rules:
        raise FitError(f"the fitted grammar's spectral radius is {radius:.6f} (above the margin {margin:g}: "
                       f"derivations may not end) and it has no M -> C rule to raise")
    old = rules["computation"]
    critical = Fraction(critical_p_computation(fitted, radius=margin))
    new = max(old, math.ceil(critical / REPAIR_STEP) * REPAIR_STEP)
    while new < 1 and expectation(fitted.with_probability("M", "computation", float(new))).spectral_radius > margin:
        new += REPAIR_STEP
    new = min(new, Fraction(1))
    rest = 1 - old
    for kind in rules:
        rules[kind] = new if kind == "computation" else rules[kind] * (1 - new) / rest
    return float(old), float(new)


def _fmt(x: Union[Fraction, float]) -> str:
    return f"{float(x):.10g}"


_RULE_LINE = re.compile(r"^(//@\s*rule\s+(\w+)\s*->\s*[\w\s]+?:\s*(\w+)\s*=\s*)(\S+)")
_CHOICE_LINE = re.compile(r"^(//@\s*choices\s+(\w+)\s*=\s*)([^#]*)")
_EXTENDS_LINE = re.compile(r"^//@\s*extends\s")
_OPERATIONS_LINE = re.compile(r"^(//@\s*operations\s+)(\S+\.py)(.*)$")


def _base_source(g: Grammar) -> str:
    """The text to rewrite: the grammar's own, unless its tables were changed in Python
    (``with_probability``...), where its annotations no longer say what it is."""
    return g.source if grammar_from_source(g.source).key == g.key else g.to_source()


def _grammar(g: Grammar, values: dict, counts: Counts, repair: Optional[tuple], header: str = "") -> Grammar:
    """The grammar ``g`` with its annotation values replaced by ``values`` (built from its text)."""
    source = _base_source(g)
    seen = {sym: 0 for sym in g.choices}
    copies = {sym: {k: sum(1 for c in cs if c.node.text() == k) for k in values[sym]} for sym, cs in g.choices.items()}
    folder = Path(g.path).parent if g.path else None
    out = [header] if header else []
    for line in source.splitlines():
        if not line.startswith("//@"):
            out.append(line)
            continue
        if _EXTENDS_LINE.match(line):
            continue  # what it extends is inlined in the source already
        m = _RULE_LINE.match(line)
        if m and m.group(2) in g.productions:
            lhs, kind = m.group(2), m.group(3)
            out.append(m.group(1) + _fmt(values[lhs][kind]) + _rule_note(lhs, kind, counts, repair))
            continue
        m = _CHOICE_LINE.match(line)
        if m and m.group(2) in g.choices:
            sym, items = m.group(2), []
            for item in m.group(3).split():
                key = g.choices[sym][seen[sym]].node.text()
                seen[sym] += 1
                weight = values[sym][key] / copies[sym][key]
                if weight > 0:  # only a plain maximum-likelihood fit (no smoothing) leaves an unseen one at 0
                    items.append(f"{item.partition(':')[0]}:{_fmt(weight)}")
            if not items:  # a plain maximum-likelihood fit drew none of this line's terminals
                out.append(f"// (fitted: no {sym} choice of this line was drawn) {line[3:]}")
                continue
            n = counts.total(sym)
            note = f"  # fitted weights: draws + smoothing ({_draws(n)} of {sym})" if n else "  # no draws: kept"
            out.append(m.group(1) + " ".join(items) + note)
            continue
        m = _OPERATIONS_LINE.match(line)
        if m and folder is not None and not os.path.isabs(m.group(2)):
            line = m.group(1) + str((folder / m.group(2)).resolve()) + m.group(3)  # the file moves; its module stays
        out.append(line)
    return grammar_from_source("\n".join(out) + "\n")


def _rule_note(lhs: str, kind: str, counts: Counts, repair: Optional[tuple]) -> str:
    n = counts.total(lhs)
    if n == 0:
        return "  # no draws: kept"
    note = f"  # fitted: {counts.draws[lhs][kind]} of {_draws(n)}"
    if repair is not None and lhs == "M" and kind == "computation":
        note += f"; repaired from {repair[0]:.4f} (radius margin)"
    return note


def _draws(n: int) -> str:
    return f"{n} draw" if n == 1 else f"{n} draws"


def _header(g: Grammar, counts: Counts, smoothing: float, margin: float, radius: float, repair: Optional[tuple],
            origin: str, top: Optional[str], scored: Optional[int]) -> str:
    where = origin or f"{counts.architectures} architectures"
    if top is not None and scored is not None:
        where += f", the top {top} of its scored trials ({counts.architectures} of {scored})"
    lines = ["// Fitted grammar (einspace grammar fit / einspace.analysis.fit): the grammar below with only its",
             "// //@ rule probabilities and //@ choices weights re-estimated (maximum likelihood, additive smoothing).",
             f"//   fitted from: {where}",
             f"//   grammar:     {g.path or '<string>'}",
             f"//   smoothing:   {smoothing:g} (p = (draws + {smoothing:g}) / (n + K * {smoothing:g}) over a symbol's K options)",
             f"//   radius:      {radius:.6f} (spectral radius of the expectation matrix; margin {margin:g})"]
    if repair is not None:
        lines.append(f"//   repaired:    the fit's radius was above the margin; p(M -> C) raised from {repair[0]:.4f} "
                     f"to {repair[1]:.4f}, the other M rules keeping their ratio")
    unlisted = {s: c for s, c in counts.unlisted.items() if c}
    if unlisted:
        lines.append("//   not counted: draws outside this grammar: "
                     + ", ".join(f"{s} {c}" for s, c in unlisted.items()))
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Fitted:
    """A fitted grammar: the counts it came from, the estimates next to the original values, its
    spectral radius, and the grammar file they make (``text()``, ``write(path)``, ``grammar``).

    ``probabilities`` and ``original`` map each symbol to its options' probabilities (terminal
    weights normalised); ``fitted_radius`` and ``fitted_p_computation`` are the radius and p(M -> C)
    before the repair (``fitted_p_computation`` is None when nothing was repaired)."""

    base: Grammar
    counts: Counts
    probabilities: Mapping[str, Mapping[str, float]]
    original: Mapping[str, Mapping[str, float]]
    smoothing: float
    margin: float
    radius: float
    fitted_radius: float
    repaired: bool
    fitted_p_computation: Optional[float]
    origin: str
    top: Optional[str]
    scored: Optional[int]
    grammar: Grammar

    @property
    def architectures(self) -> int:
        return self.counts.architectures

    def text(self) -> str:
        """The fitted grammar file's text (the original syntax; annotations re-estimated)."""
        return self.grammar.source

    def write(self, path: Union[str, os.PathLike]) -> Path:
        """Write the grammar file (``einspace.sample(..., grammar=path)``, ``search --grammar path``)."""
        p = Path(path)
        try:
            p.write_text(self.text(), encoding="utf-8")
        except OSError as err:
            raise FitError(f"cannot write the fitted grammar to {str(p)!r}: {err.strerror}") from None
        return p

    def to_json(self) -> dict:
        return {"origin": self.origin, "top": self.top, "scored": self.scored, "architectures": self.architectures,
                "grammar": self.base.path, "smoothing": self.smoothing, "margin": self.margin,
                "radius": self.radius, "fitted_radius": self.fitted_radius, "repaired": self.repaired,
                "fitted_p_computation": self.fitted_p_computation,
                "consistent": self.radius < 1.0,
                "symbols": {s: {k: {"draws": self.counts.draws[s][k], "original": self.original[s].get(k),
                                    "fitted": p} for k, p in row.items()}
                            for s, row in self.probabilities.items()},
                "unlisted": dict(self.counts.unlisted)}


def fit_trees(archs: Iterable[Union[Module, str]], grammar: Union[Grammar, str, None] = None, *,
              smoothing: float = DEFAULT_SMOOTHING, margin: float = DEFAULT_MARGIN, origin: str = "") -> Fitted:
    """Fit ``grammar`` (default: the packaged one) to architectures (trees, or text parsed with it)."""
    from .parser import parse
    g = load_grammar(grammar)
    trees = [parse(a, grammar=g) if isinstance(a, str) else a for a in archs]
    return fit_counts(count_draws(trees, g), g, smoothing=smoothing, margin=margin, origin=origin)
