"""Typed AST of einspace architectures: frozen, hashable dataclasses.

The AST *is* the derivation tree of the grammar: a module node is an ``M`` (or the root ``S``),
and terminal nodes are the ``B``, ``A``, ``R1``, ``R2`` and ``C`` leaves. Every node caches its
hash, its depth and its size at construction so that the sampler, the search and de-duplication
can use nodes as dictionary keys in O(1), and so that deep trees are rejected before any
recursive algorithm walks them.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import ClassVar, Iterator, Union

__all__ = [
    "Node", "Terminal", "Module",
    "Clone", "Group", "DotProduct", "Add", "Cat",
    "Identity", "Perm", "Im2Col", "Col2Im",
    "Linear", "Norm", "Relu", "Softmax", "PosEnc",
    "Sequential", "Branching", "Routing", "Computation",
    "BranchingFn", "AggregationFn", "PreRoutingFn", "PostRoutingFn", "ComputationFn",
    "BRANCH_FACTORS", "IM_PERMS", "COL_PERMS",
]

BRANCH_FACTORS = (2, 4, 8)
COL_PERMS = ((0, 2, 1),)
IM_PERMS = ((0, 1, 3, 2), (0, 2, 1, 3), (0, 2, 3, 1), (0, 3, 1, 2), (0, 3, 2, 1))


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
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    @property
    def children(self) -> tuple["Node", ...]:
        return ()

    def __str__(self) -> str:
        from .printer import to_string
        return to_string(self)

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
    """A leaf: a branching, aggregation, routing or computation function."""

    field_names: ClassVar[tuple[str, ...]] = ()

    def _validate(self) -> None:
        """Reject argument values outside the operation's domain (raises ValueError)."""


_CACHED = ("_hash", "depth", "size")


def _node_dataclass(cls):
    """Frozen dataclass with the cached fields (hash, depth, size) excluded from init/compare/repr."""
    ann = cls.__dict__.get("__annotations__")
    if ann is None:
        ann = {}
        cls.__annotations__ = ann
    for name in _CACHED:
        ann[name] = int
        setattr(cls, name, field(init=False, repr=False, compare=False))
    return dataclass(frozen=True, eq=False)(cls)


def _terminal(tag: int, symbol: str):
    """Decorator: a frozen terminal dataclass whose hash comes from its own fields (unsalted)."""

    def wrap(cls):
        cls._tag = tag
        cls.symbol = symbol
        names = tuple(n for n in cls.__dict__.get("__annotations__", {}) if n not in _CACHED)
        cls.__annotations__ = dict(cls.__dict__.get("__annotations__", {}))

        def _fields(self):
            return tuple(getattr(self, n) for n in names)

        def __post_init__(self):
            self._validate()
            # hash(None) is address-based (differs between processes): stand in -1
            _finish(self, tuple(-1 if v is None else v for v in self._fields()))

        cls._fields = _fields
        cls.__post_init__ = __post_init__
        cls.field_names = names
        return _node_dataclass(cls)

    return wrap


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise ValueError(msg)


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


# --- branching functions (symbol B) -----------------------------------------------------------

@_terminal(1, "B")
class Clone(Terminal):
    """clone(b): b copies of the input."""
    b: int

    def _validate(self) -> None:
        _check(_is_int(self.b) and self.b in BRANCH_FACTORS, f"clone factor must be one of {BRANCH_FACTORS}, got {self.b!r}")


@_terminal(2, "B")
class Group(Terminal):
    """group(b,dim): split dimension ``dim`` (0-based, counting the batch) into b equal parts."""
    b: int
    dim: int

    def _validate(self) -> None:
        _check(_is_int(self.b) and self.b in BRANCH_FACTORS, f"group factor must be one of {BRANCH_FACTORS}, got {self.b!r}")
        _check(_is_int(self.dim) and self.dim in (1, 2, 3), f"group dim must be 1, 2 or 3, got {self.dim!r}")


