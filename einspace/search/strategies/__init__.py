"""Search strategies behind one contract (:class:`~einspace.search.strategies.base.Strategy`).

=========  ======================================================================
``re``     :class:`RegularisedEvolution` — ageing evolution, optionally seeded
``rs``     :class:`RandomSearch` — the best of K samples
``sample`` :class:`RandomSampling` — the mean of K samples (the paper's baseline)
=========  ======================================================================
"""

from __future__ import annotations

from ..config import SearchConfig
from .base import Proposal, Space, Strategy
from .evolution import RegularisedEvolution
from .random_sampling import RandomSampling, RandomSearch

__all__ = ["Strategy", "Proposal", "Space", "RegularisedEvolution", "RandomSearch", "RandomSampling",
           "make_strategy", "STRATEGY_CLASSES"]

STRATEGY_CLASSES: dict[str, type[Strategy]] = {
    "re": RegularisedEvolution, "rs": RandomSearch, "sample": RandomSampling}


def make_strategy(config: SearchConfig, space: Space) -> Strategy:
    """The strategy ``config.strategy`` names, fresh (the driver replays the journal into it)."""
    return STRATEGY_CLASSES[config.strategy](config, space)
