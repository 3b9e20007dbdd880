"""Symbolic sizes and the conditions on them: the algebra an operation's symbolic rule is written in.

A :class:`Sym` is a rational constant times a product of quasi-affine functions (:class:`~.quasi.QA`)
of distinct input variables; a condition on sizes becomes an eventually periodic set of one
variable; :class:`Validity` intersects them into the exact domain of a dimension function and offers
the operations (``add``, ``mul``, ``floordiv``, ``require_*``, ``never``) that the operations'
definitions (:mod:`einspace.language.ops`) call. See :mod:`einspace.types.symbolic`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Optional, Union

from .quasi import QA, PSet

__all__ = ["Sym", "Validity", "Unsupported", "Never", "Cond", "s_add", "s_scale", "s_mul", "s_floordiv",
           "cond_at_least", "cond_divisible", "cond_equal"]


class Unsupported(Exception):
    """The tree leaves the exactly decidable fragment; the message says where."""


class Never(Exception):
    """The tree is undefined for every input of the mode (a structural rule fails)."""


# --- symbolic sizes ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Sym:
    """``coef · Π f_v(v)``: each factor a normalised, non-constant QA of a distinct variable."""

    coef: Fraction
    factors: tuple[tuple[str, QA], ...] = ()

    @staticmethod
    def const(c) -> "Sym":
        return Sym(Fraction(c))

    @staticmethod
    def var(name: str) -> "Sym":
        return Sym(Fraction(1), ((name, QA.var()),))

    @staticmethod
    def of(var: Optional[str], f: QA) -> "Sym":
        """The Sym of one QA, normalised so that equal functions get equal Syms."""
        if f.is_const or var is None:
            return Sym(f.offsets[0] if f.is_const else f(1))
        scale = f.slope if f.slope != 0 else next(o for o in f.offsets if o != 0)
        return Sym(scale, ((var, f.scale(1 / scale)),))

    @property
    def is_const(self) -> bool:
        return not self.factors

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(v for v, _ in self.factors)

    def content(self) -> Fraction:
        """A rational g such that the size is an integer multiple of g at every input (see QA.content)."""
        g = abs(self.coef)
        for _, f in self.factors:
            g *= f.content()
        return g

    def univariate(self, what: str) -> tuple[Optional[str], QA]:
        """(variable or None, QA) of a Sym with at most one factor; Unsupported otherwise."""
        if not self.factors:
            return None, QA.const(self.coef)
        if len(self.factors) > 1:
            raise Unsupported(f"{what} of a size that is a product of several input dimensions ({self})")
        var, f = self.factors[0]
        return var, f.scale(self.coef)

    def __call__(self, env: dict[str, int]) -> Fraction:
        value = self.coef
        for var, f in self.factors:
            value *= f(env[var])
        return value

    def __str__(self) -> str:
        if not self.factors:
            return _q(self.coef)
        if len(self.factors) == 1:
            var, f = self.factors[0]
            return f.scale(self.coef).render(var)
        coef, parts = self.coef, []
        for v, f in self.factors:
            c = f.nice_scale()
            coef /= c
            text = f.scale(c).render(v)
            parts.append(text if _atomic(text) else f"({text})")
        head = "" if coef == 1 else f"{_q(coef)}·"
        return head + "·".join(parts)


def _q(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def _atomic(text: str) -> bool:
    return " " not in text or (text.startswith("⌊") and text.endswith("⌋") and text.count("⌊") == 1)


def _compatible(x: Sym, y: Sym) -> Optional[str]:
    vs = set(x.variables) | set(y.variables)
    if len(vs) > 1 or len(x.factors) > 1 or len(y.factors) > 1:
        raise Unsupported(f"relating sizes {x} and {y} of different input dimensions")
    return next(iter(vs), None)


def s_add(x: Sym, y: Sym) -> Sym:
    if x.factors == y.factors:
        total = x.coef + y.coef
        return Sym(total, x.factors) if total != 0 else Sym(Fraction(0))
    var = _compatible(x, y)
    return Sym.of(var, x.univariate("sum")[1] + y.univariate("sum")[1])


def s_scale(x: Sym, c) -> Sym:
    c = Fraction(c)
    return Sym(x.coef * c, x.factors) if c != 0 else Sym(Fraction(0))


def s_mul(x: Sym, y: Sym) -> Sym:
    if x.is_const:
        return s_scale(y, x.coef)
    if y.is_const:
        return s_scale(x, y.coef)
    if set(x.variables) & set(y.variables):
        raise Unsupported(f"a size depends twice on one input dimension ({x} · {y})")
    return Sym(x.coef * y.coef, tuple(sorted(x.factors + y.factors, key=lambda vf: vf[0])))


def s_floordiv(x: Sym, q: int) -> Sym:
    var, f = x.univariate("rounding")
    return Sym.of(var, f.floordiv(q))


# --- conditions: each becomes an eventually periodic set of one variable ----------------------

Cond = Union[bool, tuple[str, PSet]]


def _at_least(f: QA, k: int) -> PSet:
    if f.slope < 0:  # pragma: no cover - every size the grammar computes is nondecreasing
        raise Unsupported("a size decreasing in an input dimension")
    member = lambda v: f(v) >= k  # noqa: E731
    if f.slope == 0:
        return PSet.tabulate(member, 1, f.period)
    start = max(-((f.offsets[r] - k) / f.slope).__floor__() for r in range(f.period))
    return PSet.tabulate(member, start, 1)


def _divisible(f: QA, b: int) -> PSet:
    def member(v: int) -> bool:
        x = f(v)
        return x.denominator == 1 and x.numerator % b == 0
    n = f.period * (f.slope / b).denominator
    return PSet.tabulate(member, 1, n)


def _zero(h: QA) -> PSet:
    member = lambda v: h(v) == 0  # noqa: E731
    if h.slope == 0:
        return PSet.tabulate(member, 1, h.period)
    start = max((-h.offsets[r] / h.slope).__floor__() for r in range(h.period)) + 1
    return PSet.tabulate(member, start, 1)


def cond_at_least(x: Sym, k: int, *, is_size: bool = False) -> Cond:
    """x ≥ k. With ``is_size`` (x is the size of a tensor already typed), k ≤ 1 holds trivially:
    sizes are positive wherever the earlier conditions hold."""
    if is_size and k <= 1:
        return True
    var, f = x.univariate("a size bound")
    if var is None:
        return f.offsets[0] >= k
    return var, _at_least(f, k)


def cond_divisible(x: Sym, b: int) -> Cond:
    if _multiple_of(x, b):
        return True
    var, f = x.univariate("divisibility")
    if var is None:
        c = f.offsets[0]
        return c.denominator == 1 and c.numerator % b == 0
    return var, _divisible(f, b)


def _multiple_of(x: Sym, q: Fraction | int) -> bool:
    """Whether x is an integer multiple of q at every input (from its content)."""
    c = x.content()
    return c != 0 and (c / q).denominator == 1


def cond_equal(x: Sym, y: Sym) -> Cond:
    if x == y:
        return True
    var = _compatible(x, y)
    h = x.univariate("equality")[1] - y.univariate("equality")[1]
    if var is None:
        return h.offsets[0] == 0
    return var, _zero(h)


class Validity:
    """The validity set being built: a product of one PSet per variable (absent = every size)."""

    def __init__(self) -> None:
        self.sets: dict[str, PSet] = {}
        self.empty = False

    def require(self, cond: Cond) -> None:
        if cond is True:
            return
        if cond is False:
            self.empty = True
            return
        var, s = cond  # type: ignore[misc]
        old = self.sets.get(var)
        new = s if old is None else old & s
        self.sets[var] = new
        if new.is_empty:
            self.empty = True

    # -- the algebra an operation's symbolic rule is written in (see einspace.language.ops) --------
    const = staticmethod(Sym.const)
    add = staticmethod(lambda x, y: s_add(x, y))
    scale = staticmethod(lambda x, c: s_scale(x, c))
    mul = staticmethod(lambda x, y: s_mul(x, y))
    floordiv = staticmethod(lambda x, q: s_floordiv(x, q))
    multiple_of = staticmethod(lambda x, q: _multiple_of(x, q))

    def require_at_least(self, x: "Sym", k: int, is_size: bool = False) -> None:
        self.require(cond_at_least(x, k, is_size=is_size))

    def require_divisible(self, x: "Sym", b: int) -> None:
        self.require(cond_divisible(x, b))

    def require_equal(self, x: "Sym", y: "Sym") -> None:
        self.require(cond_equal(x, y))

    def require_equal_shapes(self, types: list, skip: int = -1) -> None:
        """Every dimension of every type equal to the first's, except dimension index ``skip``."""
        for t in types[1:]:
            for i, (x, y) in enumerate(zip(types[0].shape, t.shape)):
                if i != skip:
                    self.require(cond_equal(x, y))

    @staticmethod
    def common_grid(types: list):
        first = types[0].grid
        if all(t.grid == first for t in types):
            return first
        if any(t.grid is None for t in types):
            return None
        raise Unsupported("branches remember different im2col grids")

    @staticmethod
    def never():
        """The rule fails structurally: the tree is undefined for every input of the mode."""
        raise Never

    @staticmethod
    def unsupported(message: str):
        raise Unsupported(message)

    def canonical(self) -> Optional[tuple[tuple[str, PSet], ...]]:
        """None if empty; else the non-trivial sets, sorted by variable (equal sets ⇔ equal values)."""
        if self.empty:
            return None
        return tuple(sorted((v, s) for v, s in self.sets.items() if not s.is_all))
