"""Parser: canonical strings, conveniences, let definitions, derivation trees, errors, hostile input."""

import time

import pytest

import einspace
from einspace import ParseError, parse
from einspace.language.ast import Branching, Computation, Routing, Sequential
from einspace.language.ops import Clone, Identity, Im2Col, Linear, Norm, Relu, Col2Im, Add

CANONICAL = [
    "routing[im2col(1,1,0), routing[perm(0,2,1), branching(4){clone(4), computation<linear(64)>, cat(4,1)}, perm(0,2,1)], identity]",
    "branching(8){clone(8), branching(2){group(2,2), computation<linear(64)>, computation<linear(128)>, cat(2,3)}, cat(8,3)}",
]


@pytest.mark.parametrize("text", CANONICAL)
def test_design_examples_roundtrip_and_check(text):
    tree = parse(text)
    assert einspace.to_string(tree) == text
    assert einspace.infer(tree, "3x28x28").output.mode in ("im", "col")


def test_bare_terminals_and_nary_sequential():
    assert parse("sequential(norm, relu, linear(8))") == Sequential(
        Computation(Norm()), Sequential(Computation(Relu()), Computation(Linear(8))))


def test_whitespace_and_comments():
    text = """
    # a convolution, then norm
    sequential(   # comment after a bracket
        routing [ im2col(3, 1, 1) , linear( 64 ), col2im ],
        computation < norm >
    )
    """
    assert str(parse(text)) == ("sequential(routing[im2col(3,1,1), computation<linear(64)>, col2im], "
                                "computation<norm>)")


def test_dilation_default_and_explicit():
    assert parse("routing[im2col(3,1,1,1), identity, identity]") == parse("routing[im2col(3,1,1), identity, identity]")
    tree = parse("routing[im2col(3,1,2,2), identity, identity]")
    assert tree.pre == Im2Col(3, 1, 2, 2) and str(tree) == "routing[im2col(3,1,2,2), computation<identity>, identity]"


def test_linear_factor_printing():
    for text in ["linear(x4)", "linear(x0.25)", "linear(x0.5)", "linear(x1.5)"]:
        assert str(parse(f"sequential({text}, identity)")) == f"sequential(computation<{text}>, computation<identity>)"


def test_let_definitions():
    text = """
    let conv(c, k, s, p) = routing[im2col(k,s,p), linear(c), col2im]
    let block(c) = sequential(conv(c, 3, 1, 1), norm, relu)
    let residual(c) = branching(2){clone(2), block(c), identity, add(2)}
    sequential(block(16), residual(16))
    """
    tree = parse(text)
    conv = Routing(Im2Col(3, 1, 1), Computation(Linear(16)), Col2Im())
    block = Sequential(conv, Sequential(Computation(Norm()), Computation(Relu())))
    assert tree == Sequential(block, Branching(Clone(2), (block, Computation(Identity())), Add(2)))
    assert einspace.infer(tree, "3x8x8").output.shape == (16, 8, 8)


def test_let_without_parameters_and_parameter_in_branching_factor():
    tree = parse("let act = relu\nlet many(b) = branching(b){clone(b), act, add(b)}\nmany(4)")
    assert tree == Branching(Clone(4), (Computation(Relu()),), Add(4))


@pytest.mark.parametrize("text,fragment", [
    ("let a = sequential(a, relu)\na", "refers to itself"),
    ("let a = sequential(b, relu)\nlet b = a\na", "a → b → a"),
    ("let f(c) = linear(c)\nf(1, 2)", "takes 1 argument"),
    ("let f(c) = linear(d)\nf(1)", "unknown parameter 'd'"),
    ("let f = relu\nlet f = norm\nf", "defined twice"),
    ("lienar(64)", "did you mean 'linear'"),
    ("let conv3 = relu\nconv4", "did you mean 'conv3'"),
    ("let f = im2col(3,1,1)\nsequential(f, relu)", "'im2col' is a prerouting function"),
    ("sequential(col2im, relu)", "'col2im' is a postrouting function"),
])
def test_let_errors(text, fragment):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert fragment in str(info.value)


