"""A search's configuration: what it searches, how, for how long, and at what fidelity.

One frozen record, validated at construction, stored whole in the journal's ``run_started``
event. Resuming compares the stored record with the new one field by field: every field that
changes *which* trials a run makes must match, and the few that only say how hard to push
(``max_failures``, ``retries``) may differ. Where things run (executor, workers, data root) is not
configuration at all: a run may be resumed on another machine.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Optional

from ..errors import JournalError, SearchError
from ..training.recipe import Fidelity, Recipe
from ..training.records import known_fields, record_to_json

__all__ = ["SearchConfig", "STRATEGIES", "SURROGATES", "RESUME_FREE", "fidelity_key"]

#: ``re`` regularised evolution; ``rs`` random search (the best of K samples); ``sample`` random
#: sampling (the paper's baseline: the *mean* of K samples)
STRATEGIES = ("re", "rs", "sample")
#: regressors that rank regularised evolution's children (``--surrogate``): ``rf`` a random
#: forest, ``gbr`` gradient boosting, ``knn`` k nearest neighbours (scikit-learn's)
SURROGATES = ("rf", "gbr", "knn")
#: fields that may differ between a journal and the run resuming it
RESUME_FREE = frozenset({"max_failures", "retries"})
#: fields added after the first journals were written: left out of the journal at their default,
#: and read as the default from a journal without them, so old journals resume and plain runs
#: journal exactly what they did before
LATER_FIELDS = {"surrogate": None, "candidates": 20, "evaluate": 5, "proxies": ()}


def _count(name: str, value: Any, least: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise SearchError(f"{name} must be an integer >= {least}, got {value!r}")


@dataclass(frozen=True)
class SearchConfig:
    """Everything that decides a search's trials.

    ``evaluations`` is the budget C: trainings that finish with status ``ok``. Failed trainings do
    not count (they are recorded, and retried with new proposals); nor do *cached* trials, which
    reuse an earlier result instead of training — the copies of a seed that fill a seeded
    population, and duplicates found by ``dedup``. So a finished run holds exactly C trained,
    scored trials. ``seeds`` holds canonical architecture texts (resolved from names or files by
    the caller; see :func:`einspace.search.seeding.resolve_seeds`), with ``seed_labels`` naming them.
    ``limits`` bounds proposals (the sampler's :class:`~einspace.generate.budget.Budget` fields);
    ``recipe`` and ``fidelity`` are what every trial is trained with.

    ``surrogate`` (``rf``, ``gbr``, ``knn``; regularised evolution only) filters children: once the
    population is full, each step draws ``candidates`` mutants, the surrogate fitted on the trained
    trials ranks them, and the best ``evaluate`` are trained. ``proxies`` names zero-cost proxies
    (``einspace.proxies``) each trial computes before training, recorded in its evaluation and
    used by the surrogate as features.
    """

    task: str
    strategy: str = "re"
    evaluations: int = 1000
    population: int = 100
    tournament: int = 10
    crossover: float = 0.0
    seed: int = 0
    seeds: tuple[str, ...] = ()
    seed_labels: tuple[str, ...] = ()
    recipe: Recipe = field(default_factory=Recipe)
    fidelity: Fidelity = field(default_factory=Fidelity)
    dedup: bool = True
    p_computation: float = 0.32
    limits: tuple[tuple[str, Optional[int]], ...] = ()
    grammar: Optional[str] = None
    max_failures: int = 50
    retries: int = 1
    surrogate: Optional[str] = None
    candidates: int = 20
    evaluate: int = 5
    proxies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.task, str) or not self.task:
            raise SearchError(f"task must be a task name, got {self.task!r}")
        if self.strategy not in STRATEGIES:
            raise SearchError(f"strategy must be one of {', '.join(STRATEGIES)}, got {self.strategy!r}")
        _count("evaluations", self.evaluations)
        _count("population", self.population)
        _count("tournament", self.tournament)
        _count("seed", self.seed, 0)
        _count("max_failures", self.max_failures)
        _count("retries", self.retries, 0)
        if isinstance(self.crossover, bool) or not isinstance(self.crossover, (int, float)) \
                or not 0.0 <= self.crossover <= 1.0:
            raise SearchError(f"crossover must be a rate in [0, 1], got {self.crossover!r}")
        if isinstance(self.p_computation, bool) or not isinstance(self.p_computation, (int, float)) \
                or not 0.0 < self.p_computation < 1.0 or not math.isfinite(self.p_computation):
            raise SearchError(f"p_computation must be in (0, 1), got {self.p_computation!r}")
        object.__setattr__(self, "seeds", tuple(self.seeds))
        object.__setattr__(self, "seed_labels", tuple(self.seed_labels) or tuple(f"seed{i + 1}" for i in range(len(self.seeds))))
        object.__setattr__(self, "limits", tuple((str(k), v) for k, v in dict(self.limits).items()))
        if len(self.seed_labels) != len(self.seeds):
            raise SearchError("seed_labels must name every seed")
        if self.seeds and self.strategy != "re":
            raise SearchError(f"seed architectures start a population; strategy {self.strategy!r} has none (use re)")
        if self.strategy == "re" and self.population > self.evaluations and not self.seeds:
            raise SearchError(f"population {self.population} is larger than the budget of {self.evaluations} "
                              f"evaluations: evolution would never start (lower --population)")
        if not isinstance(self.recipe, Recipe) or not isinstance(self.fidelity, Fidelity):
            raise SearchError("recipe and fidelity must be einspace.training Recipe and Fidelity records")
        self._check_surrogate()

    def _check_surrogate(self) -> None:
        _count("candidates", self.candidates)
        _count("evaluate", self.evaluate)
        if self.surrogate is not None:
            if self.surrogate not in SURROGATES:
                raise SearchError(f"surrogate must be one of {', '.join(SURROGATES)}, got {self.surrogate!r}")
            if self.strategy != "re":
                raise SearchError(f"a surrogate filters the children of regularised evolution; strategy "
                                  f"{self.strategy!r} makes none (use --strategy re)")
            if self.evaluate > self.candidates:
                raise SearchError(f"evaluate ({self.evaluate}) must not exceed candidates ({self.candidates}): "
                                  f"the surrogate trains the best {self.evaluate} of {self.candidates} mutants")
        elif (self.candidates, self.evaluate) != (LATER_FIELDS["candidates"], LATER_FIELDS["evaluate"]):
            raise SearchError("candidates and evaluate choose among mutants for a surrogate; give one "
                              "(--surrogate rf) or leave them out")
        names = self.proxies
        if isinstance(names, str):   # "grad_norm,snip", as the command line gives them
            names = tuple(n.strip() for n in names.split(",") if n.strip())
        if not isinstance(names, (tuple, list)) or not all(isinstance(n, str) and n for n in names):
            raise SearchError(f"proxies must be proxy names, got {self.proxies!r}")
        if len(set(names)) != len(names):
            raise SearchError(f"proxies names a proxy twice: {', '.join(names)}")
        if names:
            from ..errors import ProxyError
            from ..proxies.names import check_names   # torch-free
            try:
                names = check_names(names)   # in the proxies' own order: one spelling per request
            except ProxyError as err:
                raise SearchError(f"proxies: {err}") from None
        object.__setattr__(self, "proxies", tuple(names))

    @property
    def budget_limits(self) -> dict[str, Optional[int]]:
        """The proposal limits as keyword arguments of ``sample`` / ``mutate`` / ``crossover``."""
        return dict(self.limits)

    def to_json(self) -> dict[str, Any]:
        out = {**record_to_json(self), "limits": dict(self.limits)}
        for name, default in LATER_FIELDS.items():
            if getattr(self, name) == default:
                del out[name]
        return out

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "SearchConfig":
        data = known_fields(cls, obj, SearchError, "not a search configuration")
        try:
            data["recipe"] = Recipe.from_json(obj["recipe"])
            data["fidelity"] = Fidelity.from_json(obj["fidelity"])
            data["limits"] = tuple(dict(obj.get("limits", {})).items())
            return cls(**data)
        except (KeyError, TypeError) as err:
            raise SearchError(f"not a search configuration: {err}") from None

    def with_resume_settings(self, other: "SearchConfig") -> "SearchConfig":
        """This configuration with ``other``'s resume-free settings (max_failures, retries)."""
        return replace(self, **{name: getattr(other, name) for name in RESUME_FREE})

    def check_resumes(self, stored: Mapping[str, Any], where: str) -> None:
        """Refuse (JournalError) to continue journal ``where``, written with ``stored``, as this run."""
        defaults = {name: list(v) if isinstance(v, tuple) else v for name, v in LATER_FIELDS.items()}
        mine, stored = {**defaults, **self.to_json()}, {**defaults, **stored}
        diffs = [name for name in mine if name not in RESUME_FREE and _comparable(name, stored.get(name))
                 != _comparable(name, mine[name])]
        extra = sorted(set(stored) - set(mine))
        if diffs or extra:
            shown = "; ".join(f"{n}: journal {_short(stored.get(n))}, now {_short(mine.get(n))}" for n in diffs + extra)
            raise JournalError(f"{where} was written by a different search configuration ({shown}); resume it "
                               f"with the same settings (einspace search --resume {where}) or use a new journal")


def _comparable(name: str, value: Any) -> Any:
    """A field as resuming compares it: where the fidelity runs (device, threads) may change."""
    if name == "fidelity" and isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in ("device", "threads")}
    return value


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def fidelity_key(recipe: Recipe, fidelity: Fidelity) -> str:
    """A short stable key of what a trial was trained with (where it ran left out), so results
    are reused only between trials trained alike."""
    f = {k: v for k, v in fidelity.to_json().items() if k not in ("device", "threads")}
    text = json.dumps({"recipe": recipe.to_json(), "fidelity": f}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
