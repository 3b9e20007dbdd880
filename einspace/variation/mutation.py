"""Mutation: resample one node of an architecture, valid by construction (paper §4.1, §5).

As in the paper: pick a node of the derivation tree uniformly at random (modules and terminals
alike, the root included) and regenerate it from the grammar under its inherited attributes — the
tensor type it receives. Unlike the original code, which mutated blindly and then ran a forward
pass to validate (reference §7.1), the child here is typed while it is made:

* a **module** is resampled with the sampler (:func:`einspace.generate.sampler.sample_typed`) at its input
  type, ``exclude`` barring the current subtree. A draw is kept only if the rest of the tree accepts
  its output type (the ancestors are re-typed from the changed node up, stopping as soon as an
  ancestor's output type is unchanged); after a few refused draws — and always with
  ``preserve_type=True`` — the node's exact output type (grid included) is the sampler's target,
  so nothing downstream changes;
* a **terminal** is replaced by another terminal of its symbol's choice set that fits (same factor
  for branching and aggregation functions), drawn with the grammar's weights.

A node inside a 4/8-way branching template is changed once, in the template, so every copy
changes (bug B1 of the original lost such changes). The child never equals its parent. Budgets
(nodes, depth, params, FLOPs, memory) bound the child; where the parent itself exceeds a limit,
the parent's own value is the limit, so seeds larger than the default budget stay mutable.

This module holds the operator: the choice of a node, the resampling of a module and the
replacement of a terminal. Addressing nodes by path is in :mod:`.sites`, re-typing the ancestors
of a change in :mod:`.downstream`, the budget checks in :mod:`.budgets` (crossover shares all three).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Optional, Union

from ..language.ast import Module, Node, Terminal
from ..generate.budget import DEFAULT_BUDGET, Budget
from ..generate.chooser import Chooser, as_chooser
from ..types.dimension_functions import attributes, output_type
from ..errors import MutationError, RuleViolation
from ..types.evaluator import ROOT, NodeInfo, Typed
from ..language.grammar import Grammar, load_grammar
from ..language.parser import as_tree
from ..types.rules import aggregate, apply
from ..types.tensor import TensorType, as_type
from .budgets import effective_budget, root_check, sub_budget, within
from .downstream import downstream_ok, typed
from .sites import replace_at, with_child

__all__ = ["mutate", "mutate_step", "Mutation", "MutationError", "SLOT_SYMBOL"]

#: the grammar symbol of a terminal by the slot it fills
SLOT_SYMBOL = {"fn": "B", "agg": "A", "pre": "R1", "post": "R2", "op": "C"}


@dataclass(frozen=True)
class Mutation:
    """One mutation: where it happened, what was replaced by what, and the child's output type."""

    parent: Module
    child: Module
    path: str
    old: Node
    new: Node
    output: TensorType
    attempts: int

    def to_json(self) -> dict:
        from ..language.printer import terminal_text, to_string

        def text(n: Node) -> str:
            return to_string(n) if isinstance(n, Module) else terminal_text(n)
        return {"arch": to_string(self.child), "path": self.path, "old": text(self.old), "new": text(self.new),
                "output": self.output.to_json(), "attempts": self.attempts}


# --- the operator ------------------------------------------------------------------------------

_DEFAULT_GRAMMAR: list[Grammar] = []


def _grammar(grammar: Union[Grammar, str, None]) -> Grammar:
    """The grammar to draw from; the packaged one is loaded once per process (a search mutates often)."""
    if grammar is None:
        if not _DEFAULT_GRAMMAR:
            _DEFAULT_GRAMMAR.append(load_grammar(None))
        return _DEFAULT_GRAMMAR[0]
    return load_grammar(grammar)


def _pick(chooser: Chooser, weights: list[float]) -> int:
    return 0 if len(weights) == 1 else chooser.choose(weights)


#: unconstrained draws tried (and checked downstream) before a module is resampled type-preservingly
FREE_DRAWS = 4


