"""Generated type-equivalent convolutions (NeuralArTS Algorithm 1)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from einspace.language.ops import Im2Col
from einspace.cli.main import main
from einspace.types.convgen import (ConvGenError, conv_equivalent, convolution, extend_grammar, generate_equivalent_convs,
                              parse_range, reach)
from einspace.types.dimension_functions import try_output_type
from einspace.types.equivalence import type_equivalent
from einspace.language.grammar import default_grammar, load_grammar
from einspace.types.tensor import TensorType
from einspace.generate.sampler import sample


def brute_equivalent(a: Im2Col, b: Im2Col, sides: int = 40) -> bool:
    """Same output type (or both undefined) for every C x H x W with C <= 3, H, W <= sides."""
    ca, cb = convolution(a, 8), convolution(b, 8)
    for c in (1, 3):
        for h in range(1, sides + 1):
            for w in (1, 2, 3, 5, 8, h):
                t = TensorType("im", (c, h, w))
                if try_output_type(ca, t, memo=False) != try_output_type(cb, t, memo=False):
                    return False
    return True


def test_paper_examples_from_a_5x5():
    five = Im2Col(5, 1, 0)
    got = generate_equivalent_convs(five, kernels=(1, 9), dilations=(1, 3))
    assert Im2Col(7, 1, 1) in got and Im2Col(3, 1, 0, 2) in got and five in got
    got = generate_equivalent_convs(Im2Col(5, 1, 2), kernels=(3, 3), paddings=(0, 2))
    assert got == (Im2Col(3, 1, 1), Im2Col(3, 1, 2, 2))


def test_kernel_one_never_divides_by_zero():
    seed = Im2Col(1, 1, 0)
    got = generate_equivalent_convs(seed, kernels=(1, 5), paddings=(0, 3))
    assert got[0] == seed
    assert all(reach(op) == 0 for op in got)
    # a 1x1 kernel is kept once (d = 1), whatever dilations are tried
    assert generate_equivalent_convs(seed, paddings=(0, 0), dilations=(1, 4)) == (Im2Col(1, 1, 0),)
    # 2p must equal the reach for a 1x1 kernel: none here
    assert Im2Col(1, 1, 1) not in generate_equivalent_convs(Im2Col(3, 1, 1), kernels=(1, 3), paddings=(0, 3))


def test_argument_errors():
    with pytest.raises(ConvGenError):
        generate_equivalent_convs(Im2Col(3, 1, 1), kernels=(1, 3))
    with pytest.raises(ConvGenError):
        generate_equivalent_convs(Im2Col(3, 1, 1), kernels=(1, 3), paddings=(0, 1), dilations=(1, 2))
    with pytest.raises(ConvGenError):
        generate_equivalent_convs(Im2Col(3, 1, 1), kernels=(0, 3), paddings=(0, 1))
    with pytest.raises(ConvGenError):
        parse_range("a:b")
    assert parse_range("3") == (3, 3) and parse_range("1:7") == (1, 7)


seeds = st.builds(Im2Col, st.integers(1, 7), st.integers(1, 3), st.integers(0, 4), st.integers(1, 3))


@settings(max_examples=25, deadline=None)
@given(seed=seeds, derived=st.sampled_from(["kernels", "paddings", "dilations"]))
def test_generated_convolutions_are_type_equivalent_by_brute_force(seed, derived):
    ranges = {"kernels": (1, 7), "paddings": (0, 6), "dilations": (1, 3)}
    ranges[derived] = None
    got = generate_equivalent_convs(seed, **ranges)
    for op in got:
        assert op.s == seed.s
        assert brute_equivalent(seed, op)
    # and nothing in the ranges that is equivalent was missed
    for k in range(1, 8):
        for p in range(0, 7):
            for d in range(1, 4):
                cand = Im2Col(k, seed.s, p, 1 if k == 1 else d)
                inside = all(lo <= v <= hi for v, r in zip((k, p, d), (ranges["kernels"], ranges["paddings"],
                                                                        ranges["dilations"])) if r is not None
                             for lo, hi in [r])
                if inside and conv_equivalent(seed, cand):
                    assert cand in got


@settings(max_examples=30, deadline=None)
@given(a=seeds, b=seeds)
def test_reach_criterion_is_exact(a, b):
    assert conv_equivalent(a, b) == brute_equivalent(a, b)
    assert conv_equivalent(a, b) == type_equivalent(convolution(a), convolution(b))


def test_extend_grammar_and_save(tmp_path):
    settings_ = generate_equivalent_convs(Im2Col(5, 1, 2), kernels=(3, 3), dilations=(1, 2))
    path = tmp_path / "dilated.lark"
    g = extend_grammar(settings_, save=path)
    nodes = [c.node for c in g.choices["R1"]]
    assert Im2Col(3, 1, 2, 2) in nodes
    assert len(nodes) == len(default_grammar().choices["R1"]) + 1  # im2col(3,1,1) was already there
    assert Im2Col(3, 1, 2, 2) in [c.node for c in load_grammar(path).choices["R1"]]
    assert g.key != default_grammar().key


def test_cli_generate(capsys, tmp_path):
    out = tmp_path / "g.lark"
    assert main(["equiv", "--generate-convs", "im2col(5,1,2)", "--kernels", "3:3", "--dilations", "1:2",
                 "--save-grammar", str(out), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["settings"] == ["im2col(3,1,1)", "im2col(3,1,2,2)"] and obj["derived"] == "padding"
    assert out.exists()
    assert main(["equiv", "--generate-convs", "im2col(5,1,2)", "--kernels", "3:3"]) == 2
    assert main(["equiv", "--generate-convs", "linear(3)", "--kernels", "3:3", "--dilations", "1:2"]) == 2


def test_the_sampler_draws_generated_convolutions():
    g = extend_grammar(generate_equivalent_convs(Im2Col(5, 1, 2), kernels=(3, 3), dilations=(2, 2)))
    seen = 0
    for seed in range(150):
        arch = sample("3x16x16", seed=seed, grammar=g)
        seen += sum(1 for n in arch.walk() if n == Im2Col(3, 1, 2, 2))
    assert seen > 0
