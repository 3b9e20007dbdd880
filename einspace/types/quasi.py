"""Exact arithmetic on two kinds of objects over the positive integers.

* :class:`QA` — a *quasi-affine* function of one integer variable, ``f(v) = slope·v + offset[v mod L]``
  with rational slope and a periodic rational offset. Every size the grammar computes from one input
  dimension is one: ``⌊(H + 2p − d(k−1) − 1)/s⌋ + 1`` (im2col), ``C·k²``, ``x/b`` (group), sums (cat),
  ``⌊F·x⌋`` (linear(xF) with dyadic F), and compositions of these. The representation with the
  smallest period is unique, so equal functions have equal representations.
* :class:`PSet` — an *eventually periodic* set of positive integers: an explicit prefix, then a
  periodic pattern. The set of sizes where a condition on a QA holds (a kernel fits, a size divides,
  two sizes agree) is always one. The canonical form is unique, so equal sets compare equal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterable

__all__ = ["QA", "PSet", "PeriodTooLarge", "PERIOD_LIMIT"]

#: periods above this are refused (the symbolic decision then falls back to exhaustive checking)
PERIOD_LIMIT = 1 << 12


class PeriodTooLarge(ArithmeticError):
    """A composition's period exceeds :data:`PERIOD_LIMIT`."""


def _lcm(a: int, b: int) -> int:
    n = a * b // math.gcd(a, b)
    if n > PERIOD_LIMIT:
        raise PeriodTooLarge(f"period {n} exceeds {PERIOD_LIMIT}")
    return n


def _minimal_period(values: tuple) -> tuple:
    n = len(values)
    for p in range(1, n + 1):
        if n % p == 0 and all(values[i] == values[i % p] for i in range(n)):
            return values[:p]
    return values  # pragma: no cover - p == n always matches


def _floor(x: Fraction) -> int:
    return x.numerator // x.denominator


