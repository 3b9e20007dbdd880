"""Refusing an architecture before anything is built: the cost model against the size limits.

Torch-free, so a search driver can refuse a proposal without building it, without loading the
task's data and without sending it to a worker; :func:`einspace.train` applies the same rule.
"""

from __future__ import annotations

import time
from typing import Any, Optional

from .. import __version__
from ..data.tasks import Task
from ..interpreter.guard import over_limits
from ..interpreter.head_rules import head_params
from ..language.grammar import load_grammar
from ..language.parser import as_tree
from ..language.printer import to_string
from ..types.evaluator import Typed, infer
from .evaluation import Evaluation
from .recipe import Fidelity, Recipe

__all__ = ["too_big", "refusal"]


def too_big(typed: Typed, params: int, fidelity: Fidelity) -> str:
    """Why ``typed`` (with ``params`` counting the head) is over the fidelity's limits; '' if not.
    The build guard's rule (:func:`einspace.interpreter.guard.over_limits`) with the fidelity's limits
    and the guard's node limit (a network of more modules than that would not build in time)."""
    refused = over_limits(typed, params, fidelity.max_params, fidelity.max_memory)
    return "" if refused is None else refused.message


def refusal(arch: Any, task: Task, *, seed: int, recipe: Recipe, fidelity: Fidelity,
            grammar: Any = None) -> Optional[Evaluation]:
    """The ``too_big`` Evaluation :func:`einspace.train` would return for ``arch``, or None if
    the architecture is within the limits (and must be trained to know more)."""
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
