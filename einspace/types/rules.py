"""Type rules, parameter counts and cost estimates of every operation: pure functions on types.

One table entry per terminal class. A rule takes the operation and its input type(s) and returns the
output type(s) or raises :class:`RuleViolation`; it never looks at a tree. The sampler, the evaluator,
the type system and the interpreter's shape checks all use these same functions.

Cost conventions (documented in docs/operations.md): FLOPs count a multiply-accumulate as 2;
``memory`` counts the elements of every tensor an operation materialises (views and identities are
free), for one sample.
"""

from __future__ import annotations

from typing import Callable, Sequence

from ..language.ast import (Add, Cat, Clone, Col2Im, DotProduct, Group, Identity, Im2Col, Linear, Norm, Perm,
                  PosEnc, Relu, Softmax, Terminal)
from ..errors import RuleViolation
from .tensor import TensorType

__all__ = ["UnaryRule", "UNARY", "branch", "aggregate", "apply", "op_params", "op_flops", "op_memory",
           "agg_flops", "im2col_grid", "dims_for_mode"]


def _fail(rule: str, message: str, *types: object) -> RuleViolation:
    return RuleViolation(rule, message, tuple(str(t) for t in types))


def dims_for_mode(mode: str) -> tuple[int, ...]:
    """Dimensions (0-based, counting the batch) that group and cat may use in a mode."""
    return (1, 2, 3) if mode == "im" else (1, 2)


# --- routing and computation: one input, one output -------------------------------------------

def _identity(op: Terminal, t: TensorType) -> TensorType:
    return t


def _perm(op: Perm, t: TensorType) -> TensorType:
    if len(op.order) != t.rank:
        need = "perm(0,2,1)" if t.mode == "col" else "a 4-index perm such as perm(0,1,3,2)"
        raise _fail("perm.rank", f"perm{op.order} has {len(op.order)} indices but a {t.mode} tensor has rank "
                    f"{t.rank} (with the batch); use {need}", t)
    shape = tuple(t.shape[i - 1] for i in op.order[1:])
    return TensorType(t.mode, shape, t.grid)


def im2col_grid(op: Im2Col, h: int, w: int) -> tuple[int, int] | None:
    """The output grid (H', W') of an im2col on an H x W image, or None if the kernel does not fit."""
    span = op.d * (op.k - 1) + 1
    hh, ww = h + 2 * op.p - span, w + 2 * op.p - span
    if hh < 0 or ww < 0:
        return None
    return hh // op.s + 1, ww // op.s + 1


def _im2col(op: Im2Col, t: TensorType) -> TensorType:
    if t.mode != "im":
        raise _fail("im2col.mode", "im2col needs an im-mode input [C,H,W]", t)
    c, h, w = t.shape
    grid = im2col_grid(op, h, w)
    if grid is None:
        span = op.d * (op.k - 1) + 1
        raise _fail("im2col.kernel", f"kernel {op.k} (dilation {op.d}, extent {span}) does not fit a "
                    f"{h}x{w} image with padding {op.p}", t)
    return TensorType("col", (grid[0] * grid[1], c * op.k * op.k), grid)


def _col2im(op: Col2Im, t: TensorType) -> TensorType:
    if t.mode != "col":
        raise _fail("col2im.mode", "col2im needs a col-mode input [S,D]", t)
    if t.grid is None:
        raise _fail("col2im.grid", "col2im has no grid to fold into: no im2col produced this col tensor "
                    "(or an aggregation mixed tensors from different im2cols)", t)
    gh, gw = t.grid
    s, d = t.shape
    if s != gh * gw:
        raise _fail("col2im.grid-size", f"col2im would fold {s} positions into the remembered {gh}x{gw} grid "
                    f"({gh * gw} positions); the sequence length changed since the im2col", t)
    return TensorType("im", (d, gh, gw), None)


def _linear(op: Linear, t: TensorType) -> TensorType:
    last = t.shape[-1]
    out = op.out_width(last)
    if out < 1:
        raise _fail("linear.width", f"linear(x{op.factor}) of width {last} gives width {out} < 1", t)
    return TensorType(t.mode, t.shape[:-1] + (out,), t.grid)


UnaryRule = Callable[[Terminal, TensorType], TensorType]

#: output type of every one-input operation (routing and computation functions)
UNARY: dict[type, UnaryRule] = {
    Identity: _identity,
    Perm: _perm,  # type: ignore[dict-item]
    Im2Col: _im2col,  # type: ignore[dict-item]
    Col2Im: _col2im,  # type: ignore[dict-item]
    Linear: _linear,  # type: ignore[dict-item]
    Norm: _identity,
    Relu: _identity,
    Softmax: _identity,
    PosEnc: _identity,
}


def apply(op: Terminal, t: TensorType) -> TensorType:
    """Output type of a routing or computation function."""
    try:
        rule = UNARY[type(op)]
    except KeyError:
        raise _fail("position", f"{type(op).__name__} is not a routing or computation function") from None
    return rule(op, t)


