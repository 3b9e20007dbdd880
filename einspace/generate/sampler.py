"""Draw valid architectures from the probabilistic grammar, exactly and fast, within budgets.

Public API (stable)::

    sample(input, seed=None, *, grammar=None, chooser=None, budget=None, p_computation=None,
           max_passes=1000, **limits) -> Module
        A whole architecture: the root is S (sequential, branching or routing; never a bare
        computation). ``seed`` (int) or ``chooser`` (a :class:`einspace.generate.chooser.Chooser`) supplies
        the randomness; ``limits`` are :class:`einspace.generate.budget.Budget` fields (``max_nodes``,
        ``max_depth``, ``max_params``, ``max_flops``, ``max_memory``, ``output_mode``,
        ``output_shape``) overriding ``budget`` (default :data:`einspace.generate.budget.DEFAULT_BUDGET`).
        ``p_computation`` sets p(M -> C) (the other M rules share the rest in their ratio).
        ``max_passes`` bounds the backtracking (:data:`DEFAULT_MAX_PASSES`; None: exhaustive).

    sample_module(input, *, symbol="M", chooser, grammar=None, budget=None, accept=None,
                  exclude=None, max_passes=1000) -> Module
        One subtree in context, for mutation and crossover. ``input`` is the TensorType the
        subtree receives; ``symbol`` "M" (any module, the computation module included) or "S"
        (root rules only). ``budget`` limits the subtree's own cost (its nodes, its depth counted
        from the subtree's root, and its params/FLOPs/memory for one instance — a caller inside a
        4/8-way template divides by the copies). ``accept``: the subtree's output type must
        satisfy it — a :class:`~einspace.generate.targets.Target` (``Exactly(t)``, ``Pattern(...)``,
        ``AnyOf(...)``: the sampler prunes with it), a TensorType (exact match), or any predicate
        ``TensorType -> bool`` (checked on the final operation). ``exclude``: a collection of
        modules, or a predicate on modules, the result must not be (e.g. ``{old_subtree}``).
        Raises :class:`SamplingError` when no such subtree exists within the witness classes
        (docs/sampling.md), or when ``max_passes`` passes found none (the message says which);
        with ``max_passes=None`` the search over decisions is exhaustive.

    sample_typed(...) -> Sampled(tree, output, passes)
        Same arguments as ``sample_module``; also returns the output type and how many passes
        (1 + dead ends) the search took.

Semantics: every decision (production, then each terminal) is drawn from the options that fit
the current tensor type and budget and can still be completed — a small witness completion of
everything still open exists — with the grammar's weights renormalised: the paper's backtracking
sampler without time limits or restarts; exact backtracking covers the rest (``exclude``), bounded
by a number of passes (deterministic, unlike a time-out) unless ``max_passes=None``. See
:mod:`einspace.generate.engine`, :mod:`einspace.generate.needs` and docs/sampling.md.
"""

from __future__ import annotations

import random
from typing import Callable, Collection, NamedTuple, Optional, Union

from .._recursion import deep_enough
from ..language.ast import Module
from .budget import DEFAULT_BUDGET, Budget, BudgetError
from .chooser import Chooser, as_chooser
from ..errors import BudgetError, EinspaceError, SamplingError
from ..language.grammar import Grammar, load_grammar
from ..types.tensor import TensorType, as_type
from . import engine as _engine
from .tables import tables_for
from .targets import AnyOf, Exactly, Pattern, Target, Where, as_target

__all__ = ["sample", "sample_module", "sample_typed", "with_p_computation", "Sampled", "SamplingError", "Budget", "DEFAULT_BUDGET",
           "DEFAULT_MAX_PASSES",
           "Target", "Exactly", "Pattern", "AnyOf", "Where"]

TypeLike = Union[str, TensorType, tuple, list]
Exclude = Union[Collection[Module], Callable[[Module], bool], None]

#: passes (1 + dead ends) one search may take before giving up with SamplingError. Witnesses make
#: almost every search finish in one pass; the bound only stops the rare exhaustive backtracking
#: under an ``exclude`` set or a tight target, whose decision tree can be exponentially large
#: (about 1-3 ms per pass). ``max_passes=None`` searches exhaustively.
DEFAULT_MAX_PASSES = 1000


class Sampled(NamedTuple):
    tree: Module
    output: TensorType
    passes: int


def _limit(v: Optional[int]) -> int:
    return _engine.INF if v is None else v


def _exclusion(exclude: Exclude) -> Optional[Callable[[Module], bool]]:
    if exclude is None:
        return None
    if callable(exclude) and not isinstance(exclude, (set, frozenset, list, tuple, dict)):
        return exclude  # type: ignore[return-value]
    banned = frozenset(exclude)  # type: ignore[arg-type]
    return banned.__contains__ if banned else None


