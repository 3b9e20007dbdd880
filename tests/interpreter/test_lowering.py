"""Every lowering computes exactly what the plain path computes, with the same parameters.

Lowered and plain networks share ``state_dict`` keys, so weights copy across with
``load_state_dict``; outputs and gradients must then agree to float tolerance.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import assume, given, settings

import einspace
from einspace.interpreter.lowering import RULES, lowered_names

from helpers import FAST, SMALL_INPUTS, small, typed_modules



def pair(text: str, input: str, *, double: bool = True):
    """(lowered, plain) networks of ``text`` with the same weights."""
    lowered = einspace.build(einspace.parse(text), input)
    plain = einspace.build(einspace.parse(text), input, lower=False)
    plain.load_state_dict(lowered.state_dict())
    if double:
        lowered, plain = lowered.double(), plain.double()
    return lowered.eval(), plain.eval()


def n_params(net) -> int:
    return sum(p.numel() for p in net.parameters())


def assert_same(text: str, input: str, expect: str | None, *, tol: float = 1e-9) -> None:
    lowered, plain = pair(text, input)
    names = set(lowered_names(lowered).values())
    if expect is not None:
        assert expect in names, (expect, names)
    assert lowered_names(plain) == {}
    assert n_params(lowered) == n_params(plain) == einspace.infer(einspace.parse(text), input).params
    assert list(lowered.state_dict()) == list(plain.state_dict())
    shape = einspace.as_type(input).shape
    x = torch.randn(3, *shape, dtype=torch.float64, requires_grad=True)
    y1, y2 = lowered(x), plain(x)
    torch.testing.assert_close(y1, y2, rtol=tol, atol=tol)
    g = torch.randn_like(y1)
    grads1 = torch.autograd.grad(y1, [x, *lowered.parameters()], g, allow_unused=True)
    grads2 = torch.autograd.grad(y2, [x, *plain.parameters()], g, allow_unused=True)
    for a, b in zip(grads1, grads2):
        if a is None or b is None:
            assert a is None and b is None
        else:
            torch.testing.assert_close(a, b, rtol=tol, atol=tol)


# --- one test per lowering -----------------------------------------------------------------------

@pytest.mark.parametrize("im2col", ["im2col(3,1,1)", "im2col(3,2,1)", "im2col(1,2,0)", "im2col(3,1,2,2)",
                                    "im2col(4,4,0)", "im2col(2,1,0)"])
@pytest.mark.parametrize("linear", ["linear(5)", "linear(x0.5)"])
def test_conv(im2col, linear):
    assert_same(f"routing[{im2col}, {linear}, col2im]", "4x9x10", "conv")


def test_conv_matches_torch_conv2d():
    lowered, _ = pair("routing[im2col(3,2,1,2), linear(6), col2im]", "4x11x9", double=False)
    lin = lowered.inner.op
    ref = torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2)
    with torch.no_grad():
        ref.weight.copy_(lin.weight.view(6, 4, 3, 3))
        ref.bias.copy_(lin.bias)
    x = torch.randn(2, 4, 11, 9)
    torch.testing.assert_close(lowered(x), ref(x))
    assert type(lowered).__name__ == "ConvRouting" and "Conv(" in repr(lowered)


@pytest.mark.parametrize("post", ["identity", "perm(0,2,1)"])
@pytest.mark.parametrize("im2col", ["im2col(4,4,0)", "im2col(3,1,1)", "im2col(2,2,0)"])
def test_patch_embedding(im2col, post):
    assert_same(f"routing[{im2col}, linear(7), {post}]", "3x8x12", "conv")


@pytest.mark.parametrize("pre, post, input", [
    ("perm(0,2,1)", "perm(0,2,1)", "col:6x5"),             # along the tokens (the MLP-Mixer's token mixing)
    ("perm(0,2,3,1)", "perm(0,3,1,2)", "4x5x6"),            # along the channels: a 1x1 convolution
    ("perm(0,3,2,1)", "perm(0,3,2,1)", "4x5x6"),            # along the channels, other route
    ("perm(0,1,3,2)", "perm(0,1,3,2)", "4x5x6"),            # along H
    ("perm(0,3,1,2)", "perm(0,2,3,1)", "4x5x6"),            # along H, other route
    ("perm(0,2,1,3)", "perm(0,2,1,3)", "4x5x6"),            # along W: a plain linear
])
def test_linear_along(pre, post, input):
    assert_same(f"routing[{pre}, linear(3), {post}]", input, "linear_along")


def test_linear_along_needs_the_inverse_perm():
    # perm(0,2,3,1) twice is not an inverse pair: nothing to lower, and the plain path runs
    text = "routing[perm(0,2,3,1), linear(3), perm(0,2,3,1)]"
    lowered, _ = pair(text, "4x5x6")
    assert lowered_names(lowered) == {}
    assert_same(text, "4x5x6", None)


@pytest.mark.parametrize("text", [
    "branching(2){clone(2), sequential(linear(x1), relu), identity, add(2)}",
    "branching(2){clone(2), identity, sequential(norm, linear(x1)), add(2)}",
])
def test_residual(text):
    assert_same(text, "col:5x6", "residual")
    assert_same(text, "3x4x6", "residual")


HEAD = ("branching(2){{clone(2), sequential(branching(2){{clone(2), {q}, routing[identity, {k}, {swap}], "
        "{dot}}}, softmax), {v}, {outer}}}")


@pytest.mark.parametrize("dot", ["dot_product(scaled)", "dot_product"])
@pytest.mark.parametrize("outer", ["dot_product", "dot_product(scaled)"])
def test_attention_col(dot, outer):
    text = HEAD.format(q="linear(4)", k="linear(4)", v="linear(3)", swap="perm(0,2,1)", dot=dot, outer=outer)
    assert_same(text, "col:7x8", "attention")


def test_attention_any_projection():
    text = HEAD.format(q="sequential(linear(5), relu)", k="routing[identity, linear(5), identity]",
                       v="sequential(norm, linear(2))", swap="perm(0,2,1)", dot="dot_product(scaled)",
                       outer="dot_product")
    assert_same(text, "col:6x4", "attention")


def test_attention_im_mode():
    text = HEAD.format(q="linear(4)", k="linear(4)", v="linear(5)", swap="perm(0,1,3,2)", dot="dot_product(scaled)",
                       outer="dot_product")
    assert_same(text, "3x6x8", "attention")


@pytest.mark.parametrize("b, cat", [(4, "cat(4,2)"), (4, "cat(4,1)"), (8, "cat(8,2)")])
def test_multihead_template(b, cat):
    head = HEAD.format(q="linear(4)", k="linear(4)", v="linear(3)", swap="perm(0,2,1)", dot="dot_product(scaled)",
                       outer="dot_product")
    assert_same(f"branching({b}){{clone({b}), {head}, {cat}}}", "col:5x8", "multihead")


def test_multihead_two_independent_heads():
    head = HEAD.format(q="linear(4)", k="linear(4)", v="linear(3)", swap="perm(0,2,1)", dot="dot_product",
                       outer="dot_product(scaled)")
    assert_same(f"branching(2){{clone(2), {head}, {head}, cat(2,2)}}", "col:5x8", "multihead")


def test_heads_of_different_widths_stay_separate():
    a = HEAD.format(q="linear(4)", k="linear(4)", v="linear(3)", swap="perm(0,2,1)", dot="dot_product",
                    outer="dot_product")
    b = HEAD.format(q="linear(2)", k="linear(2)", v="linear(3)", swap="perm(0,2,1)", dot="dot_product",
                    outer="dot_product")
    text = f"branching(2){{clone(2), {a}, {b}, cat(2,2)}}"
    lowered, _ = pair(text, "col:5x8")
    names = set(lowered_names(lowered).values())
    assert "multihead" not in names and "attention" in names
    assert_same(text, "col:5x8", None)


def test_every_rule_has_a_test_above():
    tested = {"conv", "linear_along", "residual", "attention", "multihead"}
    assert {r.name for r in RULES} == tested


@pytest.mark.parametrize("name", ["resnet_block", "transformer_layer", "attention_head"])
def test_seed_blocks(name):
    info = einspace.seeds.info(name)
    assert_same(einspace.seeds.text(name), info.input.replace("256", "16"), None, tol=1e-8)


@pytest.mark.parametrize("name", ["resnet18", "vit", "mlp_mixer", "wideresnet16_4", "resmlp", "densenet"])
def test_seeds_lowered_equal_plain(name):
    lowered, plain = pair(einspace.seeds.text(name), "3x16x16")
    x = torch.randn(2, 3, 16, 16, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(lowered(x), plain(x), rtol=1e-8, atol=1e-8)


# --- random architectures --------------------------------------------------------------------------

@settings(**FAST, max_examples=200)
@given(typed_modules(max_leaves=20, inputs=SMALL_INPUTS))
def test_lowered_equals_plain_on_random_architectures(sample):
    tree, t = sample
    typed = einspace.infer(tree, t)
    assume(small(typed))
    lowered = einspace.build(tree, t).double().eval()
    plain = einspace.build(tree, t, lower=False).double().eval()
    plain.load_state_dict(lowered.state_dict())
    x = torch.randn(2, *t.shape, dtype=torch.float64)
    with torch.no_grad():
        y1, y2 = lowered(x), plain(x)
    scale = max(1.0, float(y2[torch.isfinite(y2)].abs().max())) if torch.isfinite(y2).any() else 1.0
    torch.testing.assert_close(y1, y2, rtol=1e-7, atol=1e-9 * scale, equal_nan=True)


def test_lowered_names_of_the_paper_seeds():
    from collections import Counter
    count = lambda name: Counter(lowered_names(einspace.build(einspace.seeds.load(name), "3x32x32")).values())  # noqa: E731
    assert count("resnet18") == {"conv": 21, "residual": 5}
    assert count("vit") == {"conv": 1, "multihead": 4, "residual": 8}  # heads fused into each multihead
    assert count("mlp_mixer") == {"conv": 1, "residual": 8}
