"""Aggregation functions (symbol A): the outputs of ``b`` branches in, one tensor out.

The rules receive branch outputs of one mode, as many as the branching factor (the caller checks
both); each rule adds its own shape precondition.
"""

from __future__ import annotations

from typing import Any, Sequence

from .base import Choice, Operation, common_grid, dims_for_mode, fail
from .branching import BRANCH_FACTORS

__all__ = ["DotProduct", "Add", "Cat"]

_FACTOR = Choice(BRANCH_FACTORS)


class DotProduct(Operation):
    """dot_product / dot_product(scaled): batched matmul of branch 1 by branch 2 (factor 2 only)."""

    @classmethod
    def signature(cls) -> str:
        return "dot_product or dot_product(scaled)"

    name = "dot_product"
    roles = ("A",)
    join_order = 2
    domains = {"scaled": Choice((False, True))}
    scaled: bool = False

    @property
    def b(self) -> int:
        return 2

    @classmethod
    def from_args(cls, scaled: Any = None) -> "DotProduct":
        return cls(scaled is not None)

    def text(self) -> str:
        return "dot_product(scaled)" if self.scaled else "dot_product"

    def aggregate_type(self, types: Sequence[Any]) -> Any:
        a, b = types
        if a.mode == "im":
            if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
                raise fail("dot_product.shapes", "im-mode dot_product needs [C,H,W] @ [C,W,V]", a, b)
            return a.derive((a.shape[0], a.shape[1], b.shape[2]), grid=None)
        if a.shape[1] != b.shape[0]:
            raise fail("dot_product.shapes", "col-mode dot_product needs [S,D] @ [D,T]", a, b)
        # the positions S of the first operand survive, so its grid does too
        return a.derive((a.shape[0], b.shape[1]), grid=a.grid)

    @classmethod
    def join_keys(cls, t: Any, role: int) -> tuple:
        if t.mode == "im":
            return (("dot", t.mode, t.shape[0], t.shape[2] if role == 0 else t.shape[1]),)
        return (("dot", t.mode, t.shape[1] if role == 0 else t.shape[0]),)

    def symbolic_aggregate(self, types: Sequence[Any], alg: Any) -> Any:
        a, b = types
        if a.mode == "im":
            alg.require_equal(a.shape[0], b.shape[0])
            alg.require_equal(a.shape[2], b.shape[1])
            return a.derive((a.shape[0], a.shape[1], b.shape[2]), grid=None)
        alg.require_equal(a.shape[1], b.shape[0])
        return a.derive((a.shape[0], b.shape[1]), grid=a.grid)

    def flops(self, t: Sequence[Any], out: Any) -> int:
        return out.numel * 2 * t[0].shape[-1] + (out.numel if self.scaled else 0)


class Add(Operation):
    """add(b): element-wise sum of b branches of equal shape."""

    name = "add"
    roles = ("A",)
    merges_copies = True
    join_order = 0
    domains = {"b": _FACTOR}
    b: int

    def aggregate_type(self, types: Sequence[Any]) -> Any:
        first = types[0]
        if any(t.shape != first.shape for t in types):
            raise fail("add.shapes", "add needs branches of equal shape", *types)
        return first.derive(first.shape, grid=common_grid(types))

    def may_aggregate(self, types: Sequence[Any]) -> bool:
        return len(types) == 1 or types[0].shape == types[1].shape

    @classmethod
    def join_keys(cls, t: Any, role: int) -> tuple:
        return (("add", t.mode, t.shape),)

    def symbolic_aggregate(self, types: Sequence[Any], alg: Any) -> Any:
        alg.require_equal_shapes(types)
        return types[0].derive(types[0].shape, grid=alg.common_grid(types))

    def flops(self, t: Sequence[Any], out: Any) -> int:
        return (len(t) - 1) * out.numel


class Cat(Operation):
    """cat(b,dim): concatenate b branches along ``dim`` (0-based, counting the batch)."""

    name = "cat"
    roles = ("A",)
    join_order = 1
    domains = {"b": _FACTOR, "dim": Choice((1, 2, 3))}
    b: int
    dim: int

    def aggregate_type(self, types: Sequence[Any]) -> Any:
        first = types[0]
        mode = first.mode
        if self.dim not in dims_for_mode(mode):
            raise fail("cat.dim", f"cat(…,{self.dim}) joins dimension {self.dim}, but a {mode} tensor has "
                       f"dimensions {dims_for_mode(mode)} (0 is the batch)", *types)
        i = self.dim - 1
        rest = [t.shape[:i] + t.shape[i + 1:] for t in types]
        if any(r != rest[0] for r in rest):
            raise fail("cat.shapes", f"cat along dimension {self.dim} needs every other dimension equal", *types)
        total = sum(t.shape[i] for t in types)
        return first.derive(first.shape[:i] + (total,) + first.shape[i + 1:], grid=common_grid(types))

    def may_aggregate(self, types: Sequence[Any]) -> bool:
        if len(types) == 1:
            return True
        x, y = types
        i = self.dim - 1
        return i < len(x.shape) and x.shape[:i] + x.shape[i + 1:] == y.shape[:i] + y.shape[i + 1:]

    @classmethod
    def join_keys(cls, t: Any, role: int) -> tuple:
        shape = t.shape
        return tuple(("cat", d, t.mode, shape[:d] + shape[d + 1:]) for d in range(len(shape)))

    def symbolic_aggregate(self, types: Sequence[Any], alg: Any) -> Any:
        first = types[0]
        if self.dim not in dims_for_mode(first.mode):
            alg.never()
        i = self.dim - 1
        alg.require_equal_shapes(types, skip=i)
        total = first.shape[i]
        for t in types[1:]:
            total = alg.add(total, t.shape[i])
        return first.derive(first.shape[:i] + (total,) + first.shape[i + 1:], grid=alg.common_grid(types))

    def flops(self, t: Sequence[Any], out: Any) -> int:
        return 0
