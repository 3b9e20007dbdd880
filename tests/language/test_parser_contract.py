"""The parser contract (issue 17): any text gives a ParseError with a position and a short excerpt,
or a tree that every operation handles — each reproduction of the issue is a test here."""

from __future__ import annotations

import copy
import pickle
import time

import pytest

import einspace
from einspace import as_type, infer, parse, to_string
from einspace.errors import InputTypeError, ParseError
from einspace.language.limits import MAX_DEPTH, MAX_LENGTH, MAX_NODES

BIG = "1" * 4301  # one digit over Python's own int() limit: ValueError before the fix


def error(text: str) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse(text)
    err = info.value
    assert err.line is not None and err.column is not None, "every ParseError carries a position"
    assert len(str(err)) < 600, "a message quotes a short piece of the input"
    return err


# --- integers: a digit limit wherever a number is read ---------------------------------------

@pytest.mark.parametrize("text, column", [
    (f"linear({BIG})", 1),
    (f"sequential(linear({BIG}), relu)", 12),
    (f"routing[im2col({BIG},1,1), relu, col2im]", 9),
    (f"routing[im2col(3,1,1,{BIG}), relu, col2im]", 9),
    (f"let f(a) = linear(a)\nsequential(f({BIG}), relu)", 14),
    (f"let f(a) = routing[im2col(a,1,1), linear(8), col2im]\nf({BIG})", 3),
    (f"let f(a) = linear(a)\nf({BIG})", 3),
])
def test_integers_over_the_digit_limit_are_parse_errors_with_a_position(text, column):
    err = error(text)
    assert "4,301 digits" in err.message and err.column == column


def test_a_factor_over_the_digit_limit_is_a_parse_error():
    for text in (f"sequential(linear(x{BIG}), relu)", f"sequential(linear(x1.{BIG}), relu)"):
        err = error(text)
        assert "digits" in err.message and err.column == 12


@pytest.mark.parametrize("spec", [f"3x{BIG}x3", f"col:{BIG}x3", f"im:{BIG}x1x1"])
def test_as_type_refuses_huge_sizes_and_says_where(spec):
    with pytest.raises(InputTypeError) as info:
        as_type(spec)
    assert "4,301 digits" in str(info.value) and "column" in str(info.value) and len(str(info.value)) < 300


def test_as_type_refuses_huge_tuple_sizes():
    with pytest.raises(InputTypeError):
        as_type((10 ** 4301, 1, 1))


# --- bracket notation: terminals in the wrong slot ---------------------------------------------

@pytest.mark.parametrize("text", [
    "[S [M [C im2col(3,1,1)]] [M [C relu]]]",
    "[R1 relu]",
    "[A relu]",
    "[C linear(a)]",
    "[S [B relu] [M [C relu]] [A add(2)]]",
    "[S [R1 relu] [M [C relu]] [R2 identity]]",
    "[S [M [C relu]] [M [C linear(a)]]]",
])
def test_wrong_slots_of_bracket_notation_are_parse_errors(text):
    error(text)


def test_a_name_in_bracket_notation_is_refused_where_it_stands():
    err = error("[S [M [C relu]] [M [C linear(a)]]]")
    assert "'a'" in err.message and err.column == 30


# --- every ParseError has a position ------------------------------------------------------------

def test_too_deep_and_wrong_branch_counts_carry_a_position():
    deep = error("sequential(" + "relu, " * 1500 + "relu)")
    assert "nests" in deep.message and (deep.line, deep.column) == (1, 11)
    nested = error("let a = sequential(" + ", ".join(["relu"] * 600) + ")\nsequential(" + "relu, " * 500 + "a)")
    assert "nests" in nested.message and nested.line == 2
    branches = error("branching(2){clone(2), relu, add(2)}")
    assert "takes 2 inner modules" in branches.message and branches.column == 11
    expanded = error("let a0 = relu\n" + "".join(f"let a{i} = routing[identity, a{i - 1}, identity]\n"
                                                 for i in range(1, 1100)) + "a1099")
    assert "nest" in expanded.message and expanded.line > 1


def test_non_text_input_is_a_parse_error_with_a_position():
    with pytest.raises(ParseError) as info:
        parse(b"sequential(relu, relu)")  # type: ignore[arg-type]
    assert info.value.line == 1


def test_a_5000_digit_token_is_quoted_short():
    err = error("sequential(relu, " + "9" * 5000 + ")")
    assert "9" * 40 + "…" in err.message and "9" * 41 not in err.message
    assert max(len(line) for line in err.excerpt.splitlines()) < 80
    name = error("sequential(relu, " + "a" * 5000 + ")")
    assert "a" * 41 not in name.message and len(str(name)) < 400


# --- accepted trees at the depth limit work everywhere ------------------------------------------

