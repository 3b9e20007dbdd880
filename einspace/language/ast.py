"""Typed AST of einspace architectures: frozen, hashable dataclasses.

The AST *is* the derivation tree of the grammar: a module node is an ``M`` (or the root ``S``),
and terminal nodes are the ``B``, ``A``, ``R1``, ``R2`` and ``C`` leaves. Every node caches its
hash, its depth and its size at construction so that the sampler, the search and de-duplication
can use nodes as dictionary keys in O(1), and so that deep trees are rejected before any
recursive algorithm walks them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import ClassVar, Iterator

from .._recursion import deep_enough
from .deep import deep_repr, equal, flatten, rebuild

__all__ = ["Node", "Terminal", "Module", "Sequential", "Branching", "Routing", "Computation", "canonical",
           "MODULE_TAGS", "SLOT_SYMBOLS", "is_int", "node_dataclass"]

#: hash tags of the four module kinds (operations take theirs from their names)
MODULE_TAGS = frozenset({20, 21, 22, 23})
#: the grammar symbol of every child slot of a module
SLOT_SYMBOLS = {"first": "M", "second": "M", "fn": "B", "inner": "M", "branch1": "M", "branch2": "M",
                "agg": "A", "pre": "R1", "post": "R2", "op": "C"}


def _finish(node: "Node", key: tuple, children: tuple["Node", ...] = ()) -> None:
    """Cache hash, depth and size; ``key`` holds only ints, floats and child hashes (unsalted)."""
    setattr_ = object.__setattr__
    if children:
        setattr_(node, "_hash", hash((node._tag, *key, *[c._hash for c in children])))
        setattr_(node, "depth", 1 + max([c.depth for c in children]))
        setattr_(node, "size", 1 + sum([c.size for c in children]))
    else:
        setattr_(node, "_hash", hash((node._tag, *key)))
        setattr_(node, "depth", 1)
        setattr_(node, "size", 1)


class Node:
    """Base of every AST node (terminal or module)."""

    _tag: ClassVar[int] = 0
    symbol: ClassVar[str] = "?"
    _hash: int
    depth: int
    size: int

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(self) is not type(other) or self._hash != other._hash:  # type: ignore[attr-defined]
            return False
        return equal(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __copy__(self) -> "Node":
        return self  # nodes are immutable values: a copy may be the node itself

    def __deepcopy__(self, memo: dict) -> "Node":
        return self

    @property
    def children(self) -> tuple["Node", ...]:
        return ()

    def __str__(self) -> str:
        return canonical(self)

    def digest(self) -> str:
        """Stable content hash (hex sha256 of the canonical text): equal in every process."""
        return hashlib.sha256(str(self).encode()).hexdigest()

    def walk(self) -> Iterator["Node"]:
        """Pre-order traversal without recursion."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


class Terminal(Node):
    """A leaf: an operation. Every operation is an :class:`einspace.language.ops.Operation`, which defines
    its ``text()`` and its rules."""

    field_names: ClassVar[tuple[str, ...]] = ()
    name: ClassVar[str] = ""
    roles: ClassVar[tuple[str, ...]] = ()

    def _finish(self, key: tuple) -> None:
        _finish(self, key)


_CACHED = ("_hash", "depth", "size")


def node_dataclass(cls, own_repr: bool = True):
    """Frozen dataclass with the cached fields (hash, depth, size) excluded from init/compare/repr."""
    ann = cls.__dict__.get("__annotations__")
    if ann is None:
        ann = {}
        cls.__annotations__ = ann
    for name in _CACHED:
        ann[name] = int
        setattr(cls, name, field(init=False, repr=False, compare=False))
    return dataclass(frozen=True, eq=False, repr=own_repr)(cls)


def is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _has_role(value: object, role: str) -> bool:
    return isinstance(value, Terminal) and role in value.roles


def _expect_role(value: object, role: str, what: str) -> None:
    if not _has_role(value, role):
        got = value.text() if isinstance(value, Terminal) else type(value).__name__
        raise TypeError(f"{what} must be {_ROLE_WORDS[role]}, got {got}")


_ROLE_WORDS = {"B": "a branching function", "A": "an aggregation function", "R1": "a prerouting function",
               "R2": "a postrouting function", "C": "a computation function"}


# --- modules (symbol M; the root is S) --------------------------------------------------------

class Module(Node):
    """A module (non-terminal M)."""

    symbol: ClassVar[str] = "M"
    kind: ClassVar[str] = "?"
    #: child field names, in order, used for paths such as ``root.second.inner``
    slots: ClassVar[tuple[str, ...]] = ()

    def named_children(self) -> Iterator[tuple[str, Node]]:
        for name, child in zip(self.child_names(), self.children):
            yield name, child

    def child_names(self) -> tuple[str, ...]:
        return self.slots

    def child_symbols(self) -> tuple[str, ...]:
        """The grammar symbol of each child (``M``, ``B``, ``A``, ``R1``, ``R2``, ``C``)."""
        return tuple(SLOT_SYMBOLS[n] for n in self.child_names())

    @classmethod
    def from_children(cls, children: list[Node]) -> "Module":
        """The module of this kind with ``children`` (in the order of :attr:`children`)."""
        return cls(*children)

    def __reduce__(self) -> tuple:
        return rebuild, (flatten(self),)  # flat, so pickling a deep tree needs no deep stack

    def __repr__(self) -> str:
        return deep_repr(self)


