"""Parse errors a person can act on: exact expected tokens, hints, let origins, fast refusals."""

from __future__ import annotations

import time

import pytest

import einspace
from einspace.errors import ParseError


def error(text: str) -> ParseError:
    with pytest.raises(ParseError) as info:
        einspace.parse(text)
    err = info.value
    assert err.line is not None and err.column is not None, "every ParseError carries a position"
    return err


def test_a_missing_aggregation_lists_only_what_can_stand_there():
    err = error("branching(2){clone(2), norm, relu}")
    assert err.expected == ('","',)
    assert "aggregation function" in err.hint


@pytest.mark.parametrize("text, hint", [
    ("routing[im2col(3,1), linear(4), col2im]", "im2col(k,s,p[,d])"),
    ("im2col(3,1)", "im2col(k,s,p[,d])"),
    ("branch(2){clone(2), norm, relu, add(2)}", "'branching'"),
    ("routing(identity, norm, identity)", "routing[pre, M, post]"),
    ("sequential(norm, routing[perm(0,2), relu, identity])", "perm(0,i,j)"),
])
def test_hints_name_the_operation_being_written(text, hint):
    err = error(text)
    assert hint in (err.hint or "") + err.message, (err.hint, err.message)


def test_terminals_in_the_wrong_slot_of_bracket_notation_are_parse_errors():
    err = error("[S [M [C im2col(3,1,1)]] [M [C relu]]]")
    assert "computation function" in err.message and err.column == 8


def test_huge_integers_are_refused_with_a_short_message():
    err = error("linear(" + "1" * 5000 + ")")
    assert "5,000 digits" in err.message and len(str(err)) < 400


def test_a_long_nary_sequential_is_refused_before_parsing():
    text = "sequential(" + ", ".join(["norm"] * 150_000) + ")"  # 900 KB, under the length limit
    start = time.perf_counter()
    err = error(text)
    elapsed = time.perf_counter() - start
    assert "150,000 items" in err.message and (err.line, err.column) == (1, 11)
    assert elapsed < 5.0  # measured 0.05 s on 2 busy cores; parsing it took 4 s before


def test_a_type_error_inside_a_let_names_the_definition_and_the_call():
    text = ("let blk(c) = routing[im2col(3,1,1), linear(c), col2im]\n"
            "let bad = sequential(blk(8), routing[perm(0,2,1), relu, identity])\n"
            "sequential(blk(4),\n  bad)")
    with pytest.raises(einspace.TypeCheckError) as info:
        einspace.infer(einspace.parse(text), "3x8x8")
    v = info.value.violations[0]
    assert v.origin == "in let bad called at line 4, column 3"
    assert "from: in let bad" in str(info.value)
    assert info.value.to_json()[0]["origin"] == v.origin


def test_trees_not_from_let_have_no_origin():
    with pytest.raises(einspace.TypeCheckError) as info:
        einspace.infer("routing[perm(0,2,1), relu, identity]", "3x8x8")
    assert info.value.violations[0].origin == ""
