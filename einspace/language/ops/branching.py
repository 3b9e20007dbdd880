"""Branching functions (symbol B): one tensor in, ``b`` branches out."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .base import Choice, Operation, dims_for_mode, fail

__all__ = ["Clone", "Group", "BRANCH_FACTORS"]

BRANCH_FACTORS = (2, 4, 8)
_FACTOR = Choice(BRANCH_FACTORS)


class Clone(Operation):
    """clone(b): b copies of the input."""

    name = "clone"
    roles = ("B",)
    domains = {"b": _FACTOR}
    b: int

    def branch_type(self, t: Any) -> Any:
        return t

    def symbolic_branch(self, t: Any, alg: Any) -> Any:
        return t


class Group(Operation):
    """group(b,dim): split dimension ``dim`` (0-based, counting the batch) into b equal parts."""

    name = "group"
    roles = ("B",)
    view = True
    domains = {"b": _FACTOR, "dim": Choice((1, 2, 3))}
    b: int
    dim: int

    def branch_type(self, t: Any) -> Any:
        if self.dim not in dims_for_mode(t.mode):
            raise fail("group.dim", f"group(…,{self.dim}) splits dimension {self.dim}, but a {t.mode} tensor has "
                       f"dimensions {dims_for_mode(t.mode)} (0 is the batch)", t)
        size = t.dim(self.dim)
        if size % self.b:
            raise fail("group.divisible", f"dimension {self.dim} of size {size} cannot be split into {self.b} "
                       "equal parts", t)
        return t.with_dim(self.dim, size // self.b)

    def refuses(self, t: Any) -> bool:
        return self.dim > len(t.shape) or t.shape[self.dim - 1] % self.b != 0

    def symbolic_branch(self, t: Any, alg: Any) -> Any:
        if self.dim not in dims_for_mode(t.mode):
            alg.never()
        size = t.dim(self.dim)
        alg.require_divisible(size, self.b)
        return t.with_dim(self.dim, alg.scale(size, Fraction(1, self.b)))