def _deepest() -> str:
    return "routing[identity, " * (MAX_DEPTH - 3) + "linear(4)" + ", identity]" * (MAX_DEPTH - 3)


@pytest.mark.parametrize("text", [_deepest(), "sequential(" + "relu, " * (MAX_DEPTH - 3) + "relu)"],
                         ids=["routing", "sequential"])
def test_trees_at_the_depth_limit_survive_every_operation(text):
    tree, again = parse(text), parse(text)
    assert tree.depth >= MAX_DEPTH - 2 and tree is not again
    assert tree == again and hash(tree) == hash(again) and not tree != again
    assert {tree: 1}[again] == 1 and len({tree, again}) == 1
    assert pickle.loads(pickle.dumps(tree)) == tree
    assert copy.deepcopy(tree) == tree and copy.copy(tree) == tree
    assert repr(tree).startswith(type(tree).__name__ + "(")
    for style in ("canonical", "compact", "brackets"):
        assert parse(to_string(tree, style)) == tree
    assert len(to_string(tree, "compact")) < 100 * tree.size  # indentation stops growing at the width
    assert infer(tree, "col:4x4").output.shape == (4, 4)
    assert einspace.to_string(tree, "tree", input="col:4x4")
    assert tree.digest() == again.digest()


def test_pickling_keeps_shared_subtrees_shared():
    tree = parse("let b = sequential(relu, norm)\nlet c = sequential(b, b)\nsequential(c, c)")
    back = pickle.loads(pickle.dumps(tree))
    assert back == tree and back.first is back.second and back.first.first is back.first.second


def test_unequal_deep_trees_compare_unequal():
    a, b = parse(_deepest()), parse(_deepest().replace("linear(4)", "linear(5)"))
    assert a != b and not a == b


# --- printed numbers parse back -----------------------------------------------------------------

@pytest.mark.parametrize("factor", ["0.00009", "0.00000000000000000001", "0.000012345678901234568", "1000000"])
def test_a_printed_factor_parses_back(factor):
    tree = parse(f"sequential(linear(x{factor}), relu)")
    text = to_string(tree)
    assert "e" not in text.split("linear(")[1].split(")")[0]
    assert parse(text) == tree and parse(to_string(tree, "compact")) == tree


# --- fast refusals and blow-ups -------------------------------------------------------------------

TEN_MB = 10_000_000


@pytest.mark.parametrize("make", [
    lambda: "sequential(" + "relu, " * (TEN_MB // 6) + "relu)",
    lambda: "\n" * TEN_MB,
    lambda: "(" * TEN_MB,
    lambda: "routing[identity, " * (TEN_MB // 30) + "relu" + ", identity]" * (TEN_MB // 30),
    lambda: "#" * TEN_MB,
], ids=["nary-sequential", "newlines", "brackets", "nested-routing", "comment"])
def test_a_10_mb_input_is_refused_at_once(make):
    text = make()
    start = time.perf_counter()
    err = error(text)
    assert time.perf_counter() - start < 2.0  # a guard on a blow-up (26 s and 494 MB before), not a benchmark
    assert "characters" in err.message


def test_a_let_chain_is_refused_at_the_node_limit_while_it_expands():
    text = ("let a0 = sequential(relu, relu)\n" + "".join(f"let a{i} = sequential(a{i - 1}, a{i - 1})\n"
                                                         for i in range(1, 21)) + "a20")
    assert len(text) < 800  # the 778-byte chain expanded to 1.57M nodes
    start = time.perf_counter()
    err = error(text)
    assert time.perf_counter() - start < 2.0
    assert f"{MAX_NODES:,}" in err.message and err.line > 1


def test_text_with_too_many_nodes_is_refused_while_it_is_read():
    item = "sequential(" + ", ".join(["relu"] * 900) + ")"
    text = "sequential(" + ", ".join([item] * ((MAX_LENGTH - 20) // (len(item) + 2))) + ")"
    start = time.perf_counter()
    err = error(text)
    assert time.perf_counter() - start < 2.0
    assert "nodes" in err.message and err.column < len(text) // 4


def test_the_largest_accepted_tree_parses_and_infers_in_seconds():
    leaf = "computation<linear(64)>"
    level = [leaf] * (MAX_NODES // 3)
    while len(level) > 1:
        level = [f"sequential({a}, {b})" for a, b in zip(level[::2], level[1::2])] + level[len(level) // 2 * 2:]
    text = level[0]
    assert len(text) <= MAX_LENGTH
    start = time.perf_counter()
    tree = parse(text)
    infer(tree, "col:4x16")
    assert time.perf_counter() - start < 10.0  # measured about 1 s on 2 busy cores
    assert MAX_NODES // 2 < tree.size <= MAX_NODES
