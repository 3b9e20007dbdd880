"""Search strategies behind one contract (:class:`~einspace.search.strategies.base.Strategy`).

=========  ======================================================================
``re``     :class:`RegularisedEvolution` — ageing evolution, optionally seeded; with a
           ``surrogate``, :class:`SurrogateEvolution` — its children filtered by a surrogate
``rs``     :class:`RandomSearch` — the best of K samples
``sample`` :class:`RandomSampling` — the mean of K samples (the paper's baseline)
=========  ======================================================================
"""

from __future__ import annotations

from ..config import SearchConfig
from .base import Proposal, Space, Strategy
from .evolution import RegularisedEvolution
from .random_sampling import RandomSampling, RandomSearch
from .surrogate import SurrogateEvolution

__all__ = ["Strategy", "Proposal", "Space", "RegularisedEvolution", "SurrogateEvolution", "RandomSearch",
           "RandomSampling", "make_strategy", "STRATEGY_CLASSES"]

STRATEGY_CLASSES: dict[str, type[Strategy]] = {
    "re": RegularisedEvolution, "rs": RandomSearch, "sample": RandomSampling}


def make_strategy(config: SearchConfig, space: Space) -> Strategy:
    """The strategy ``config.strategy`` names (filtered by ``config.surrogate`` if any), fresh: the
    driver replays the journal into it."""
    if config.surrogate is not None:
        return SurrogateEvolution(config, space)
    return STRATEGY_CLASSES[config.strategy](config, space)
