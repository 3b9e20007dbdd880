"""Generated type-equivalent convolutions (NeuralArTS, Algorithm 1), for im2col's choice set.

A convolution here is ``routing[im2col(k,s,p,d), computation<linear(n)>, col2im]``. Its spatial
dimension function is ``H ↦ ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1``, defined where ``H + 2p − d(k−1) ≥ 1``;
channels become n whatever k is. Two convolutions with the same stride are therefore
type-equivalent exactly when they share the *reach* ``c = 2p − d(k−1)`` (equal c gives equal
functions and equal domains; different c give different outputs at some H in every stride period).

Algorithm 1 fixes ranges for two of (k, p, d), derives the third from ``c`` and keeps the integer
solutions: ``k = (2p − c)/d + 1``, ``p = (c + d(k−1))/2``, ``d = (2p − c)/(k−1)``. A 1×1 kernel
makes the last division 0/0: dilation has no effect on it, so it is kept with d = 1 exactly when
``2p = c`` (never a division by zero). The settings returned can extend the grammar's ``R1``
choice set (:func:`extend_grammar`), e.g. the paper's 3×3 dilation-2 beside the 5×5.

Note that the im2col operations alone are *not* type-equivalent (they emit C·k² features); the
equivalence is that of the convolutions they build.
"""

from __future__ import annotations

import os
from typing import Iterable, Optional, Sequence, Union

from ..language.ast import Module
from ..language.ops import Im2Col
from ..errors import ConvGenError
from ..language.grammar import Grammar, load_grammar

__all__ = ["reach", "conv_equivalent", "generate_equivalent_convs", "convolution", "extend_grammar",
           "parse_range", "ConvGenError"]

Range = Union[Sequence[int], range, tuple[int, int], None]


def reach(op: Im2Col) -> int:
    """``2p − d(k−1)``: with the stride, it determines a convolution's dimension function."""
    return 2 * op.p - op.d * (op.k - 1)


def conv_equivalent(a: Im2Col, b: Im2Col) -> bool:
    """Whether the convolutions built on ``a`` and ``b`` (same linear width) are type-equivalent."""
    return a.s == b.s and reach(a) == reach(b)


def convolution(op: Im2Col, width: int = 64) -> Module:
    """``routing[op, computation<linear(width)>, col2im]``."""
    from ..language.ast import Computation, Routing
    from ..language.ops import Col2Im, Linear
    return Routing(op, Computation(Linear(width=width)), Col2Im())


def _values(name: str, r: Range) -> Optional[list[int]]:
    if r is None:
        return None
    if isinstance(r, tuple) and len(r) == 2 and not isinstance(r, range):
        lo, hi = r
        vals = list(range(lo, hi + 1))
    else:
        vals = list(r)  # type: ignore[arg-type]
    if not vals:
        raise ConvGenError(f"the {name} range is empty")
    if any(not isinstance(v, int) or isinstance(v, bool) for v in vals):
        raise ConvGenError(f"{name} values must be integers")
    return vals


def _derive(c: int, k: Optional[int], p: Optional[int], d: Optional[int]) -> Optional[tuple[int, int, int]]:
    """Fill in the one missing property so that 2p − d(k−1) = c, or None if no valid integer does."""
    if k is None:
        assert p is not None and d is not None
        num = 2 * p - c
        if d < 1 or num % d:
            return None
        k = num // d + 1
    elif p is None:
        assert d is not None
        twice = c + d * (k - 1)
        if twice % 2:
            return None
        p = twice // 2
    else:
        if k == 1:  # dilation is irrelevant for a 1x1 kernel; 0/0 is not evaluated
            if 2 * p != c:
                return None
            d = 1
        else:
            num = 2 * p - c
            if num % (k - 1):
                return None
            d = num // (k - 1)
    if k < 1 or p < 0 or d < 1:
        return None
    return k, p, (1 if k == 1 else d)  # one 1x1 kernel, not one per (irrelevant) dilation


def generate_equivalent_convs(seed: Im2Col, *, kernels: Range = None, paddings: Range = None,
                              dilations: Range = None) -> tuple[Im2Col, ...]:
    """Every im2col(k', s, p', d') in the given ranges whose convolution is type-equivalent to the seed's.

    Give exactly two of ``kernels``, ``paddings``, ``dilations`` (inclusive ``(lo, hi)`` pairs, ranges
    or lists); the third is derived. The stride is the seed's. The seed itself is included when it
    lies in the ranges. Sorted by (k, d, p), without duplicates.
    """
    if not isinstance(seed, Im2Col):
        raise ConvGenError(f"the seed must be an im2col operation, got {seed!r}")
    ks, ps, ds = _values("kernel", kernels), _values("padding", paddings), _values("dilation", dilations)
    if [ks, ps, ds].count(None) != 1:
        raise ConvGenError("give ranges for exactly two of kernels, paddings and dilations; the third is derived")
    if any(v < 1 for v in ks or ()) or any(v < 0 for v in ps or ()) or any(v < 1 for v in ds or ()):
        raise ConvGenError("kernels and dilations must be ≥ 1 and paddings ≥ 0")
    c = reach(seed)
    found: set[tuple[int, int, int]] = set()
    for k in ks or [None]:  # type: ignore[list-item]
        for p in ps or [None]:  # type: ignore[list-item]
            for d in ds or [None]:  # type: ignore[list-item]
                got = _derive(c, k, p, d)
                if got is not None:
                    found.add(got)
    return tuple(Im2Col(k, seed.s, p, d) for k, p, d in sorted(found, key=lambda t: (t[0], t[2], t[1])))


def extend_grammar(settings: Iterable[Im2Col], grammar: Union[Grammar, str, os.PathLike, None] = None,
                   *, weight: float = 1.0, save: Union[str, os.PathLike, None] = None) -> Grammar:
    """A grammar whose R1 choice set also holds ``settings`` (existing choices and weights kept).

    With ``save``, the derived grammar file is written there, to be passed as ``grammar=`` or
    ``--grammar`` to sampling, mutation and search.
    """
    g = load_grammar(grammar)
    current = list(g.choices["R1"])
    nodes = [c.node for c in current]
    weights = [c.weight for c in current]
    for op in settings:
        if op not in nodes:
            nodes.append(op)
            weights.append(weight)
    out = g.with_choices("R1", nodes, weights)
    if save is not None:
        out.save(save)
    return out


def parse_range(text: str) -> tuple[int, int]:
    """``"3"`` → (3, 3); ``"1:7"`` or ``"1-7"`` → (1, 7) (inclusive)."""
    for sep in (":", "-", ".."):
        if sep in text:
            lo, _, hi = text.partition(sep)
            try:
                return int(lo), int(hi)
            except ValueError:
                break
    try:
        v = int(text)
    except ValueError:
        raise ConvGenError(f"cannot read range {text!r}; write LO:HI (inclusive) or one integer") from None
    return v, v
