"""Routing functions: prerouting (R1) and postrouting (R2); ``identity`` is also a computation."""

from __future__ import annotations

from typing import Any

from ..ast import is_int
from .base import Choice, Ints, Operation, fail

__all__ = ["Identity", "Perm", "Im2Col", "Col2Im", "IM_PERMS", "COL_PERMS", "im2col_grid"]

COL_PERMS = ((0, 2, 1),)
IM_PERMS = ((0, 1, 3, 2), (0, 2, 1, 3), (0, 2, 3, 1), (0, 3, 1, 2), (0, 3, 2, 1))


class Identity(Operation):
    """identity: valid as prerouting, postrouting and computation; free and type-preserving."""

    name = "identity"
    roles = ("C", "R1", "R2")
    view = True
    preserves_type = True
    identity = True


class Perm(Operation):
    """perm(0,...): reorder dimensions; the batch (0) stays first."""

    @classmethod
    def signature(cls) -> str:
        return "perm(0,i,j) in col mode or perm(0,i,j,k) in im mode"

    name = "perm"
    roles = ("R1", "R2")
    view = True
    domains = {"order": Choice(((0, 1, 2), (0, 1, 2, 3)) + COL_PERMS + IM_PERMS)}
    order: tuple[int, ...]

    @classmethod
    def from_args(cls, *order: Any) -> "Perm":
        return cls(tuple(order))

    def validate(self) -> None:
        order = self.order
        if not (isinstance(order, tuple) and all(is_int(i) for i in order)):
            raise ValueError("perm order must be a tuple of ints")
        if len(order) not in (3, 4):
            raise ValueError(f"perm needs 3 (col mode) or 4 (im mode) indices, got {len(order)}")
        text = self.text()
        if sorted(order) != list(range(len(order))):
            raise ValueError(f"{text} is not a permutation of 0..{len(order) - 1}")
        if order[0] != 0:
            raise ValueError(f"{text} must keep the batch dimension 0 first")

    def text(self) -> str:
        return "perm(" + ",".join(str(i) for i in self.order) + ")"

    def output_type(self, t: Any) -> Any:
        if len(self.order) != t.rank:
            need = "perm(0,2,1)" if t.mode == "col" else "a 4-index perm such as perm(0,1,3,2)"
            raise fail("perm.rank", f"perm{self.order} has {len(self.order)} indices but a {t.mode} tensor has rank "
                       f"{t.rank} (with the batch); use {need}", t)
        return t.derive(tuple(t.shape[i - 1] for i in self.order[1:]))

    def refuses(self, t: Any) -> bool:
        return len(self.order) != t.rank

    def symbolic_output(self, t: Any, alg: Any) -> Any:
        if len(self.order) != t.rank:
            alg.never()
        return t.derive(tuple(t.shape[i - 1] for i in self.order[1:]))


def im2col_grid(op: "Im2Col", h: int, w: int) -> tuple[int, int] | None:
    """The output grid (H', W') of an im2col on an H x W image, or None if the kernel does not fit."""
    span = op.d * (op.k - 1) + 1
    hh, ww = h + 2 * op.p - span, w + 2 * op.p - span
    if hh < 0 or ww < 0:
        return None
    return hh // op.s + 1, ww // op.s + 1


class Im2Col(Operation):
    """im2col(k,s,p[,d]): unfold k x k patches (stride s, padding p, dilation d) into columns."""

    name = "im2col"
    roles = ("R1",)
    domains = {"k": Ints(1, examples=(1, 3, 4, 8), spread=8), "s": Ints(1, examples=(1, 2, 4), spread=7),
               "p": Ints(0, examples=(0, 1), spread=4), "d": Ints(1, examples=(1, 1, 1), spread=2)}
    k: int
    s: int
    p: int
    d: int = 1

    def validate(self) -> None:
        if not all(is_int(v) for v in (self.k, self.s, self.p, self.d)):
            raise ValueError("im2col arguments must be integers")
        if not (self.k >= 1 and self.s >= 1 and self.d >= 1 and self.p >= 0):
            raise ValueError(f"im2col needs k>=1, s>=1, p>=0, d>=1; got k={self.k}, s={self.s}, p={self.p}, "
                             f"d={self.d}")

    def text(self) -> str:
        args = (self.k, self.s, self.p) if self.d == 1 else (self.k, self.s, self.p, self.d)
        return "im2col(" + ",".join(str(v) for v in args) + ")"

    def output_type(self, t: Any) -> Any:
        if t.mode != "im":
            raise fail("im2col.mode", "im2col needs an im-mode input [C,H,W]", t)
        c, h, w = t.shape
        grid = im2col_grid(self, h, w)
        if grid is None:
            span = self.d * (self.k - 1) + 1
            raise fail("im2col.kernel", f"kernel {self.k} (dilation {self.d}, extent {span}) does not fit a "
                       f"{h}x{w} image with padding {self.p}", t)
        return t.derive((grid[0] * grid[1], c * self.k * self.k), mode="col", grid=grid)

    def refuses(self, t: Any) -> bool:
        return t.mode != "im"

    def symbolic_output(self, t: Any, alg: Any) -> Any:
        if t.mode != "im":
            alg.never()
        c, h, w = t.shape
        span = self.d * (self.k - 1) + 1
        grid = []
        for x in (h, w):
            alg.require_at_least(x, span - 2 * self.p, is_size=True)
            grid.append(alg.add(alg.floordiv(alg.add(x, alg.const(2 * self.p - span)), self.s), alg.const(1)))
        gh, gw = grid
        return t.derive((alg.mul(gh, gw), alg.scale(c, self.k * self.k)), mode="col", grid=(gh, gw))

    def flops(self, t: Any, out: Any) -> int:
        return 0


class Col2Im(Operation):
    """col2im: fold columns back into an image of the grid remembered from the last im2col."""

    name = "col2im"
    roles = ("R2",)
    view = True
    folds = True

    def output_type(self, t: Any) -> Any:
        if t.mode != "col":
            raise fail("col2im.mode", "col2im needs a col-mode input [S,D]", t)
        if t.grid is None:
            raise fail("col2im.grid", "col2im has no grid to fold into: no im2col produced this col tensor "
                       "(or an aggregation mixed tensors from different im2cols)", t)
        gh, gw = t.grid
        s, d = t.shape
        if s != gh * gw:
            raise fail("col2im.grid-size", f"col2im would fold {s} positions into the remembered {gh}x{gw} grid "
                       f"({gh * gw} positions); the sequence length changed since the im2col", t)
        return t.derive((d, gh, gw), mode="im", grid=None)

    def refuses(self, t: Any) -> bool:
        return t.grid is None or t.shape[0] != t.grid[0] * t.grid[1]

    def symbolic_output(self, t: Any, alg: Any) -> Any:
        if t.mode != "col" or t.grid is None:
            alg.never()
        gh, gw = t.grid
        alg.require_equal(t.shape[0], alg.mul(gh, gw))
        return t.derive((t.shape[1], gh, gw), mode="im", grid=None)