def _output_target(budget: Budget) -> Optional[Target]:
    if budget.output_mode is None and budget.output_shape is None:
        return None
    return Pattern(budget.output_mode, budget.output_shape)


def sample_typed(input: TypeLike, *, symbol: str = "M", chooser: Chooser,
                 grammar: Union[Grammar, str, None] = None, budget: Optional[Budget] = None,
                 accept=None, exclude: Exclude = None, max_passes: Optional[int] = DEFAULT_MAX_PASSES) -> Sampled:
    """:func:`sample_module`, also returning the output type and the number of passes."""
    if symbol not in ("S", "M"):
        raise ValueError(f"symbol must be 'S' (root) or 'M' (module), got {symbol!r}")
    if max_passes is not None and (not isinstance(max_passes, int) or isinstance(max_passes, bool) or max_passes < 1):
        raise ValueError(f"max_passes must be a positive integer or None, got {max_passes!r}")
    t = as_type(input)
    g = load_grammar(grammar)
    budget = budget if budget is not None else DEFAULT_BUDGET
    if budget.max_nodes is None and budget.max_depth is None:
        raise BudgetError("at least one of max_nodes and max_depth must be finite, or sampling may not end")
    want = as_target(accept)
    out_target = _output_target(budget)
    if out_target is not None:
        want = out_target if want is None else _Both(want, out_target)
    depth = _limit(budget.max_depth)
    nodes = _limit(budget.max_nodes)
    levels = min(depth, nodes // 2 + 2)
    args = (tables_for(g), chooser, symbol, t, depth,
            (nodes, _limit(budget.max_params), _limit(budget.max_flops), _limit(budget.max_memory)),
            want, _exclusion(exclude), max_passes)
    if levels > 120:
        with deep_enough(levels * 2):
            found = _engine.run(*args)
    else:
        found = _engine.run(*args)
    if isinstance(found, _engine.Exhausted):
        what = "architecture" if symbol == "S" else "module"
        if found.limited:
            raise SamplingError(f"no {what} from {t} found in {found.passes:,} passes (max_passes); the search "
                                f"was not finished: raise max_passes, or None for an exhaustive search",
                                input=t, symbol=symbol, budget=budget)
        raise SamplingError(f"no {what} from {t} fits the grammar, the budget and the output constraint",
                            input=t, symbol=symbol, budget=budget)
    return Sampled(*found)


class _Both(Target):
    """Both targets (an explicit ``accept`` and the budget's output constraint)."""

    def __init__(self, a: Target, b: Target):
        self.a, self.b = a, b
        self.modes = a.modes & b.modes

    def __call__(self, t: TensorType) -> bool:
        return self.a(t) and self.b(t)


def sample_module(input: TypeLike, *, symbol: str = "M", chooser: Chooser,
                  grammar: Union[Grammar, str, None] = None, budget: Optional[Budget] = None,
                  accept=None, exclude: Exclude = None, max_passes: Optional[int] = DEFAULT_MAX_PASSES) -> Module:
    """One valid subtree from ``input`` (see the module docstring for every argument)."""
    return sample_typed(input, symbol=symbol, chooser=chooser, grammar=grammar, budget=budget,
                        accept=accept, exclude=exclude, max_passes=max_passes).tree


_P_CACHE: dict = {}


def with_p_computation(grammar: Grammar, p: float) -> Grammar:
    """``grammar`` with p(M -> C) = ``p`` (cached, so repeated calls reuse the sampling tables)."""
    key = (grammar.key, float(p))
    g = _P_CACHE.get(key)
    if g is None:
        if len(_P_CACHE) > 32:
            _P_CACHE.clear()
        g = _P_CACHE[key] = grammar.with_probability("M", "computation", float(p))
    return g


def sample(input: TypeLike, seed: Union[int, random.Random, None] = None, *, grammar=None,
           chooser: Optional[Chooser] = None, budget: Optional[Budget] = None,
           p_computation: Optional[float] = None, max_passes: Optional[int] = DEFAULT_MAX_PASSES,
           **limits) -> Module:
    """A whole architecture for ``input``, valid by construction (see the module docstring)."""
    if chooser is not None and seed is not None:
        raise TypeError("give either seed or chooser, not both")
    g = load_grammar(grammar)
    if p_computation is not None:
        g = with_p_computation(g, p_computation)
    b = Budget.of(budget, **limits)
    return sample_typed(input, symbol="S", chooser=chooser if chooser is not None else as_chooser(seed),
                        grammar=g, budget=b, max_passes=max_passes).tree
