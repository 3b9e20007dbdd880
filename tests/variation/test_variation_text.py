"""mutate, mutate_step, crossover and crossover_step take architecture text (issue 10, item 7)."""

from __future__ import annotations

import pytest

import einspace
from einspace.variation.crossover import crossover, crossover_step
from einspace.variation.mutation import mutate, mutate_step

PARENT = "sequential(norm, relu)"
DONOR = "sequential(relu, linear(4))"


def test_mutate_takes_text():
    assert mutate(PARENT, "3x8x8", seed=0) == mutate(einspace.parse(PARENT), "3x8x8", seed=0)
    step = mutate_step(PARENT, "3x8x8", seed=1)
    assert step.parent == einspace.parse(PARENT) and einspace.infer(step.child, "3x8x8")


def test_mutate_text_with_a_grammar_argument():
    g = einspace.load_grammar()
    assert mutate(PARENT, "3x8x8", seed=0, grammar=g) == mutate(einspace.parse(PARENT), "3x8x8", seed=0, grammar=g)


def test_crossover_takes_text():
    child = crossover(PARENT, DONOR, "3x8x8", seed=0)
    assert child == crossover(einspace.parse(PARENT), einspace.parse(DONOR), "3x8x8", seed=0)
    step = crossover_step(PARENT, DONOR, "3x8x8", seed=0)
    assert step.recipient == einspace.parse(PARENT) and step.donor == einspace.parse(DONOR)


def test_bad_text_is_a_parse_error_not_an_infer_complaint():
    with pytest.raises(einspace.ParseError):
        mutate("sequential(norm", "3x8x8", seed=0)
    with pytest.raises(einspace.ParseError):
        crossover(PARENT, 7, "3x8x8", seed=0)