def _flexible(info: Typed, at: NodeInfo, root_ok) -> bool:
    """Whether the rest of the tree accepts some output type other than the node's own, probed with
    each size of that type grown by one and doubled. Where it does not (a residual branch, say),
    free draws would almost all be refused, so the type-preserving draw is made directly."""
    out = at.output
    for i, size in enumerate(out.shape):
        for new in (size + 1, 2 * size):
            probe = TensorType(out.mode, out.shape[:i] + (new,) + out.shape[i + 1:], out.grid)
            if downstream_ok(info, at.path, probe, root_ok):
                return True
    return False


def _resample_module(info: Typed, at: NodeInfo, chooser: Chooser, grammar: Grammar, budget: Budget,
                     preserve_type: bool, subtree_nodes: Optional[int] = None) -> Optional[Module]:
    """A new subtree for the module at ``at``: valid where it stands, different from the old one.

    Without ``preserve_type`` a few subtrees are drawn from the grammar at the node's input type and
    the first whose output the rest of the tree accepts is kept (rejection keeps the grammar's
    distribution, conditioned on validity); if none is, the node is resampled with its exact output
    type as the sampler's target, which always leaves the rest valid. With ``preserve_type`` only the
    latter. The sampler is exhaustive, so None means no such subtree exists within the budget.
    """
    from ..generate.sampler import SamplingError, sample_typed
    from ..generate.targets import Exactly
    old = at.node
    symbol = "S" if at.path == ROOT else "M"
    sub = sub_budget(budget, info, at)
    if subtree_nodes is not None and (sub.max_nodes is None or sub.max_nodes > subtree_nodes):
        sub = Budget.of(sub, max_nodes=subtree_nodes)
    if (sub.max_nodes is not None and sub.max_nodes < 2) or (sub.max_depth is not None and sub.max_depth < 2):
        return None
    root_ok = root_check(budget)
    if not preserve_type and _flexible(info, at, root_ok):
        for _ in range(FREE_DRAWS):
            try:
                got = sample_typed(at.input, symbol=symbol, chooser=chooser, grammar=grammar, budget=sub,
                                   exclude=(old,))
            except SamplingError:
                break
            if downstream_ok(info, at.path, got.output, root_ok):
                return got.tree
    try:
        return sample_typed(at.input, symbol=symbol, chooser=chooser, grammar=grammar, budget=sub,
                            accept=Exactly(at.output, grid=True), exclude=(old,)).tree
    except SamplingError:
        return None


def _terminal_options(at: NodeInfo, grammar: Grammar) -> tuple[list[Terminal], list[float]]:
    """The other terminals of the node's symbol, with their grammar weights (not yet checked)."""
    slot = at.path.rsplit(".", 1)[1]
    options, weights = [], []
    for choice in grammar.choices[SLOT_SYMBOL[slot]]:
        if choice.node != at.node:
            options.append(choice.node)
            weights.append(choice.weight)
    return options, weights


def _terminal_fit(op: Terminal, info: Typed, at: NodeInfo, preserve_type: bool, root_ok) -> Optional[Module]:
    """The enclosing module with ``op`` in the node's place, if the tree stays valid (and, with
    ``preserve_type``, the node's and so the module's output types stay the same); else None."""
    parent_path, slot = at.path.rsplit(".", 1)
    parent = info.at(parent_path)
    try:
        module = with_child(parent.node, slot, op)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return None  # e.g. a branching function of another factor
    try:
        if preserve_type:
            if _terminal_output(op, at, parent) != at.output or \
                    output_type(module, parent.input) != parent.output:  # type: ignore[arg-type]
                return None
        elif not downstream_ok(info, parent_path, output_type(module, parent.input), root_ok):  # type: ignore[arg-type]
            return None
    except RuleViolation:
        return None
    return module


def _terminal_output(op: Terminal, at: NodeInfo, parent: NodeInfo) -> TensorType:
    from ..types.rules import branch
    node = parent.node
    if at.path.endswith(".fn"):
        return branch(op, at.input)  # type: ignore[arg-type]
    if at.path.endswith(".agg"):
        return aggregate(op, list(at.input), node.factor)  # type: ignore[arg-type, union-attr]
    return apply(op, at.input)  # type: ignore[arg-type]


