"""Equality, pickling and ``repr`` of trees without recursion.

The parser accepts trees up to ``MAX_DEPTH`` levels, and ``let`` makes trees that share subtrees.
Python's recursive defaults (dataclass ``__eq__`` comparing field tuples, ``pickle`` of nested
objects, dataclass ``__repr__``) run out of stack at a few hundred levels and revisit shared
subtrees once per path, so the nodes use these loops instead. They need only what every node has:
``children`` (empty for a leaf), ``_fields()``, the cached ``_hash``, and for modules
``from_children``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["equal", "flatten", "rebuild", "deep_repr"]


def equal(a: Any, b: Any) -> bool:
    """Structural equality of two nodes; each pair of shared subtrees is compared once."""
    stack = [(a, b)]
    seen: set[tuple[int, int]] = set()
    while stack:
        x, y = stack.pop()
        if x is y:
            continue
        if type(x) is not type(y) or x._hash != y._hash:
            return False
        kids_x, kids_y = x.children, y.children
        if not kids_x:  # a leaf: its fields are plain values (ints, floats, tuples of ints)
            if kids_y or x._fields() != y._fields():
                return False
            continue
        if len(kids_x) != len(kids_y):
            return False
        key = (id(x), id(y))
        if key in seen:
            continue
        seen.add(key)
        stack.extend(zip(kids_x, kids_y))
    return True


def flatten(root: Any) -> tuple:
    """Post-order entries: a leaf stands for itself, a module is ``(class, child indices)``; a shared
    subtree is written once and referred to by index (pickle then never nests deeper than a leaf)."""
    entries: list = []
    index: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in index:
            continue
        kids = node.children
        if kids and not ready:
            stack.append((node, True))
            stack.extend((k, False) for k in reversed(kids) if id(k) not in index)
            continue
        entries.append((type(node), tuple(index[id(k)] for k in kids)) if kids else node)
        index[id(node)] = len(entries) - 1
    return tuple(entries)


def rebuild(entries: tuple) -> Any:
    """The tree that :func:`flatten` wrote (shared subtrees stay shared)."""
    values: list = []
    for entry in entries:
        if isinstance(entry, tuple):
            cls, kids = entry
            values.append(cls.from_children([values[i] for i in kids]))
        else:
            values.append(entry)
    return values[-1]


def deep_repr(root: Any) -> str:
    """The dataclass-style ``repr`` (``Sequential(first=..., second=...)``), written with a stack."""
    out: list[str] = []
    stack: list[Any] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, tuple):
            parts: list[Any] = ["("]
            for i, value in enumerate(item):
                parts += [", "] * (i > 0) + [value]
            parts.append(",)" if len(item) == 1 else ")")
            stack.extend(reversed(parts))
        elif not item.children:
            out.append(repr(item))
        else:
            names = [f.name for f in dataclasses.fields(item) if f.repr]
            parts = [type(item).__name__ + "("]
            for i, name in enumerate(names):
                parts += [", " * (i > 0) + name + "=", getattr(item, name)]
            parts.append(")")
            stack.extend(reversed(parts))
    return "".join(out)
