"""Pointwise dimension functions agree with the attribute evaluator, memoised or not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from einspace import infer, parse
from einspace.types.dimension_functions import (attributes, clear_cache, defined, dimension_function, output_type,
                            try_output_type)
from einspace.errors import RuleViolation, TypeCheckError
from einspace.testing.strategies import input_types, trees


@settings(max_examples=300, deadline=None)
@given(tree=trees(max_leaves=12), t=input_types(max_side=24), memo=st.booleans())
def test_agrees_with_infer(tree, t, memo):
    try:
        typed = infer(tree, t)
    except TypeCheckError:
        assert try_output_type(tree, t, memo=memo) is None
        assert not defined(tree, t, memo=memo)
        with pytest.raises(RuleViolation):
            output_type(tree, t, memo=memo)
        with pytest.raises(RuleViolation):
            attributes(tree, t)
        return
    assert output_type(tree, t, memo=memo) == typed.output
    assert tuple(attributes(tree, t)) == (typed.output, typed.params, typed.flops, typed.memory)
    # and every subtree at the type the evaluator gave it
    for info in typed:
        if hasattr(info.node, "slots"):
            assert try_output_type(info.node, info.input, memo=memo) == info.output


def test_cache_is_only_a_cache():
    tree = parse("sequential(routing[im2col(3,1,1), linear(8), col2im], norm)")
    first = attributes(tree, "3x9x9")
    clear_cache()
    assert attributes(tree, "3x9x9") == first
    f = dimension_function(tree)
    assert f("3x9x9") == first.output and f("col:4x4") is None


def test_deep_trees():
    text = "norm"
    for _ in range(400):
        text = f"sequential(relu, {text})"
    tree = parse(text)
    assert output_type(tree, "2x3x3") == infer(tree, "2x3x3").output
