"""What an evaluation does: the training recipe (how) and the fidelity (how much, where).

Both are frozen records with the paper's defaults (Table 4, App. B; ``data.Task.hyper``), so an
:class:`~einspace.training.evaluation.Evaluation` can say exactly what produced its score. Pure
Python: reading or writing a record needs no torch.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace
from typing import Any, Mapping

from ..data.tasks import Task
from ..errors import TrainingError
from .records import known_fields, record_to_json

__all__ = ["Recipe", "Fidelity", "SCORE_MODES", "SCHEDULES", "RECALIBRATE_MODES", "split_overrides"]

#: ``last``: the final epoch's score (the paper's); ``best``: the best epoch's (its weights are kept)
SCORE_MODES = ("last", "best")
#: ``cosine``: CosineAnnealingLR over the epochs, stepped per epoch, no warm-up (the paper's)
SCHEDULES = ("cosine", "constant")
#: batch-norm statistics before scoring: ``auto`` recomputes them from training batches only while
#: the running averages still hold over 1% of their initial values (a few dozen SGD steps: short,
#: low-fidelity runs, where eval-mode scores otherwise sit at chance); ``always``; ``never`` (the
#: original code's behaviour). Paper-scale runs take hundreds of steps per epoch, so ``auto`` leaves
#: them exactly as the paper trained them.
RECALIBRATE_MODES = ("auto", "always", "never")
_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")


def _positive(name: str, value: Any, kind: type = int, optional: bool = False) -> None:
    if value is None and optional:
        return
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    if kind is int:
        ok = ok and isinstance(value, int)
    if not ok:
        what = "a positive integer" if kind is int else "a positive number"
        raise TrainingError(f"{name} must be {what}{' or None' if optional else ''}, got {value!r}")


@dataclass(frozen=True)
class Recipe:
    """How a network is trained: SGD with momentum, cosine schedule, no augmentation.

    The defaults are the Unseen NAS row of the paper's Table 4; :meth:`for_task` takes any task's.
    """

    lr: float = 0.04
    momentum: float = 0.9
    weight_decay: float = 3e-4
    batch_size: int = 256
    nesterov: bool = False
    schedule: str = "cosine"
    score: str = "last"
    optimizer: str = "sgd"
    recalibrate: str = "auto"

    def __post_init__(self) -> None:
        _positive("lr", self.lr, float)
        _positive("batch_size", self.batch_size)
        for name in ("momentum", "weight_decay"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
                raise TrainingError(f"{name} must be a number >= 0, got {value!r}")
        if self.score not in SCORE_MODES:
            raise TrainingError(f"score must be one of {', '.join(SCORE_MODES)}, got {self.score!r}")
        if self.schedule not in SCHEDULES:
            raise TrainingError(f"schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if self.recalibrate not in RECALIBRATE_MODES:
            raise TrainingError(f"recalibrate must be one of {', '.join(RECALIBRATE_MODES)}, got {self.recalibrate!r}")
        if self.optimizer != "sgd":
            raise TrainingError(f"the only optimizer is 'sgd' (the paper's), got {self.optimizer!r}")

    @classmethod
    def for_task(cls, task: Task, **overrides: Any) -> "Recipe":
        """The task's Table 4 settings, with ``overrides`` on top."""
        h = task.hyper
        return cls(**{"lr": h.lr, "momentum": h.momentum, "weight_decay": h.weight_decay,
                      "batch_size": h.batch_size, **overrides})

    def to_json(self) -> dict[str, Any]:
        return record_to_json(self)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Recipe":
        return cls(**_known(cls, obj))


@dataclass(frozen=True)
class Fidelity:
    """How much training an evaluation spends, on what, and which architectures it refuses.

    ``final=False`` (search): train on train, score on valid, the task's search epochs (8).
    ``final=True``: train on train+valid, score on test, the task's evaluation epochs (64).
    ``train_limit`` / ``valid_limit``: class-balanced subsets (from the seed) of the training data
    and of the scored split (valid, or test when final). ``time_limit``: seconds of training and
    scoring, checked every batch. ``device``: ``cpu``, ``cuda``, ``cuda:1``, ``mps``; None picks
    cuda when available. ``threads``: torch CPU threads during the run (restored afterwards).
    ``max_params`` (with the head) and ``max_memory`` (activation elements per sample, the unit of
    ``einspace.sample(max_memory=)``) are checked on the cost model before anything is built.
    """

    epochs: int = 8
    final: bool = False
    train_limit: int | None = None
    valid_limit: int | None = None
    time_limit: float | None = None
    device: str | None = None
    threads: int | None = None
    max_params: int | None = None
    max_memory: int | None = None

    def __post_init__(self) -> None:
        _positive("epochs", self.epochs)
        for name in ("train_limit", "valid_limit", "threads", "max_params", "max_memory"):
            _positive(name, getattr(self, name), optional=True)
        _positive("time_limit", self.time_limit, float, optional=True)
        if not isinstance(self.final, bool):
            raise TrainingError(f"final must be True or False, got {self.final!r}")
        if self.device is not None and not (isinstance(self.device, str) and _DEVICE.match(self.device)):
            raise TrainingError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'mps', got {self.device!r}")

    @classmethod
    def for_task(cls, task: Task, final: bool = False, **overrides: Any) -> "Fidelity":
        """Search or final fidelity with the task's epochs, with ``overrides`` on top."""
        epochs = task.hyper.epochs_eval if final else task.hyper.epochs_search
        return cls(**{"epochs": epochs, "final": final, **overrides})

    @property
    def score_split(self) -> str:
        """The split that is scored: ``valid`` during search, ``test`` at final fidelity."""
        return "test" if self.final else "valid"

    def to_json(self) -> dict[str, Any]:
        return record_to_json(self)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Fidelity":
        return cls(**_known(cls, obj))


def _known(cls: type, obj: Mapping[str, Any]) -> dict[str, Any]:
    return known_fields(cls, obj, TrainingError, f"not a {cls.__name__} record")


RECIPE_FIELDS = frozenset(f.name for f in fields(Recipe))
FIDELITY_FIELDS = frozenset(f.name for f in fields(Fidelity))


def split_overrides(overrides: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keyword overrides sorted into (recipe fields, fidelity fields); unknown names refused."""
    unknown = sorted(set(overrides) - RECIPE_FIELDS - FIDELITY_FIELDS)
    if unknown:
        known = ", ".join(sorted(RECIPE_FIELDS | FIDELITY_FIELDS))
        raise TrainingError(f"unknown training setting(s) {', '.join(unknown)}; known: {known}")
    recipe = {k: v for k, v in overrides.items() if k in RECIPE_FIELDS}
    fidelity = {k: v for k, v in overrides.items() if k in FIDELITY_FIELDS}
    return recipe, fidelity


def resolve(task: Task, recipe: Recipe | None, fidelity: Fidelity | None,
            overrides: Mapping[str, Any]) -> tuple[Recipe, Fidelity]:
    """The recipe and fidelity of one run: the given records (or the task's defaults) plus overrides.

    ``final=True`` among the overrides, without an explicit ``epochs``, takes the task's
    evaluation epochs, as ``--final`` does.
    """
    r_over, f_over = split_overrides(overrides)
    recipe = replace(recipe, **r_over) if recipe is not None else Recipe.for_task(task, **r_over)
    if fidelity is None:
        final = f_over.pop("final", False)
        fidelity = Fidelity.for_task(task, final, **f_over)
    else:
        fidelity = replace(fidelity, **f_over)
    return recipe, fidelity
