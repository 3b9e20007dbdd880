"""Two user-defined operations, written outside the package: ``gelu`` and ``maxpool(k,s)``.

Importing this module registers both operations (their classes) and their torch builders. The
grammar file beside it (``extension.lark``) names this module, so ``--grammar extension.lark`` is
all the command line needs. Walk-through: docs/extending.md.
"""

from __future__ import annotations

from einspace.interpreter import register_builder
from einspace.language.ops import Ints, Operation, fail


class Gelu(Operation):
    """gelu: the Gaussian error linear unit, a computation that keeps the type."""

    name = "gelu"
    roles = ("C",)
    preserves_type = True  # type and symbolic rules: the identity on types

    def flops(self, t, out):
        return 8 * t.numel  # tanh approximation: about eight operations per element


class MaxPool(Operation):
    """maxpool(k,s): k x k max-pooling with stride s, a prerouting function on images."""

    name = "maxpool"
    roles = ("R1",)
    domains = {"k": Ints(1, examples=(2, 3)), "s": Ints(1, examples=(1, 2))}
    k: int
    s: int

    def output_type(self, t):
        if t.mode != "im":
            raise fail("maxpool.mode", "maxpool needs an im-mode input [C,H,W]", t)
        c, h, w = t.shape
        if h < self.k or w < self.k:
            raise fail("maxpool.kernel", f"kernel {self.k} does not fit a {h}x{w} image", t)
        return t.derive((c, (h - self.k) // self.s + 1, (w - self.k) // self.s + 1))

    def refuses(self, t):
        return t.mode != "im"

    def symbolic_output(self, t, alg):
        if t.mode != "im":
            alg.never()
        c, h, w = t.shape
        sizes = []
        for x in (h, w):
            alg.require_at_least(x, self.k, is_size=True)
            sizes.append(alg.add(alg.floordiv(alg.add(x, alg.const(-self.k)), self.s), alg.const(1)))
        return t.derive((c, *sizes))

    def flops(self, t, out):
        return out.numel * self.k * self.k


@register_builder("gelu")
def build_gelu(op, t, out):
    from torch import nn
    return nn.GELU()


@register_builder("maxpool")
def build_maxpool(op, t, out):
    from torch import nn
    return nn.MaxPool2d(op.k, op.s)
