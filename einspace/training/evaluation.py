"""The Evaluation record: everything one training run found and everything that produced it.

A plain frozen record that round-trips through JSON (``dumps`` / ``loads``) with nothing lost, so
a search journal can store it and a report can read it back without torch. Failures are values
here: ``status`` says what happened and ``score`` is ``None`` unless the run finished.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import TrainingError
from .recipe import Fidelity, Recipe
from .records import known_fields, record_to_json

__all__ = ["Evaluation", "EpochResult", "STATUSES"]

#: ``ok`` finished; ``nan`` the loss became NaN or infinite; ``oom`` out of (GPU or host) memory;
#: ``too_big`` over max_params / max_memory by the cost model, never built; ``timeout`` over
#: time_limit; ``error`` anything else that went wrong while building or training (see ``message``)
STATUSES = ("ok", "nan", "oom", "too_big", "timeout", "error")


@dataclass(frozen=True)
class EpochResult:
    """One finished epoch: mean training loss, score of the scored split, and the seconds of each.

    This is what the per-epoch ``callback`` receives.
    """

    epoch: int
    loss: float
    score: float
    train_seconds: float
    score_seconds: float


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass(frozen=True)
class Evaluation:
    """The result of training one architecture on one task at one fidelity with one seed.

    ``score`` is the accuracy (a fraction in [0, 1]) on ``score_split`` after the last epoch, or
    the best epoch's when ``recipe.score == "best"`` (``best_epoch`` says which); ``None`` unless
    ``status == "ok"``. ``train_loss`` and ``epoch_scores`` hold one value per finished epoch.
    ``recalibrated``: the scored weights' batch-norm statistics were recomputed from training
    batches (``recipe.recalibrate``; short runs only under ``auto``). ``params`` includes the head; ``flops`` and ``memory`` (activation elements) are per sample, from
    the cost model. ``version`` is the package's, ``grammar`` the key of the grammar that read
    ``arch``.
    """

    status: str
    score: float | None
    arch: str
    task: str
    input: str
    classes: int
    seed: int
    recipe: Recipe
    fidelity: Fidelity
    params: int
    flops: int
    memory: int
    metric: str = "accuracy"
    score_split: str = "valid"
    train_loss: tuple[float | None, ...] = ()
    epoch_scores: tuple[float, ...] = ()
    best_epoch: int | None = None
    recalibrated: bool = False
    train_samples: int = 0
    score_samples: int = 0
    build_seconds: float = 0.0
    train_seconds: float = 0.0
    score_seconds: float = 0.0
    total_seconds: float = 0.0
    device: str = "cpu"
    threads: int = 1
    version: str = ""
    grammar: str = ""
    message: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise TrainingError(f"status must be one of {', '.join(STATUSES)}, got {self.status!r}")
        object.__setattr__(self, "train_loss", tuple(_finite_or_none(v) for v in self.train_loss))
        object.__setattr__(self, "epoch_scores", tuple(float(v) for v in self.epoch_scores))

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def epochs_run(self) -> int:
        """How many epochs finished (fewer than asked after a time-out or a NaN)."""
        return len(self.epoch_scores)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: nested recipe and fidelity, lists for tuples, no NaN."""
        return record_to_json(self)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Evaluation":
        """The record :meth:`to_json` wrote; unknown keys are refused (a newer format)."""
        data = known_fields(cls, obj, TrainingError, "not an Evaluation record")
        try:
            data["recipe"] = Recipe.from_json(obj["recipe"])
            data["fidelity"] = Fidelity.from_json(obj["fidelity"])
            for key in ("train_loss", "epoch_scores"):
                data[key] = tuple(obj.get(key, ()))
            return cls(**data)
        except (KeyError, TypeError) as err:
            raise TrainingError(f"not an Evaluation record: {err}") from None

    def dumps(self, indent: int | None = None) -> str:
        return json.dumps(self.to_json(), indent=indent, allow_nan=False)

    @classmethod
    def loads(cls, text: str) -> "Evaluation":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as err:
            raise TrainingError(f"not an Evaluation record: {err}") from None
        if not isinstance(obj, dict):
            raise TrainingError("not an Evaluation record: expected a JSON object")
        return cls.from_json(obj)

    def summary(self) -> str:
        """One line for people: status, score, size, time."""
        score = f"{self.score:.2%}" if self.score is not None else "no score"
        why = f" ({self.message})" if self.message and not self.ok else ""
        return (f"{self.status}{why}: {score} {self.metric} on {self.task} {self.score_split} "
                f"after {self.epochs_run}/{self.fidelity.epochs} epochs; {self.params:,} params; "
                f"{self.total_seconds:.1f} s")
