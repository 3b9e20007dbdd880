"""Strategies on their own: regularised evolution's initial phase, tournament, ageing and seeding,
and the random strategies' figures — driven by hand-made Trial records (no journal, no training)."""

from __future__ import annotations

import random

import pytest

import einspace
from einspace.errors import SearchError
from einspace.search.config import SearchConfig
from einspace.search.strategies import (RandomSampling, RandomSearch, RegularisedEvolution, Space,
                                        make_strategy)
from einspace.search.trial import Trial, trial_seed
from einspace.training import Fidelity, Recipe

SPACE = Space("1x28x28")
TINY = "sequential(routing[im2col(4,4,0), linear(16), col2im], relu)"


def config(**kw) -> SearchConfig:
    base = dict(task="fashion", strategy="re", evaluations=50, population=4, tournament=3)
    return SearchConfig(**{**base, **kw})


def trial(tid: int, proposal, score: float | None, state: str | None = None) -> Trial:
    text = einspace.to_string(proposal.arch)
    state = state or ("finished" if score is not None else "failed")
    ev = None if score is None else {"status": "ok", "score": score}
    return Trial(tid, proposal.origin, proposal.parents, text, einspace.structural_hash(proposal.arch),
                 trial_seed(0, tid), state=state, evaluation=ev)


def step(strategy, tid: int, score: float | None):
    """Propose trial ``tid``, journal it (proposed) and complete it with ``score``."""
    p = strategy.propose(tid, random.Random(trial_seed(0, tid)))
    assert p is not None
    strategy.proposed(trial(tid, p, None, state="pending"))
    t = trial(tid, p, score)
    strategy.tell(t)
    return p, t


def test_initial_population_is_random_then_children_of_tournament_winners():
    re = RegularisedEvolution(config(), SPACE)
    for tid in range(1, 5):
        p, _ = step(re, tid, score=tid / 10)
        assert p.origin == "random" and p.parents == ()
    p = re.propose(5, random.Random(5))
    assert p.origin == "mutation" and len(p.parents) == 1 and p.parents[0] in {1, 2, 3, 4}
    einspace.infer(p.arch, "1x28x28")   # valid by construction


def test_in_flight_proposals_count_towards_the_initial_population():
    re = RegularisedEvolution(config(), SPACE)
    for tid in range(1, 5):   # four proposed, none finished
        p = re.propose(tid, random.Random(tid))
        re.proposed(trial(tid, p, None, state="pending"))
    assert re.propose(5, random.Random(5)) is None   # the population is all in flight: wait


def test_failed_trials_never_join_and_are_replaced_by_new_random_ones():
    re = RegularisedEvolution(config(), SPACE)
    step(re, 1, score=None)
    assert len(re.population) == 0 and not re.initial
    for tid in range(2, 6):
        p, _ = step(re, tid, score=0.5)
        assert p.origin == "random"
    assert [m[0] for m in re.population] == [2, 3, 4, 5]


def test_ageing_removes_the_oldest_not_the_worst():
    re = RegularisedEvolution(config(), SPACE)
    for tid, score in zip(range(1, 5), (0.9, 0.1, 0.2, 0.3)):
        step(re, tid, score)
    step(re, 5, 0.0)   # a child: joins; the oldest (trial 1, the best) leaves
    assert [m[0] for m in re.population] == [2, 3, 4, 5]


def test_tournament_draws_with_replacement_and_the_best_drawn_wins():
    re = RegularisedEvolution(config(tournament=1), SPACE)
    for tid, score in zip(range(1, 5), (0.1, 0.2, 0.3, 0.4)):
        step(re, tid, score)
    rng = random.Random(0)
    winners = {re.tournament(rng)[0] for _ in range(200)}
    assert winners == {1, 2, 3, 4}   # S = 1: every member can win
    big = RegularisedEvolution(config(tournament=50), SPACE)
    for tid, score in zip(range(1, 5), (0.1, 0.2, 0.3, 0.4)):
        step(big, tid, score)
    assert {big.tournament(random.Random(s))[0] for s in range(20)} == {4}


def test_the_same_history_gives_the_same_proposal():
    a, b = RegularisedEvolution(config(), SPACE), RegularisedEvolution(config(), SPACE)
    for tid in range(1, 5):
        step(a, tid, tid / 10)
        step(b, tid, tid / 10)
    pa, pb = a.propose(5, random.Random(trial_seed(0, 5))), b.propose(5, random.Random(trial_seed(0, 5)))
    assert einspace.to_string(pa.arch) == einspace.to_string(pb.arch) and pa.parents == pb.parents


def test_seeds_are_proposed_once_then_copied_to_fill_the_population():
    seeds = (einspace.to_string(einspace.parse(TINY)),
             einspace.to_string(einspace.parse("sequential(routing[im2col(7,7,0), linear(8), col2im], relu)")))
    re = RegularisedEvolution(config(seeds=seeds), SPACE)
    p1 = re.propose(1, random.Random(1))
    re.proposed(trial(1, p1, None, "pending"))
    p2 = re.propose(2, random.Random(2))
    re.proposed(trial(2, p2, None, "pending"))
    assert (p1.origin, p1.copy_of, p2.origin) == ("seed", None, "seed")
    assert re.propose(3, random.Random(3)) is None          # copies wait for a seed's result
    re.tell(trial(1, p1, 0.5))
    copy = re.propose(3, random.Random(3))
    assert copy.copy_of == 1 and copy.parents == (1,) and copy.origin == "seed"
    re.proposed(trial(3, copy, None, "pending"))
    re.tell(trial(2, p2, None))                              # the second seed fails: only copies of the first
    copy2 = re.propose(4, random.Random(4))
    assert copy2.copy_of == 1


def test_a_population_whose_seeds_all_fail_is_an_error():
    re = RegularisedEvolution(config(seeds=(einspace.to_string(einspace.parse(TINY)),)), SPACE)
    p = re.propose(1, random.Random(1))
    re.proposed(trial(1, p, None, "pending"))
    re.tell(trial(1, p, None))
    with pytest.raises(SearchError, match="every seed"):
        re.propose(2, random.Random(2))


def test_crossover_rate_one_makes_crossover_children():
    re = RegularisedEvolution(config(crossover=1.0), SPACE)
    for tid in range(1, 5):
        step(re, tid, tid / 10)
    origins = {re.propose(tid, random.Random(tid)).origin for tid in range(5, 15)}
    assert "crossover" in origins and origins <= {"crossover", "mutation"}


def test_random_strategies_propose_samples_and_report_best_or_mean():
    rs = make_strategy(config(strategy="rs"), SPACE)
    sm = make_strategy(config(strategy="sample"), SPACE)
    assert isinstance(rs, RandomSearch) and isinstance(sm, RandomSampling)
    scored = [step(rs, tid, s)[1] for tid, s in ((1, 0.2), (2, 0.6), (3, 0.4))]
    assert rs.summary(scored) == {"figure": "best", "value": 0.6, "trial": 2}
    out = sm.summary(scored)
    assert out["figure"] == "mean" and out["value"] == pytest.approx(0.4) and out["best"] == 0.6


def test_config_validation_and_json_round_trip():
    c = config(seeds=(TINY,), recipe=Recipe(lr=0.1), fidelity=Fidelity(epochs=1), limits=(("max_params", 1000),))
    assert SearchConfig.from_json(c.to_json()) == c
    for bad in (dict(strategy="ga"), dict(evaluations=0), dict(crossover=1.5), dict(tournament=True),
                dict(population=100, evaluations=10), dict(strategy="rs", seeds=(TINY,))):
        with pytest.raises(SearchError):
            config(**bad)
