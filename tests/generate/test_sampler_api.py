"""The sampler's public API: validity, budgets, targets, exclusion, determinism."""

from __future__ import annotations

import pytest

import einspace
from einspace.language.analysis import instantiated_size
from einspace.generate.budget import Budget, BudgetError
from einspace.generate.chooser import RandomChooser, ScriptedChooser
from einspace.generate.sampler import (Exactly, Pattern, SamplingError, Where, sample, sample_module, sample_typed)

SMALL = Budget(max_nodes=64, max_depth=12)
INPUTS = ["3x28x28", "1x24x24", "12x18x18", "1x16x52", "1x64x128", "col:64x32", "col:7x5"]


@pytest.mark.parametrize("shape", INPUTS)
def test_samples_type_check_within_budget(shape):
    chooser = RandomChooser(0)
    for _ in range(40):
        s = sample_typed(shape, symbol="S", chooser=chooser, budget=SMALL)
        typed = einspace.infer(s.tree, shape)
        assert (typed.output.mode, typed.output.shape) == (s.output.mode, s.output.shape)
        assert instantiated_size(s.tree) <= SMALL.max_nodes and s.tree.depth <= SMALL.max_depth
        assert typed.params <= SMALL.max_params and typed.flops <= SMALL.max_flops
        assert typed.memory <= SMALL.max_memory
        assert not isinstance(s.tree, einspace.Computation)  # the root is S


def test_same_seed_same_architecture():
    assert sample("3x28x28", seed=7, max_nodes=80) == sample("3x28x28", seed=7, max_nodes=80)
    assert sample("3x28x28", seed=7, max_nodes=80).digest() == sample("3x28x28", seed=7, max_nodes=80).digest()


def test_tight_budgets_are_respected():
    for seed in range(30):
        arch = sample("3x28x28", seed=seed, max_params=10_000, max_memory=20_000, max_flops=100_000, max_nodes=40)
        typed = einspace.infer(arch, "3x28x28")
        assert typed.params <= 10_000 and typed.memory <= 20_000 and typed.flops <= 100_000 and arch.size <= 40


def test_output_constraints():
    for seed in range(20):
        arch = sample("3x28x28", seed=seed, output_shape=(64, 7, 7), max_nodes=60)
        out = einspace.infer(arch, "3x28x28").output
        assert out.mode == "im" and out.shape == (64, 7, 7)
        arch = sample("3x28x28", seed=seed, output_mode="col", max_nodes=60)
        assert einspace.infer(arch, "3x28x28").output.mode == "col"


def test_sample_module_accept_and_exclude():
    t = einspace.as_type("3x28x28")
    chooser = RandomChooser(1)
    for _ in range(30):
        m = sample_module(t, chooser=chooser, budget=SMALL, accept=Exactly(t))
        assert einspace.infer(m, t).output.shape == t.shape
        m = sample_module(t, chooser=chooser, budget=SMALL, accept=Pattern("col", (None, 64)))
        out = einspace.infer(m, t).output
        assert out.mode == "col" and out.shape[1] == 64
        m = sample_module(t, chooser=chooser, budget=SMALL, accept=lambda o: o.shape[0] == 3)
        assert einspace.infer(m, t).output.shape[0] == 3
    ident = einspace.parse("computation<identity>")
    for _ in range(30):
        m = sample_module(t, chooser=chooser, budget=Budget(max_nodes=2), exclude={ident})
        assert m != ident and isinstance(m, einspace.Computation)
        m = sample_module(t, chooser=chooser, budget=Budget(max_nodes=2), exclude=lambda x: x == ident)
        assert m != ident


def test_impossible_requests_raise():
    t = einspace.as_type("3x28x28")
    with pytest.raises(SamplingError):
        sample_module(t, chooser=RandomChooser(0), budget=Budget(max_nodes=2), accept=Pattern("col"))
    with pytest.raises(SamplingError):
        sample_module(t, symbol="S", chooser=RandomChooser(0), budget=Budget(max_depth=2))
    with pytest.raises(BudgetError):
        Budget.of(max_noodles=3)
    with pytest.raises(BudgetError):
        sample_module(t, chooser=RandomChooser(0), budget=Budget(max_nodes=None, max_depth=None))


def test_scripted_chooser_zero_gives_the_simplest_architecture():
    arch = sample("3x28x28", chooser=ScriptedChooser([]))
    assert einspace.to_string(arch) == "sequential(computation<identity>, computation<identity>)"
    assert sample_module("3x28x28", chooser=ScriptedChooser([]), budget=SMALL) == einspace.parse("computation<identity>")


def test_p_computation_changes_sizes():
    big = sum(sample("3x28x28", seed=s, p_computation=0.45, max_nodes=200).size for s in range(60))
    small = sum(sample("3x28x28", seed=s, p_computation=0.9, max_nodes=200).size for s in range(60))
    assert small < big


def test_exports():
    assert einspace.sample is sample
    assert isinstance(Where(lambda t: True), einspace.generate.sampler.Target)


def test_max_nodes_bounds_the_instantiated_network():
    """A 4/8-way template counts once per copy: build() makes every copy (nested 8-way templates
    of cheap operations once reached a million torch modules within a 128-node AST budget)."""
    templated = 0
    for seed in range(300):
        arch = sample("col:7x5", seed=seed, max_nodes=60)
        n = instantiated_size(arch)
        assert arch.size <= n <= 60
        templated += n > arch.size
    assert templated > 10
    assert instantiated_size(einspace.parse("branching(4){clone(4), computation<relu>, add(4)}")) == 3 + 4 * 2


def test_max_passes_bounds_backtracking():
    t = einspace.as_type("3x28x28")
    every = lambda m: True  # noqa: E731 - a dead end after every pass
    with pytest.raises(SamplingError, match="3 passes.*max_passes"):
        sample_module(t, chooser=RandomChooser(0), budget=Budget(max_nodes=2), exclude=every, max_passes=3)
    with pytest.raises(SamplingError, match="fits the grammar"):  # exhaustive: every computation tried
        sample_module(t, chooser=RandomChooser(0), budget=Budget(max_nodes=2), exclude=every, max_passes=None)
    ops = {sample_module(t, chooser=RandomChooser(s), budget=Budget(max_nodes=2), max_passes=1) for s in range(20)}
    assert len(ops) > 3
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="max_passes"):
            sample_module(t, chooser=RandomChooser(0), max_passes=bad)
