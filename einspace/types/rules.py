"""The type rules of every position: pure functions on types, dispatching to each operation's own.

An operation's rule lives in its definition (:mod:`einspace.language.ops`); this module adds what
the position requires: a routing or computation slot needs a one-input operation, a branching
module's aggregation must take as many branches as its factor, all in one mode. The sampler, the
evaluator, the type system and the interpreter's shape checks all use these same functions.

Cost conventions (docs/operations.md): FLOPs count a multiply-accumulate as 2; ``memory`` counts
the elements of every tensor an operation materialises (views and identities are free), for one
sample.
"""

from __future__ import annotations

from typing import Sequence

from ..errors import RuleViolation
from ..language.ast import Terminal
from ..language.ops import dims_for_mode, fail, im2col_grid
from .tensor import TensorType

__all__ = ["apply", "branch", "aggregate", "op_params", "op_flops", "op_memory", "agg_flops", "im2col_grid",
           "dims_for_mode", "fits"]


def apply(op: Terminal, t: TensorType) -> TensorType:
    """Output type of a routing or computation function (RuleViolation where undefined)."""
    return op.output_type(t)  # type: ignore[attr-defined]


def branch(fn: Terminal, t: TensorType) -> TensorType:
    """The type each of the ``fn.b`` branches receives (all branches receive the same type)."""
    return fn.branch_type(t)  # type: ignore[attr-defined]


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
    return agg.aggregate_type(types)  # type: ignore[attr-defined]


def fits(op: Terminal, t: TensorType) -> bool:
    """Whether a one-input operation accepts ``t``."""
    if op.refuses(t):  # type: ignore[attr-defined]
        return False
    try:
        op.output_type(t)  # type: ignore[attr-defined]
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
