"""The AST patterns the lowerings recognise: pure predicates on nodes, no torch."""

from __future__ import annotations

from dataclasses import dataclass

from ..language.ast import Branching, Computation, Module, Routing, Sequential
from ..language.ops import Clone, DotProduct, Identity, Linear, Perm, Softmax

__all__ = ["is_linear", "is_identity", "swaps_last_two", "Attention", "attention_parts"]


def is_linear(m: Module) -> bool:
    return isinstance(m, Computation) and isinstance(m.op, Linear)


def is_identity(m: Module) -> bool:
    return isinstance(m, Computation) and isinstance(m.op, Identity)


def swaps_last_two(op: object) -> bool:
    return isinstance(op, Perm) and op.order in ((0, 2, 1), (0, 1, 3, 2))


@dataclass(frozen=True)
class Attention:
    """The parts of an attention pattern: ``softmax(Q(x) @ K(x)^T * s) @ V(x) * s2``."""

    q: Module
    k: Module
    v: Module
    scaled: bool
    out_scaled: bool


def attention_parts(node: Module) -> Attention | None:
    """The Q, K, V modules of an attention pattern, or None if ``node`` is not one."""
    if not (isinstance(node, Branching) and isinstance(node.fn, Clone) and node.fn.b == 2
            and isinstance(node.agg, DotProduct)):
        return None
    scores, v = node.branches
    if not (isinstance(scores, Sequential) and isinstance(scores.second, Computation)
            and isinstance(scores.second.op, Softmax)):
        return None
    qk = scores.first
    if not (isinstance(qk, Branching) and isinstance(qk.fn, Clone) and qk.fn.b == 2
            and isinstance(qk.agg, DotProduct)):
        return None
    q, kt = qk.branches
    if not (isinstance(kt, Routing) and isinstance(kt.pre, Identity) and swaps_last_two(kt.post)):
        return None
    return Attention(q, kt.inner, v, qk.agg.scaled, node.agg.scaled)
