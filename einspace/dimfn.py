"""Dimension functions: every subtree as a partial map from input type to output type.

NeuralArTS types an operation by its *dimension function* f_L: input shape ↦ output shape. Here the
"shape" is a whole :class:`TensorType` (mode, shape without batch, remembered im2col grid) and f is
partial: undefined where a rule of :mod:`einspace.rules` refuses the input. This module evaluates
f pointwise, with the same rules the evaluator uses, but without building per-node records — the
variation operators and the exhaustive equivalence check call it hundreds of thousands of times.

Results are memoised on ``(subtree, input type)``: subtrees are hashable values, and mutation and
crossover re-evaluate mostly unchanged subtrees at unchanged types, so a check of a child costs about
the path from the root to the change.
"""

from __future__ import annotations

from typing import Callable, Optional, Union

from ._recursion import deep_enough
from .ast import Branching, Computation, Module, Routing, Sequential
from .errors import RuleViolation
from .rules import aggregate, apply, branch
from .types import TensorType, as_type

__all__ = ["output_type", "try_output_type", "defined", "dimension_function", "clear_cache", "CACHE_LIMIT"]

TypeLike = Union[str, TensorType, tuple, list]

#: memo entries kept before the table is dropped and refilled (bounds memory in long searches)
CACHE_LIMIT = 200_000

_cache: dict[tuple[Module, TensorType], Union[TensorType, RuleViolation]] = {}


def clear_cache() -> None:
    """Forget every memoised evaluation (memory only; results never go stale: trees are values)."""
    _cache.clear()


def _eval(node: Module, t: TensorType, memo: bool) -> Union[TensorType, RuleViolation]:
    """Output type or the violation that stops it; never raises for type errors."""
    if memo:
        key = (node, t)
        hit = _cache.get(key)
        if hit is not None:
            return hit
    try:
        out: Union[TensorType, RuleViolation] = _MODULE_RULES[type(node)](node, t, memo)
    except RuleViolation as err:
        out = err
    if memo:
        if len(_cache) >= CACHE_LIMIT:
            _cache.clear()
        _cache[key] = out
    return out


def _need(result: Union[TensorType, RuleViolation]) -> TensorType:
    if isinstance(result, RuleViolation):
        raise result
    return result


def _computation(node: Computation, t: TensorType, memo: bool) -> TensorType:
    return apply(node.op, t)


def _sequential(node: Sequential, t: TensorType, memo: bool) -> TensorType:
    mid = _need(_eval(node.first, t, memo))
    return _need(_eval(node.second, mid, memo))


def _routing(node: Routing, t: TensorType, memo: bool) -> TensorType:
    a = apply(node.pre, t)
    b = _need(_eval(node.inner, a, memo))
    return apply(node.post, b)


def _branching(node: Branching, t: TensorType, memo: bool) -> TensorType:
    bt = branch(node.fn, t)
    outs = [_need(_eval(inner, bt, memo)) for inner in node.branches]
    types = outs if len(outs) == 2 else outs * node.factor
    return aggregate(node.agg, types, node.factor)


_MODULE_RULES: dict[type, Callable[[Module, TensorType, bool], TensorType]] = {
    Computation: _computation,  # type: ignore[dict-item]
    Sequential: _sequential,  # type: ignore[dict-item]
    Routing: _routing,  # type: ignore[dict-item]
    Branching: _branching,  # type: ignore[dict-item]
}


def output_type(tree: Module, input: TypeLike, *, memo: bool = True) -> TensorType:
    """f_tree(input); raises :class:`RuleViolation` (rule and types, no path) where undefined.

    Use :func:`einspace.infer` for the offending node's path; this is the fast pointwise form.
    """
    t = as_type(input)
    if tree.depth < 200:
        return _need(_eval(tree, t, memo))
    with deep_enough(tree.depth):
        return _need(_eval(tree, t, memo))


def try_output_type(tree: Module, input: TypeLike, *, memo: bool = True) -> Optional[TensorType]:
    """f_tree(input), or None where the dimension function is undefined."""
    t = as_type(input)
    if tree.depth < 200:
        out = _eval(tree, t, memo)
    else:
        with deep_enough(tree.depth):
            out = _eval(tree, t, memo)
    return None if isinstance(out, RuleViolation) else out


def defined(tree: Module, input: TypeLike, *, memo: bool = True) -> bool:
    """Whether ``tree`` type-checks at ``input``."""
    return try_output_type(tree, input, memo=memo) is not None


def dimension_function(tree: Module, *, memo: bool = False) -> Callable[[TypeLike], Optional[TensorType]]:
    """The partial map f_tree as a callable (None where undefined)."""

    def f(input: TypeLike) -> Optional[TensorType]:
        return try_output_type(tree, input, memo=memo)

    f.__doc__ = "dimension function of a subtree: input type -> output type or None"
    return f
