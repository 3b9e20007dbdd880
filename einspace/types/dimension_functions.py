"""Dimension functions: every subtree as a partial map from input type to output type.

NeuralArTS types an operation by its *dimension function* f_L: input shape ↦ output shape. Here the
"shape" is a whole :class:`TensorType` (mode, shape without batch, remembered im2col grid) and f is
partial: undefined where a rule of :mod:`einspace.types.rules` refuses the input. This module evaluates
f pointwise, with the same rules the evaluator uses, but without building per-node records — the
variation operators and the exhaustive equivalence check call it hundreds of thousands of times.
Types and costs come from one walk and one memo (:func:`attributes`; :func:`output_type` is its
``output``), with the same rules as :func:`einspace.infer`.

Results are memoised on ``(subtree, input type)``: subtrees are hashable values, and mutation and
crossover re-evaluate mostly unchanged subtrees at unchanged types, so a check of a child costs about
the path from the root to the change.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional, Union

from .._recursion import deep_enough
from ..language.ast import Branching, Computation, Module, Routing, Sequential
from ..errors import RuleViolation
from .codes import code, tensor
from .rules import agg_flops, aggregate, apply, branch, op_flops, op_memory, op_params
from .tensor import TensorType, as_type

__all__ = ["output_type", "try_output_type", "defined", "dimension_function", "clear_cache", "CACHE_LIMIT",
           "Attrs", "attributes"]

TypeLike = Union[str, TensorType, tuple, list]

#: memo entries kept before the table is dropped and refilled (bounds memory in long searches)
CACHE_LIMIT = 200_000

class Attrs(NamedTuple):
    """Output type and the evaluator's totals for one instance of a subtree at one input type."""

    output: TensorType
    params: int
    flops: int
    memory: int


#: one memo for types and costs: (subtree, input type as a code) -> (output code, params, flops,
#: memory), or the violation that stops it. Codes and plain tuples (:mod:`.codes`): of an entry the
#: garbage collector tracks only the key (it holds the subtree), where Attrs and TensorTypes made
#: four tracked objects (issue 15: 181,000 after 8,000 mutations, full collections of ~110 ms)
_cache: dict[tuple, Union[tuple, RuleViolation]] = {}


def clear_cache() -> None:
    """Forget every memoised evaluation (memory only; results never go stale: trees are values)."""
    _cache.clear()


def _attrs(node: Module, t: TensorType, memo: bool = True) -> Union[Attrs, RuleViolation]:
    """Output type and costs, or the violation that stops them; never raises for type errors."""
    if memo:
        key = (node, code(t))
        hit = _cache.get(key)
        if hit is not None:
            if type(hit) is tuple:
                return Attrs(tensor(hit[0]), hit[1], hit[2], hit[3])
            return hit
    try:
        out: Union[Attrs, RuleViolation] = _RULES[type(node)](node, t, memo)
    except RuleViolation as err:
        out = err.with_traceback(None)  # memoised: kept without the frames it passed
    if memo:
        if len(_cache) >= CACHE_LIMIT:
            _cache.clear()
        _cache[key] = out if isinstance(out, RuleViolation) else (code(out.output), *out[1:])
    return out


def _need(result: Union[Attrs, RuleViolation]) -> Attrs:
    if isinstance(result, RuleViolation):
        raise result.fresh()  # never the memoised object (see RuleViolation.fresh)
    return result


def _computation(node: Computation, t: TensorType, memo: bool) -> Attrs:
    op = node.op
    out = apply(op, t)
    return Attrs(out, op_params(op, t, out), op_flops(op, t, out), op_memory(op, out))


def _sequential(node: Sequential, t: TensorType, memo: bool) -> Attrs:
    a = _need(_attrs(node.first, t, memo))
    b = _need(_attrs(node.second, a.output, memo))
    return Attrs(b.output, a.params + b.params, a.flops + b.flops, a.memory + b.memory)


def _routing(node: Routing, t: TensorType, memo: bool) -> Attrs:
    a = apply(node.pre, t)
    inner = _need(_attrs(node.inner, a, memo))
    out = apply(node.post, inner.output)
    return Attrs(out, inner.params,
                 inner.flops + op_flops(node.pre, t, a) + op_flops(node.post, inner.output, out),
                 inner.memory + op_memory(node.pre, a) + op_memory(node.post, out))


def _branching(node: Branching, t: TensorType, memo: bool) -> Attrs:
    bt = branch(node.fn, t)
    b = node.factor
    reps = 1 if len(node.branches) == 2 else b
    params = flops = memory = 0
    outs = []
    for inner in node.branches:
        x = _need(_attrs(inner, bt, memo))
        outs.append(x.output)
        params, flops, memory = params + x.params * reps, flops + x.flops * reps, memory + x.memory * reps
    types = outs if reps == 1 else outs * b
    out = aggregate(node.agg, types, b)
    return Attrs(out, params, flops + agg_flops(node.agg, types, out),
                 memory + op_memory(node.agg, out) + op_memory(node.fn, bt, b))


_RULES: dict[type, Callable[[Module, TensorType, bool], Attrs]] = {
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
        return _need(_attrs(tree, t, memo)).output
    with deep_enough(tree.depth):
        return _need(_attrs(tree, t, memo)).output


def try_output_type(tree: Module, input: TypeLike, *, memo: bool = True) -> Optional[TensorType]:
    """f_tree(input), or None where the dimension function is undefined."""
    t = as_type(input)
    if tree.depth < 200:
        out = _attrs(tree, t, memo)
    else:
        with deep_enough(tree.depth):
            out = _attrs(tree, t, memo)
    return None if isinstance(out, RuleViolation) else out.output


def defined(tree: Module, input: TypeLike, *, memo: bool = True) -> bool:
    """Whether ``tree`` type-checks at ``input``."""
    return try_output_type(tree, input, memo=memo) is not None


def dimension_function(tree: Module, *, memo: bool = False) -> Callable[[TypeLike], Optional[TensorType]]:
    """The partial map f_tree as a callable (None where undefined)."""

    def f(input: TypeLike) -> Optional[TensorType]:
        return try_output_type(tree, input, memo=memo)

    f.__doc__ = "dimension function of a subtree: input type -> output type or None"
    return f


def attributes(tree: Module, input: TypeLike) -> Attrs:
    """Output type, parameters, FLOPs and activation memory (as :func:`einspace.infer` counts them),
    memoised per (subtree, type); raises :class:`RuleViolation` where the tree is undefined."""
    t = as_type(input)
    if tree.depth < 200:
        return _need(_attrs(tree, t))
    with deep_enough(tree.depth):
        return _need(_attrs(tree, t))
