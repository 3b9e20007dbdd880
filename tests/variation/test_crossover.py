"""Crossover: every child type-checks, differs from its recipient, and respects its constraints."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from einspace import infer, parse
from einspace.variation.crossover import CrossoverError, crossover, crossover_step, donors
from einspace.errors import TypeCheckError
from einspace.testing.strategies import trees

from helpers import RESNETISH, typed_or_reject

MIXERISH = parse("""
sequential(routing[im2col(4,4,0), linear(32), identity], pos_enc,
  branching(2){clone(2), sequential(norm,
                 routing[perm(0,2,1), sequential(linear(x2), relu, linear(x0.5)), perm(0,2,1)]),
               identity, add(2)},
  branching(4){clone(4), sequential(linear(16), softmax), cat(4,2)})
""")
T = "3x16x16"


def test_parents_are_valid():
    infer(RESNETISH, T)
    infer(MIXERISH, T)


@pytest.mark.parametrize("a,b", [(RESNETISH, MIXERISH), (MIXERISH, RESNETISH), (RESNETISH, RESNETISH)])
def test_children_are_valid_and_new(a, b):
    for seed in range(60):
        c = crossover_step(a, b, T, seed=seed)
        assert c.child != a
        assert infer(c.child, T).output == c.output
        assert c.new in donors(b)


def test_preserve_type_keeps_the_output():
    out = infer(RESNETISH, T).output
    for seed in range(40):
        c = crossover_step(RESNETISH, MIXERISH, T, seed=seed, preserve_type=True)
        assert infer(c.child, T).output == out
        assert infer(c.old, _input_at(RESNETISH, c.path)).output == infer(c.new, _input_at(RESNETISH, c.path)).output


def _input_at(tree, path):
    return infer(tree, T).at(path).input


def test_graft_into_a_template_changes_every_copy():
    a = parse("branching(4){clone(4), computation<norm>, cat(4,1)}")
    b = parse("sequential(relu, softmax)")
    seen = set()
    for seed in range(30):
        c = crossover_step(a, b, "2x4x4", seed=seed)
        seen.add(c.path)
        if c.path == "root.inner":
            assert len(c.child.branches) == 1 and c.child.branches[0] == c.new
            assert infer(c.child, "2x4x4").params == 0  # norm (4 params a copy) is gone from all four
    assert "root.inner" in seen


def test_budget_is_respected():
    limit = infer(RESNETISH, T).params
    for seed in range(30):
        child = crossover(RESNETISH, MIXERISH, T, seed=seed, max_params=limit)
        assert infer(child, T).params <= limit


def test_nothing_fits():
    # the donor's only subtree is computation<norm>: equal to both leaves, and not allowed at the root
    with pytest.raises(CrossoverError):
        crossover(parse("sequential(norm, norm)"), parse("computation<norm>"), "2x3x3", seed=0)
    a = parse("sequential(norm, norm)")
    child = crossover(a, a, "2x3x3", seed=0)  # the whole of a fits where one norm was
    assert child != a and child.size > a.size and infer(child, "2x3x3").output == infer(a, "2x3x3").output


def test_parents_must_type_check():
    with pytest.raises(TypeCheckError):
        crossover(parse("routing[identity, norm, col2im]"), RESNETISH, T, seed=0)
    with pytest.raises(TypeCheckError):
        crossover(RESNETISH, parse("routing[identity, norm, col2im]"), T, seed=0)


# --- properties ---------------------------------------------------------------------------------

inputs = st.sampled_from(["3x8x8", "4x6x10", "col:12x8", "col:5x16"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(a=trees(max_leaves=8), b=trees(max_leaves=8), t=inputs, seed=st.integers(0, 2**16),
       preserve=st.booleans())
def test_crossover_children_always_type_check(a, b, t, seed, preserve):
    out = typed_or_reject(a, t).output
    typed_or_reject(b, t)
    try:
        c = crossover_step(a, b, t, seed=seed, preserve_type=preserve, budget=None)
    except CrossoverError:
        return
    typed = infer(c.child, t)
    assert c.child != a
    if preserve:
        assert typed.output == out


def test_public_name():
    import einspace
    assert einspace.crossover(RESNETISH, MIXERISH, T, seed=3) == crossover(RESNETISH, MIXERISH, T, seed=3)
