"""Random sampling and random search: independent draws from the probabilistic grammar.

Both propose the same thing, a fresh sample per trial; they differ in what the run reports.
Random *sampling* (the paper's baseline) reports the mean score of its K samples, the expected
quality of one draw; random *search* reports the best of them on valid (retrain it at final
fidelity with ``einspace runs best --final``).
"""

from __future__ import annotations

import random
from statistics import fmean
from typing import Any, Optional

from ..trial import Trial
from .base import Proposal, Strategy

__all__ = ["RandomSampling", "RandomSearch"]


class RandomSearch(Strategy):
    """Each trial is a new sample; the result is the best one."""

    def propose(self, trial_id: int, rng: random.Random) -> Optional[Proposal]:
        return Proposal(self.space.sample(rng), "random")

    def tell(self, trial: Trial) -> None:
        pass  # nothing to learn: every draw is independent


class RandomSampling(RandomSearch):
    """Each trial is a new sample; the result is their mean score."""

    def summary(self, scored: list[Trial]) -> dict[str, Any]:
        out = super().summary(scored)
        out.update(figure="mean", value=fmean(t.score for t in scored) if scored else None,
                   best=out["value"], trials=len(scored))
        return out
