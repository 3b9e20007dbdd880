"""Every sampled architecture is valid: it type-checks, round-trips through the printer and the
parser, builds, and a forward pass gives the predicted output shape with the predicted number of
parameters — for image inputs of several sizes and for col inputs.

The default run draws a few hundred architectures; ``-m slow`` runs the full acceptance counts
(10,000 at 3x28x28, 2,000 at each other shape), all built and run.
"""

from __future__ import annotations

import collections
import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import einspace
from einspace.language.analysis import instantiated_size
from einspace.generate.budget import DEFAULT_BUDGET, Budget
from einspace.generate.chooser import RandomChooser
from einspace.interpreter import build
from einspace.generate.sampler import sample, sample_typed
from einspace.testing.strategies import architectures, sampled_architectures

IM_SHAPES = ["1x24x24", "12x18x18", "1x16x52", "1x64x128", "3x28x28"]
COL_SHAPES = ["col:64x32", "col:49x48", "col:7x5"]
SHAPES = IM_SHAPES + COL_SHAPES


def check_language(arch, shape):
    """Type-checks within the default budget and round-trips through every printer style."""
    typed = einspace.infer(arch, shape)
    assert not isinstance(arch, einspace.Computation)
    assert arch.size <= instantiated_size(arch) <= DEFAULT_BUDGET.max_nodes and arch.depth <= DEFAULT_BUDGET.max_depth
    assert typed.params <= DEFAULT_BUDGET.max_params and typed.flops <= DEFAULT_BUDGET.max_flops
    assert typed.memory <= DEFAULT_BUDGET.max_memory
    text = einspace.to_string(arch)
    assert einspace.parse(text) == arch
    assert einspace.parse(einspace.to_string(arch, "brackets")) == arch
    return typed


def check_runs(arch, shape, typed=None):
    """Builds; a forward pass gives the predicted shape, with the predicted parameter count."""
    typed = typed or einspace.infer(arch, shape)
    net = build(arch, shape)
    assert sum(p.numel() for p in net.parameters()) == typed.params
    net.eval()
    with torch.no_grad():
        y = net(torch.randn(2, *typed.input.shape))
    assert tuple(y.shape) == (2, *typed.output.shape)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("shape", SHAPES)
def test_samples_are_valid_and_round_trip(shape):
    chooser = RandomChooser(11)
    for _ in range(60):
        check_language(sample(shape, chooser=chooser), shape)


@pytest.mark.parametrize("shape", SHAPES)
def test_samples_build_and_run_with_predicted_shape_and_params(shape):
    chooser = RandomChooser(5)
    for _ in range(12):
        arch = sample(shape, chooser=chooser)
        check_runs(arch, shape, check_language(arch, shape))


@settings(max_examples=60)
@given(sampled_architectures())
def test_hypothesis_architectures_type_check_anywhere(pair):
    arch, t = pair
    typed = einspace.infer(arch, t)
    assert einspace.parse(einspace.to_string(arch)) == arch
    assert arch.size <= 64 and arch.depth <= 16 and typed.params <= 1_000_000


@settings(max_examples=25)
@given(sampled_architectures(st.sampled_from(IM_SHAPES + COL_SHAPES)))
def test_hypothesis_architectures_run(pair):
    arch, t = pair
    check_runs(arch, t)


@settings(max_examples=30)
@given(st.integers(0, 2**32 - 1))
def test_same_seed_same_architecture(seed):
    assert sample("3x28x28", seed=seed, max_nodes=60) == sample("3x28x28", seed=seed, max_nodes=60)


def test_same_seed_same_architecture_in_another_process(tmp_path):
    import subprocess
    import sys
    code = ("import einspace; print(einspace.sample('3x28x28', seed=3).digest()); "
            "print(einspace.sample('col:64x32', seed=4, max_nodes=300).digest())")
    outs = set()
    for hashseed in ("0", "1", "12345"):
        env = {"PYTHONHASHSEED": hashseed, "PATH": "/usr/bin:/bin"}
        outs.add(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                check=True).stdout)
    outs.add(einspace.sample("3x28x28", seed=3).digest() + "\n"
             + einspace.sample("col:64x32", seed=4, max_nodes=300).digest() + "\n")
    assert len(outs) == 1


def test_failing_property_shrinks_to_a_small_architecture():
    from hypothesis import find
    found = find(architectures("3x28x28"), lambda a: einspace.infer(a, "3x28x28").params > 0,
                 settings=settings(max_examples=300, database=None))
    assert found.size <= 5  # sequential(computation<identity>, computation<linear(16)>) or alike


