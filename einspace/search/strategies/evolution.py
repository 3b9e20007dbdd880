"""Regularised evolution (Real et al., 2019), as the einspace paper runs it, with its bugs fixed.

The population fills to P with random samples, or with seed architectures: each seed is trained
once and then *copied* (each copy a trial of its own, reusing the seed's result without training)
until P are alive. Then every trial is the child of a tournament winner: S members drawn with
replacement, the best score wins, the child is its mutation (or, at rate ``crossover``, its
crossover with a second winner). A completed child joins the population and the oldest member
leaves, so the population is always the last P scored trials in completion order. Failed trials
never join. Trials still in flight count towards the initial population.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Optional

from ...errors import CrossoverError, MutationError, SearchError
from ...language.ast import Module
from ...language.parser import parse
from ...variation.mutation import mutate
from ...variation.crossover import crossover
from ..trial import Trial
from .base import Proposal, Strategy

__all__ = ["RegularisedEvolution", "PROPOSAL_TRIES"]

#: tournaments tried before a proposal gives up (a mutation or crossover can find no valid site)
PROPOSAL_TRIES = 20


class RegularisedEvolution(Strategy):
    """Ageing evolution: tournament, mutate, the child joins, the oldest leaves."""

    def __init__(self, config, space) -> None:
        super().__init__(config, space)
        self.population: deque[tuple[int, float, str]] = deque()   # (trial id, score, arch text), oldest first
        self.initial: set[int] = set()         # initial-phase trials proposed and not failed
        self.seed_trials: list[int] = []       # trial ids of the seeds, in the seeds' order
        self.seed_ok: dict[int, bool] = {}     # seed trial -> trained ok (absent while pending)
        self.copies = 0
        self._trees: dict[str, Module] = {}

    # --- what the journal tells us -------------------------------------------------------------------

    def proposed(self, trial: Trial) -> None:
        if trial.origin == "seed" and not trial.parents:
            self.seed_trials.append(trial.id)
            self.initial.add(trial.id)
        elif trial.origin == "seed":
            self.copies += 1
            self.initial.add(trial.id)
        elif trial.origin == "random":
            self.initial.add(trial.id)

    def tell(self, trial: Trial) -> None:
        if trial.id in self.seed_ok or trial.id in self.seed_trials:
            self.seed_ok[trial.id] = trial.score is not None
        if trial.score is None:
            self.initial.discard(trial.id)
            return
        self.population.append((trial.id, trial.score, trial.arch))
        while len(self.population) > self.config.population:
            self.population.popleft()

    # --- what to do next -----------------------------------------------------------------------------

    def propose(self, trial_id: int, rng: random.Random) -> Optional[Proposal]:
        seeds = self.config.seeds
        if len(self.seed_trials) < len(seeds):
            return Proposal(self._tree(seeds[len(self.seed_trials)]), "seed")
        if len(self.initial) < self.config.population:
            return self._fill(rng) if seeds else Proposal(self.space.sample(rng), "random")
        if not self.population:
            return None  # the initial population is all in flight
        return self._evolve(rng)

    def _evolve(self, rng: random.Random) -> Proposal:
        """The next child, once the population is full (what a filter around evolution replaces)."""
        for _ in range(PROPOSAL_TRIES):
            child = self._child(rng)
            if child is not None:
                return child
        raise SearchError(f"no valid child in {PROPOSAL_TRIES} tournaments: mutation and crossover found no "
                          f"valid site in the winners (is the population made of tiny architectures?)")

    def _fill(self, rng: random.Random) -> Optional[Proposal]:
        ok = [t for t in self.seed_trials if self.seed_ok.get(t)]
        if ok:
            source = ok[self.copies % len(ok)]
            return Proposal(self._tree(self.config.seeds[self.seed_trials.index(source)]), "seed",
                            parents=(source,), copy_of=source)
        if len(self.seed_ok) < len(self.seed_trials):
            return None  # wait for a seed's result
        raise SearchError(f"every seed architecture failed to train ({', '.join(self.config.seed_labels)}); "
                          f"see `einspace runs show` for their statuses")

    def tournament(self, rng: random.Random) -> tuple[int, float, str]:
        """S members drawn with replacement; the highest score wins (the first drawn among equals)."""
        members = list(self.population)
        drawn = [members[rng.randrange(len(members))] for _ in range(self.config.tournament)]
        return max(drawn, key=lambda m: m[1])

    def _child(self, rng: random.Random) -> Optional[Proposal]:
        winner = self.tournament(rng)
        limits = self.space.limits
        if self.config.crossover > 0 and rng.random() < self.config.crossover:
            other = self.tournament(rng)
            try:
                child = crossover(self._tree(winner[2]), self._tree(other[2]), self.space.input,
                                  seed=rng.getrandbits(63), **dict(limits))
                return Proposal(child, "crossover", parents=(winner[0], other[0]))
            except CrossoverError:
                pass  # no compatible pair of sites: mutate the winner instead
        try:
            child = mutate(self._tree(winner[2]), self.space.input, seed=rng.getrandbits(63),
                           grammar=self.space.grammar, **dict(limits))
        except MutationError:
            return None
        return Proposal(child, "mutation", parents=(winner[0],))

    def _tree(self, text: str) -> Module:
        tree = self._trees.get(text)
        if tree is None:
            if len(self._trees) > 4 * self.config.population:
                self._trees.clear()
            tree = self._trees[text] = parse(text, grammar=self.space.grammar)
        return tree