# --- aggregation functions (symbol A) ---------------------------------------------------------

@_terminal(3, "A")
class DotProduct(Terminal):
    """dot_product / dot_product(scaled): batched matmul of branch 1 by branch 2."""
    scaled: bool = False

    def _validate(self) -> None:
        _check(isinstance(self.scaled, bool), "dot_product 'scaled' must be a bool")

    @property
    def b(self) -> int:
        return 2


@_terminal(4, "A")
class Add(Terminal):
    """add(b): element-wise sum of b branches of equal shape."""
    b: int

    def _validate(self) -> None:
        _check(_is_int(self.b) and self.b in BRANCH_FACTORS, f"add factor must be one of {BRANCH_FACTORS}, got {self.b!r}")


@_terminal(5, "A")
class Cat(Terminal):
    """cat(b,dim): concatenate b branches along ``dim`` (0-based, counting the batch)."""
    b: int
    dim: int

    def _validate(self) -> None:
        _check(_is_int(self.b) and self.b in BRANCH_FACTORS, f"cat factor must be one of {BRANCH_FACTORS}, got {self.b!r}")
        _check(_is_int(self.dim) and self.dim in (1, 2, 3), f"cat dim must be 1, 2 or 3, got {self.dim!r}")


# --- routing functions (symbols R1, R2) and identity (also C) ---------------------------------

@_terminal(6, "C")
class Identity(Terminal):
    """identity: valid as prerouting, postrouting and computation."""


@_terminal(7, "R1")
class Perm(Terminal):
    """perm(0,...): reorder dimensions; the batch (0) stays first."""
    order: tuple[int, ...]

    def _validate(self) -> None:
        order = self.order
        _check(isinstance(order, tuple) and all(_is_int(i) for i in order), "perm order must be a tuple of ints")
        _check(len(order) in (3, 4), f"perm needs 3 (col mode) or 4 (im mode) indices, got {len(order)}")
        text = "perm(" + ",".join(str(i) for i in order) + ")"
        _check(sorted(order) == list(range(len(order))), f"{text} is not a permutation of 0..{len(order) - 1}")
        _check(order[0] == 0, f"{text} must keep the batch dimension 0 first")


@_terminal(8, "R1")
class Im2Col(Terminal):
    """im2col(k,s,p[,d]): unfold k x k patches (stride s, padding p, dilation d) into columns."""
    k: int
    s: int
    p: int
    d: int = 1

    def _validate(self) -> None:
        _check(all(_is_int(v) for v in (self.k, self.s, self.p, self.d)), "im2col arguments must be integers")
        _check(self.k >= 1 and self.s >= 1 and self.d >= 1 and self.p >= 0,
               f"im2col needs k>=1, s>=1, p>=0, d>=1; got k={self.k}, s={self.s}, p={self.p}, d={self.d}")


@_terminal(9, "R2")
class Col2Im(Terminal):
    """col2im: fold columns back into an image of the grid remembered from the last im2col."""


# --- computation functions (symbol C) ---------------------------------------------------------

@_terminal(10, "C")
class Linear(Terminal):
    """linear(d) with a fixed width, or linear(xF) with width F times the input width."""
    width: int | None = None
    factor: float | None = None

    def _validate(self) -> None:
        _check((self.width is None) != (self.factor is None), "linear needs exactly one of width or factor")
        if self.width is not None:
            _check(_is_int(self.width) and self.width >= 1, f"linear width must be a positive integer, got {self.width!r}")
        else:
            f = self.factor
            _check(isinstance(f, (int, float)) and not isinstance(f, bool) and math.isfinite(f) and f > 0,
                   f"linear factor must be a positive number, got {f!r}")
            object.__setattr__(self, "factor", float(f))

    def out_width(self, last: int) -> int:
        return self.width if self.width is not None else int(last * self.factor)  # type: ignore[operator]


