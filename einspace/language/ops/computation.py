"""Computation functions (symbol C): one tensor in, one out, usually with parameters."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..ast import is_int
from .base import Ints, Operation, Positive, fail

__all__ = ["Linear", "Norm", "Relu", "Softmax", "PosEnc", "format_factor", "FACTOR_BITS"]

#: significant bits a linear(xF) factor may have for the symbolic rule to model int(F·width) exactly
FACTOR_BITS = 24


def format_factor(f: float) -> str:
    """``4.0`` → ``4``, ``0.25`` → ``0.25``: the shortest digits that read back as ``f``, written
    without an exponent (``9e-05`` would not parse back; ``0.00009`` does)."""
    f = float(f)
    if f.is_integer():
        return str(int(f))
    return format(Decimal(repr(f)), "f")


class Linear(Operation):
    """linear(d) with a fixed width, or linear(xF) with width F times the input width."""

    @classmethod
    def signature(cls) -> str:
        return "linear(width) or linear(xF)"

    name = "linear"
    roles = ("C",)
    #: for tests and strategies (exactly one of the two is set; :meth:`validate` checks)
    domains = {"width": Ints(1, 300, examples=(16, 32, 64, 128, 256, 512, 1024, 2048, None), optional=True),
               "factor": Positive(examples=(0.25, 0.5, 1.0, 2.0, 4.0, 1.5, 0.125), optional=True)}
    width: int | None = None
    factor: float | None = None

    @classmethod
    def from_args(cls, value: Any) -> "Linear":
        if isinstance(value, str) and value.startswith("x"):
            return cls(factor=float(value[1:]))
        return cls(width=value)

    def validate(self) -> None:
        if (self.width is None) == (self.factor is None):
            raise ValueError("linear needs exactly one of width or factor")
        if self.width is not None:
            if not (is_int(self.width) and self.width >= 1):
                raise ValueError(f"linear width must be a positive integer, got {self.width!r}")
        else:
            f = self.factor
            if not (isinstance(f, (int, float)) and not isinstance(f, bool) and math.isfinite(f) and f > 0):
                raise ValueError(f"linear factor must be a positive number, got {f!r}")
            object.__setattr__(self, "factor", float(f))

    def text(self) -> str:
        return f"linear({self.width})" if self.width is not None else f"linear(x{format_factor(self.factor)})"

    def out_width(self, last: int) -> int:
        return self.width if self.width is not None else int(last * self.factor)  # type: ignore[operator]

    def output_type(self, t: Any) -> Any:
        last = t.shape[-1]
        if self.factor is not None and not math.isfinite(last * self.factor):  # int(inf) would overflow
            raise fail("linear.size", f"linear(x{self.factor:g}) of width {last} gives a width too large to "
                       "represent", t)
        out = self.out_width(last)
        if out < 1:
            raise fail("linear.width", f"linear(x{self.factor}) of width {last} gives width {out} < 1", t)
        return t.derive(t.shape[:-1] + (out,))

    def symbolic_output(self, t: Any, alg: Any) -> Any:
        last = t.shape[-1]
        if self.width is not None:
            out = alg.const(self.width)
        else:
            f = Fraction(self.factor)  # a float is a dyadic rational; int(last*F) is exact while bits suffice
            if f.numerator.bit_length() > FACTOR_BITS:
                alg.unsupported(f"linear(x{self.factor}): float rounding of the width is not modelled")
            if f.denominator == 1 or alg.multiple_of(alg.scale(last, f), 1):
                out = alg.scale(last, f)  # exact: F·last is a positive integer wherever last is a size
            else:
                out = alg.floordiv(alg.scale(last, f.numerator), f.denominator)
                alg.require_at_least(out, 1)
        return t.derive(t.shape[:-1] + (out,))

    def params(self, t: Any, out: Any) -> int:
        return t.shape[-1] * out.shape[-1] + out.shape[-1]

    def flops(self, t: Any, out: Any) -> int:
        rows = t.numel // t.shape[-1]
        return rows * out.shape[-1] * (2 * t.shape[-1] + 1)


class Norm(Operation):
    """norm: BatchNorm2d over channels (im) or LayerNorm over features (col)."""

    name = "norm"
    roles = ("C",)
    preserves_type = True

    def params(self, t: Any, out: Any) -> int:
        return 2 * (t.shape[0] if t.mode == "im" else t.shape[-1])

    def flops(self, t: Any, out: Any) -> int:
        return 4 * t.numel


class Relu(Operation):
    """relu: LeakyReLU(0.01), as in the paper's code."""

    name = "relu"
    roles = ("C",)
    preserves_type = True

    def flops(self, t: Any, out: Any) -> int:
        return t.numel


class Softmax(Operation):
    """softmax over the last dimension."""

    name = "softmax"
    roles = ("C",)
    preserves_type = True

    def flops(self, t: Any, out: Any) -> int:
        return 3 * t.numel


class PosEnc(Operation):
    """pos_enc: a learnable tensor of the full feature shape, added to the input."""

    name = "pos_enc"
    roles = ("C",)
    preserves_type = True

    def params(self, t: Any, out: Any) -> int:
        return t.numel

    def flops(self, t: Any, out: Any) -> int:
        return t.numel
