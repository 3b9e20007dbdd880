"""Torch containers of the four module kinds, one per AST module node.

Children carry the AST's slot names (``first``/``second``, ``fn``/``branch1``/``branch2``/``agg``
or ``fn``/``inner``/``agg``, ``pre``/``inner``/``post``, ``op``), so the evaluator's path
``root.second.inner`` is the submodule ``second.inner``. A factor-4/8 branching module holds its b
instances of the one template in the ModuleList ``inner`` (``inner.0`` ... ``inner.7``).
"""

from __future__ import annotations

from typing import Iterator

import torch
from torch import nn

from ..types.tensor import TensorType

__all__ = ["Container", "Chain", "run_steps", "SequentialModule", "BranchingModule", "RoutingModule", "ComputationModule",
           "spine", "submodule"]


class Container(nn.Module):
    """A module node: remembers its input and output types for printing and for lowerings."""

    #: the name ``print(net)`` shows
    display = "Module"

    def __init__(self, input: TensorType, output: TensorType):
        super().__init__()
        self.input_type = input
        self.output_type = output

    def _get_name(self) -> str:
        return self.display

    def extra_repr(self) -> str:
        return f"{self.input_type} → {self.output_type}"

    def repr_items(self) -> Iterator[tuple[str, nn.Module]]:
        """The (name, child) pairs ``print`` lists."""
        return iter(self.named_children())

    def __repr__(self) -> str:
        # the types go on the first line, then one line (or block) per child
        lines = [f"{self._get_name()}({self.extra_repr()}"]
        for name, item in self.repr_items():
            lines.append(f"  ({name}): " + repr(item).replace("\n", "\n  "))
        return "\n".join(lines) + "\n)"


class Chain(Container):
    """A container that runs its children one after the other (sequential, routing).

    :func:`einspace.interpreter.flat.flatten` may give the top of a chain of such containers the
    flat tuple ``steps`` of the modules it runs, in order (nested chains opened, computations
    unwrapped, identities dropped); ``forward`` then loops over it instead of calling down the
    nesting. ``steps`` is a plain attribute, not a child: parameters and ``state_dict`` are unchanged.
    """

    #: the modules the chain runs, in order; None: run the children as written
    steps: tuple[nn.Module, ...] | None = None


def run_steps(steps: tuple[nn.Module, ...], x: torch.Tensor) -> torch.Tensor:
    """Each step on the previous one's output (the forward of a flattened chain)."""
    for step in steps:
        x = step(x)
    return x


class SequentialModule(Chain):
    """sequential(first, second)."""

    display = "Sequential"

    def __init__(self, first: nn.Module, second: nn.Module, input: TensorType, output: TensorType):
        super().__init__(input, output)
        self.first = first
        self.second = second

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps = self.steps
        if steps is None:
            return self.second(self.first(x))
        return run_steps(steps, x)

    def repr_items(self) -> Iterator[tuple[str, nn.Module]]:
        # an n-ary chain reads better flat; the dotted names still reach the submodules
        return spine(self)


def spine(seq: SequentialModule, prefix: str = "") -> Iterator[tuple[str, nn.Module]]:
    """The items of a (nested) sequential chain in order, with their dotted names relative to ``seq``."""
    stack: list[tuple[str, nn.Module]] = [(prefix + "second", seq.second), (prefix + "first", seq.first)]
    while stack:
        name, item = stack.pop()
        if type(item) is SequentialModule:
            stack.append((name + ".second", item.second))
            stack.append((name + ".first", item.first))
        else:
            yield name, item


class BranchingModule(Container):
    """branching(b){fn, branches..., agg}: split or copy, run each branch, aggregate.

    With factor 2 the two branches are independent modules; with factor 4/8 ``inner`` holds b
    instances of the one template, each with its own weights.
    """

    display = "Branching"

    def __init__(self, fn: nn.Module, branches: list[nn.Module], agg: nn.Module, template: bool,
                 input: TensorType, output: TensorType):
        super().__init__(input, output)
        self.fn = fn
        self.factor = len(branches)
        self.template = template
        if template:
            self.inner = nn.ModuleList(branches)
        else:
            self.branch1, self.branch2 = branches
        self.agg = agg

    def branches(self) -> list[nn.Module]:
        return list(self.inner) if self.template else [self.branch1, self.branch2]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = self.fn(x)
        if self.template:
            outs = [m(parts[i]) for i, m in enumerate(self.inner)]
        else:
            outs = [self.branch1(parts[0]), self.branch2(parts[1])]
        return self.agg(outs)


class RoutingModule(Chain):
    """routing[pre, inner, post]."""

    display = "Routing"

    def __init__(self, pre: nn.Module, inner: nn.Module, post: nn.Module, input: TensorType, output: TensorType):
        super().__init__(input, output)
        self.pre = pre
        self.inner = inner
        self.post = post

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps = self.steps
        if steps is None:
            return self.post(self.inner(self.pre(x)))
        return run_steps(steps, x)


class ComputationModule(Container):
    """computation<op>; prints as its operation, like the compact notation's bare terminals."""

    display = "Computation"

    def __init__(self, op: nn.Module, input: TensorType, output: TensorType):
        super().__init__(input, output)
        self.op = op

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)

    def __repr__(self) -> str:
        return repr(self.op)


def submodule(net: nn.Module, path: str) -> nn.Module:
    """The module built for the evaluator path ``path`` (``root.second.inner``).

    A 4/8-way template's path leads to its first instance (``inner.0``); on a network with a head,
    ``root`` is the backbone.
    """
    parts = path.split(".")
    if parts[0] != "root":
        raise KeyError(f"paths start with 'root', got {path!r}")
    module = getattr(net, "backbone", net) if not isinstance(net, Container) else net
    for name in parts[1:]:
        child = module._modules.get(name)
        if child is None:
            raise KeyError(f"no submodule {name!r} at {path!r}")
        if isinstance(module, BranchingModule) and module.template and name == "inner":
            child = child[0]
        module = child
    return module
