"""Grammar analysis: the PCFG's expectation matrix, consistency, expected sizes, critical p(M -> C).

A PCFG is *consistent* (its derivations are finite with probability one) when the spectral radius
of its expectation matrix is below 1 (paper appendix A.4). The matrix is indexed by the
non-terminals S, M, B, A, R1, R2, C; the cell (X, Y) is the expected number of Y that one
rewriting of X produces. The branching rule ``B M A`` stands for two inner modules when the
branching function has factor 2 and for one template otherwise, so its expected number of M is
taken over the B choice set (``copies=True`` counts a 4/8-way template b times instead, as the
original code's deep copies do). With the default grammar this puts the critical p(M -> C) at
4/13 ≈ 0.3077, the paper's "≈ 0.31".

Counts of a derivation (:func:`tree_counts`) follow the paper's Table 6: *terminals* are the
leaves (B, A, R1, R2, C symbols), *non-terminals* the module nodes (S and M). :func:`pcfg_counts`
draws from the bare PCFG (no types, no budgets); the sampler's counts come from
:func:`einspace.sample` (types and budgets applied).
"""

from __future__ import annotations

import functools
import math
import random
import statistics
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence, Union

from .ast import Branching, Computation, Module, Routing, Sequential
from .grammar import Grammar, load_grammar

__all__ = ["SYMBOLS", "Expectation", "expectation", "spectral_radius", "critical_p_computation",
           "tree_counts", "instantiated_size", "pcfg_counts", "summarize", "Summary"]

#: rows and columns of the expectation matrix
SYMBOLS = ("S", "M", "B", "A", "R1", "R2", "C")
_RHS_SYMBOLS = {"sequential": ("M", "M"), "branching": ("B", "M", "A"), "routing": ("R1", "M", "R2"),
                "computation": ("C",)}
GrammarLike = Union[Grammar, str, None]


def _grammar(grammar: GrammarLike, p_computation: Optional[float]) -> Grammar:
    g = load_grammar(grammar)
    if p_computation is not None:
        g = g.with_probability("M", "computation", p_computation)
    return g


def inner_modules(grammar: Grammar, copies: bool = False) -> float:
    """Expected number of M a branching rule produces, over the grammar's B choice weights."""
    choices = grammar.choices["B"]
    total = sum(c.weight for c in choices)
    per = (lambda b: 2 if b == 2 else (b if copies else 1))
    return sum(c.weight * per(c.node.b) for c in choices) / total


def matrix(grammar: Grammar, copies: bool = False) -> list[list[float]]:
    """The expectation matrix (rows and columns in :data:`SYMBOLS` order)."""
    index = {s: i for i, s in enumerate(SYMBOLS)}
    x = [[0.0] * len(SYMBOLS) for _ in SYMBOLS]
    m_inner = inner_modules(grammar, copies)
    for lhs, rules in grammar.productions.items():
        row = x[index[lhs]]
        for rule in rules:
            for sym in _RHS_SYMBOLS[rule.kind]:
                weight = m_inner if (rule.kind == "branching" and sym == "M") else 1.0
                row[index[sym]] += rule.prob * weight
    return x


def spectral_radius(x: Sequence[Sequence[float]]) -> float:
    import numpy as np
    return float(max(abs(np.linalg.eigvals(np.array(x, dtype=float)))))


@dataclass(frozen=True)
class Expectation:
    """The expectation matrix of a grammar and what follows from it.

    ``expected`` maps each symbol to its expected number of occurrences in a derivation from S
    (None when the grammar is not consistent); ``terminals`` and ``nonterminals`` are the expected
    counts of leaves and module nodes, ``nodes`` their sum (the expected AST size)."""

    p_computation: float
    copies: bool
    symbols: tuple[str, ...]
    matrix: tuple[tuple[float, ...], ...]
    spectral_radius: float
    consistent: bool
    expected: Optional[dict]
    terminals: Optional[float]
    nonterminals: Optional[float]
    nodes: Optional[float]

    def to_json(self) -> dict:
        return {"p_computation": self.p_computation, "copies": self.copies, "symbols": list(self.symbols),
                "matrix": [list(r) for r in self.matrix], "spectral_radius": self.spectral_radius,
                "consistent": self.consistent, "expected": self.expected, "expected_terminals": self.terminals,
                "expected_nonterminals": self.nonterminals, "expected_nodes": self.nodes}


def expectation(grammar: GrammarLike = None, *, p_computation: Optional[float] = None,
                copies: bool = False) -> Expectation:
    """Expectation matrix, spectral radius, consistency and expected counts of a grammar."""
    import numpy as np
    g = _grammar(grammar, p_computation)
    x = matrix(g, copies)
    rho = spectral_radius(x)
    consistent = rho < 1.0 - 1e-12
    expected = terminals = nonterminals = nodes = None
    if consistent:
        a = np.array(x)
        # expected occurrences from one S: e_S (I + X + X^2 + ...) = e_S (I - X)^-1
        n = np.linalg.solve((np.eye(len(SYMBOLS)) - a).T, np.eye(len(SYMBOLS))[0])
        expected = {s: float(v) for s, v in zip(SYMBOLS, n)}
        terminals = sum(expected[s] for s in ("B", "A", "R1", "R2", "C"))
        nonterminals = expected["S"] + expected["M"]
        nodes = terminals + nonterminals
    return Expectation(g.probability("M", "computation"), copies, SYMBOLS, tuple(tuple(r) for r in x), rho,
                       consistent, expected, terminals, nonterminals, nodes)


