"""Torch modules of the built-in operations, each builder registered by its operation's name.

Every builder receives the operation and its evaluated input and output types (from
:func:`einspace.infer`), so sizes come from the type rules and never from running a tensor.
The rearrangements (perm, im2col's and col2im's layouts) are plain permutations and reshapes,
run as ``permute`` / ``transpose`` / ``unflatten`` (an einops call costs several microseconds of
pattern handling, which at batch 1 shows). :func:`rearrange` (einops, registered with
``torch.fx.wrap`` so that symbolic tracing records it as one call) stays for extensions.
"""

from __future__ import annotations

import math
from typing import Sequence

import einops
import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from ..language.ast import Terminal
from ..types.tensor import TensorType
from .registry import build_op, builder

__all__ = ["rearrange", "build_op", "dim_names", "LEAKY_SLOPE"]

#: negative slope of the grammar's ``relu`` (LeakyReLU, as in the paper's code)
LEAKY_SLOPE = 0.01


def rearrange(x: torch.Tensor, pattern: str, **sizes: int) -> torch.Tensor:
    """einops.rearrange, visible to torch.fx as a single leaf call."""
    return einops.rearrange(x, pattern, **sizes)


torch.fx.wrap("rearrange")


def dim_names(mode: str) -> tuple[str, ...]:
    """einops axis names of a mode, batch first: ``b c h w`` (im) or ``b s d`` (col)."""
    return ("b", "c", "h", "w") if mode == "im" else ("b", "s", "d")


# --- routing and computation terminals ----------------------------------------------------------

class PermModule(nn.Module):
    """perm(...): reorder the dimensions (the batch stays first)."""

    def __init__(self, order: tuple[int, ...], mode: str):
        super().__init__()
        names = dim_names(mode)
        self.order = order  # batch (0) included: torch's own permute order
        self.pattern = f"{' '.join(names)} -> {' '.join(names[i] for i in order)}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(self.order)

    def extra_repr(self) -> str:
        return ",".join(str(i) for i in self.order)

    def _get_name(self) -> str:
        return "Perm"


class Im2ColModule(nn.Module):
    """im2col(k,s,p,d): k x k patches as rows [H'·W', C·k·k], features in torch Unfold order."""

    def __init__(self, k: int, s: int, p: int, d: int, grid: tuple[int, int]):
        super().__init__()
        self.k, self.s, self.p, self.d, self.grid = k, s, p, d, grid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cols = F.unfold(x, self.k, dilation=self.d, padding=self.p, stride=self.s)
        return cols.transpose(1, 2)  # b f l -> b l f

    def extra_repr(self) -> str:
        dil = f", dilation={self.d}" if self.d != 1 else ""
        return f"kernel_size={self.k}, stride={self.s}, padding={self.p}{dil}, grid={self.grid[0]}x{self.grid[1]}"

    def _get_name(self) -> str:
        return "Im2Col"


class Col2ImModule(nn.Module):
    """col2im: [H'·W', D] -> [D, H', W'] on the grid remembered from the im2col (a pure reshape)."""

    def __init__(self, grid: tuple[int, int]):
        super().__init__()
        self.grid = grid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(1, 2).unflatten(2, self.grid)  # b (h w) d -> b d h w

    def extra_repr(self) -> str:
        return f"grid={self.grid[0]}x{self.grid[1]}"

    def _get_name(self) -> str:
        return "Col2Im"


class PosEncModule(nn.Module):
    """pos_enc: a learnable tensor of the full feature shape, N(0,1) initialised, added to the input."""

    def __init__(self, shape: tuple[int, ...]):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, *shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.weight

    def extra_repr(self) -> str:
        return "shape=" + "x".join(str(s) for s in self.weight.shape[1:])

    def _get_name(self) -> str:
        return "PosEnc"


@builder("identity")
def _identity(op: Terminal, t: TensorType, out: TensorType) -> nn.Module:
    return nn.Identity()


@builder("perm")
def _perm(op: Terminal, t: TensorType, out: TensorType) -> nn.Module:
    return PermModule(op.order, t.mode)  # type: ignore[attr-defined]


@builder("im2col")
def _im2col(op: Terminal, t: TensorType, out: TensorType) -> nn.Module:
    assert out.grid is not None
    return Im2ColModule(op.k, op.s, op.p, op.d, out.grid)  # type: ignore[attr-defined]


