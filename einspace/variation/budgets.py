"""Budgets of a variation: the limits a child must respect, and the share left to a new subtree.

Where a parent itself exceeds a limit, the parent's own value is the limit
(:func:`effective_budget`), so seeds larger than the default budget stay mutable. :func:`within`
checks a finished child against every limit; :func:`sub_budget` gives the limits one new subtree
must keep so the whole tree stays within them; :func:`root_check` is the budget's condition on the
output type, as the predicate :func:`.downstream.downstream_ok` takes.
"""

from __future__ import annotations

from typing import Callable, Optional

from ..generate.budget import Budget
from ..language.analysis import instantiated_size
from ..language.ast import Module
from ..types.dimension_functions import attributes
from ..types.evaluator import NodeInfo, Typed
from ..types.tensor import TensorType

__all__ = ["effective_budget", "within", "output_fits", "root_check", "sub_budget"]

_COSTS = ("max_params", "max_flops", "max_memory", "max_nodes", "max_depth")


def effective_budget(budget: Budget, info: Typed) -> Budget:
    """``budget`` with each limit raised to the parent's own value where the parent exceeds it."""
    have = {"max_params": info.params, "max_flops": info.flops, "max_memory": info.memory,
            "max_nodes": instantiated_size(info.tree), "max_depth": info.tree.depth}
    changes = {k: have[k] for k in _COSTS if getattr(budget, k) is not None and getattr(budget, k) < have[k]}
    return Budget.of(budget, **changes) if changes else budget


def within(budget: Budget, tree: Module, t: TensorType) -> bool:
    """Whether ``tree`` at ``t`` respects every limit of ``budget`` (it must type-check)."""
    if budget.max_nodes is not None and instantiated_size(tree) > budget.max_nodes:
        return False
    if budget.max_depth is not None and tree.depth > budget.max_depth:
        return False
    a = attributes(tree, t)
    for limit, value in ((budget.max_params, a.params), (budget.max_flops, a.flops), (budget.max_memory, a.memory)):
        if limit is not None and value > limit:
            return False
    return output_fits(budget, a.output)


def output_fits(budget: Budget, out: TensorType) -> bool:
    """Whether ``out`` has the budget's output mode and shape (where it sets them)."""
    if budget.output_mode is not None and out.mode != budget.output_mode:
        return False
    if budget.output_shape is not None:
        if len(budget.output_shape) != len(out.shape):
            return False
        return all(w is None or w == h for w, h in zip(budget.output_shape, out.shape))
    return True


def root_check(budget: Budget) -> Optional[Callable[[TensorType], bool]]:
    """The budget's condition on the tree's output type, or None where it sets none."""
    return (lambda o: output_fits(budget, o)) if budget.output_mode or budget.output_shape else None


def sub_budget(budget: Budget, info: Typed, at: NodeInfo) -> Budget:
    """Limits for the new subtree at ``at`` (one instance): the budget minus the rest of the tree."""
    def share(limit: Optional[int], total: int, own: int) -> Optional[int]:
        if limit is None:
            return None
        return max(0, (limit - (total - own * at.copies)) // at.copies)
    node = at.node
    return Budget(
        max_nodes=share(budget.max_nodes, instantiated_size(info.tree), instantiated_size(node)),
        max_depth=None if budget.max_depth is None else budget.max_depth - at.depth,
        max_params=share(budget.max_params, info.params, at.params),
        max_flops=share(budget.max_flops, info.flops, at.flops),
        max_memory=share(budget.max_memory, info.memory, at.memory),
    )
