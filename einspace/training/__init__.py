"""Training and evaluation: the paper's recipe on any task, failures as values.

* :func:`train` — ``(architecture, task, seed, recipe, fidelity) -> Evaluation``;
* :func:`load_trained` — a saved run back as a network with its weights;
* :class:`Recipe` (how: SGD, cosine, lr, batch size), :class:`Fidelity` (how much: epochs, subsets,
  time, device, size limits), :class:`Evaluation` (the JSON-serialisable record).

The records import without torch, so a journal or report can read them; torch loads on the first
call of :func:`train` or :func:`load_trained`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .evaluation import STATUSES, EpochResult, Evaluation
from .recipe import Fidelity, Recipe

if TYPE_CHECKING:  # pragma: no cover
    from .storage import Trained

__all__ = ["train", "load_trained", "Evaluation", "EpochResult", "Recipe", "Fidelity", "STATUSES", "Trained"]


def train(arch: Any, task: Any, **kwargs: Any) -> Evaluation:
    """Train ``arch`` on ``task`` and score it; see :func:`einspace.training.run.train`."""
    from .run import train as run_train
    return run_train(arch, task, **kwargs)


def load_trained(directory: Any, **kwargs: Any) -> "Trained":
    """Rebuild a saved run; see :func:`einspace.training.storage.load_trained`."""
    from .storage import load_trained as load
    return load(directory, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "Trained":
        from .storage import Trained
        return Trained
    raise AttributeError(f"module 'einspace.training' has no attribute {name!r}")
