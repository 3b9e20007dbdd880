"""Typing what changes: whether the rest of a typed tree accepts a new output at one position.

Mutation and crossover both replace one node of a parent whose typing is known. Instead of
re-typing the child from scratch, :func:`downstream_ok` re-types only the ancestors of the changed
position, from it up, and stops as soon as an ancestor outputs what it did before. :func:`typed`
memoises the parents' typings (evolution varies the same parents again).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Optional

from ..errors import RuleViolation
from ..language.ast import Branching, Module, Routing, Sequential
from ..types.dimension_functions import output_type
from ..types.evaluator import ROOT, NodeInfo, Typed, infer
from ..types.rules import aggregate, apply
from ..types.tensor import TensorType

__all__ = ["typed", "downstream_ok"]

_TYPED: "OrderedDict[tuple[Module, TensorType], Typed]" = OrderedDict()


def typed(tree: Module, t: TensorType) -> Typed:
    """``infer(tree, t)``, memoised for the last few hundred parents (evolution mutates parents again)."""
    key = (tree, t)
    hit = _TYPED.get(key)
    if hit is None:
        hit = _TYPED[key] = infer(tree, t)
        if len(_TYPED) > 256:
            _TYPED.popitem(last=False)
    else:
        _TYPED.move_to_end(key)
    return hit


def _parent_output(parent: NodeInfo, name: str, out: TensorType, info: Typed) -> TensorType:
    """The output of module ``parent`` when its child ``name`` now outputs ``out`` (the rest unchanged)."""
    node = parent.node
    if isinstance(node, Sequential):
        return output_type(node.second, out) if name == "first" else out
    if isinstance(node, Routing):
        return apply(node.post, out)
    if isinstance(node, Branching):
        if name == "inner":
            types = [out] * node.factor
        else:
            other = "branch2" if name == "branch1" else "branch1"
            sibling = info.at(f"{parent.path}.{other}").output
            types = [out, sibling] if name == "branch1" else [sibling, out]
        return aggregate(node.agg, types, node.factor)
    raise TypeError(f"{type(node).__name__} has no module children")  # pragma: no cover


def downstream_ok(info: Typed, path: str, out: TensorType, root_ok: Optional[Callable[[TensorType], bool]] = None
                  ) -> bool:
    """Whether the tree stays valid when the module at ``path`` outputs ``out`` instead.

    Re-types the ancestors from ``path`` up and stops as soon as one outputs what it did before.
    """
    while path != ROOT:
        if out == info.at(path).output:
            return True
        parent_path, name = path.rsplit(".", 1)
        try:
            out = _parent_output(info.at(parent_path), name, out, info)
        except RuleViolation:
            return False
        path = parent_path
    return root_ok is None or root_ok(out)
