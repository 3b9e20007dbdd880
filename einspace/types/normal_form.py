"""A normal form for architectures: one tree per network, for de-duplication and comparison.

The paper names the ambiguity of derivations as a limitation (several trees, one network), and
the original code prunes nothing (reference bugs B13, B14). ``normalize`` rewrites a tree with
rules that keep every parameterised operation, in the same order, with the same input types — so
the function *and* the parameters are unchanged wherever the original tree is defined:

1. **Sequences are right-nested**: ``sequential(sequential(A, B), C)`` → ``sequential(A, sequential(B, C))``.
2. **Computation-free identities go**: ``computation<identity>`` inside a sequence, and
   ``routing[identity, M, identity]`` → ``M``.
3. **Routing by pure permutations is a sequence**: ``routing[P, M, Q]`` with P, Q each ``identity``
   or a ``perm`` → ``sequential(P', M, Q')`` where ``P'`` is the canonical permutation module
   ``routing[perm(P), computation<identity>, identity]``. Routing modules with ``im2col`` or
   ``col2im`` are kept as they are.
4. **Adjacent permutations compose**: consecutive permutation modules of the same rank in a
   sequence become one; a composition that is the identity disappears (so a perm and its inverse
   cancel when nothing lies between them; ``routing[perm(0,2,1), M, perm(0,2,1)]`` keeps both).
5. **Split-and-rejoin is the identity**: ``branching(b){group(b,d), identity…, cat(b,d)}`` → identity.
6. **Terminals**: ``im2col(1,s,p,d)`` → ``im2col(1,s,p)`` (dilation has no effect on a 1×1 kernel).

Rules 4 (a cancelled pair, or an identity perm) and 5 remove a check (the rank a perm needs; the
divisibility a group needs), so the normal form may be defined on *more* inputs than the original;
on every input where the original is defined both compute the same thing with the same weights.
The root of a normal form may be a bare computation (``normalize(sequential(norm, identity))`` is
``computation<norm>``): it names the network, it need not be derivable from S.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

from .._recursion import deep_enough
from ..language.ast import Branching, Computation, Module, Routing, Sequential, Terminal
from ..language.ops import Cat, Group, Identity, Im2Col, Perm
from ..language.parser import as_tree

__all__ = ["normalize", "structural_hash", "is_normal", "PERM_MODULE"]


@dataclass(frozen=True)
class _PermItem:
    """A pure permutation inside a sequence being rebuilt."""

    order: tuple[int, ...]

    @property
    def is_identity(self) -> bool:
        return self.order == tuple(range(len(self.order)))

    def then(self, other: "_PermItem") -> "_PermItem":
        """This permutation followed by ``other`` (torch.permute semantics: out[j] = in[order[j]])."""
        return _PermItem(tuple(self.order[i] for i in other.order))


_Item = Union[Module, _PermItem]
_IDENTITY = Computation(Identity())


def PERM_MODULE(order: tuple[int, ...]) -> Routing:
    """The canonical module of a pure permutation: ``routing[perm(order), computation<identity>, identity]``."""
    return Routing(Perm(order), _IDENTITY, Identity())


def _terminal(op: Terminal) -> Terminal:
    if isinstance(op, Im2Col) and op.k == 1 and op.d != 1:
        return Im2Col(1, op.s, op.p, 1)
    return op


def _items(node: Module) -> list[_Item]:
    """The flat sequence a *normal* module stands for."""
    out: list[_Item] = []
    while isinstance(node, Sequential):
        out.extend(_items(node.first))
        node = node.second
    if node == _IDENTITY:
        return out
    if isinstance(node, Routing) and isinstance(node.pre, Perm) and node.inner == _IDENTITY \
            and isinstance(node.post, Identity):
        out.append(_PermItem(node.pre.order))
    else:
        out.append(node)
    return out


def _build(items: list[_Item]) -> Module:
    """A right-nested sequence of ``items`` with identities dropped and permutations composed."""
    stack: list[_Item] = []
    for item in items:
        if isinstance(item, _PermItem):
            top = stack[-1] if stack else None
            if isinstance(top, _PermItem) and len(top.order) == len(item.order):
                stack.pop()
                item = top.then(item)
            if item.is_identity:
                continue
            stack.append(item)
        elif item != _IDENTITY:
            stack.append(item)
    modules = [PERM_MODULE(i.order) if isinstance(i, _PermItem) else i for i in stack]
    if not modules:
        return _IDENTITY
    result = modules[-1]
    for m in reversed(modules[:-1]):
        result = Sequential(m, result)
    return result


def _route_item(op: Terminal) -> list[_Item]:
    return [_PermItem(op.order)] if isinstance(op, Perm) else []


class _Normaliser:
    def __init__(self) -> None:
        self.memo: dict[Module, Module] = {}

    def __call__(self, node: Module) -> Module:
        hit = self.memo.get(node)
        if hit is None:
            hit = _RULES[type(node)](self, node)
            self.memo[node] = hit
        return hit


def _computation(norm: _Normaliser, node: Computation) -> Module:
    op = _terminal(node.op)
    return node if op is node.op else Computation(op)  # type: ignore[arg-type]


def _sequential(norm: _Normaliser, node: Sequential) -> Module:
    return _build(_items(norm(node.first)) + _items(norm(node.second)))


def _routing(norm: _Normaliser, node: Routing) -> Module:
    pre, post = _terminal(node.pre), _terminal(node.post)
    inner = norm(node.inner)
    if isinstance(pre, (Identity, Perm)) and isinstance(post, (Identity, Perm)):
        return _build(_route_item(pre) + _items(inner) + _route_item(post))
    return Routing(pre, inner, post)  # type: ignore[arg-type]


def _branching(norm: _Normaliser, node: Branching) -> Module:
    branches = tuple(norm(b) for b in node.branches)
    fn, agg = node.fn, node.agg
    if isinstance(fn, Group) and isinstance(agg, Cat) and fn.dim == agg.dim and all(b == _IDENTITY for b in branches):
        return _IDENTITY
    return Branching(fn, branches, agg)


_RULES: dict[type, Callable[[_Normaliser, Module], Module]] = {
    Computation: _computation,  # type: ignore[dict-item]
    Sequential: _sequential,  # type: ignore[dict-item]
    Routing: _routing,  # type: ignore[dict-item]
    Branching: _branching,  # type: ignore[dict-item]
}


def normalize(tree: Union[Module, str]) -> Module:
    """The normal form of ``tree`` (a tree or its text; see the module docstring for the rules); idempotent."""
    tree = as_tree(tree)
    with deep_enough(tree.depth):
        return _Normaliser()(tree)


def is_normal(tree: Union[Module, str]) -> bool:
    """Whether ``tree`` (a tree or its text) is its own normal form."""
    tree = as_tree(tree)
    return normalize(tree) == tree


def structural_hash(tree: Union[Module, str]) -> str:
    """A stable hex digest (sha256 of the normal form's canonical text): equal for trees that differ
    only by the rewrites of :func:`normalize`, in every process and on every machine. Takes a tree
    or its text."""
    return normalize(tree).digest()
