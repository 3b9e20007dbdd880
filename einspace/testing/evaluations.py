"""A stand-in for training when testing search machinery: instant, deterministic, real records.

:func:`proxy_evaluate` has the signature of :func:`einspace.search.worker.evaluate` (a
:class:`~einspace.search.trial.Job` in, an Evaluation JSON dict out) and returns a record with
the architecture's true parameter count, FLOPs and memory from the cost model, but a *score*
that is a fixed pseudo-random function of the architecture's structural hash and the trial seed
(no data is read, nothing is built). Strategies, journals, resumption and executors can so be
tested in milliseconds per trial::

    einspace.search.run(config, journal="x.db", fn=proxy_evaluate)

Never a measure of quality: use :func:`einspace.train` for that.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from .. import __version__
from ..data.tasks import get_task
from ..interpreter.head_rules import head_params
from ..language.grammar import load_grammar
from ..language.parser import parse
from ..training.evaluation import Evaluation
from ..training.recipe import Fidelity, Recipe
from ..types.evaluator import infer
from ..types.normal_form import structural_hash

__all__ = ["proxy_evaluate", "proxy_score"]


def proxy_score(arch_hash: str, seed: int) -> float:
    """A score in [0, 1) fixed by the structure and the seed (equal structures, equal seeds: equal)."""
    digest = hashlib.sha256(f"{arch_hash}:{seed}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2 ** 32


def proxy_evaluate(job: Any, delay: float = 0.0) -> dict[str, Any]:
    """The Evaluation dict of ``job`` with a :func:`proxy_score` instead of a trained accuracy.

    ``delay``: seconds to sleep first, to stand in for a training's duration
    (``functools.partial(proxy_evaluate, delay=0.5)`` pickles, for Dask workers).
    """
    if delay > 0:
        time.sleep(delay)
    task = get_task(job.task)
    tree = parse(job.arch, grammar=job.grammar)
    typed = infer(tree, task.input)
    recipe, fidelity = Recipe.from_json(job.recipe), Fidelity.from_json(job.fidelity)
    epochs = fidelity.epochs
    score = proxy_score(structural_hash(tree), job.seed)
    ev = Evaluation("ok", score, arch=job.arch, task=task.name, input=task.input, classes=task.classes or 0,
                    seed=job.seed, recipe=recipe, fidelity=fidelity,
                    params=typed.params + head_params(typed.output, task.classes), flops=typed.flops,
                    memory=typed.memory, score_split=fidelity.score_split, train_loss=(1.0,) * epochs,
                    epoch_scores=(score,) * epochs, best_epoch=epochs, version=__version__,
                    grammar=load_grammar(job.grammar).key, message="proxy score (einspace.testing), not trained")
    return ev.to_json()