def mutate_step(arch: Union[Module, str], input: Union[str, TensorType], seed: Union[int, random.Random, None] = None, *,
                grammar: Union[Grammar, str, None] = None, preserve_type: bool = False,
                chooser: Optional[Chooser] = None, budget: Optional[Budget] = None,
                subtree_nodes: Optional[int] = None, max_attempts: int = 100, **limits) -> Mutation:
    """:func:`mutate`, returning a :class:`Mutation` record (path, old and new node, output type)."""
    arch = as_tree(arch, grammar=grammar)
    if subtree_nodes is not None and subtree_nodes < 2:
        raise ValueError(f"subtree_nodes must be at least 2 (a computation module), got {subtree_nodes}")
    if chooser is not None and seed is not None:
        raise TypeError("give either seed or chooser, not both")
    ch = chooser if chooser is not None else as_chooser(seed)
    t = as_type(input)
    g = _grammar(grammar)
    info = typed(arch, t)
    b = effective_budget(Budget.of(budget if budget is not None else DEFAULT_BUDGET, **limits), info)
    candidates = list(info.nodes)
    attempts = 0
    while candidates and attempts < max_attempts:
        attempts += 1
        i = _pick(ch, [1.0] * len(candidates))
        at = candidates[i]
        if isinstance(at.node, Module):
            new = _resample_module(info, at, ch, g, b, preserve_type, subtree_nodes)
            if new is None:
                candidates.pop(i)
                continue
            child = replace_at(arch, at.path, new)
            path, old_node, new_node = at.path, at.node, new
        else:
            # a weighted draw among the alternatives, refusing those that do not fit and drawing
            # again: the same distribution as a draw among the fitting ones, with fewer checks
            options, weights = _terminal_options(at, g)
            root_ok = root_check(b)
            child = None
            while options:
                j = _pick(ch, weights)
                op = options.pop(j)
                weights.pop(j)
                module = _terminal_fit(op, info, at, preserve_type, root_ok)
                if module is None:
                    continue
                cand = replace_at(arch, at.path.rsplit(".", 1)[0], module)
                if within(b, cand, t):
                    child, path, old_node, new_node = cand, at.path, at.node, op
                    break
            if child is None:
                candidates.pop(i)
                continue
        if child == arch or not within(b, child, t):
            continue
        return Mutation(arch, child, path, old_node, new_node, attributes(child, t).output, attempts)
    raise MutationError(f"no valid mutation found for this architecture at {t} within the budget "
                        f"after {attempts} attempts" + (" (preserving the output type)" if preserve_type else ""))


def mutate(arch: Union[Module, str], input: Union[str, TensorType], seed: Union[int, random.Random, None] = None, *,
           grammar: Union[Grammar, str, None] = None, preserve_type: bool = False,
           chooser: Optional[Chooser] = None, budget: Optional[Budget] = None, subtree_nodes: Optional[int] = None,
           **limits) -> Module:
    """A child of ``arch`` (a tree or its text) that differs in one resampled node and type-checks at ``input``.

    ``seed`` (int or random.Random) or ``chooser`` supplies the randomness (a Hypothesis chooser
    makes mutations shrinkable). ``preserve_type=True`` keeps the changed node's output type, so the
    child's output type and everything downstream are unchanged. ``budget``/``limits`` as for
    :func:`einspace.sample` (``max_nodes``, ``max_depth``, ``max_params``, ``max_flops``,
    ``max_memory``, ``output_mode``, ``output_shape``). ``subtree_nodes`` caps the size of a
    resampled subtree (default: only the budget does, as in the paper), for more local changes.
    Raises :class:`MutationError` if no node can change, :class:`einspace.TypeCheckError` if
    ``arch`` does not type-check at ``input``.
    """
    return mutate_step(arch, input, seed, grammar=grammar, preserve_type=preserve_type, chooser=chooser,
                       budget=budget, subtree_nodes=subtree_nodes, **limits).child