@dataclass(frozen=True)
class QA:
    """``v ↦ slope·v + offsets[v mod len(offsets)]``, stored with its minimal period."""

    slope: Fraction
    offsets: tuple[Fraction, ...]

    @staticmethod
    def make(slope: Fraction, offsets: Iterable[Fraction]) -> "QA":
        return QA(Fraction(slope), _minimal_period(tuple(Fraction(o) for o in offsets)))

    @staticmethod
    def const(c) -> "QA":
        return QA(Fraction(0), (Fraction(c),))

    @staticmethod
    def var() -> "QA":
        return QA(Fraction(1), (Fraction(0),))

    @property
    def period(self) -> int:
        return len(self.offsets)

    def __call__(self, v: int) -> Fraction:
        return self.slope * v + self.offsets[v % len(self.offsets)]

    @property
    def is_const(self) -> bool:
        return self.slope == 0 and len(self.offsets) == 1

    def __add__(self, other: "QA") -> "QA":
        n = _lcm(self.period, other.period)
        return QA.make(self.slope + other.slope,
                       (self.offsets[r % self.period] + other.offsets[r % other.period] for r in range(n)))

    def __neg__(self) -> "QA":
        return QA(-self.slope, tuple(-o for o in self.offsets))

    def __sub__(self, other: "QA") -> "QA":
        return self + (-other)

    def content(self) -> Fraction:
        """The largest rational g with f(v)/g an integer for every v ≥ 1 (0 if f is 0 everywhere).

        Each residue class is an arithmetic progression f(v₀) + k·slope·L, whose terms have gcd
        gcd(f(v₀), slope·L)."""
        g = Fraction(0)
        for r in range(1, self.period + 1):
            g = _frac_gcd(_frac_gcd(g, self(r)), self.slope * self.period)
        return g

    def scale(self, c) -> "QA":
        c = Fraction(c)
        return QA.make(self.slope * c, (o * c for o in self.offsets))

    def shift(self, c) -> "QA":
        c = Fraction(c)
        return QA(self.slope, tuple(o + c for o in self.offsets))

    def floordiv(self, q: int) -> "QA":
        """``v ↦ ⌊f(v)/q⌋``: quasi-affine again, with slope f.slope/q.

        With α = slope/q, f(v+M)/q = f(v)/q + αM whenever M is a multiple of the period; choosing M
        also a multiple of α's denominator makes αM an integer, so the floor is periodic mod M
        up to the affine part.
        """
        alpha = self.slope / q
        n = _lcm(self.period, alpha.denominator)
        return QA.make(alpha, (Fraction(_floor(self(r) / q)) - alpha * r for r in range(n)))

    def __str__(self) -> str:
        return self.render("v")

    def render(self, name: str) -> str:
        """A readable formula: ``3``, ``H``, ``2·H + 1``, ``⌊(H + 1)/2⌋ + 1``, ``4·⌊D/4⌋`` or, failing
        those, the slope and the periodic offset table."""
        if self.slope == 0 and self.period == 1:
            return _num(self.offsets[0])
        if self.period == 1:
            return _affine(self.slope, name, self.offsets[0])
        for m in range(1, self.period + 1):
            form = self.scale(Fraction(1, m))._floor_form()
            if form is None:
                continue
            a, b, q, e = form
            inner = _affine(Fraction(a), name, Fraction(b))
            text = f"⌊({inner})/{q}⌋" if b else f"⌊{inner}/{q}⌋"
            if m != 1:
                text = f"{m}·{text}"
            e = e * m
            return text + (f" + {_num(e)}" if e > 0 else f" − {_num(-e)}" if e < 0 else "")
        table = ", ".join(_num(o) for o in self.offsets)
        return f"{_affine(self.slope, name, Fraction(0))} + [{table}][{name} mod {self.period}]"

    def nice_scale(self) -> Fraction:
        """A factor c such that ``self.scale(c)`` prints as a plain floor formula (1 if none)."""
        for q in range(1, self.period + 1):
            if self.period % q == 0 and self.scale(Fraction(1, q))._floor_form() is not None:
                return Fraction(1, q)
        return Fraction(1)

    def _floor_form(self) -> tuple[int, int, int, Fraction] | None:
        """(a, b, q, e) with f(v) = ⌊(a·v + b)/q⌋ + e, if f has that form with q = its period."""
        q = self.period
        a = self.slope * q
        if a.denominator != 1:
            return None
        a_int = int(a)
        for b in range(q):
            e = self.offsets[0] - (b // q)
            if all(Fraction((a_int * r + b) // q) + e - self.slope * r == self.offsets[r] for r in range(q)):
                return a_int, b, q, e
        return None


def _frac_gcd(a: Fraction, b: Fraction) -> Fraction:
    den = a.denominator * b.denominator // math.gcd(a.denominator, b.denominator)
    return Fraction(math.gcd(int(a * den), int(b * den)), den)


def _num(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def _affine(slope: Fraction, name: str, const: Fraction) -> str:
    if slope == 0:
        return _num(const)
    if slope == 1:
        head = name
    elif slope.numerator == 1:
        head = f"{name}/{slope.denominator}"
    elif slope.denominator == 1:
        head = f"{slope.numerator}·{name}"
    else:
        head = f"{slope.numerator}·{name}/{slope.denominator}"
    if const > 0:
        return f"{head} + {_num(const)}"
    if const < 0:
        return f"{head} − {_num(-const)}"
    return head


@dataclass(frozen=True)
class PSet:
    """A set of positive integers: ``prefix`` gives membership of 1 … start−1, then ``pattern``
    repeats from ``start`` on (``v ∈ S ⇔ pattern[(v − start) mod len(pattern)]``)."""

    start: int
    prefix: tuple[bool, ...]
    pattern: tuple[bool, ...]

    @staticmethod
    def tabulate(member: Callable[[int], bool], start: int, period: int) -> "PSet":
        """The set {v ≥ 1 : member(v)}, given that membership is periodic with ``period`` from
        ``start`` on. Returns the canonical form (smallest period, then smallest start)."""
        start = max(1, start)
        if period > PERIOD_LIMIT or start > 1 << 20:
            raise PeriodTooLarge(f"set with start {start} and period {period} is too large to tabulate")
        prefix = [bool(member(v)) for v in range(1, start)]
        pattern = _minimal_period(tuple(bool(member(start + i)) for i in range(period)))
        # move the start back while the element before it continues the pattern
        while prefix and prefix[-1] == pattern[-1]:
            prefix.pop()
            start -= 1
            pattern = (pattern[-1],) + pattern[:-1]
        return PSet(start, tuple(prefix), pattern)

    @staticmethod
    def everything() -> "PSet":
        return PSet(1, (), (True,))

    @staticmethod
    def nothing() -> "PSet":
        return PSet(1, (), (False,))

    @property
    def period(self) -> int:
        return len(self.pattern)

    def __contains__(self, v: int) -> bool:
        if v < 1:
            return False
        if v < self.start:
            return self.prefix[v - 1]
        return self.pattern[(v - self.start) % len(self.pattern)]

    @property
    def is_empty(self) -> bool:
        return not any(self.prefix) and not any(self.pattern)

    @property
    def is_all(self) -> bool:
        return not self.prefix and all(self.pattern)

    def __and__(self, other: "PSet") -> "PSet":
        return PSet.tabulate(lambda v: v in self and v in other, max(self.start, other.start),
                             _lcm(self.period, other.period))

    def first(self) -> int | None:
        """The smallest member (None if empty)."""
        for v in range(1, self.start + self.period):
            if v in self:
                return v
        return None

    def first_difference(self, other: "PSet") -> int | None:
        """The smallest v in exactly one of the two sets (None if they are equal)."""
        if self == other:
            return None
        for v in range(1, max(self.start, other.start) + _lcm(self.period, other.period)):
            if (v in self) != (v in other):
                return v
        return None  # pragma: no cover - canonical forms differ only if the sets do

    def sample_points(self, period: int = 1) -> list[int]:
        """Members that determine any function of degree ≤ 1 per residue class mod ``period``:
        every member below the start, and two full periods (of lcm(period, own)) after it."""
        n = _lcm(self.period, period)
        return [v for v in range(1, self.start + 2 * n) if v in self]

    def describe(self, name: str) -> str:
        """``H ≥ 3``, ``H even``, ``H ≡ 1 (mod 4)`` ... in words."""
        if self.is_all:
            return "any"
        if self.is_empty:
            return "never"
        members = [r for r in range(self.period) if self.pattern[r]]
        tail = ""
        if len(members) == self.period:
            tail = f"{name} ≥ {self.start}"
        elif members:
            base = self.start % self.period
            residues = sorted((base + r) % self.period for r in members)
            cond = (f"{name} ≡ {residues[0]} (mod {self.period})" if len(residues) == 1
                    else f"{name} mod {self.period} ∈ {{{', '.join(map(str, residues))}}}")
            tail = cond if self.start == 1 else f"{cond} and {name} ≥ {self.start}"
        extra = [v for v in range(1, self.start) if self.prefix[v - 1]]
        parts = ([f"{name} ∈ {{{', '.join(map(str, extra))}}}"] if extra else []) + ([tail] if tail else [])
        return " or ".join(parts)