def test_root_production_frequencies_follow_the_grammar():
    counts = collections.Counter(type(sample("3x28x28", seed=s, max_nodes=200)).__name__ for s in range(1500))
    for kind in ("Sequential", "Branching", "Routing"):
        assert abs(counts[kind] / 1500 - 1 / 3) < 0.05, counts


def test_computation_probability_near_the_top():
    """Below an unconstrained sequential root, a module is a computation with p(M -> C), until budgets bind."""
    firsts = [a.first for a in (sample("3x28x28", seed=s, max_nodes=400) for s in range(3000))
              if isinstance(a, einspace.Sequential)]
    share = sum(isinstance(m, einspace.Computation) for m in firsts) / len(firsts)
    assert abs(share - 0.32) < 0.05, share
    g = einspace.load_grammar().with_probability("M", "computation", 0.7)
    firsts = [a.first for a in (sample("3x28x28", seed=s, grammar=g) for s in range(1500))
              if isinstance(a, einspace.Sequential)]
    share = sum(isinstance(m, einspace.Computation) for m in firsts) / len(firsts)
    assert abs(share - 0.7) < 0.06, share


def test_computation_terminals_are_uniform_among_the_valid_ones():
    ops = collections.Counter()
    chooser = RandomChooser(3)
    for _ in range(6500):  # depth 2: a computation module, its operation drawn among the valid ones
        m = einspace.generate.sampler.sample_module("3x28x28", chooser=chooser, budget=Budget(max_depth=2))
        ops[einspace.language.printer.terminal_text(m.op)] += 1
    assert len(ops) == 13
    for op, n in ops.items():
        assert abs(n / 6500 - 1 / 13) < 0.015, (op, n)
    # at col:7x5 pos_enc, norm, ... all fit; with a 100-parameter budget only the cheap ones remain
    ops = collections.Counter(einspace.language.printer.terminal_text(einspace.generate.sampler.sample_module(
        "col:7x5", chooser=chooser, budget=Budget(max_depth=2, max_params=100)).op) for _ in range(1000))
    assert set(ops) == {"identity", "linear(16)", "norm", "relu", "softmax", "pos_enc"}


def test_budgets_bind_and_hold():
    tight = dict(max_nodes=30, max_depth=8, max_params=20_000, max_flops=500_000, max_memory=50_000)
    for s in range(200):
        arch = sample("3x28x28", seed=s, **tight)
        typed = einspace.infer(arch, "3x28x28")
        assert arch.size <= 30 and arch.depth <= 8
        assert typed.params <= 20_000 and typed.flops <= 500_000 and typed.memory <= 50_000


def test_depth_limit_forces_computation_modules():
    for s in range(100):
        arch = sample("3x28x28", seed=s, max_depth=3)
        assert arch.depth == 3 and all(isinstance(c, einspace.Computation) for c in arch.children
                                       if isinstance(c, einspace.Module))


@pytest.mark.parametrize("shape", ["3x28x28", "1x16x52", "col:64x32"])
def test_output_constraints(shape):
    t = einspace.as_type(shape)
    want = (64, None, None) if t.mode == "im" else (None, 64)
    for s in range(40):
        arch = sample(shape, seed=s, output_shape=want, max_nodes=80)
        out = einspace.infer(arch, shape).output
        assert out.mode == t.mode and all(w is None or w == h for w, h in zip(want, out.shape))


def test_sample_module_in_context_keeps_the_rest_valid():
    """What mutation does: resample the first module of a sequential with its output type as target.

    The sampler answers within its witness class (docs/sampling.md): a target that only a large
    repair reaches is refused with SamplingError; most are found."""
    rng = random.Random(0)
    found = refused = 0
    for s in range(100):
        arch = sample("3x28x28", seed=s, max_nodes=100)
        if not isinstance(arch, einspace.Sequential):
            continue
        typed = einspace.infer(arch, "3x28x28")
        at = typed.at("root.first")
        try:
            new = sample_typed(at.input, chooser=RandomChooser(rng), budget=Budget(max_nodes=40, max_depth=10),
                               accept=einspace.generate.sampler.Exactly(at.output, grid=True), exclude={arch.first}).tree
        except einspace.generate.sampler.SamplingError:
            refused += 1
            continue
        found += 1
        assert new != arch.first
        out = einspace.infer(einspace.Sequential(new, arch.second), "3x28x28").at("root.first").output
        assert out == at.output
    assert found > refused


# --- acceptance runs (slow) ---------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("shape,count", [("3x28x28", 10_000)] + [(s, 2_000) for s in SHAPES if s != "3x28x28"])
def test_acceptance_every_sample_valid_built_and_run(shape, count):
    chooser = RandomChooser(2024)
    for _ in range(count):
        arch = sample(shape, chooser=chooser)
        check_runs(arch, shape, check_language(arch, shape))
