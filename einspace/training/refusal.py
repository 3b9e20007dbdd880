"""Refusing an architecture before anything is built: the cost model against the size limits.

Torch-free, so a search driver can refuse a proposal without building it, without loading the
task's data and without sending it to a worker; :func:`einspace.train` applies the same rule.
"""

from __future__ import annotations

import time
from typing import Any, Optional

from .. import __version__
from ..data.tasks import Task
from ..interpreter.head_rules import head_params
from ..language.grammar import load_grammar
from ..language.parser import as_tree
from ..language.printer import to_string
from ..types.evaluator import Typed, infer
from .evaluation import Evaluation
from .recipe import Fidelity, Recipe

__all__ = ["too_big", "refusal"]


def too_big(typed: Typed, params: int, fidelity: Fidelity) -> str:
    """Why ``typed`` (with ``params`` counting the head) is over the fidelity's limits; '' if not."""
    if fidelity.max_params is not None and params > fidelity.max_params:
        return f"{params:,} parameters predicted, over max_params {fidelity.max_params:,}"
    if fidelity.max_memory is not None and typed.memory > fidelity.max_memory:
        return (f"{typed.memory:,} activation elements per sample predicted, "
                f"over max_memory {fidelity.max_memory:,}")
    return ""


def refusal(arch: Any, task: Task, *, seed: int, recipe: Recipe, fidelity: Fidelity,
            grammar: Any = None) -> Optional[Evaluation]:
    """The ``too_big`` Evaluation :func:`einspace.train` would return for ``arch``, or None if
    the architecture is within the limits (and must be trained to know more)."""
    if fidelity.max_params is None and fidelity.max_memory is None:
        return None
    started = time.perf_counter()
    tree = as_tree(arch, grammar=grammar)
    typed = infer(tree, task.input)
    params = typed.params + head_params(typed.output, task.classes)
    reason = too_big(typed, params, fidelity)
    if not reason:
        return None
    return Evaluation("too_big", None, arch=to_string(tree), task=task.name, input=task.input,
                      classes=task.classes or 0, seed=seed, recipe=recipe, fidelity=fidelity, params=params,
                      flops=typed.flops, memory=typed.memory, score_split=fidelity.score_split,
                      device=fidelity.device or "cpu", threads=fidelity.threads or 1, version=__version__,
                      grammar=load_grammar(grammar).key, message=reason,
                      total_seconds=time.perf_counter() - started)
