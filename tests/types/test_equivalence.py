"""NeuralArTS relations: the symbolic decision agrees with pointwise evaluation, and the CLI."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from einspace import parse
from einspace.language.ast import Computation
from einspace.language.ops import Add, Clone, Im2Col, Linear, Norm, Perm
from einspace.cli.main import main
from einspace.types.dimension_functions import try_output_type
from einspace.types.equivalence import (NotTypeable, as_module, complete_compatible, complete_equivalent, decide_all,
                                  decide_forward_compatibility, decide_type_equivalence, forward_compatible,
                                  instant_equivalent, relations, type_equivalent)
from einspace.testing.strategies import trees
from einspace.types.tensor import TensorType
from einspace.types.decide import InputBox, Unsupported, symbolic_function
from einspace.types.symbolic import VARIABLES

CONV5 = "routing[im2col(5,1,2), computation<linear(64)>, col2im]"
CONV3D2 = "routing[im2col(3,1,2,2), computation<linear(64)>, col2im]"
CONV3P1 = "routing[im2col(3,1,1), computation<linear(64)>, col2im]"
CONV3P0 = "routing[im2col(3,1,0), computation<linear(64)>, col2im]"
SMALL_BOX = InputBox(channels=(1, 8), height=(1, 20), width=(1, 20), length=(1, 24), features=(1, 24))


# --- the convolutions of the brief and the paper -------------------------------------------------

def test_dilated_conv_is_type_equivalent_to_5x5():
    d = decide_type_equivalence(parse(CONV5), parse(CONV3D2))
    assert d.holds and d.exact
    assert d.methods == {"im": "symbolic", "col": "symbolic"}


def test_same_padding_3x3_is_type_equivalent_too():
    # 2p - d(k-1) = 0 for both: each keeps H x W, so their dimension functions are equal
    assert type_equivalent(CONV5, CONV3P1)
    assert not complete_equivalent(CONV5, CONV3P1)


def test_unpadded_3x3_is_not_type_equivalent_and_the_witness_shows_it():
    d = decide_type_equivalence(parse(CONV5), parse(CONV3P0))
    assert not d.holds and d.exact
    a, b = try_output_type(parse(CONV5), d.witness), try_output_type(parse(CONV3P0), d.witness)
    assert a != b


def test_paper_figure_two():
    five = "routing[im2col(5,1,0), linear(32), col2im]"
    assert type_equivalent(five, "routing[im2col(7,1,1), linear(32), col2im]")
    assert type_equivalent(five, "routing[im2col(3,1,0,2), linear(32), col2im]")
    assert not type_equivalent(five, "routing[im2col(3,1,0), linear(32), col2im]")


def test_stride_matters():
    s2, s1 = "routing[im2col(3,2,1), linear(8), col2im]", "routing[im2col(3,1,1), linear(8), col2im]"
    assert not type_equivalent(s2, s1)
    assert type_equivalent("routing[im2col(3,2,1), linear(8), col2im]", "routing[im2col(5,2,2), linear(8), col2im]")


def test_linear_width_matters():
    narrow, wide = "routing[im2col(3,1,1), linear(8), col2im]", "routing[im2col(3,1,1), linear(16), col2im]"
    assert not type_equivalent(narrow, wide)


# --- relations on small examples --------------------------------------------------------------

def test_operations_compare_as_one_op_modules():
    assert type_equivalent(Norm(), Computation(Norm()))
    assert type_equivalent(Norm(), "relu")
    assert not type_equivalent(Linear(width=8), Norm())
    # the im2col operations alone differ (C*25 vs C*9 features); their convolutions do not
    assert not type_equivalent(Im2Col(5, 1, 2), Im2Col(3, 1, 2, 2))
    assert type_equivalent(Perm((0, 2, 1)), "routing[identity, identity, perm(0,2,1)]")
    with pytest.raises(NotTypeable):
        as_module(Clone(2))
    with pytest.raises(NotTypeable):
        type_equivalent(Add(2), Add(2))


def test_instant_equivalence():
    assert instant_equivalent(CONV5, CONV3P0, "3x28x28") is False
    assert instant_equivalent("linear(10)", "routing[perm(0,1,3,2), linear(10), perm(0,1,3,2)]", "3x10x10")
    assert not instant_equivalent("linear(10)", "routing[perm(0,1,3,2), linear(10), perm(0,1,3,2)]", "3x10x12")
    # both undefined: the dimension functions do not meet there
    assert not instant_equivalent("col2im", "col2im", "col:4x4")


def test_domain_is_part_of_the_type():
    # group(2,...) needs an even size; the identity takes anything
    split = "branching(2){group(2,1), identity, identity, cat(2,1)}"
    d = decide_type_equivalence(parse(split), parse("identity"))
    assert not d.holds and d.exact
    assert d.witness.shape[0] % 2 == 1


def test_forward_compatibility():
    to_col = "routing[im2col(4,4,0), linear(16), identity]"
    assert forward_compatible(to_col, "linear(8)")
    assert forward_compatible(to_col, "routing[identity, norm, col2im]")
    assert not forward_compatible(to_col, "routing[im2col(1,1,0), identity, identity]")
    # a 1x1 conv to 6 channels always gives an even channel count, so a 2-way channel split fits
    split = "branching(2){group(2,1), identity, identity, cat(2,1)}"
    assert forward_compatible("routing[im2col(1,1,0), linear(6), col2im]", split)
    assert not forward_compatible("routing[im2col(1,1,0), linear(5), col2im]", split)
    # linear(6) also accepts col inputs, where a group over dim 3 does not exist
    assert not forward_compatible("linear(6)", "branching(2){group(2,3), identity, identity, cat(2,3)}")
    assert complete_compatible("norm", "relu")
    assert not complete_compatible(to_col, "norm")  # col outputs are fine for norm; im2col refuses col


def test_relations_json_shape():
    r = relations(CONV5, CONV3D2)
    assert set(r) == {"complete", "type", "instant", "forward_compatible", "complete_compatible"}
    assert r["instant"] is None and r["type"] is True and r["complete"] is False
    r = relations(CONV5, CONV5, "3x8x8")
    assert all(r.values())


def test_complete_equivalence_is_normal_form_and_type():
    assert complete_equivalent("sequential(sequential(norm, relu), linear(8))", "sequential(norm, relu, linear(8))")
    assert complete_equivalent("routing[identity, norm, identity]", "norm")
    # cancelling perm(0,2,1) twice widens the domain (im inputs); so not completely equivalent
    twice = "sequential(routing[perm(0,2,1), identity, identity], routing[perm(0,2,1), identity, identity])"
    assert not complete_equivalent(twice, "identity")


def test_unsupported_fragment_falls_back_to_the_box():
    # an im dot product of a tensor with itself needs H = W: two variables related
    attn = parse("branching(2){clone(2), identity, identity, dot_product}")
    with pytest.raises(Unsupported):
        symbolic_function(attn, "im")
    d = decide_type_equivalence(attn, attn, SMALL_BOX)
    assert d.holds and not d.exact and "exhaustive" in d.methods["im"]
    other = parse("branching(2){clone(2), norm, sequential(relu, pos_enc), dot_product(scaled)}")
    assert decide_type_equivalence(attn, other, SMALL_BOX).holds
    d = decide_type_equivalence(attn, parse("identity"), SMALL_BOX)
    assert not d.holds and d.exact


# --- properties: the symbolic dimension function is the pointwise one -------------------------

@st.composite
def points(draw, mode):
    if mode == "im":
        return TensorType("im", (draw(st.integers(1, 24)), draw(st.integers(1, 70)), draw(st.integers(1, 70))))
    return TensorType("col", (draw(st.integers(1, 150)), draw(st.integers(1, 150))))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees(max_leaves=7), mode=st.sampled_from(["im", "col"]), data=st.data())
def test_symbolic_agrees_with_pointwise(tree, mode, data):
    try:
        f = symbolic_function(tree, mode)
    except Unsupported:
        assume(False)
        return
    names = VARIABLES[mode]
    for _ in range(12):
        t = data.draw(points(mode))
        env = dict(zip(names, t.shape))
        out = try_output_type(tree, t, memo=False)
        assert f.contains(env) == (out is not None), (t, f.describe())
        if out is not None:
            assert f.output.mode == out.mode
            assert tuple(int(s(env)) for s in f.output.shape) == out.shape
            assert all(s(env).denominator == 1 for s in f.output.shape)
            got_grid = None if f.output.grid is None else tuple(int(g(env)) for g in f.output.grid)
            assert got_grid == out.grid


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=trees(max_leaves=4), b=trees(max_leaves=4))
def test_symbolic_decision_agrees_with_the_box(a, b):
    d = decide_type_equivalence(a, b, SMALL_BOX)
    if not d.holds:
        assert d.exact and d.witness is not None
        assert try_output_type(a, d.witness, memo=False) != try_output_type(b, d.witness, memo=False)
    elif d.exact:
        for mode in ("im", "col"):
            for t in SMALL_BOX.points(mode):
                assert try_output_type(a, t, memo=False) == try_output_type(b, t, memo=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=trees(max_leaves=4), b=trees(max_leaves=4), data=st.data())
def test_forward_compatibility_matches_composition(a, b, data):
    d = decide_forward_compatibility(a, b, SMALL_BOX)
    if not d.holds:
        out = try_output_type(a, d.witness, memo=False)
        assert out is not None and try_output_type(b, out, memo=False) is None
    else:
        for _ in range(20):
            t = data.draw(points(data.draw(st.sampled_from(["im", "col"]))))
            out = try_output_type(a, t, memo=False)
            if out is not None and (d.exact or t.shape[-1] <= 20):
                assert try_output_type(b, out, memo=False) is not None


@settings(max_examples=40, deadline=None)
@given(a=trees(max_leaves=5))
def test_type_equivalence_is_reflexive(a):
    assert decide_type_equivalence(a, a, SMALL_BOX).holds


# --- command line -------------------------------------------------------------------------------

def test_cli_equiv_exit_codes_and_json(capsys):
    assert main(["equiv", CONV5, CONV3D2]) == 0
    assert main(["equiv", CONV5, CONV3P0]) == 1
    capsys.readouterr()
    assert main(["equiv", CONV5, CONV3D2, "--json", "--input", "3x28x28"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj == {"complete": False, "type": True, "instant": True, "forward_compatible": True,
                   "complete_compatible": True}
    assert main(["equiv", CONV5, CONV3D2, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["instant"] is None
    assert main(["equiv", CONV5, CONV3D2, "--relation", "complete"]) == 1
    assert main(["equiv", CONV5]) == 2
    assert main(["equiv", CONV5, CONV5, "--relation", "instant"]) == 2


def test_cli_equiv_explain(capsys):
    assert main(["equiv", CONV5, CONV3P0, "--explain"]) == 1
    out = capsys.readouterr().out
    assert "type:" in out and "im[C,H,W] → im[64, H − 2, W − 2]" in out and "H ≥ 3" in out


def test_decide_all_carries_witnesses():
    answers = decide_all(CONV5, CONV3P0, "3x9x9")
    assert answers["instant"] is False
    assert answers["type"].witness is not None
