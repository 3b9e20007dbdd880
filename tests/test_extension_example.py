"""The user-defined operations of examples/extension (gelu, maxpool) work end to end, from outside
the package: parsed, printed, typed, sampled, mutated, compared and built as torch modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

import einspace

ROOT = Path(__file__).resolve().parents[1]
GRAMMAR = ROOT / "examples" / "extension" / "extension.lark"
ARCH = "sequential(routing[maxpool(2,2), sequential(linear(8), gelu), identity], routing[im2col(3,1,1), linear(4), col2im])"


@pytest.fixture(scope="module")
def grammar():
    return einspace.load_grammar(GRAMMAR)


def test_parse_print_and_type(grammar):
    tree = einspace.parse(ARCH, grammar=grammar)
    assert einspace.parse(str(tree), grammar=grammar) == tree
    assert einspace.parse(einspace.to_string(tree, "brackets"), grammar=grammar) == tree
    typed = einspace.infer(tree, "3x16x16")
    assert typed.output.shape == (4, 8, 8)  # maxpool(2,2): 16 -> 8
    with pytest.raises(einspace.TypeCheckError, match="maxpool"):
        einspace.infer(einspace.parse("routing[im2col(2,2,0), routing[maxpool(2,2), relu, identity], col2im]",
                                      grammar=grammar), "3x8x8")


def test_build_and_run_match_the_cost_model(grammar):
    tree = einspace.parse(ARCH, grammar=grammar)
    typed = einspace.infer(tree, "3x16x16")
    net = einspace.build(tree, "3x16x16")
    assert sum(p.numel() for p in net.parameters()) == typed.params
    y = net(torch.randn(2, 3, 16, 16))
    assert tuple(y.shape) == (2, *typed.output.shape)
    assert any(isinstance(m, torch.nn.GELU) for m in net.modules())
    assert any(isinstance(m, torch.nn.MaxPool2d) for m in net.modules())


def test_sampler_and_mutation_use_both_operations(grammar):
    seen = set()
    for seed in range(60):
        arch = einspace.sample("3x16x16", seed=seed, grammar=grammar)
        text = str(arch)
        seen |= {op for op in ("gelu", "maxpool") if op in text}
        child = einspace.mutate(arch, "3x16x16", seed=seed, grammar=grammar)
        einspace.infer(child, "3x16x16")
        if seen == {"gelu", "maxpool"} and seed >= 10:
            break
    assert seen == {"gelu", "maxpool"}
    net = einspace.build(arch, "3x16x16", classes=3)
    assert net(torch.randn(1, 3, 16, 16)).shape == (1, 3)


def test_symbolic_rules_decide_equivalence(grammar):
    a = einspace.parse("routing[maxpool(2,2), identity, identity]", grammar=grammar)
    b = einspace.parse("routing[maxpool(2,2), gelu, identity]", grammar=grammar)
    c = einspace.parse("routing[im2col(2,2,0), identity, col2im]", grammar=grammar)
    assert einspace.type_equivalent(a, b)
    assert not einspace.type_equivalent(a, c)  # same spatial map, but im2col multiplies channels by 4


def test_the_default_grammar_does_not_know_them():
    with pytest.raises(einspace.ParseError):
        einspace.parse("routing[maxpool(2,2), relu, identity]")


def test_command_line_needs_only_the_grammar_file():
    proc = subprocess.run([sys.executable, "-m", "einspace.cli.main", "check", ARCH, "--input", "3x16x16",
                           "--grammar", str(GRAMMAR), "--json"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert '"valid": true' in proc.stdout
