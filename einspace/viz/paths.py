"""Every node of a tree with its path and slot: what all pictures walk.

Paths are the evaluator's (``root``, ``root.first``, ``root.inner.op``), so a picture's node can be
looked up in :func:`einspace.types.evaluator.infer`'s result with ``typed.at(path)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from ..language.ast import Branching, Module, Node
from ..types.evaluator import ROOT, child_path

__all__ = ["Place", "places", "replicas"]


@dataclass(frozen=True)
class Place:
    """One node occurrence: its path, the slot it fills (None for the root) and its depth."""

    path: str
    node: Node
    slot: str | None
    depth: int
    parent: str | None


def places(tree: Module) -> Iterator[Place]:
    """Pre-order walk with paths, without recursion (trees may be deep)."""
    stack: list[Place] = [Place(ROOT, tree, None, 0, None)]
    while stack:
        place = stack.pop()
        yield place
        if isinstance(place.node, Module):
            kids = [Place(child_path(place.path, name), child, name, place.depth + 1, place.path)
                    for name, child in place.node.named_children()]
            stack.extend(reversed(kids))


def replicas(node: Node) -> int:
    """How many copies of its one inner module a 4/8-way branching holds (1 for anything else)."""
    if isinstance(node, Branching) and len(node.branches) == 1:
        return node.factor
    return 1