def test_derivation_brackets():
    tree = parse("[S [M [C norm]] [M [C relu]]]")
    assert tree == Sequential(Computation(Norm()), Computation(Relu()))
    tree = parse("[S [B clone(2)] [M [C linear(64)]] [M [C identity]] [A add(2)]]")
    assert tree == Branching(Clone(2), (Computation(Linear(64)), Computation(Identity())), Add(2))
    assert einspace.to_string(tree, "brackets") == "[S [B clone(2)] [M [C linear(64)]] [M [C identity]] [A add(2)]]"


def test_syntax_error_has_position_caret_and_expected():
    with pytest.raises(ParseError) as info:
        parse("sequential(relu,\n  norm relu)")
    err = info.value
    assert (err.line, err.column) == (2, 8)
    assert '","' in err.expected
    assert "^" in err.excerpt and "norm relu" in err.excerpt


def test_wrong_position_of_routing_function():
    with pytest.raises(ParseError) as info:
        parse("routing[col2im, relu, identity]")
    assert info.value.column == 9 and '"im2col"' in info.value.expected


@pytest.mark.parametrize("text,fragment", [
    ("branching(4){clone(2), relu, relu, add(2)}", "branching(4) has branching function with factor 2"),
    ("branching(2){clone(2), relu, add(2)}", "takes 2 inner modules"),
    ("branching(4){clone(4), relu, relu, add(4)}", "takes 1 inner module"),
    ("branching(2){clone(3), relu, relu, add(2)}", "clone factor"),
    ("routing[perm(1,0,2), relu, identity]", "batch dimension"),
    ("routing[perm(0,1,1), relu, identity]", "not a permutation"),
    ("routing[im2col(0,1,0), relu, identity]", "k>=1"),
    ("sequential(linear(0), relu)", "positive"),
    ("", "end of input"),
    ("sequential(relu, norm", "end of input"),
    ("sequential(relu, norm))", "unexpected ')'"),
    ("sequential(relu,\x01 norm)", "unexpected character"),
])
def test_invalid_inputs(text, fragment):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert fragment in str(info.value)


def test_parse_error_is_value_error_and_einspace_error():
    with pytest.raises(ValueError):
        parse("nonsense")
    with pytest.raises(einspace.EinspaceError):
        parse("nonsense")


def _balanced(depth):
    s = "sequential(routing[im2col(3,1,1), computation<linear(64)>, col2im], computation<norm>)"
    for _ in range(depth):
        s = f"sequential({s}, {s})"
    return s


@pytest.mark.parametrize("make", [
    lambda: "sequential(" * 100_000,
    lambda: "sequential(relu, " * 100_000 + "relu" + ")" * 100_000,
    lambda: "routing[identity, " * 100_000 + "relu" + ", identity]" * 100_000,
    lambda: "(" * 10_000_000,
    lambda: "x" * 10_000_000,
    lambda: "sequential(relu, norm)\x00" * 400_000,
    lambda: "let a0 = relu\n" + "".join(f"let a{i} = sequential(a{i-1}, a{i-1})\n" for i in range(1, 60)) + "a59",
    lambda: "sequential(" + ", ".join(["relu"] * 20_000) + ")",
])
def test_hostile_input_fails_fast_and_cleanly(make):
    text = make()
    start = time.perf_counter()
    with pytest.raises(ParseError):
        parse(text)
    assert time.perf_counter() - start < 5.0


def test_large_valid_input_parses():
    text = _balanced(10)  # ~100 KB, 9,215 nodes
    tree = parse(text)
    assert tree.size == 2 ** 10 * 8 + (2 ** 10 - 1) and str(tree) == text


def test_max_depth_can_be_raised():
    text = "sequential(" + ", ".join(["relu"] * 1500) + ")"
    with pytest.raises(ParseError):
        parse(text)
    tree = parse(text, max_depth=2000)
    assert tree.depth == 1501 and einspace.infer(tree, "col:4x4").output.shape == (4, 4)
    assert str(parse(str(tree), max_depth=2000)) == str(tree)