# --- branching functions ----------------------------------------------------------------------

def branch(fn: Clone | Group, t: TensorType) -> TensorType:
    """The type each of the ``fn.b`` branches receives (all branches receive the same type)."""
    if isinstance(fn, Clone):
        return t
    if fn.dim not in dims_for_mode(t.mode):
        raise _fail("group.dim", f"group(…,{fn.dim}) splits dimension {fn.dim}, but a {t.mode} tensor has "
                    f"dimensions {dims_for_mode(t.mode)} (0 is the batch)", t)
    size = t.dim(fn.dim)
    if size % fn.b:
        raise _fail("group.divisible", f"dimension {fn.dim} of size {size} cannot be split into {fn.b} equal parts", t)
    return t.with_dim(fn.dim, size // fn.b)


# --- aggregation functions --------------------------------------------------------------------

def _common_grid(types: Sequence[TensorType]) -> tuple[int, int] | None:
    first = types[0].grid
    return first if all(t.grid == first for t in types) else None


def _same_mode(agg: str, types: Sequence[TensorType]) -> None:
    if any(t.mode != types[0].mode for t in types):
        raise _fail(f"{agg}.mode", "branches end in different modes", *types)


def aggregate(agg: DotProduct | Add | Cat, types: Sequence[TensorType], factor: int) -> TensorType:
    """Output type of an aggregation over the branch outputs of a ``factor``-way branching module."""
    if agg.b != factor:
        name = "dot_product" if isinstance(agg, DotProduct) else type(agg).__name__.lower()
        raise _fail(f"{name}.factor", f"{name} takes {agg.b} branches but the branching module has {factor}")
    if isinstance(agg, Add):
        _same_mode("add", types)
        if any(t.shape != types[0].shape for t in types):
            raise _fail("add.shapes", "add needs branches of equal shape", *types)
        return TensorType(types[0].mode, types[0].shape, _common_grid(types))
    if isinstance(agg, Cat):
        _same_mode("cat", types)
        mode = types[0].mode
        if agg.dim not in dims_for_mode(mode):
            raise _fail("cat.dim", f"cat(…,{agg.dim}) joins dimension {agg.dim}, but a {mode} tensor has "
                        f"dimensions {dims_for_mode(mode)} (0 is the batch)", *types)
        i = agg.dim - 1
        rest = [t.shape[:i] + t.shape[i + 1:] for t in types]
        if any(r != rest[0] for r in rest):
            raise _fail("cat.shapes", f"cat along dimension {agg.dim} needs every other dimension equal", *types)
        total = sum(t.shape[i] for t in types)
        return TensorType(mode, types[0].shape[:i] + (total,) + types[0].shape[i + 1:], _common_grid(types))
    a, b = types
    _same_mode("dot_product", types)
    if a.mode == "im":
        if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
            raise _fail("dot_product.shapes", "im-mode dot_product needs [C,H,W] @ [C,W,V]", a, b)
        return TensorType("im", (a.shape[0], a.shape[1], b.shape[2]), None)
    if a.shape[1] != b.shape[0]:
        raise _fail("dot_product.shapes", "col-mode dot_product needs [S,D] @ [D,T]", a, b)
    # the positions S of the first operand survive, so its grid does too
    return TensorType("col", (a.shape[0], b.shape[1]), a.grid)


# --- parameters and costs ---------------------------------------------------------------------

def op_params(op: Terminal, t: TensorType, out: TensorType) -> int:
    """Exact number of trainable parameters of one operation at input type ``t``."""
    if isinstance(op, Linear):
        return t.shape[-1] * out.shape[-1] + out.shape[-1]
    if isinstance(op, Norm):
        return 2 * (t.shape[0] if t.mode == "im" else t.shape[-1])
    if isinstance(op, PosEnc):
        return t.numel
    return 0


def op_flops(op: Terminal, t: TensorType, out: TensorType) -> int:
    """Estimated floating-point operations of a routing or computation function (one sample)."""
    if isinstance(op, Linear):
        rows = t.numel // t.shape[-1]
        return rows * out.shape[-1] * (2 * t.shape[-1] + 1)
    if isinstance(op, Norm):
        return 4 * t.numel
    if isinstance(op, Softmax):
        return 3 * t.numel
    if isinstance(op, (Relu, PosEnc)):
        return t.numel
    return 0


def agg_flops(agg: Terminal, types: Sequence[TensorType], out: TensorType) -> int:
    """Estimated FLOPs of an aggregation."""
    if isinstance(agg, Add):
        return (len(types) - 1) * out.numel
    if isinstance(agg, DotProduct):
        inner = types[0].shape[-1]
        return out.numel * 2 * inner + (out.numel if agg.scaled else 0)
    return 0


#: operations whose output is a view of their input (no new activation memory)
_VIEWS = (Identity, Perm, Group, Col2Im)


def op_memory(op: Terminal, out: TensorType, copies: int = 1) -> int:
    """Activation elements an operation materialises (one sample)."""
    return 0 if isinstance(op, _VIEWS) else out.numel * copies
