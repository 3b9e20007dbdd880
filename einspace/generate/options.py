"""The valid options of one sampling decision at one tensor type, stored by column.

The sampling tables (:mod:`.tables`) memoise an :class:`Options` for every type they meet, tens of
thousands of them in a long run. Each is kept as a few tuples of plain numbers (the interpreter's
garbage collector stops scanning those: a tuple holding only numbers is untracked at its first
collection) plus one tuple of output types (:mod:`.codes`, plain tuples too), instead of one
record per option: a full collection then has about one object per memoised type to scan rather
than a few dozen (issue 15: the full collections of a growing memo were the sampler's slowest
samples).

Option ``i`` is the terminal ``terms[idx[i]]`` (``terms`` is the grammar's choice list, shared by
every memoised type) with output type ``outs[i]`` and costs ``params[i]``, ``flops[i]``,
``memory[i]``; :meth:`Options.item` gathers them in an :class:`Opt` for the option a pass takes.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

from .codes import Code

__all__ = ["Opt", "Options", "EMPTY", "options"]


class Opt(NamedTuple):
    """One option: the terminal (a computation module for C), its output type and its costs."""

    term: object
    out: Code
    params: int
    flops: int
    memory: int


class Options:
    """Valid options at one type, their weights, the largest cost among them (fast budget test),
    and (computed on first use) the indices of the options cheapest first with one per output
    type — the witness search order — and ``keep``: the cheapest type-preserving option and any
    mode-changing ones."""

    __slots__ = ("weights", "terms", "idx", "outs", "params", "flops", "memory",
                 "max_params", "max_flops", "max_memory", "t", "_cheap", "_keep")

    def __init__(self, terms: tuple, idx: tuple, outs: tuple, params: tuple, flops: tuple, memory: tuple,
                 weights: tuple, t: Optional[Code] = None):
        self.terms, self.idx, self.outs, self.weights, self.t = terms, idx, outs, weights, t
        self.params, self.flops, self.memory = params, flops, memory
        self.max_params = max(params, default=0)
        self.max_flops = max(flops, default=0)
        self.max_memory = max(memory, default=0)
        self._cheap: Optional[tuple] = None
        self._keep: Optional[tuple] = None

    def __len__(self) -> int:
        return len(self.outs)

    def term(self, i: int):
        """The terminal of option ``i``."""
        return self.terms[self.idx[i]]

    def item(self, i: int) -> Opt:
        """Option ``i`` as one record."""
        return Opt(self.terms[self.idx[i]], self.outs[i], self.params[i], self.flops[i], self.memory[i])

    @property
    def cheap(self) -> tuple:
        if self._cheap is None:
            memory, flops, params, outs = self.memory, self.flops, self.params, self.outs
            cheap: dict = {}
            for i in sorted(range(len(outs)), key=lambda i: (memory[i], flops[i], params[i])):
                cheap.setdefault(outs[i], i)
            self._cheap = tuple(cheap.values())
        return self._cheap

    @property
    def keep(self) -> tuple:
        if self._keep is None:
            t, outs = self.t, self.outs
            keep = tuple(i for i in self.cheap if outs[i] == t or (t is not None and outs[i][0] != t[0]))
            self._keep = keep or self.cheap
        return self._keep


EMPTY = Options((), (), (), (), (), (), ())


def options(terms: tuple, rows: list, weights: list, t: Optional[Code] = None) -> Options:
    """Options from ``rows`` of (choice index, output type, params, flops, memory)."""
    if not rows:
        return EMPTY
    idx, outs, params, flops, memory = zip(*rows)
    return Options(terms, idx, outs, params, flops, memory, tuple(weights), t)