@_terminal(11, "C")
class Norm(Terminal):
    """norm: BatchNorm2d over channels (im) or LayerNorm over features (col)."""


@_terminal(12, "C")
class Relu(Terminal):
    """relu: LeakyReLU(0.01), as in the paper's code."""


@_terminal(13, "C")
class Softmax(Terminal):
    """softmax over the last dimension."""


@_terminal(14, "C")
class PosEnc(Terminal):
    """pos_enc: a learnable tensor of the full feature shape, added to the input."""


BranchingFn = Union[Clone, Group]
AggregationFn = Union[DotProduct, Add, Cat]
PreRoutingFn = Union[Identity, Perm, Im2Col]
PostRoutingFn = Union[Identity, Perm, Col2Im]
ComputationFn = Union[Identity, Linear, Norm, Relu, Softmax, PosEnc]

BRANCHING_FNS = (Clone, Group)
AGGREGATION_FNS = (DotProduct, Add, Cat)
PREROUTING_FNS = (Identity, Perm, Im2Col)
POSTROUTING_FNS = (Identity, Perm, Col2Im)
COMPUTATION_FNS = (Identity, Linear, Norm, Relu, Softmax, PosEnc)


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


def _expect(value: object, types: tuple, what: str) -> None:
    if not isinstance(value, types):
        names = " or ".join(t.__name__ for t in types)
        raise TypeError(f"{what} must be {names}, got {type(value).__name__}")


@_node_dataclass
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


@_node_dataclass
class Branching(Module):
    """branching(b){fn, M1, M2, agg} for b = 2, or branching(b){fn, M, agg} for b = 4, 8.

    For factor 4 and 8 the one inner module is a template instantiated b times, each copy with its
    own weights; the factor is the branching function's ``b``.
    """
    fn: BranchingFn
    branches: tuple[Module, ...]
    agg: AggregationFn

    _tag: ClassVar[int] = 21
    kind: ClassVar[str] = "branching"

    def __post_init__(self) -> None:
        _expect(self.fn, BRANCHING_FNS, "branching function")
        _expect(self.agg, AGGREGATION_FNS, "aggregation function")
        if not isinstance(self.branches, tuple):
            object.__setattr__(self, "branches", tuple(self.branches))
        want = 2 if self.fn.b == 2 else 1
        if len(self.branches) != want:
            raise ValueError(f"branching({self.fn.b}) takes {want} inner module{'s' if want > 1 else ''}, "
                             f"got {len(self.branches)}")
        for b in self.branches:
            _expect(b, (Module,), "branching's inner module")
        _finish(self, (), (self.fn, *self.branches, self.agg))

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


@_node_dataclass
class Routing(Module):
    """routing[pre, inner, post]."""
    pre: PreRoutingFn
    inner: Module
    post: PostRoutingFn

    _tag: ClassVar[int] = 22
    kind: ClassVar[str] = "routing"
    slots: ClassVar[tuple[str, ...]] = ("pre", "inner", "post")

    def __post_init__(self) -> None:
        _expect(self.pre, PREROUTING_FNS, "prerouting function")
        _expect(self.inner, (Module,), "routing's inner module")
        _expect(self.post, POSTROUTING_FNS, "postrouting function")
        _finish(self, (), (self.pre, self.inner, self.post))

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.pre, self.inner, self.post)

    def _fields(self) -> tuple:
        return (self.pre, self.inner, self.post)


@_node_dataclass
class Computation(Module):
    """computation<op>."""
    op: ComputationFn

    _tag: ClassVar[int] = 23
    kind: ClassVar[str] = "computation"
    slots: ClassVar[tuple[str, ...]] = ("op",)

    def __post_init__(self) -> None:
        _expect(self.op, COMPUTATION_FNS, "computation function")
        _finish(self, (), (self.op,))

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.op,)

    def _fields(self) -> tuple:
        return (self.op,)
