"""The valid options of one sampling decision at one tensor type, stored by column in one plain tuple.

The sampling tables (:mod:`.tables`) memoise the options of every type they meet, tens of
thousands of types in a long run. What they keep per type is one plain tuple (:func:`columns`) of
tuples of numbers and output types (:mod:`einspace.types.codes`), not objects: the interpreter's garbage
collector stops tracking a tuple that holds only numbers, strings and such tuples at its first
collection, and a dict whose keys and values are all untracked at a full collection. So once a
memo is full, full collections do not read it at all (issue 15: the full collections of the
growing memos were the sampler's slowest samples; an object per type, even one with two slots,
cost a full collection about 1.5 µs per type in cache misses on the development machine).

:class:`Options` is the view a look-up returns: the grammar's terminals of the decision (one tuple
shared by every type) and the columns. Option ``i`` is the terminal ``terms[idx[i]]`` with output
type ``outs[i]`` and costs ``params[i]``, ``flops[i]``, ``memory[i]``; :meth:`Options.item` gathers
them in an :class:`Opt` for the option a pass takes.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

from ..types.codes import Code

__all__ = ["Opt", "Options", "EMPTY", "columns"]


class Opt(NamedTuple):
    """One option: the terminal (a computation module for C), its output type and its costs."""

    term: object
    out: Code
    params: int
    flops: int
    memory: int


def _column(i: int, doc: str) -> property:
    """Read-only access to column ``i`` of :attr:`Options.cols`."""
    return property(lambda self: self.cols[i], doc=doc)


class Options:
    """Valid options at one type (a view of memoised :func:`columns`): their weights, the largest
    cost among them (a fast budget test), the indices of the options cheapest first with one per
    output type (``cheap``: the witness search order) and ``keep``: the cheapest type-preserving
    option and any mode-changing ones."""

    __slots__ = ("terms", "cols")

    def __init__(self, terms: tuple, cols: tuple):
        self.terms = terms
        self.cols = cols

    weights = _column(0, "the grammar's weight of each option")
    idx = _column(1, "each option's index in ``terms``")
    outs = _column(2, "each option's output type (a code)")
    params = _column(3, "each option's parameters")
    flops = _column(4, "each option's FLOPs per sample")
    memory = _column(5, "each option's activation memory per sample")
    max_params = _column(6, "the largest of ``params`` (0 without options)")
    max_flops = _column(7, "the largest of ``flops``")
    max_memory = _column(8, "the largest of ``memory``")
    cheap = _column(9, "option indices cheapest first, the first of each output type")
    keep = _column(10, "of ``cheap``, the type-preserving and mode-changing ones (else all of ``cheap``)")

    def __len__(self) -> int:
        return len(self.cols[2])

    def term(self, i: int):
        """The terminal of option ``i``."""
        return self.terms[self.cols[1][i]]

    def item(self, i: int) -> Opt:
        """Option ``i`` as one record."""
        _, idx, outs, params, flops, memory = self.cols[:6]
        return Opt(self.terms[idx[i]], outs[i], params[i], flops[i], memory[i])


def columns(rows: list, weights: list, t: Optional[Code] = None) -> tuple:
    """The columns of the options in ``rows`` of (choice index, output type, params, flops, memory),
    with ``weights``; ``t``: the input type (for ``keep``), None where the options do not keep one."""
    if not rows:
        return NONE
    idx, outs, params, flops, memory = zip(*rows)
    cheap = _cheap(outs, params, flops, memory)
    keep = tuple(i for i in cheap if outs[i] == t or (t is not None and outs[i][0] != t[0])) or cheap
    return (tuple(weights), idx, outs, params, flops, memory, max(params), max(flops), max(memory), cheap, keep)


def _cheap(outs: tuple, params: tuple, flops: tuple, memory: tuple) -> tuple:
    """Indices of the options cheapest first (memory, FLOPs, parameters), the first of each output type."""
    cheap: dict = {}
    for i in sorted(range(len(outs)), key=lambda i: (memory[i], flops[i], params[i])):
        cheap.setdefault(outs[i], i)
    return tuple(cheap.values())


#: the columns of no option
NONE = ((), (), (), (), (), (), 0, 0, 0, (), ())
#: no option (the decision cannot be taken at this type)
EMPTY = Options((), NONE)
