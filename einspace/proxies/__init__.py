"""Zero-cost proxies: cheap scores of an untrained network on one batch, to rank architectures
before (or instead of) training them.

* :data:`NAMES` — ``params``, ``flops``, ``grad_norm``, ``snip``, ``synflow``, ``jacob_cov``;
* :func:`score` — ``(architecture, task) -> {name: value}``: builds the network for the task as
  :func:`einspace.train` would (same head, same seeded initial weights), takes one class-balanced
  training batch and computes the proxies without training;
* :func:`score_module` — the same measures on any already built torch module and batch.

Definitions and references (Abdelfattah et al. 2021; Lee et al. 2019; Tanaka et al. 2020; Mellor
et al. 2021) are in :mod:`einspace.proxies.measures`. The names import without torch; torch loads
on the first call of :func:`score` or :func:`score_module`.
"""

from __future__ import annotations

from typing import Any

from .names import CHEAP, NAMES, check_names

__all__ = ["NAMES", "CHEAP", "check_names", "score", "score_module"]


def score(arch: Any, task: Any, names: Any = None, **kwargs: Any) -> dict[str, float]:
    """The proxies of ``arch`` on ``task``; see :func:`einspace.proxies.scoring.score`."""
    from .scoring import score as run_score
    return run_score(arch, task, names, **kwargs)


def score_module(model: Any, inputs: Any, targets: Any, names: Any = None, **kwargs: Any) -> dict[str, float]:
    """The proxies of a built module on one batch; see :func:`einspace.proxies.measures.score_module`."""
    from .measures import score_module as run_module
    return run_module(model, inputs, targets, names, **kwargs)
