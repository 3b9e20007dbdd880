"""Sites in a tree: addressing a node by its path and rebuilding the tree around a replaced one.

A path names a node from the root by its children's slot names (``root``, ``root.first.inner``,
``root.branch2.op``, ...), as :func:`einspace.types.evaluator.infer` reports them. A 4/8-way
branching's template is its one ``inner`` child, so a replacement there changes every copy.
Replacing rebuilds only the ancestors; the rest of the tree is shared.
"""

from __future__ import annotations

from typing import Callable

from ..language.ast import Branching, Computation, Module, Node, Routing, Sequential
from ..types.evaluator import ROOT

__all__ = ["subtree_at", "replace_at", "with_child"]


def _child(node: Module, name: str) -> Node:
    if isinstance(node, Branching):
        if name in ("branch1", "branch2"):
            return node.branches[0 if name == "branch1" else 1]
        if name == "inner":
            return node.branches[0]
    return getattr(node, name)


def _with_sequential(node: Sequential, name: str, new: Node) -> Module:
    return Sequential(new, node.second) if name == "first" else Sequential(node.first, new)  # type: ignore[arg-type]


def _with_routing(node: Routing, name: str, new: Node) -> Module:
    parts = {"pre": node.pre, "inner": node.inner, "post": node.post}
    parts[name] = new  # type: ignore[assignment]
    return Routing(parts["pre"], parts["inner"], parts["post"])  # type: ignore[arg-type]


def _with_computation(node: Computation, name: str, new: Node) -> Module:
    return Computation(new)  # type: ignore[arg-type]


def _with_branching(node: Branching, name: str, new: Node) -> Module:
    if name == "fn":
        return Branching(new, node.branches, node.agg)  # type: ignore[arg-type]
    if name == "agg":
        return Branching(node.fn, node.branches, new)  # type: ignore[arg-type]
    if name == "inner":
        return Branching(node.fn, (new,), node.agg)  # type: ignore[arg-type]
    i = 0 if name == "branch1" else 1
    branches = list(node.branches)
    branches[i] = new  # type: ignore[call-overload]
    return Branching(node.fn, tuple(branches), node.agg)


_WITH: dict[type, Callable[[Module, str, Node], Module]] = {
    Sequential: _with_sequential,  # type: ignore[dict-item]
    Routing: _with_routing,  # type: ignore[dict-item]
    Computation: _with_computation,  # type: ignore[dict-item]
    Branching: _with_branching,  # type: ignore[dict-item]
}


def with_child(node: Module, name: str, new: Node) -> Module:
    """A copy of module ``node`` with its child ``name`` replaced by ``new`` (ValueError or TypeError
    where ``new`` does not fit there, e.g. a branching function of another factor)."""
    return _WITH[type(node)](node, name, new)


def _names(path: str) -> list[str]:
    parts = path.split(".")
    if parts[0] != ROOT:
        raise KeyError(f"paths start with {ROOT!r}: {path!r}")
    return parts[1:]


def subtree_at(tree: Module, path: str) -> Node:
    """The node at ``path`` (``root``, ``root.first.inner``, ...)."""
    node: Node = tree
    for name in _names(path):
        node = _child(node, name)  # type: ignore[arg-type]
    return node


def replace_at(tree: Module, path: str, new: Node) -> Module:
    """A copy of ``tree`` with the node at ``path`` replaced by ``new`` (ancestors rebuilt, the rest shared)."""
    names = _names(path)
    if not names:
        if not isinstance(new, Module):
            raise TypeError("the root must be a module")
        return new
    chain: list[Module] = [tree]
    for name in names[:-1]:
        chain.append(_child(chain[-1], name))  # type: ignore[arg-type]
    for parent, name in zip(reversed(chain), reversed(names)):
        new = _WITH[type(parent)](parent, name, new)
    return new  # type: ignore[return-value]
