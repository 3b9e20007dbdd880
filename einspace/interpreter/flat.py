"""Flat chains: a nest of sequential and routing containers runs as one loop over its leaves.

``sequential(a, sequential(b, routing[identity, c, perm]))`` builds nested containers (one per
AST node, so that parameter names follow the tree); calling down that nesting costs a module call
and attribute lookups per level, which at batch 1 is a visible share of the forward pass.
:func:`flatten` gives the top container of each such nest the tuple of modules it runs, in
order: nested sequentials and plain routings are opened, a computation is replaced by its
operation, ``nn.Identity`` is dropped. Lowered routings (a fused convolution, ...) and every other
module stay whole steps. The containers themselves, their children and so the parameter names
and the ``state_dict`` are untouched.

The steps are fixed when :func:`flatten` runs: a submodule replaced afterwards
(``net.first = ...``) is not seen until :func:`flatten` (or :func:`unflatten`) runs again, and
hooks registered on an opened inner container do not fire (hooks on the steps do).
"""

from __future__ import annotations

from torch import nn

from .modules import Chain, ComputationModule, RoutingModule, SequentialModule

__all__ = ["flatten", "unflatten", "chain_steps"]

#: the containers whose children a chain opens (exact types: a lowered routing is a subclass)
_OPENED = (SequentialModule, RoutingModule)


def _children_in_order(m: nn.Module) -> list[nn.Module]:
    if type(m) is SequentialModule:
        return [m.first, m.second]
    return [m.pre, m.inner, m.post]


def chain_steps(top: Chain) -> tuple[tuple[nn.Module, ...], list[nn.Module]]:
    """The modules ``top`` runs, in order, and the inner containers opened on the way."""
    steps: list[nn.Module] = []
    opened: list[nn.Module] = []
    stack: list[nn.Module] = list(reversed(_children_in_order(top)))
    while stack:
        m = stack.pop()
        kind = type(m)
        if kind in _OPENED:
            opened.append(m)
            stack.extend(reversed(_children_in_order(m)))
        elif kind is ComputationModule:
            stack.append(m.op)
        elif kind is not nn.Identity:
            steps.append(m)
    return tuple(steps), opened


def flatten(net: nn.Module) -> nn.Module:
    """Give every outermost sequential/routing nest in ``net`` its flat ``steps``; returns ``net``."""
    inside: set[int] = set()
    for m in net.modules():  # parents before children
        if type(m) not in _OPENED or id(m) in inside:
            continue
        steps, opened = chain_steps(m)  # type: ignore[arg-type]
        m.steps = steps
        for inner in opened:
            inner.steps = None
            inside.add(id(inner))
    return net


def unflatten(net: nn.Module) -> nn.Module:
    """Drop every chain's ``steps``: each container calls its children as written again."""
    for m in net.modules():
        if isinstance(m, Chain):
            m.steps = None
    return net
