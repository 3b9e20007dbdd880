"""Surrogate-filtered regularised evolution: the Transferrable Surrogates recipe on einspace's trees.

Regularised evolution as :class:`.evolution.RegularisedEvolution` runs it — the same initial
population, tournament, mutation, crossover and ageing — with one filter on its children: once the
population is full, each *step* draws ``candidates`` children (tournament and mutation, as plain
evolution makes one), the surrogate (:mod:`..surrogate`, refitted on every trial trained so far)
ranks them by predicted score, and only the best ``evaluate`` are proposed; the rest are never
trained. Children whose structure a trial of the run already has are dropped before ranking, so a
step trains ``evaluate`` new architectures. Until ``MIN_FIT`` trials are trained (a seeded
population holds few) children are proposed one by one as plain evolution does; the summary says
how many.

The step lives in the journal, so nothing needs saving: the step's first trial carries the whole
chosen batch in its notes (the other architectures, their parents and predictions), the others
their rank; replaying the notes through :meth:`proposed` rebuilds the unproposed rest of a step
exactly, and the surrogate is refitted from the replayed results when the next step begins.
Every proposed child also carries the surrogate's prediction, so its rank correlation with the
scores that came later is measured on trials it had not seen.

With ``proxies`` the surrogate's features also hold the zero-cost proxies: those each trained
trial recorded, and for each candidate the same proxies measured here, in the driver's process
(one batch of the task's data per candidate; seeded by the run's root seed).
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any, Optional

from ...data.tasks import get_task
from ...language.printer import to_string
from ...types.normal_form import structural_hash
from ..features import features
from ..surrogate import MIN_FIT, Surrogate, spearman
from ..trial import Trial
from ..worker import measure_proxies
from .base import Proposal
from .evolution import PROPOSAL_TRIES, RegularisedEvolution

__all__ = ["SurrogateEvolution"]


class SurrogateEvolution(RegularisedEvolution):
    """Regularised evolution whose children are the best ``evaluate`` of ``candidates`` by a surrogate."""

    def __init__(self, config, space) -> None:
        super().__init__(config, space)
        self.classes = get_task(config.task).classes
        self.model = Surrogate(config.surrogate, seed=config.seed)
        self.queue: deque[dict[str, Any]] = deque()   # chosen members of the current step, not yet proposed
        self.hashes: set[str] = set()                 # structures of every trial proposed
        self.trained: list[tuple[str, float, dict[str, Any]]] = []   # (arch, score, proxies) in completion order
        self.predicted: dict[int, float] = {}         # trial id -> the surrogate's prediction when proposed
        self.steps = self.refits = self.fallback = 0
        self._last_fit: Optional[int] = None
        self._features: dict[str, tuple[float, ...]] = {}

    # --- what the journal tells us -------------------------------------------------------------------

    def proposed(self, trial: Trial) -> None:
        super().proposed(trial)
        self.hashes.add(trial.hash)
        note = (trial.notes or {}).get("surrogate")
        if note is None:
            if trial.origin in ("mutation", "crossover"):
                self.fallback += 1   # a child of plain evolution: the surrogate had too little to fit on
            return
        self.predicted[trial.id] = note["prediction"]
        if "batch" in note:   # a step's first trial: the rest of the step is in its notes
            self.steps += 1
            if note["fit"] != self._last_fit:
                self.refits, self._last_fit = self.refits + 1, note["fit"]
            self.queue = deque({**m, "step": note["step"], "rank": r}
                               for r, m in enumerate(note["batch"], start=2))
        elif self.queue and (self.queue[0]["step"], self.queue[0]["rank"]) == (note["step"], note["rank"]):
            self.queue.popleft()

    def tell(self, trial: Trial) -> None:
        super().tell(trial)
        if trial.state == "finished" and trial.score is not None:   # trained ok (cached ones repeat these)
            self.trained.append((trial.arch, trial.score, (trial.evaluation or {}).get("proxies") or {}))

    # --- what to do next -----------------------------------------------------------------------------

    def _evolve(self, rng: random.Random) -> Proposal:
        if self.queue:
            m = self.queue[0]
            return Proposal(self._tree(m["arch"]), m["origin"], tuple(m["parents"]),
                            notes={"surrogate": {"step": m["step"], "rank": m["rank"], "prediction": m["prediction"]}})
        if len(self.trained) < MIN_FIT:
            return super()._evolve(rng)
        children = self._candidates(rng)
        if not children:   # every child repeats a known structure: let plain evolution (and dedup) go on
            return super()._evolve(rng)
        self._fit()
        scores = self.model.predict([self._row(c.arch, self._measure(c.arch)) for c in children])
        order = sorted(range(len(children)), key=lambda i: (-scores[i], i))[:self.config.evaluate]
        best, rest = children[order[0]], order[1:]
        batch = [{"arch": to_string(children[i].arch), "origin": children[i].origin,
                  "parents": list(children[i].parents), "prediction": scores[i]} for i in rest]
        note = {"step": self.steps + 1, "rank": 1, "prediction": scores[order[0]], "fit": self.model.fitted_on,
                "candidates": len(children), "batch": batch}
        return Proposal(best.arch, best.origin, best.parents, notes={"surrogate": note})

    def _candidates(self, rng: random.Random) -> list[Proposal]:
        """Up to ``candidates`` children of distinct structures no trial of the run has."""
        out: list[Proposal] = []
        seen: set[str] = set()
        for _ in range(self.config.candidates * PROPOSAL_TRIES):
            if len(out) == self.config.candidates:
                break
            child = self._child(rng)
            if child is None:
                continue
            digest = structural_hash(child.arch)
            if digest not in self.hashes and digest not in seen:
                seen.add(digest)
                out.append(child)
        return out

    def _fit(self) -> None:
        """Refit on every trained trial, if more came in since the last fit (a pure cache of them)."""
        if self.model.fitted_on != len(self.trained):
            self.model.fit([self._row(arch, proxies) for arch, _, proxies in self.trained],
                           [score for _, score, _ in self.trained])

    def _row(self, arch: Any, proxies: Optional[dict[str, Any]] = None) -> list[Optional[float]]:
        """The surrogate's input for ``arch`` (a trained trial's text, or a candidate's tree)."""
        if isinstance(arch, str):
            vec = self._features.get(arch)
            if vec is None:
                vec = self._features[arch] = self._vector(self._tree(arch))
        else:
            vec = self._vector(arch)
        return [*vec, *(None if proxies is None else proxies.get(n) for n in self.config.proxies)]

    def _measure(self, tree: Any) -> Optional[dict[str, Any]]:
        """A candidate's zero-cost proxies, as a trial records them (None when none are asked for)."""
        if not self.config.proxies:
            return None
        measured = measure_proxies(tree, self.config.task, self.config.proxies, seed=self.config.seed,
                                   root=self.space.root, grammar=self.space.grammar,
                                   device=self.config.fidelity.device, threads=self.config.fidelity.threads)
        return measured["proxies"]

    def _vector(self, tree: Any) -> tuple[float, ...]:
        return features(tree, self.space.input, classes=self.classes, grammar=self.space.grammar)

    def summary(self, scored: list[Trial]) -> dict[str, Any]:
        out = super().summary(scored)
        held = [(self.predicted[t.id], t.score) for t in scored if t.id in self.predicted and t.state == "finished"]
        rho = spearman([p for p, _ in held], [s for _, s in held]) if held else None
        note = (f"plain evolution proposed {self.fallback} children once the population was full: the surrogate "
                f"had fewer than {MIN_FIT} trained trials to fit on, or every candidate repeated a known "
                f"structure") if self.fallback else ""
        out["surrogate"] = {"model": self.config.surrogate, "candidates": self.config.candidates,
                            "evaluate": self.config.evaluate, "steps": self.steps, "refits": self.refits,
                            "fallback": self.fallback, "predicted": len(held), "spearman": rho, "note": note}
        return out