def critical_p_computation(grammar: GrammarLike = None, *, copies: bool = False, tol: float = 1e-10,
                           radius: float = 1.0) -> float:
    """The p(M -> C) at which the spectral radius is ``radius`` (1: consistent above it); bisection,
    as the other M rules keep their ratio (:meth:`Grammar.with_probability`). A ``radius`` below 1
    is a safety margin (a fitted grammar is repaired to one, :mod:`einspace.language.fitting`)."""
    g = load_grammar(grammar)

    def rho(p: float) -> float:
        return spectral_radius(matrix(g.with_probability("M", "computation", p), copies))

    lo, hi = 0.0, 1.0
    if rho(lo) < radius:
        return 0.0
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if rho(mid) < radius:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


# --- counting ------------------------------------------------------------------------------------

def tree_counts(tree: Module, copies: bool = False) -> tuple[int, int]:
    """(terminals, non-terminals) of a derivation tree, as in the paper's Table 6; with
    ``copies`` a 4/8-way template counts once per copy (the original code's deep copies)."""
    terminals = nonterminals = 0
    stack: list[tuple[Module, int]] = [(tree, 1)]
    while stack:
        node, mult = stack.pop()
        nonterminals += mult
        if isinstance(node, Computation):
            terminals += mult
        elif isinstance(node, Sequential):
            stack.append((node.first, mult))
            stack.append((node.second, mult))
        elif isinstance(node, Routing):
            terminals += 2 * mult
            stack.append((node.inner, mult))
        elif isinstance(node, Branching):
            terminals += 2 * mult
            inner = mult * (node.factor if copies and len(node.branches) == 1 else 1)
            stack.extend((b, inner) for b in node.branches)
    return terminals, nonterminals


@functools.lru_cache(maxsize=1024)
def instantiated_size(tree: Module) -> int:
    """AST nodes with every 4/8-way template counted once per copy: the size of the network that
    :func:`einspace.build` instantiates, which is what budgets' ``max_nodes`` bounds.

    Memoised (nodes cache their hash): mutation asks it of the same parent many times."""
    return sum(tree_counts(tree, copies=True))


def pcfg_counts(grammar: GrammarLike = None, n: int = 2000, seed: int = 0, *, p_computation: Optional[float] = None,
                copies: bool = False, cap: int = 10_000_000) -> list[tuple[int, int]]:
    """(terminals, non-terminals) of ``n`` derivations of the bare PCFG (no types, no budgets).

    Counting only (no tree is built); a derivation larger than ``cap`` symbols is counted up to
    the cap (reported, not silently: the count then equals ``cap`` or more)."""
    g = _grammar(grammar, p_computation)
    rng = random.Random(seed)
    rules = {lhs: [(r.kind, r.prob) for r in g.productions[lhs]] for lhs in ("S", "M")}
    b_choices = [(c.node.b, c.weight) for c in g.choices["B"]]

    def draw(options):
        total = sum(w for _, w in options)
        u = rng.random() * total
        for value, w in options:
            u -= w
            if u < 0:
                return value
        return options[-1][0]

    out = []
    for _ in range(n):
        terminals = nonterminals = 0
        pending = [("S", 1)]
        while pending and terminals + nonterminals < cap:
            lhs, mult = pending.pop()
            nonterminals += mult
            kind = draw(rules[lhs])
            if kind == "computation":
                terminals += mult
            elif kind == "sequential":
                pending += [("M", mult), ("M", mult)]
            elif kind == "routing":
                terminals += 2 * mult
                pending.append(("M", mult))
            else:
                terminals += 2 * mult
                b = draw(b_choices)
                if b == 2:
                    pending += [("M", mult), ("M", mult)]
                else:
                    pending.append(("M", mult * (b if copies else 1)))
        out.append((terminals, nonterminals))
    return out


@dataclass(frozen=True)
class Summary:
    """min, mean, median, std, max of a list of counts (Table 6's columns)."""

    n: int
    min: float
    mean: float
    median: float
    std: float
    max: float

    def to_json(self) -> dict:
        return {"n": self.n, "min": self.min, "mean": self.mean, "median": self.median, "std": self.std,
                "max": self.max}

    def row(self) -> str:
        return f"{self.min:>6g} {self.mean:>9.2f} {self.median:>7.2f} {self.std:>9.2f} {self.max:>8g}"


def summarize(values: Iterable[float]) -> Summary:
    v = list(values)
    if not v:
        return Summary(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    return Summary(len(v), min(v), statistics.fmean(v), statistics.median(v),
                   statistics.pstdev(v) if len(v) > 1 else 0.0, max(v))
