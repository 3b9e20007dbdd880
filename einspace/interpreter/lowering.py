"""Lowerings: AST patterns that run as one fused PyTorch operation, with unchanged parameters.

A lowered module keeps the plain module's children (same names, same parameter tensors), so the
parameter count, the initialisation and the ``state_dict`` are those of the plain path; only
``forward`` changes, to a fused operation that computes the same function:

========================  =================================================  =============================
name                      pattern                                            runs as
========================  =================================================  =============================
``conv``                  ``routing[im2col(k,s,p,d), linear(n), col2im]``     ``F.conv2d`` (linear weight
                                                                             viewed as [n,C,k,k])
``patch``                 ``routing[im2col(k,s,p,d), linear(n), identity]``   ``F.conv2d`` + flatten to
                          (or post ``perm(0,2,1)``)                          tokens
``linear_along``          ``routing[perm P, linear(n), perm P⁻¹]``            a matmul / 1x1 conv along the
                                                                             permuted dimension
``residual``              ``branching(2){clone(2), M, identity, add(2)}``     ``x + M(x)``
``attention``             ``branching(2){clone(2), sequential(branching(2)    ``F.scaled_dot_product_attention``
                          {clone(2), Q, routing[identity, K, perm swap],
                          dot_product[(scaled)]}, softmax), V, dot_product}``
``multihead``             ``branching(h){clone(h), HEAD, cat(h,1|2)}`` with   one fused Q/K/V projection +
                          attention heads whose Q, K, V are linears (col)    batched attention
========================  =================================================  =============================

Each rule is a pure predicate on the AST node and its input type, plus a constructor that wraps
the already built plain module; rules are looked up by the node's class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..language.ast import Branching, Module, Routing
from ..language.ops import Add, Cat, Clone, Col2Im, Identity, Im2Col, Perm
from ..types.tensor import TensorType
from .modules import BranchingModule, Container, RoutingModule
from .fused import FusedLinears
from .patterns import Attention, attention_parts, is_identity, is_linear

__all__ = ["Lowering", "RULES", "BY_KIND", "lower", "lowered_names"]


# --- lowered modules ----------------------------------------------------------------------------

def _adopt(new: Container, plain: Container) -> Container:
    """Give ``new`` the children (and so the parameters) of ``plain``."""
    for name, child in plain.named_children():
        new.add_module(name, child)
    return new


def _linear_of(routing: nn.Module) -> nn.Linear:
    return routing.inner.op


class ConvRouting(RoutingModule):
    """routing[im2col, linear, col2im | identity | perm(0,2,1)] as one convolution."""

    lowering = "conv"

    def __init__(self, plain: RoutingModule, im2col: Im2Col, post: str):
        Container.__init__(self, plain.input_type, plain.output_type)
        _adopt(self, plain)
        self.k, self.s, self.p, self.d = im2col.k, im2col.s, im2col.p, im2col.d
        self.channels = plain.input_type.shape[0]
        self.post_kind = post  # "image", "tokens" (identity) or "features" (perm(0,2,1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lin = self.inner.op
        w = lin.weight.view(lin.out_features, self.channels, self.k, self.k)
        y = F.conv2d(x, w, lin.bias, self.s, self.p, self.d)
        if self.post_kind == "image":
            return y
        if self.post_kind == "tokens":
            return y.flatten(2).transpose(1, 2)
        return y.flatten(2)

    def _get_name(self) -> str:
        return "Conv" if self.post_kind == "image" else "PatchEmbed"

    def extra_repr(self) -> str:
        lin = self.inner.op
        dil = f", dilation={self.d}" if self.d != 1 else ""
        return (f"{self.channels}→{lin.out_features}, kernel_size={self.k}, stride={self.s}, padding={self.p}{dil}; "
                f"{self.input_type} → {self.output_type}")

    def __repr__(self) -> str:
        return f"{self._get_name()}({self.extra_repr()})"


class LinearAlong(RoutingModule):
    """routing[perm P, linear, perm P⁻¹]: a linear layer along one dimension, without the transposes."""

    lowering = "linear_along"

    def __init__(self, plain: RoutingModule, dim: int):
        Container.__init__(self, plain.input_type, plain.output_type)
        _adopt(self, plain)
        self.dim = dim
        self.rank = plain.input_type.rank

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lin = self.inner.op
        if self.dim == self.rank - 1:
            return F.linear(x, lin.weight, lin.bias)
        if self.dim == self.rank - 2:
            return torch.matmul(lin.weight, x) + lin.bias.unsqueeze(-1)
        return F.conv2d(x, lin.weight[:, :, None, None], lin.bias)  # dim 1 of an im tensor

    def extra_repr(self) -> str:
        lin = self.inner.op
        return f"{lin.in_features}→{lin.out_features} along dim {self.dim}; {self.input_type} → {self.output_type}"

    def __repr__(self) -> str:
        return f"LinearAlong({self.extra_repr()})"


class Residual(BranchingModule):
    """branching(2){clone(2), M, identity, add(2)} as ``x + M(x)``."""

    lowering = "residual"

    def __init__(self, plain: BranchingModule, slot: str):
        Container.__init__(self, plain.input_type, plain.output_type)
        _adopt(self, plain)
        self.factor, self.template, self.slot = 2, False, slot

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        body = self.branch1 if self.slot == "branch1" else self.branch2
        return x + body(x)

    def _get_name(self) -> str:
        return "Residual"


class AttentionHead(BranchingModule):
    """softmax(Q K^T · s) V through ``F.scaled_dot_product_attention``; Q, K, V are any modules."""

    lowering = "attention"

    def __init__(self, plain: BranchingModule, parts: Attention, plain_types: tuple[TensorType, TensorType]):
        Container.__init__(self, plain.input_type, plain.output_type)
        _adopt(self, plain)
        self.factor, self.template = 2, False
        q_type, v_type = plain_types
        self.scale = q_type.shape[-1] ** -0.5 if parts.scaled else 1.0
        # the outer dot product's own scale: 1/sqrt(number of keys)
        self.out_scale = v_type.shape[-2] ** -0.5 if parts.out_scaled else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        qk = self.branch1.first
        q = qk.branch1(x)
        k = qk.branch2.inner(x)  # the routing's prerouting is identity; skip its transpose
        v = self.branch2(x)
        out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        return out if self.out_scale is None else out * self.out_scale

    def _get_name(self) -> str:
        return "AttentionHead"


class MultiHeadAttention(BranchingModule):
    """h attention heads with linear Q, K, V, concatenated: one fused projection, batched attention."""

    lowering = "multihead"

    def __init__(self, plain: BranchingModule, cat_dim: int, scale: float, out_scale: float | None):
        Container.__init__(self, plain.input_type, plain.output_type)
        _adopt(self, plain)
        self.factor, self.template = plain.factor, plain.template
        self.cat_dim, self.scale, self.out_scale = cat_dim, scale, out_scale
        heads = self._heads()
        qs = [h.branch1.first.branch1.op for h in heads]
        ks = [h.branch1.first.branch2.inner.op for h in heads]
        vs = [h.branch2.op for h in heads]
        self.heads = len(heads)
        self.widths = (qs[0].out_features, vs[0].out_features)
        self.qkv = FusedLinears(qs + ks + vs)  # a plain object: the linears stay the heads' children

    def _heads(self) -> list[nn.Module]:
        return list(self.inner) if self.template else [self.branch1, self.branch2]

    def train(self, mode: bool = True) -> "MultiHeadAttention":
        self.qkv.clear()
        return super().train(mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight, bias = self.qkv.weight_bias(x)
        n, (e, ev) = self.heads, self.widths
        q, k, v = F.linear(x, weight, bias).split([n * e, n * e, n * ev], -1)
        q = q.unflatten(-1, (n, e)).transpose(1, 2)
        k = k.unflatten(-1, (n, e)).transpose(1, 2)
        v = v.unflatten(-1, (n, ev)).transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)  # [B, h, S, Ev]
        if self.out_scale is not None:
            out = out * self.out_scale
        if self.cat_dim == 2:
            return out.transpose(1, 2).flatten(2)
        return out.flatten(1, 2)

    def _get_name(self) -> str:
        return "MultiHeadAttention"

    def extra_repr(self) -> str:
        e, ev = self.widths
        return f"heads={self.heads}, qk={e}, v={ev}, concat dim={self.cat_dim}; {self.input_type} → {self.output_type}"


# --- the rule table -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Lowering:
    """A pattern (pure predicate on the node and its input type) and the fused module that runs it."""

    name: str
    kind: type
    match: Callable[[Module, TensorType], bool]
    make: Callable[[nn.Module, Module, TensorType], nn.Module]


_CONV_POSTS = {Col2Im: "image", Identity: "tokens"}


def _conv_post(node: Routing) -> str | None:
    if isinstance(node.post, Perm):
        return "features" if node.post.order == (0, 2, 1) else None
    return _CONV_POSTS.get(type(node.post))


def _match_conv(node: Routing, t: TensorType) -> bool:
    return isinstance(node.pre, Im2Col) and is_linear(node.inner) and _conv_post(node) is not None


def _make_conv(plain: RoutingModule, node: Routing, t: TensorType) -> nn.Module:
    return ConvRouting(plain, node.pre, _conv_post(node))  # type: ignore[arg-type]


def _along(node: Routing) -> int | None:
    """The dimension a routing[perm P, linear, perm Q] applies its linear to, if Q undoes P."""
    pre, post = node.pre, node.post
    if not (isinstance(pre, Perm) and isinstance(post, Perm) and len(pre.order) == len(post.order)):
        return None
    if any(pre.order[post.order[i]] != i for i in range(len(pre.order))):
        return None
    return pre.order[-1]


def _match_along(node: Routing, t: TensorType) -> bool:
    return is_linear(node.inner) and _along(node) is not None


def _make_along(plain: RoutingModule, node: Routing, t: TensorType) -> nn.Module:
    return LinearAlong(plain, _along(node))  # type: ignore[arg-type]


def _residual_slot(node: Branching) -> str | None:
    if not (isinstance(node.fn, Clone) and node.fn.b == 2 and isinstance(node.agg, Add)):
        return None
    a, b = node.branches
    if is_identity(b):
        return "branch1"
    if is_identity(a):
        return "branch2"
    return None


def _match_residual(node: Branching, t: TensorType) -> bool:
    return _residual_slot(node) is not None


def _make_residual(plain: BranchingModule, node: Branching, t: TensorType) -> nn.Module:
    return Residual(plain, _residual_slot(node))  # type: ignore[arg-type]


def _match_attention(node: Branching, t: TensorType) -> bool:
    return attention_parts(node) is not None


def _make_attention(plain: BranchingModule, node: Branching, t: TensorType) -> nn.Module:
    from ..types.evaluator import infer
    parts = attention_parts(node)
    assert parts is not None
    q_type = infer(parts.q, t).output
    v_type = infer(parts.v, t).output
    return AttentionHead(plain, parts, (q_type, v_type))


def _linear_head(node: Module) -> Attention | None:
    parts = attention_parts(node)
    if parts is None or not (is_linear(parts.q) and is_linear(parts.k) and is_linear(parts.v)):
        return None
    return parts


def _head_widths(t: TensorType, parts: Attention) -> tuple[int, int]:
    last = t.shape[-1]
    return parts.q.op.out_width(last), parts.v.op.out_width(last)  # type: ignore[attr-defined]


def _match_multihead(node: Branching, t: TensorType) -> bool:
    if not (t.mode == "col" and isinstance(node.fn, Clone) and isinstance(node.agg, Cat)
            and node.agg.dim in (1, 2)):
        return False
    heads = [_linear_head(b) for b in node.branches]
    if any(h is None for h in heads):
        return False
    first = heads[0]
    assert first is not None
    return all((h.scaled, h.out_scaled, _head_widths(t, h)) == (first.scaled, first.out_scaled, _head_widths(t, first))
               for h in heads if h is not None)


def _make_multihead(plain: BranchingModule, node: Branching, t: TensorType) -> nn.Module:
    parts = _linear_head(node.branches[0])
    assert parts is not None and isinstance(node.agg, Cat)
    e, _ = _head_widths(t, parts)
    scale = e ** -0.5 if parts.scaled else 1.0
    out_scale = t.shape[0] ** -0.5 if parts.out_scaled else None  # keys = the input's tokens
    return MultiHeadAttention(plain, node.agg.dim, scale, out_scale)


#: every lowering, most specific first within a node class
RULES: tuple[Lowering, ...] = (
    Lowering("conv", Routing, _match_conv, _make_conv),  # type: ignore[arg-type]
    Lowering("linear_along", Routing, _match_along, _make_along),  # type: ignore[arg-type]
    Lowering("multihead", Branching, _match_multihead, _make_multihead),  # type: ignore[arg-type]
    Lowering("attention", Branching, _match_attention, _make_attention),  # type: ignore[arg-type]
    Lowering("residual", Branching, _match_residual, _make_residual),  # type: ignore[arg-type]
)

BY_KIND: dict[type, tuple[Lowering, ...]] = {}
for _rule in RULES:
    BY_KIND[_rule.kind] = BY_KIND.get(_rule.kind, ()) + (_rule,)


def lower(plain: nn.Module, node: Module, t: TensorType) -> nn.Module:
    """The fused form of ``plain`` if a rule matches ``node``, else ``plain`` itself."""
    for rule in BY_KIND.get(type(node), ()):
        if rule.match(node, t):
            return rule.make(plain, node, t)
    return plain


def lowered_names(net: nn.Module) -> dict[str, str]:
    """Submodule name -> lowering name, for every lowered module whose forward actually runs.

    Modules inside a fused multi-head attention are lowered too but superseded by it; they are left out.
    """
    found: dict[str, str] = {}
    fused: list[str] = []
    for name, m in net.named_modules():
        if any(name.startswith(f + ".") for f in fused):
            continue
        kind = getattr(type(m), "lowering", None)
        if kind is not None:
            found[name] = kind
            if kind == "multihead":
                fused.append(name)
    return found
