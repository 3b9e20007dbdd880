"""Symbolic dimension functions: a subtree's output type as formulas in the input dimensions.

The input is a variable type — ``im[C,H,W]`` or ``col[S,D]`` without a grid, the types an
architecture receives — and every dimension of every intermediate type is a :class:`Sym`: a rational
constant times a product of quasi-affine functions (:class:`~.quasi.QA`), each of a *different* input
variable. Every operation's type rule has a symbolic twin in its own definition (:mod:`einspace.language.ops`),
written in the algebra of :class:`Validity`; each check a rule makes becomes a *condition* on the input, and the conditions of the whole tree
intersect into the *validity set*: the exact domain of the dimension function. Within the supported
fragment (below) conditions involve one variable each, so the domain is a product of eventually
periodic sets (:class:`~.quasi.PSet`), and everything is exact over all positive integers.

Outside the fragment the evaluation raises :class:`Unsupported` and callers fall back to checking a
finite domain exhaustively. The fragment excludes:

* conditions relating two different input variables or products of them, e.g. an im-mode
  dot product of a tensor with itself (needs H = W), or ``group`` splitting a sequence of length
  H'·W';
* a dimension that depends on one variable twice (e.g. ``(H−2)²``);
* aggregations of branches that remember different im2col grids;
* ``linear(xF)`` whose float factor has more than 24 significant bits (float rounding);
* periods above :data:`~.quasi.PERIOD_LIMIT`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Optional, Union

from .._recursion import deep_enough
from ..language.ast import Branching, Computation, Module, Routing, Sequential
from .quasi import QA, PSet, PeriodTooLarge

__all__ = ["Sym", "SymType", "Validity", "SymbolicFunction", "Unsupported", "symbolic_function", "VARIABLES"]

#: the input variables of each mode, in shape order
VARIABLES = {"im": ("C", "H", "W"), "col": ("S", "D")}


class Unsupported(Exception):
    """The tree leaves the exactly decidable fragment; the message says where."""


class _Never(Exception):
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
        raise _Never

    @staticmethod
    def unsupported(message: str):
        raise Unsupported(message)

    def canonical(self) -> Optional[tuple[tuple[str, PSet], ...]]:
        """None if empty; else the non-trivial sets, sorted by variable (equal sets ⇔ equal values)."""
        if self.empty:
            return None
        return tuple(sorted((v, s) for v, s in self.sets.items() if not s.is_all))


# --- symbolic types and the rules -------------------------------------------------------------

@dataclass(frozen=True)
class SymType:
    mode: str
    shape: tuple[Sym, ...]
    grid: Optional[tuple[Sym, Sym]] = None

    @property
    def rank(self) -> int:
        return len(self.shape) + 1

    def dim(self, d: int) -> Sym:
        return self.shape[d - 1]

    def derive(self, shape: tuple, mode: Optional[str] = None, grid=...) -> "SymType":
        return SymType(self.mode if mode is None else mode, tuple(shape), self.grid if grid is ... else grid)

    def with_dim(self, d: int, size: Sym) -> "SymType":
        shape = list(self.shape)
        shape[d - 1] = size
        return SymType(self.mode, tuple(shape), self.grid)

    def __str__(self) -> str:
        text = f"{self.mode}[{', '.join(str(s) for s in self.shape)}]"
        if self.grid is not None:
            text += f" grid ({self.grid[0]}, {self.grid[1]})"
        return text


def _unary(op, t: SymType, dom: Validity) -> SymType:
    if "R1" not in op.roles and "R2" not in op.roles and "C" not in op.roles:  # pragma: no cover - AST prevents it
        raise _Never
    return op.symbolic_output(t, dom)


def _aggregate(agg, types: list[SymType], factor: int, dom: Validity) -> SymType:
    if agg.b != factor or any(t.mode != types[0].mode for t in types):
        raise _Never
    return agg.symbolic_aggregate(types, dom)


def _module(node: Module, t: SymType, dom: Validity) -> SymType:
    return _MODULES[type(node)](node, t, dom)


def _m_computation(node: Computation, t: SymType, dom: Validity) -> SymType:
    return _unary(node.op, t, dom)


def _m_sequential(node: Sequential, t: SymType, dom: Validity) -> SymType:
    return _module(node.second, _module(node.first, t, dom), dom)


def _m_routing(node: Routing, t: SymType, dom: Validity) -> SymType:
    a = _unary(node.pre, t, dom)
    b = _module(node.inner, a, dom)
    return _unary(node.post, b, dom)


def _m_branching(node: Branching, t: SymType, dom: Validity) -> SymType:
    bt = node.fn.symbolic_branch(t, dom)
    outs = [_module(inner, bt, dom) for inner in node.branches]
    types = outs if len(outs) == 2 else outs * node.factor
    return _aggregate(node.agg, types, node.factor, dom)


_MODULES: dict[type, Callable] = {
    Computation: _m_computation,
    Sequential: _m_sequential,
    Routing: _m_routing,
    Branching: _m_branching,
}


@dataclass(frozen=True)
class SymbolicFunction:
    """The dimension function of a tree on the grid-free inputs of one mode.

    ``domain`` is None when the tree is defined for no input of the mode; otherwise it is the
    exact validity set (the product of the listed one-variable sets; variables not listed are
    unrestricted) and ``output`` the output type on it.
    """

    mode: str
    domain: Optional[tuple[tuple[str, PSet], ...]]
    output: Optional[SymType]

    @property
    def defined_somewhere(self) -> bool:
        return self.domain is not None

    def variables(self) -> tuple[str, ...]:
        return VARIABLES[self.mode]

    def contains(self, env: dict[str, int]) -> bool:
        if self.domain is None:
            return False
        return all(env[v] in s for v, s in self.domain)

    def member(self, var: str) -> PSet:
        for v, s in self.domain or ():
            if v == var:
                return s
        return PSet.everything() if self.domain is not None else PSet.nothing()

    def describe(self) -> str:
        names = ",".join(VARIABLES[self.mode])
        head = f"{self.mode}[{names}]"
        if self.domain is None:
            return f"{head} → undefined"
        where = " and ".join(s.describe(v) for v, s in self.domain)
        return f"{head} → {self.output}" + (f"   where {where}" if where else "")


def symbolic_function(tree: Module, mode: str) -> SymbolicFunction:
    """The exact dimension function of ``tree`` on grid-free ``mode`` inputs; raises Unsupported."""
    names = VARIABLES[mode]
    t = SymType(mode, tuple(Sym.var(n) for n in names), None)
    dom = Validity()
    try:
        with deep_enough(tree.depth):
            out = _module(tree, t, dom)
    except _Never:
        return SymbolicFunction(mode, None, None)
    except PeriodTooLarge as err:
        raise Unsupported(str(err)) from None
    canon = dom.canonical()
    return SymbolicFunction(mode, canon, out if canon is not None else None)
