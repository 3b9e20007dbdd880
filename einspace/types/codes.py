"""Tensor types as plain tuples ``(mode, shape, grid)``, for the memos that hold many of them.

>>> c = code(TensorType("im", (3, 28, 28))); c
('im', (3, 28, 28), None)
>>> numel(c), tensor(c) == TensorType("im", (3, 28, 28))
(2352, True)

Why a second representation: the sampling tables (:mod:`einspace.generate.tables`) memoise the
options of tens of thousands of types, each option with its output type, and the type memo
(:mod:`.dimension_functions`) the output type of every (subtree, type) it meets. A
:class:`~einspace.types.tensor.TensorType` is an instance of a class, which the cyclic garbage
collector always tracks, so every full collection scanned every memoised type (issue 15: those
collections were the sampler's slowest samples). A tuple of strings, integers and None is
untracked at its first collection, and so are the tuples and dicts of a memo that hold only such
tuples. Tuples also hash and compare in C, where a frozen dataclass hashes in Python. Code that
keeps codes converts at its boundary: TensorTypes in, and TensorTypes out to the type rules, to a
caller's target and to the caller."""

from __future__ import annotations

from math import prod

from .tensor import TensorType

__all__ = ["Code", "code", "tensor", "numel"]

#: ``(mode, shape, grid)``: the fields of a TensorType in their order
Code = tuple


def code(t: TensorType) -> Code:
    """The plain tuple of a type."""
    return (t.mode, t.shape, t.grid)


_new = object.__new__
_set = object.__setattr__


def tensor(c: Code) -> TensorType:
    """The TensorType of a code (for the type rules, the targets and the sampler's caller).

    Made without ``TensorType.__post_init__``'s checks: every code is the :func:`code` of a
    checked TensorType, and a witness search on new types makes thousands of these."""
    t = _new(TensorType)
    _set(t, "mode", c[0])
    _set(t, "shape", c[1])
    _set(t, "grid", c[2])
    return t


def numel(c: Code) -> int:
    """Elements per sample (the batch excluded), as :attr:`TensorType.numel`."""
    return prod(c[1])
