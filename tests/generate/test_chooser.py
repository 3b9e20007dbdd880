"""The chooser interface: weighted picks, reproducibility, Hypothesis and scripted sources."""

from __future__ import annotations

import collections
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from einspace.generate.chooser import (Chooser, HypothesisChooser, RandomChooser, RecordingChooser, ScriptedChooser,
                              as_chooser, pick_weighted)


@given(st.lists(st.floats(0.01, 100), min_size=2, max_size=12), st.floats(0, 0.999999))
def test_pick_weighted_lands_in_the_cumulative_interval(weights, u):
    i = pick_weighted(weights, u)
    total = sum(weights)
    assert sum(weights[:i]) <= u * total + 1e-9 * total
    assert u * total < sum(weights[:i + 1]) + 1e-9 * total


def test_pick_weighted_skips_zero_weights_and_u_zero_is_the_first_positive():
    assert pick_weighted([0.0, 2.0, 1.0], 0.0) == 1
    assert pick_weighted([1.0, 0.0, 1.0], 0.75) == 2
    assert pick_weighted([1.0, 1.0], 0.999999999) == 1


def test_random_chooser_follows_the_weights():
    c = RandomChooser(0)
    counts = collections.Counter(c.choose([0.32, 0.2267, 0.2267, 0.2267]) for _ in range(40_000))
    for i, p in enumerate([0.32, 0.2267, 0.2267, 0.2267]):
        assert abs(counts[i] / 40_000 - p / 1.0001) < 0.01


def test_same_seed_same_choices_and_a_random_random_is_accepted():
    a = [RandomChooser(5).choose([1, 2, 3]) for _ in range(1)]
    seq1 = RandomChooser(5)
    seq2 = RandomChooser(random.Random(5))
    assert [seq1.choose([1, 2, 3, 4]) for _ in range(50)] == [seq2.choose([1, 2, 3, 4]) for _ in range(50)]
    assert a


def test_scripted_and_recording():
    s = ScriptedChooser([2, 9, -1])
    assert [s.choose([1, 1, 1]) for _ in range(4)] == [2, 2, 0, 0]
    r = RecordingChooser(ScriptedChooser([1, 0]))
    r.choose([1, 1])
    r.choose([1, 1, 1])
    assert r.decisions == [(2, 1), (3, 0)]
    assert ScriptedChooser([1]).choose([1.0, 0.0]) == 0  # a zero-weight index is never returned


@given(st.data())
def test_hypothesis_chooser_draws_valid_indices(data):
    c = HypothesisChooser(data.draw)
    for n in (2, 3, 13):
        i = c.choose([1.0] * n)
        assert 0 <= i < n


def test_protocol_and_as_chooser():
    assert isinstance(RandomChooser(1), Chooser)
    assert isinstance(as_chooser(3), RandomChooser)
    assert isinstance(as_chooser(None), RandomChooser)
    s = ScriptedChooser([])
    assert as_chooser(s) is s
    with pytest.raises(TypeError):
        as_chooser(True)
    with pytest.raises(TypeError):
        as_chooser("seed")
