"""Deciding relations between dimension functions: symbolically where exact, else exhaustively.

For each input mode (im, col) both trees are first evaluated symbolically
(:mod:`.symbolic`). When both stay inside the supported fragment the comparison is exact over
*every* grid-free input of that mode. Otherwise that mode is checked point by point over a finite
:class:`InputBox`; the answer is then exact over the box. Either way a negative answer carries a
*witness*: an input where the relation fails, which is a proof on its own.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Union

from ..language.ast import Module
from ..language.parser import as_tree
from .dimension_functions import try_output_type
from .tensor import TensorType
from .quasi import PSet
from .symbolic import VARIABLES, Sym, SymbolicFunction, Unsupported, symbolic_function

__all__ = ["InputBox", "Decision", "DEFAULT_BOX", "decide_type_equivalence", "decide_forward_compatibility",
           "symbolic_or_none", "describe_function"]

MODES = ("im", "col")

#: an architecture: a tree or its text
Arch = Union[Module, str]


@dataclass(frozen=True)
class InputBox:
    """The finite domain of the exhaustive check: every grid-free input with sizes in these ranges
    (inclusive). The default: im C ∈ 1…16, H, W ∈ 1…32; col S, D ∈ 1…64."""

    channels: tuple[int, int] = (1, 16)
    height: tuple[int, int] = (1, 32)
    width: tuple[int, int] = (1, 32)
    length: tuple[int, int] = (1, 64)
    features: tuple[int, int] = (1, 64)

    def ranges(self, mode: str) -> tuple[range, ...]:
        spans = (self.channels, self.height, self.width) if mode == "im" else (self.length, self.features)
        return tuple(range(lo, hi + 1) for lo, hi in spans)

    def points(self, mode: str) -> Iterator[TensorType]:
        for dims in itertools.product(*self.ranges(mode)):
            yield TensorType(mode, dims)  # type: ignore[arg-type]

    def size(self, mode: str) -> int:
        return math.prod(len(r) for r in self.ranges(mode))

    def describe(self, mode: str) -> str:
        names = VARIABLES[mode]
        spans = (self.channels, self.height, self.width) if mode == "im" else (self.length, self.features)
        return f"{mode}: " + ", ".join(f"{n} ∈ {lo}…{hi}" for n, (lo, hi) in zip(names, spans))


DEFAULT_BOX = InputBox()


@dataclass(frozen=True)
class Decision:
    """The answer to a relation question, with how it was decided.

    ``exact`` is True when the answer holds over every grid-free input (symbolic decision, or a
    witness that refutes it); False when it was checked only over ``box`` for some mode
    (``methods`` says which mode used what). ``witness`` is an input where the relation fails.
    """

    holds: bool
    exact: bool
    methods: dict = field(default_factory=dict)
    witness: Optional[TensorType] = None
    detail: str = ""

    def __bool__(self) -> bool:
        return self.holds

    def to_json(self) -> dict:
        return {"holds": self.holds, "exact": self.exact, "methods": dict(self.methods),
                "witness": self.witness.spec() if self.witness is not None else None, "detail": self.detail}


def symbolic_or_none(tree: Module, mode: str) -> tuple[Optional[SymbolicFunction], str]:
    """The symbolic dimension function on ``mode`` inputs, or (None, why it is unsupported)."""
    try:
        return symbolic_function(tree, mode), ""
    except Unsupported as err:
        return None, str(err)


# --- points and witnesses in product sets -----------------------------------------------------

def _input(mode: str, env: dict[str, int]) -> TensorType:
    return TensorType(mode, tuple(env[v] for v in VARIABLES[mode]))  # type: ignore[arg-type]


def _some_point(f: SymbolicFunction) -> dict[str, int]:
    return {v: f.member(v).first() for v in f.variables()}  # type: ignore[misc]


def _point_outside(a: SymbolicFunction, b: SymbolicFunction) -> Optional[dict[str, int]]:
    """A point of dom(a) not in dom(b), or None if dom(a) ⊆ dom(b) (both products of sets)."""
    if a.domain is None:
        return None
    if b.domain is None:
        return _some_point(a)
    for var in a.variables():
        sa, sb = a.member(var), b.member(var)
        v = _first_in_difference(sa, sb)
        if v is not None:
            env = _some_point(a)
            env[var] = v
            return env
    return None


def _first_in_difference(sa: PSet, sb: PSet) -> Optional[int]:
    if sa == sb:
        return None
    for v in range(1, max(sa.start, sb.start) + 2 * math.lcm(sa.period, sb.period)):
        if v in sa and v not in sb:
            return v
    return None


def _periods(syms: list[Sym]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in syms:
        for var, f in s.factors:
            out[var] = math.lcm(out.get(var, 1), f.period)
    return out


def _differ_at(x: Sym, y: Sym, f: SymbolicFunction) -> Optional[dict[str, int]]:
    """A point of dom(f) where sizes x and y differ, or None if they agree on all of dom(f).

    Per residue class of every variable both are of degree ≤ 1 in each variable, and a class of
    an eventually periodic set is, past its start, all in or all out; so two members per class
    and per variable (plus every member before the start) determine them.
    """
    if x == y:
        return None
    periods = _periods([x, y])
    names = sorted(periods)
    base = _some_point(f)
    for values in itertools.product(*(f.member(v).sample_points(periods[v]) for v in names)):
        env = dict(base)
        env.update(zip(names, values))
        if x(env) != y(env):
            return env
    return None


def _output_difference(fa: SymbolicFunction, fb: SymbolicFunction) -> Optional[tuple[dict[str, int], str]]:
    ta, tb = fa.output, fb.output
    assert ta is not None and tb is not None
    if ta.mode != tb.mode:
        return _some_point(fa), f"output modes differ ({ta.mode} vs {tb.mode})"
    if (ta.grid is None) != (tb.grid is None):
        return _some_point(fa), "one output remembers an im2col grid, the other does not"
    pairs = list(zip(ta.shape, tb.shape))
    if ta.grid is not None and tb.grid is not None:
        pairs += list(zip(ta.grid, tb.grid))
    for x, y in pairs:
        env = _differ_at(x, y, fa)
        if env is not None:
            return env, f"output sizes {x} and {y} differ"
    return None


# --- the relations ----------------------------------------------------------------------------

def _exhaustive(check: Callable[[TensorType], Optional[str]], mode: str, box: InputBox
                ) -> Optional[tuple[TensorType, str]]:
    for t in box.points(mode):
        why = check(t)
        if why is not None:
            return t, why
    return None


def _describe(t: Optional[TensorType]) -> str:
    return "undefined" if t is None else str(t)


def decide_type_equivalence(a: Arch, b: Arch, box: InputBox = DEFAULT_BOX) -> Decision:
    """Whether f_a = f_b as partial functions on every grid-free input (same domain, same types).

    ``a`` and ``b`` are trees or their text."""
    a, b = as_tree(a), as_tree(b)
    methods: dict[str, str] = {}
    exact = True
    for mode in MODES:
        fa, why_a = symbolic_or_none(a, mode)
        fb, why_b = symbolic_or_none(b, mode)
        if fa is not None and fb is not None:
            methods[mode] = "symbolic"
            for first, second in ((fa, fb), (fb, fa)):
                env = _point_outside(first, second)
                if env is not None:
                    t = _input(mode, env)
                    return Decision(False, True, methods, t, f"at {t}: {_describe(try_output_type(a, t))} vs "
                                                             f"{_describe(try_output_type(b, t))}")
            if fa.domain is not None:
                diff = _output_difference(fa, fb)
                if diff is not None:
                    t = _input(mode, diff[0])
                    return Decision(False, True, methods, t, f"at {t}: {_describe(try_output_type(a, t))} vs "
                                                             f"{_describe(try_output_type(b, t))}")
            continue
        methods[mode] = f"exhaustive over {box.describe(mode)} ({why_a or why_b})"

        def differ(t: TensorType) -> Optional[str]:
            oa, ob = try_output_type(a, t, memo=False), try_output_type(b, t, memo=False)
            return None if oa == ob else f"at {t}: {_describe(oa)} vs {_describe(ob)}"

        found = _exhaustive(differ, mode, box)
        if found is not None:
            return Decision(False, True, methods, found[0], found[1])
        exact = False
    return Decision(True, exact, methods, None, "same dimension function")


def decide_forward_compatibility(a: Arch, b: Arch, box: InputBox = DEFAULT_BOX, *,
                                 names: tuple[str, str] = ("the first", "the second")) -> Decision:
    """Whether every output type of a (over grid-free inputs) is an input b accepts: O_a ⊆ I_b.

    Decided as dom(sequential(a, b)) = dom(a), which is the same statement. ``a`` and ``b`` are
    trees or their text; ``names`` are how the witness text calls a and b (e.g. ``("B", "A")``).
    """
    from ..language.ast import Sequential
    a, b = as_tree(a), as_tree(b)
    first, second = names
    seq = Sequential(a, b)
    methods: dict[str, str] = {}
    exact = True
    for mode in MODES:
        fa, why_a = symbolic_or_none(a, mode)
        fs, why_s = symbolic_or_none(seq, mode)
        if fa is not None and fs is not None:
            methods[mode] = "symbolic"
            env = _point_outside(fa, fs)
            if env is not None:
                t = _input(mode, env)
                out = try_output_type(a, t)
                return Decision(False, True, methods, t, _refusal(t, out, first, second))
            continue
        methods[mode] = f"exhaustive over {box.describe(mode)} ({why_a or why_s})"

        def refused(t: TensorType) -> Optional[str]:
            out = try_output_type(a, t, memo=False)
            if out is None or try_output_type(b, out, memo=False) is not None:
                return None
            return _refusal(t, out, first, second)

        found = _exhaustive(refused, mode, box)
        if found is not None:
            return Decision(False, True, methods, found[0], found[1])
        exact = False
    return Decision(True, exact, methods, None, f"every output of {first} is accepted by {second}")


def _refusal(t: TensorType, out: Optional[TensorType], first: str, second: str) -> str:
    """The witness text of a failed forward compatibility: what ``first`` gives and ``second`` refuses."""
    return f"at {t} {first} gives {out}, which {second} refuses"


def describe_function(tree: Arch) -> list[str]:
    """One line per mode: the symbolic dimension function, or why it is only checked pointwise."""
    tree = as_tree(tree)
    lines = []
    for mode in MODES:
        f, why = symbolic_or_none(tree, mode)
        lines.append(f.describe() if f is not None else f"{mode}: not symbolic ({why})")
    return lines