@builder("col2im")
def _col2im(op: Terminal, t: TensorType, out: TensorType) -> nn.Module:
    assert t.grid is not None
    return Col2ImModule(t.grid)


@builder("linear")
def _linear(op: Terminal, t: TensorType, out: TensorType) -> nn.Module:
    return nn.Linear(t.shape[-1], out.shape[-1])


@builder("norm")
def _norm(op: Terminal, t: TensorType, out: TensorType) -> nn.Module:
    return nn.BatchNorm2d(t.shape[0]) if t.mode == "im" else nn.LayerNorm(t.shape[-1])


@builder("relu")
def _relu(op: Terminal, t: TensorType, out: TensorType) -> nn.Module:
    return nn.LeakyReLU(LEAKY_SLOPE)


@builder("softmax")
def _softmax(op: Terminal, t: TensorType, out: TensorType) -> nn.Module:
    return nn.Softmax(dim=-1)


@builder("pos_enc")
def _pos_enc(op: Terminal, t: TensorType, out: TensorType) -> nn.Module:
    return PosEncModule(t.shape)


# --- branching functions: one tensor in, a tuple of b tensors out ------------------------------

class CloneModule(nn.Module):
    """clone(b): the same tensor b times; nothing downstream writes in place, so no copy is needed."""

    def __init__(self, b: int):
        super().__init__()
        self.b = b

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return (x,) * self.b

    def extra_repr(self) -> str:
        return str(self.b)

    def _get_name(self) -> str:
        return "Clone"


class GroupModule(nn.Module):
    """group(b,dim): b equal slices (views) along ``dim``."""

    def __init__(self, b: int, dim: int):
        super().__init__()
        self.b, self.dim = b, dim

    def forward(self, x: torch.Tensor):
        return torch.chunk(x, self.b, self.dim)

    def extra_repr(self) -> str:
        return f"{self.b}, dim={self.dim}"

    def _get_name(self) -> str:
        return "Group"


@builder("clone")
def _clone(op: Terminal, t: TensorType, out: TensorType) -> nn.Module:
    return CloneModule(op.b)  # type: ignore[attr-defined]


@builder("group")
def _group(op: Terminal, t: TensorType, out: TensorType) -> nn.Module:
    return GroupModule(op.b, op.dim)  # type: ignore[attr-defined]


# --- aggregation functions: a sequence of b tensors in, one out ---------------------------------

class AddModule(nn.Module):
    """add(b): element-wise sum."""

    def __init__(self, b: int):
        super().__init__()
        self.b = b

    def forward(self, xs: Sequence[torch.Tensor]) -> torch.Tensor:
        out = xs[0]
        for i in range(1, self.b):
            out = out + xs[i]
        return out

    def extra_repr(self) -> str:
        return str(self.b)

    def _get_name(self) -> str:
        return "Add"


class CatModule(nn.Module):
    """cat(b,dim): concatenation along ``dim``."""

    def __init__(self, b: int, dim: int):
        super().__init__()
        self.b, self.dim = b, dim

    def forward(self, xs: Sequence[torch.Tensor]) -> torch.Tensor:
        return torch.cat([xs[i] for i in range(self.b)], self.dim)

    def extra_repr(self) -> str:
        return f"{self.b}, dim={self.dim}"

    def _get_name(self) -> str:
        return "Cat"


class DotProductModule(nn.Module):
    """dot_product: batched matmul of the two branches; scaled by 1/sqrt(last dim of the first)."""

    def __init__(self, scale: float | None):
        super().__init__()
        self.scale = scale

    def forward(self, xs: Sequence[torch.Tensor]) -> torch.Tensor:
        out = torch.matmul(xs[0], xs[1])
        return out if self.scale is None else out * self.scale

    def extra_repr(self) -> str:
        return "" if self.scale is None else f"scale={self.scale:.6g}"

    def _get_name(self) -> str:
        return "DotProduct"


@builder("dot_product")
def _dot(op: Terminal, types: Sequence[TensorType], out: TensorType) -> nn.Module:
    return DotProductModule(1.0 / math.sqrt(types[0].shape[-1]) if op.scaled else None)  # type: ignore[attr-defined]


@builder("add")
def _add(op: Terminal, types: Sequence[TensorType], out: TensorType) -> nn.Module:
    return AddModule(op.b)  # type: ignore[attr-defined]


@builder("cat")
def _cat(op: Terminal, types: Sequence[TensorType], out: TensorType) -> nn.Module:
    return CatModule(op.b, op.dim)  # type: ignore[attr-defined]
