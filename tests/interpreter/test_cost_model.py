"""The types layer's cost model is exact: predicted parameters and output type equal the built module's.

The predictions come from ``einspace.infer`` (``einspace/types``); the check builds and runs the
torch module, so it lives with the interpreter's tests. Two generators:
``einspace.testing.strategies.typed_trees`` (syntactic trees filtered by ``infer``: small and
varied, at least 500 distinct (architecture, input) pairs) and ``helpers.typed_modules``, which
builds type-correct trees top-down from the type rules and so reaches larger ones. Tensor sizes
stay small so every forward pass is cheap; trees with a large predicted size are skipped.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import einspace
from einspace.interpreter.head_rules import head_params
from einspace.interpreter.modules import submodule
from einspace.language.ast import Branching, Computation, Routing, Sequential
from einspace.testing.strategies import typed_trees
from einspace.types.tensor import TensorType

from helpers import FAST, SMALL_INPUTS, small, typed_modules


# --- the property -------------------------------------------------------------------------------

def check_exact(tree, t: TensorType, *, per_node: bool = False, lower: bool = True) -> None:
    typed = einspace.infer(tree, t)
    assume(small(typed))
    _check_built(tree, t, typed, per_node=per_node, lower=lower)


def _check_built(tree, t: TensorType, typed, *, per_node: bool = False, lower: bool = True) -> None:
    net = einspace.build(tree, t, lower=lower).eval()
    assert sum(p.numel() for p in net.parameters()) == typed.params
    x = torch.randn(2, *t.shape)
    with torch.no_grad():
        y = net(x)
    assert tuple(y.shape) == (2, *typed.output.shape)
    assert y.dim() == typed.output.rank
    if per_node:
        for info in typed.nodes:
            if isinstance(info.node, (Sequential, Routing, Branching, Computation)):
                module = submodule(net, info.path)
                assert sum(p.numel() for p in module.parameters()) == info.params, info.path


def test_predicted_params_and_output_equal_built_typed_trees():
    """The property, over at least 500 distinct (architecture, input) pairs that pass the size filter
    (``assume(small(...))`` discards the rest): counted inside this one test."""
    checked = set()

    @settings(**FAST, max_examples=600)
    @given(typed_trees(max_leaves=8, inputs=SMALL_INPUTS))
    def exact(pair):
        tree, t = pair
        check_exact(tree, t, per_node=True)
        checked.add((tree, t))

    exact()
    assert len(checked) >= 500, f"only {len(checked)} distinct architectures and inputs were built and compared"


@settings(**FAST, max_examples=300)
@given(typed_modules(max_leaves=24))
def test_predicted_params_and_output_equal_built_constructed(pair):
    tree, t = pair
    check_exact(tree, t, per_node=True)


@settings(**FAST, max_examples=60)
@given(typed_modules(max_leaves=10), st.integers(1, 7))
def test_head_params_predicted(pair, classes):
    tree, t = pair
    typed = einspace.infer(tree, t)
    assume(small(typed))
    net = einspace.build(tree, t, classes=classes).eval()
    assert sum(p.numel() for p in net.parameters()) == typed.params + head_params(typed.output, classes)
    with torch.no_grad():
        assert tuple(net(torch.randn(2, *t.shape)).shape) == (2, classes)


@settings(**FAST, max_examples=40)
@given(typed_modules(max_leaves=10), st.tuples(st.integers(1, 3), st.integers(1, 9), st.integers(1, 9)))
def test_dense_head_params_predicted(pair, target):
    tree, t = pair
    typed = einspace.infer(tree, t)
    assume(small(typed))
    net = einspace.build(tree, t, dense=target).eval()
    assert sum(p.numel() for p in net.parameters()) == typed.params + head_params(typed.output, dense=target)
    with torch.no_grad():
        assert tuple(net(torch.randn(2, *t.shape)).shape) == (2, *target)


@pytest.mark.parametrize("name", einspace.seeds.names())
def test_every_seed_exact(name):
    info = einspace.seeds.info(name)
    typed = einspace.infer(einspace.seeds.load(name), info.input)
    _check_built(einspace.seeds.load(name), einspace.as_type(info.input), typed, per_node=True)
