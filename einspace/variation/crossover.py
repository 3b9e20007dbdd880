"""Crossover: graft a subtree of one parent into the other, valid by construction.

The recipient ``a`` keeps its tree except at one module position, where a module subtree of the
donor ``b`` is put. A donor subtree fits a position when its dimension function is defined at the
position's input type (the type ``a`` feeds that position) and the tree stays valid with its
output: by default any output the rest of ``a`` still accepts (the ancestors are re-typed from the
position up, as mutation does); with ``preserve_type=True`` only the exact output type the
recipient's subtree had (NeuralArTS instant equivalence at that point), so nothing downstream
changes. No network is built and no forward pass is run.

The position is drawn uniformly among ``a``'s modules (one position per 4/8-way template, so a
graft into a template changes every copy), then the donor subtree uniformly among the distinct
subtrees of ``b`` that fit; positions where none fits are dropped and another is drawn. The child
never equals ``a`` (a donor equal to the replaced subtree is not a change). Budgets as for mutation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Optional, Union

from ..language.ast import Computation, Module
from ..language.parser import as_tree
from ..generate.budget import DEFAULT_BUDGET, Budget
from ..generate.chooser import Chooser, as_chooser
from ..types.dimension_functions import attributes, try_output_type
from ..errors import CrossoverError, EinspaceError
from ..types.evaluator import ROOT
from ..types.tensor import TensorType, as_type
from .budgets import effective_budget, root_check, within
from .downstream import downstream_ok, typed
from .sites import replace_at

__all__ = ["crossover", "crossover_step", "Crossover", "CrossoverError", "donors"]


@dataclass(frozen=True)
class Crossover:
    """One graft: the recipient's position, the subtree it had and the donor's subtree put there."""

    recipient: Module
    donor: Module
    child: Module
    path: str
    old: Module
    new: Module
    output: TensorType
    attempts: int

    def to_json(self) -> dict:
        from ..language.printer import to_string
        return {"arch": to_string(self.child), "path": self.path, "old": to_string(self.old),
                "new": to_string(self.new), "output": self.output.to_json(), "attempts": self.attempts}


def donors(tree: Module) -> tuple[Module, ...]:
    """The distinct module subtrees of ``tree`` (the root included), in pre-order of first appearance."""
    seen: dict[Module, None] = {}
    for node in tree.walk():
        if isinstance(node, Module) and node not in seen:
            seen[node] = None
    return tuple(seen)


def crossover_step(a: Union[Module, str], b: Union[Module, str], input: Union[str, TensorType], seed: Union[int, random.Random, None] = None,
                   *, chooser: Optional[Chooser] = None, preserve_type: bool = False,
                   budget: Optional[Budget] = None, max_attempts: int = 200, **limits) -> Crossover:
    """:func:`crossover`, returning a :class:`Crossover` record."""
    a, b = as_tree(a), as_tree(b)
    if chooser is not None and seed is not None:
        raise TypeError("give either seed or chooser, not both")
    ch = chooser if chooser is not None else as_chooser(seed)
    t = as_type(input)
    info = typed(a, t)
    b_info = typed(b, t)  # the donor must be a valid architecture at the same input, too
    base = Budget.of(budget if budget is not None else DEFAULT_BUDGET, **limits)
    eff = effective_budget(effective_budget(base, info), b_info)
    pool = donors(b)
    root_ok = root_check(eff)
    positions = [n for n in info.nodes if isinstance(n.node, Module)]
    attempts = 0
    while positions and attempts < max_attempts:
        attempts += 1
        i = 0 if len(positions) == 1 else ch.choose([1.0] * len(positions))
        at = positions[i]
        fits = []
        for d in pool:
            if d == at.node or (at.path == ROOT and isinstance(d, Computation)):
                continue
            if eff.max_depth is not None and at.depth + d.depth > eff.max_depth:
                continue
            out = try_output_type(d, at.input)  # type: ignore[arg-type]
            if out is None:
                continue
            if out == at.output if preserve_type else downstream_ok(info, at.path, out, root_ok):
                fits.append(d)
        while fits:
            j = 0 if len(fits) == 1 else ch.choose([1.0] * len(fits))
            child = replace_at(a, at.path, fits[j])
            if within(eff, child, t):
                return Crossover(a, b, child, at.path, at.node, fits[j], attributes(child, t).output,  # type: ignore[arg-type]
                                 attempts)
            fits.pop(j)
        positions.pop(i)
    raise CrossoverError(f"no subtree of the donor fits a position of the recipient at {t}"
                         + (" with the same output type" if preserve_type else "") + " within the budget")


def crossover(a: Union[Module, str], b: Union[Module, str], input: Union[str, TensorType], seed: Union[int, random.Random, None] = None,
              *, chooser: Optional[Chooser] = None, preserve_type: bool = False, budget: Optional[Budget] = None,
              **limits) -> Module:
    """A child of recipient ``a`` with one module subtree replaced by a fitting subtree of donor ``b``
    (each a tree or its text).

    Both parents must type-check at ``input``; the child does too, by construction. ``seed`` or
    ``chooser`` supplies the randomness; ``preserve_type=True`` only swaps subtrees with the same
    output type at that position; ``budget``/``limits`` bound the child as for :func:`einspace.mutate`.
    Raises :class:`CrossoverError` when nothing fits.
    """
    return crossover_step(a, b, input, seed, chooser=chooser, preserve_type=preserve_type, budget=budget,
                          **limits).child
