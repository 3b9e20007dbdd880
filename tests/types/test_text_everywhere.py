"""Architecture text is accepted wherever the types layer takes a tree (issue 10, item 7)."""

from __future__ import annotations

import pytest

import einspace
from einspace.types.decide import decide_forward_compatibility, decide_type_equivalence, describe_function
from einspace.types.equivalence import complete_equivalent, decide_all, forward_compatible, type_equivalent
from einspace.types.normal_form import is_normal, normalize, structural_hash

CONV5 = "routing[im2col(5,1,2), linear(64), col2im]"
CONV3_DILATED = "routing[im2col(3,1,2,2), linear(64), col2im]"
CONV3 = "routing[im2col(3,1,1), linear(4), col2im]"


def test_decide_type_equivalence_takes_text():
    text = decide_type_equivalence(CONV5, CONV3_DILATED)
    assert text.holds and text == decide_type_equivalence(einspace.parse(CONV5), einspace.parse(CONV3_DILATED))
    assert not decide_type_equivalence(CONV5, "norm").holds


def test_decide_forward_compatibility_takes_text():
    assert decide_forward_compatibility(CONV3, "norm").holds
    refused = decide_forward_compatibility("norm", CONV3)
    assert not refused.holds and refused.witness is not None and refused.witness.mode == "col"


def test_describe_function_takes_text():
    assert describe_function(CONV3) == describe_function(einspace.parse(CONV3))


def test_normal_forms_take_text():
    assert normalize("sequential(norm, identity)") == normalize(einspace.parse("sequential(norm, identity)"))
    assert structural_hash("sequential(sequential(norm, relu), norm)") == structural_hash(
        "sequential(norm, sequential(relu, norm))")
    assert is_normal("sequential(norm, relu)") and not is_normal("sequential(norm, identity)")


def test_equivalence_functions_take_text():
    assert type_equivalent(CONV5, CONV3_DILATED) and not complete_equivalent(CONV5, CONV3_DILATED)
    assert forward_compatible(CONV3, "norm") and not forward_compatible("norm", CONV3)
    assert set(decide_all(CONV5, CONV3_DILATED, "3x8x8")) == {"complete", "type", "instant", "forward_compatible",
                                                              "complete_compatible"}


@pytest.mark.parametrize("call", [normalize, structural_hash, lambda x: decide_type_equivalence(x, "norm"),
                                  lambda x: decide_forward_compatibility("norm", x)])
def test_what_is_not_an_architecture_is_a_parse_error(call):
    with pytest.raises(einspace.ParseError):
        call(42)
    with pytest.raises(einspace.ParseError):
        call("sequential(norm")


def test_compatibility_witness_names_the_side_that_refuses():
    # A accepts only im inputs; B (norm) accepts everything, so A -> B holds and B -> A fails:
    # the witness must say that B gives the col tensor which A refuses, not "the first gives"
    answers = decide_all(CONV3, "norm")
    assert answers["forward_compatible"].holds
    both = answers["complete_compatible"]
    assert not both.holds
    assert " B gives col[" in both.detail and "which A refuses" in both.detail
    assert "first" not in both.detail


def test_forward_compatibility_names_default_to_argument_order():
    detail = decide_forward_compatibility("norm", CONV3).detail
    assert "the first gives col[" in detail and "which the second refuses" in detail
    named = decide_forward_compatibility("norm", CONV3, names=("N", "C")).detail
    assert " N gives col[" in named and "which C refuses" in named