def _module_dataclass(cls):
    """A module kind: a node dataclass whose ``repr`` is :meth:`Module.__repr__` (no recursion)."""
    return node_dataclass(cls, own_repr=False)


def _expect(value: object, types: tuple, what: str) -> None:
    if not isinstance(value, types):
        names = " or ".join(t.__name__ for t in types)
        raise TypeError(f"{what} must be {names}, got {type(value).__name__}")


@_module_dataclass
class Sequential(Module):
    """sequential(first, second): two modules in order."""
    first: Module
    second: Module

    _tag: ClassVar[int] = 20
    kind: ClassVar[str] = "sequential"
    slots: ClassVar[tuple[str, ...]] = ("first", "second")

    def __post_init__(self) -> None:
        _expect(self.first, (Module,), "sequential's first child")
        _expect(self.second, (Module,), "sequential's second child")
        _finish(self, (), (self.first, self.second))

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.first, self.second)

    def _fields(self) -> tuple:
        return (self.first, self.second)


@_module_dataclass
class Branching(Module):
    """branching(b){fn, M1, M2, agg} for b = 2, or branching(b){fn, M, agg} for b = 4, 8.

    For factor 4 and 8 the one inner module is a template instantiated b times, each copy with its
    own weights; the factor is the branching function's ``b``.
    """
    fn: Terminal
    branches: tuple[Module, ...]
    agg: Terminal

    _tag: ClassVar[int] = 21
    kind: ClassVar[str] = "branching"

    def __post_init__(self) -> None:
        _expect_role(self.fn, "B", "branching's first child")
        _expect_role(self.agg, "A", "branching's last child")
        if not isinstance(self.branches, tuple):
            object.__setattr__(self, "branches", tuple(self.branches))
        want = 2 if self.fn.b == 2 else 1
        if len(self.branches) != want:
            raise ValueError(f"branching({self.fn.b}) takes {want} inner module{'s' if want > 1 else ''}, "
                             f"got {len(self.branches)}")
        for b in self.branches:
            _expect(b, (Module,), "branching's inner module")
        _finish(self, (), (self.fn, *self.branches, self.agg))

    @classmethod
    def from_children(cls, children: list[Node]) -> "Branching":
        return cls(children[0], tuple(children[1:-1]), children[-1])  # type: ignore[arg-type]

    @property
    def factor(self) -> int:
        return self.fn.b

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.fn, *self.branches, self.agg)

    def child_names(self) -> tuple[str, ...]:
        if len(self.branches) == 1:
            return ("fn", "inner", "agg")
        return ("fn", "branch1", "branch2", "agg")

    def _fields(self) -> tuple:
        return (self.fn, self.branches, self.agg)


@_module_dataclass
class Routing(Module):
    """routing[pre, inner, post]."""
    pre: Terminal
    inner: Module
    post: Terminal

    _tag: ClassVar[int] = 22
    kind: ClassVar[str] = "routing"
    slots: ClassVar[tuple[str, ...]] = ("pre", "inner", "post")

    def __post_init__(self) -> None:
        _expect_role(self.pre, "R1", "routing's first child")
        _expect(self.inner, (Module,), "routing's inner module")
        _expect_role(self.post, "R2", "routing's last child")
        _finish(self, (), (self.pre, self.inner, self.post))

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.pre, self.inner, self.post)

    def _fields(self) -> tuple:
        return (self.pre, self.inner, self.post)


@_module_dataclass
class Computation(Module):
    """computation<op>."""
    op: Terminal

    _tag: ClassVar[int] = 23
    kind: ClassVar[str] = "computation"
    slots: ClassVar[tuple[str, ...]] = ("op",)

    def __post_init__(self) -> None:
        _expect_role(self.op, "C", "computation's child")
        _finish(self, (), (self.op,))

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.op,)

    def _fields(self) -> tuple:
        return (self.op,)


# --- canonical text (the einspace v2 notation) -------------------------------------------------

def canonical(node: Node) -> str:
    """The canonical text of a node, e.g. ``sequential(computation<norm>, computation<relu>)``."""
    out: list[str] = []
    if node.depth < 200:
        _canonical(node, out)
    else:
        with deep_enough(node.depth):
            _canonical(node, out)
    return "".join(out)


def _canonical(node: Node, out: list[str]) -> None:
    append = out.append
    if isinstance(node, Computation):
        append("computation<")
        append(node.op.text())
        append(">")
    elif isinstance(node, Sequential):
        append("sequential(")
        _canonical(node.first, out)
        append(", ")
        _canonical(node.second, out)
        append(")")
    elif isinstance(node, Routing):
        append("routing[")
        append(node.pre.text())
        append(", ")
        _canonical(node.inner, out)
        append(", ")
        append(node.post.text())
        append("]")
    elif isinstance(node, Branching):
        append(f"branching({node.factor}){{")
        append(node.fn.text())
        for inner in node.branches:
            append(", ")
            _canonical(inner, out)
        append(", ")
        append(node.agg.text())
        append("}")
    else:
        append(node.text())  # type: ignore[attr-defined]
