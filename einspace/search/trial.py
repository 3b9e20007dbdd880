"""The records a search passes around: a job sent to a worker, its outcome, and a journaled trial.

Plain frozen records holding only JSON-ready values (architecture *text*, recipe and fidelity as
dicts, the Evaluation as its JSON dict), so a job crosses a process or network boundary as data,
never as a module, and the journal can store every field as it is. Pure Python: no torch here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Optional

__all__ = ["Job", "Outcome", "Trial", "ORIGINS", "TRIAL_STATES", "trial_seed"]

#: how a trial's architecture was made
ORIGINS = ("seed", "random", "mutation", "crossover")
#: ``pending``: proposed, no result yet; ``finished``: trained, status ok; ``failed``: trained with
#: another status, or the attempt was lost (worker died); ``cached``: the result of an earlier
#: trial with the same structure (de-duplication, or a copy of a seed) was reused, nothing trained
TRIAL_STATES = ("pending", "finished", "failed", "cached")


def trial_seed(root_seed: int, trial_id: int) -> int:
    """The seed of trial ``trial_id`` in a run with ``root_seed``: a stable 31-bit hash of both, so
    every trial's randomness (proposal and training) is known without any saved generator state.

    >>> trial_seed(0, 1) == trial_seed(0, 1) != trial_seed(0, 2)
    True
    """
    digest = hashlib.sha256(f"einspace-trial:{root_seed}:{trial_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class Job:
    """One attempt at evaluating one trial: everything a worker needs, as plain data.

    ``recipe`` and ``fidelity`` are :meth:`Recipe.to_json` / :meth:`Fidelity.to_json` dicts; ``root``
    is the data root (None: the default); ``grammar`` a grammar file path (None: the default);
    ``proxies`` the zero-cost proxies to compute before training (recorded in the evaluation).
    """

    trial: int
    attempt: int
    arch: str
    seed: int
    task: str
    recipe: dict[str, Any]
    fidelity: dict[str, Any]
    root: Optional[str] = None
    grammar: Optional[str] = None
    proxies: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """A name unique in the run: ``trial-<id>-<attempt>``."""
        return f"trial-{self.trial}-{self.attempt}"


@dataclass(frozen=True)
class Outcome:
    """What came back for a job: the Evaluation's JSON dict, or why there is none.

    ``died``: the worker process was lost while it held the job (killed, out of memory); ``error``:
    an exception escaped the evaluation (a bug, or bad input found on the worker), as text.
    """

    job: Job
    evaluation: Optional[dict[str, Any]] = None
    error: Optional[str] = None
    died: bool = False
    worker: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Trial:
    """A trial as the journal knows it (rebuilt by replaying its events).

    ``evaluation`` is the Evaluation JSON dict of the trial's own training, or of the trial it
    reuses (``cached_from``) when ``state == "cached"``. ``attempts`` counts dispatches. ``notes``
    is the JSON dict a strategy journaled with its proposal (None for most: see
    :class:`~einspace.search.strategies.base.Proposal`).
    """

    id: int
    origin: str
    parents: tuple[int, ...]
    arch: str
    hash: str
    seed: int
    state: str = "pending"
    evaluation: Optional[dict[str, Any]] = None
    cached_from: Optional[int] = None
    attempts: int = 0
    worker: str = ""
    message: str = ""
    proposed_at: float = 0.0
    finished_at: Optional[float] = None
    failure: Optional[str] = None   # ``worker_died`` or ``error`` when the attempt itself was lost
    notes: Optional[dict[str, Any]] = None   # what the strategy said of its proposal (a surrogate's prediction)

    @property
    def score(self) -> Optional[float]:
        """The score, for finished and cached trials; None otherwise."""
        if self.state in ("finished", "cached") and self.evaluation is not None:
            return self.evaluation.get("score")
        return None

    @property
    def status(self) -> Optional[str]:
        """The Evaluation's status (``ok``, ``nan``, ...), ``worker_died``/``error`` for a lost
        attempt, None while pending."""
        if self.evaluation is not None:
            return self.evaluation.get("status")
        return self.failure if self.state == "failed" else None

    @property
    def done(self) -> bool:
        return self.state != "pending"
