"""The type rules of every position: pure functions on types, dispatching to each operation's own.

An operation's rule lives in its definition (:mod:`einspace.language.ops`); this module adds what
the position requires: a routing or computation slot needs a one-input operation, a branching
module's aggregation must take as many branches as its factor, all in one mode. The sampler, the
evaluator, the type system and the interpreter's shape checks all use these same functions.

Cost conventions (docs/operations.md): FLOPs count a multiply-accumulate as 2; ``memory`` counts
the elements of every tensor an operation materialises (views and identities are free), for one
sample.

Sizes: every integer that reaches torch (an operation's arguments, every dimension of every type)
is at most ``MAX_SIZE`` (torch's kernels index with 32-bit integers), and a tensor of one sample
holds at most ``MAX_ELEMENTS``; beyond these torch raises its own errors, so the rules refuse first.
"""

from __future__ import annotations

from typing import Sequence

from ..errors import RuleViolation
from ..language.ast import Terminal, is_int
from ..language.ops import dims_for_mode, fail, im2col_grid
from .tensor import TensorType

__all__ = ["apply", "branch", "aggregate", "op_params", "op_flops", "op_memory", "agg_flops", "im2col_grid",
           "dims_for_mode", "fits", "MAX_SIZE", "MAX_ELEMENTS", "check_sizes"]

#: the largest dimension or integer argument that reaches torch (2^31 - 1: 32-bit indexing)
MAX_SIZE = 2**31 - 1
#: the most elements a tensor of one sample may hold (2^48: 1 PiB of float32 per sample, beyond any
#: machine; with the batch the element count stays far inside torch's 64-bit sizes)
MAX_ELEMENTS = 2**48


def check_arguments(op: Terminal) -> None:
    """Refuse an operation whose integer arguments torch could not take (RuleViolation)."""
    for field in op.field_names:  # type: ignore[attr-defined]
        value = getattr(op, field)
        if is_int(value) and value > MAX_SIZE:
            name = op.name  # type: ignore[attr-defined]
            raise fail(f"{name}.size", f"{name} argument {field} = {_short(value)} is over the largest size "
                       f"torch takes, {MAX_SIZE:,}")


def check_sizes(op: Terminal, out: TensorType) -> TensorType:
    """``out``, or a RuleViolation if one of its dimensions or its element count is too large for torch."""
    name = op.name  # type: ignore[attr-defined]
    if max(out.shape) > MAX_SIZE:
        raise fail(f"{name}.size", f"{name} would give {_dims(out)}: a dimension over the largest size torch "
                   f"takes, {MAX_SIZE:,}")
    if out.numel > MAX_ELEMENTS:
        raise fail(f"{name}.size", f"{name} would give {_dims(out)}: {_short(out.numel)} elements per sample, "
                   f"over {MAX_ELEMENTS:,}")
    return out


def _short(n: int) -> str:
    """A size for a message: digits, or about 10^k when they would not fit on a line."""
    text = str(n)
    return text if len(text) <= 24 else f"about 10^{len(text) - 1}"


def _dims(t: TensorType) -> str:
    return f"{t.mode}[{','.join(_short(s) for s in t.shape)}]"


def apply(op: Terminal, t: TensorType) -> TensorType:
    """Output type of a routing or computation function (RuleViolation where undefined)."""
    check_arguments(op)
    return check_sizes(op, op.output_type(t))  # type: ignore[attr-defined]


def branch(fn: Terminal, t: TensorType) -> TensorType:
    """The type each of the ``fn.b`` branches receives (all branches receive the same type)."""
    check_arguments(fn)
    return check_sizes(fn, fn.branch_type(t))  # type: ignore[attr-defined]


def aggregate(agg: Terminal, types: Sequence[TensorType], factor: int) -> TensorType:
    """Output type of an aggregation over the branch outputs of a ``factor``-way branching module."""
    b = getattr(agg, "b", None)
    if b is None:
        return agg.aggregate_type(types)  # type: ignore[attr-defined]  # raises the position error
    if b != factor:
        raise fail(f"{agg.name}.factor", f"{agg.name} takes {b} branches but the branching module has {factor}")
    first = types[0].mode
    for t in types:
        if t.mode != first:
            raise fail(f"{agg.name}.mode", "branches end in different modes", *types)
    check_arguments(agg)
    return check_sizes(agg, agg.aggregate_type(types))  # type: ignore[attr-defined]


def fits(op: Terminal, t: TensorType) -> bool:
    """Whether a one-input operation accepts ``t``."""
    if op.refuses(t):  # type: ignore[attr-defined]
        return False
    try:
        apply(op, t)
    except RuleViolation:
        return False
    return True


def op_params(op: Terminal, t: TensorType, out: TensorType) -> int:
    """Exact number of trainable parameters of one operation at input type ``t``."""
    return op.params(t, out)  # type: ignore[attr-defined]


def op_flops(op: Terminal, t: TensorType, out: TensorType) -> int:
    """Estimated floating-point operations of a routing or computation function (one sample)."""
    return op.flops(t, out)  # type: ignore[attr-defined]


def agg_flops(agg: Terminal, types: Sequence[TensorType], out: TensorType) -> int:
    """Estimated FLOPs of an aggregation."""
    return agg.flops(types, out)  # type: ignore[attr-defined]


def op_memory(op: Terminal, out: TensorType, copies: int = 1) -> int:
    """Activation elements an operation materialises (one sample)."""
    return op.memory(out, copies)  # type: ignore[attr-defined]
