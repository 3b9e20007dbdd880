"""Evaluated AST → torch module: one submodule per node, sizes from the type rules.

Before anything is allocated the build guard (:mod:`einspace.interpreter.guard`) refuses a network
whose predicted parameters or activation memory are over the limits; the recursion limit is raised
only while the build (and later each forward pass of a deep network) runs.
"""

from __future__ import annotations

from typing import Callable, Optional, Union

from torch import nn

from .._recursion import deep_enough
from ..language.ast import Branching, Computation, Module, Routing, Sequential
from ..types.evaluator import ROOT, Typed, child_path, infer
from ..types.tensor import TensorType
from . import ops  # noqa: F401  (registers the built-in operations' builders)
from .registry import build_op
from .guard import DEFAULT_MAX_MEMORY, DEFAULT_MAX_NODES, DEFAULT_MAX_PARAMS, guard
from .heads import Network, make_head
from .flat import flatten
from .lowering import lower as lower_node
from .modules import BranchingModule, ComputationModule, RoutingModule, SequentialModule
from .stack import deepen

__all__ = ["build", "build_typed"]

TypeLike = Union[str, TensorType, tuple, list]


class _Builder:
    """Builds modules top-down; lowerings wrap the finished plain module of a node."""

    def __init__(self, typed: Typed, lower: bool):
        self.typed = typed
        self.lower = lower

    def module(self, node: Module, path: str) -> nn.Module:
        info = self.typed.at(path)
        plain = _BUILD[type(node)](self, node, path, info.input, info.output)
        return lower_node(plain, node, info.input) if self.lower else plain  # type: ignore[arg-type]

    def terminal(self, path: str) -> nn.Module:
        info = self.typed.at(path)
        return build_op(info.node, info.input, info.output)

    def sequential(self, node: Sequential, path: str, t: TensorType, out: TensorType) -> nn.Module:
        first = self.module(node.first, child_path(path, "first"))
        second = self.module(node.second, child_path(path, "second"))
        return SequentialModule(first, second, t, out)

    def routing(self, node: Routing, path: str, t: TensorType, out: TensorType) -> nn.Module:
        pre = self.terminal(child_path(path, "pre"))
        inner = self.module(node.inner, child_path(path, "inner"))
        post = self.terminal(child_path(path, "post"))
        return RoutingModule(pre, inner, post, t, out)

    def computation(self, node: Computation, path: str, t: TensorType, out: TensorType) -> nn.Module:
        return ComputationModule(self.terminal(child_path(path, "op")), t, out)

    def branching(self, node: Branching, path: str, t: TensorType, out: TensorType) -> nn.Module:
        names = node.child_names()
        fn_info = self.typed.at(child_path(path, names[0]))
        fn = build_op(node.fn, fn_info.input, fn_info.output)
        template = len(node.branches) == 1
        if template:  # one template, instantiated b times: each build call makes fresh weights
            inner_path = child_path(path, "inner")
            branches = [self.module(node.branches[0], inner_path) for _ in range(node.factor)]
        else:
            branches = [self.module(b, child_path(path, n)) for b, n in zip(node.branches, names[1:-1])]
        agg_info = self.typed.at(child_path(path, names[-1]))
        agg = build_op(node.agg, agg_info.input, agg_info.output)
        return BranchingModule(fn, branches, agg, template, t, out)


_BUILD: dict[type, Callable[..., nn.Module]] = {
    Sequential: _Builder.sequential,
    Routing: _Builder.routing,
    Computation: _Builder.computation,
    Branching: _Builder.branching,
}


def build_typed(typed: Typed, classes=None, *, lower: bool = True, dense=None,
                max_params: Optional[int] = DEFAULT_MAX_PARAMS,
                max_memory: Optional[int] = DEFAULT_MAX_MEMORY,
                max_nodes: Optional[int] = DEFAULT_MAX_NODES) -> nn.Module:
    """Build from an already evaluated tree (see :func:`build`)."""
    guard(typed, classes, dense, max_params=max_params, max_memory=max_memory, max_nodes=max_nodes)
    head = make_head(typed.output, classes, dense)
    with deep_enough(typed.tree.depth):
        backbone = _Builder(typed, lower).module(typed.tree, ROOT)
        if lower:  # the lowered path also runs nested chains as flat loops
            flatten(backbone)
    deepen(backbone, typed.tree.depth + 1)  # net.backbone(x) alone is a deep pass too
    return backbone if head is None else deepen(Network(backbone, head), typed.tree.depth + 2)


def build(tree: Union[Module, str], input: TypeLike, classes: int | None = None, *, lower: bool = True,
          dense=None, max_params: Optional[int] = DEFAULT_MAX_PARAMS,
          max_memory: Optional[int] = DEFAULT_MAX_MEMORY, max_nodes: Optional[int] = DEFAULT_MAX_NODES) -> nn.Module:
    """Build architecture ``tree`` at input type ``input`` as a ``torch.nn.Module``.

    ``classes=K`` adds a classification head (backbone → ``Network.head``), ``dense=(K, H, W)`` a
    dense-prediction head; with neither the backbone alone is returned. ``lower=False`` runs every
    node as written (no fused convolutions or attention, no flat chains: :mod:`.flat`); both paths have the same parameters and
    ``state_dict`` keys. Raises :class:`einspace.TypeCheckError` if the tree does not type-check and
    :class:`einspace.BuildRefused`, before allocating anything, if the predicted parameters (head
    included) exceed ``max_params``, the activation elements of one sample ``max_memory`` or the
    nodes of the instantiated network ``max_nodes`` (defaults 200M, 500M, 100,000; None: no limit).
    """
    if isinstance(tree, str):
        from ..language.parser import parse
        tree = parse(tree)
    return build_typed(infer(tree, input), classes, lower=lower, dense=dense, max_params=max_params,
                       max_memory=max_memory, max_nodes=max_nodes)
