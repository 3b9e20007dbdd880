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
from typing import Callable, Optional

from .._recursion import deep_enough
from ..language.ast import Branching, Computation, Module, Routing, Sequential
from .quasi import PSet, PeriodTooLarge
from .sizes import Never, Sym, Unsupported, Validity

__all__ = ["Sym", "SymType", "Validity", "SymbolicFunction", "Unsupported", "symbolic_function", "VARIABLES"]

#: the input variables of each mode, in shape order
VARIABLES = {"im": ("C", "H", "W"), "col": ("S", "D")}


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
        raise Never
    return op.symbolic_output(t, dom)


def _aggregate(agg, types: list[SymType], factor: int, dom: Validity) -> SymType:
    if agg.b != factor or any(t.mode != types[0].mode for t in types):
        raise Never
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
    except Never:
        return SymbolicFunction(mode, None, None)
    except PeriodTooLarge as err:
        raise Unsupported(str(err)) from None
    canon = dom.canonical()
    return SymbolicFunction(mode, canon, out if canon is not None else None)
