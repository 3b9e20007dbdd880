"""The contract every search strategy keeps.

A strategy decides *what* to evaluate next; it never trains, never touches the journal, and keeps
no state it could not rebuild: the driver replays a journal into a fresh strategy by calling
:meth:`Strategy.proposed` for every trial (by id) and then :meth:`Strategy.tell` for every
completed trial (in completion order), exactly the calls a live run made. Its randomness comes
only from the ``rng`` the driver passes to :meth:`Strategy.propose`, seeded from (root seed, trial
id), so the same history gives the same proposal in every process.
"""

from __future__ import annotations

import abc
import random
from dataclasses import dataclass
from typing import Any, Optional

from ...generate.sampler import sample
from ...language.ast import Module
from ..config import SearchConfig
from ..trial import Trial

__all__ = ["Strategy", "Proposal", "Space"]


@dataclass(frozen=True)
class Proposal:
    """What to evaluate: an architecture, how it was made, from which trials.

    ``copy_of`` names a trial whose result this one reuses without training (a seed's copies).
    ``notes``, a JSON object, is journaled with the trial and comes back as ``Trial.notes`` in
    :meth:`Strategy.proposed` (live and on replay): state a strategy must rebuild on resume.
    """

    arch: Module
    origin: str
    parents: tuple[int, ...] = ()
    copy_of: Optional[int] = None
    notes: Optional[dict[str, Any]] = None


@dataclass(frozen=True)
class Space:
    """Where proposals come from: the task's input type, the grammar, p(M -> C) and the limits;
    ``root``, the data root, for a strategy that measures candidates on data (zero-cost proxies)."""

    input: str
    grammar: Any = None
    p_computation: float = 0.32
    limits: tuple[tuple[str, Optional[int]], ...] = ()
    root: Optional[str] = None

    def sample(self, rng: random.Random) -> Module:
        return sample(self.input, seed=rng.getrandbits(63), grammar=self.grammar,
                      p_computation=self.p_computation, **dict(self.limits))


class Strategy(abc.ABC):
    """Propose architectures one at a time; learn from results in completion order."""

    def __init__(self, config: SearchConfig, space: Space) -> None:
        self.config = config
        self.space = space

    @abc.abstractmethod
    def propose(self, trial_id: int, rng: random.Random) -> Optional[Proposal]:
        """The next trial's proposal, or None when nothing can be proposed until a result comes in
        (a seeded population waits for its seeds). Must not change the strategy's state: the driver
        calls :meth:`proposed` once the proposal is journaled."""

    def proposed(self, trial: Trial) -> None:
        """``trial`` was journaled (live, or replayed)."""

    @abc.abstractmethod
    def tell(self, trial: Trial) -> None:
        """``trial`` completed: finished, cached (a score either way) or failed (none)."""

    def summary(self, scored: list[Trial]) -> dict[str, Any]:
        """What the run reports (the paper's figure for this strategy) from its scored trials."""
        best = max(scored, key=lambda t: (t.score, -t.id), default=None)
        return {"figure": "best", "value": None if best is None else best.score,
                "trial": None if best is None else best.id}
