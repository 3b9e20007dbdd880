"""Budgets: the limits a sampled architecture (or subtree) must respect, enforced while sampling.

Every limit is checked at the decision that would exceed it, never after the fact, so the sampler
never builds something it has to throw away for being too big. Costs are the evaluator's
(:func:`einspace.infer`): ``nodes`` is the size of the instantiated network,
:func:`einspace.language.analysis.instantiated_size` (every AST node, terminals included, a 4/8-way
branching template counted once per copy, as :func:`einspace.build` makes every copy; it is at
least the tree's ``size``), ``depth`` its ``depth`` (a computation module has depth
2, so the paper's max-depth rule — only computation modules past the limit — is ``depth - level < 3``),
``params`` the exact parameter count, ``flops`` and ``memory`` (activation elements) for one sample.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Optional

from ..errors import BudgetError, EinspaceError

__all__ = ["Budget", "DEFAULT_BUDGET", "BudgetError"]


@dataclass(frozen=True)
class Budget:
    """Limits on one architecture (or on one subtree, for :func:`einspace.generate.sampler.sample_module`).

    The defaults keep every sample at a 3x28x28-sized input small enough to train on a CPU (at most
    5M parameters, 0.5 GFLOPs and 2M activation elements, i.e. 8 MB, per example) and fast to draw
    (about 1,000 per second on one core; see docs/sampling.md). ``None`` disables a limit.
    ``output_mode`` ("im" or "col") and ``output_shape`` (batch excluded; ``None`` entries are free)
    constrain the architecture's output type.
    """

    max_nodes: Optional[int] = 128
    max_depth: Optional[int] = 24
    max_params: Optional[int] = 5_000_000
    max_flops: Optional[int] = 500_000_000
    max_memory: Optional[int] = 2_000_000
    output_mode: Optional[str] = None
    output_shape: Optional[tuple] = None

    def __post_init__(self) -> None:
        for f in ("max_nodes", "max_depth", "max_params", "max_flops", "max_memory"):
            v = getattr(self, f)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                raise BudgetError(f"{f} must be a non-negative integer or None, got {v!r}")
        if self.output_mode not in (None, "im", "col"):
            raise BudgetError(f"output_mode must be 'im', 'col' or None, got {self.output_mode!r}")
        if self.output_shape is not None:
            shape = tuple(self.output_shape)
            if not all(s is None or (isinstance(s, int) and s >= 1) for s in shape) or len(shape) not in (2, 3):
                raise BudgetError(f"output_shape must have 2 (col) or 3 (im) entries, each a positive int or "
                                  f"None, got {self.output_shape!r}")
            if self.output_mode is not None and len(shape) != (3 if self.output_mode == "im" else 2):
                raise BudgetError(f"output_shape {shape} does not fit output_mode {self.output_mode!r}")
            object.__setattr__(self, "output_shape", shape)

    @classmethod
    def of(cls, budget: "Budget | None" = None, **limits) -> "Budget":
        """``budget`` (default :data:`DEFAULT_BUDGET`) with some limits replaced by keyword."""
        base = budget if budget is not None else DEFAULT_BUDGET
        if not limits:
            return base
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(limits) - names)
        if unknown:
            raise BudgetError(f"unknown budget {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        return replace(base, **limits)

    def unlimited(self) -> "Budget":
        """The same output constraints, every size limit disabled (only for bounded uses!)."""
        return replace(self, max_nodes=None, max_depth=None, max_params=None, max_flops=None, max_memory=None)

    def to_json(self) -> dict:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}


DEFAULT_BUDGET = Budget()
