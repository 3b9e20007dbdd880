"""Normal forms: the rewrites, idempotence, and that they keep types, parameters and outputs."""

from __future__ import annotations

import hashlib

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings

import einspace
from einspace import infer, parse, seeds, to_string
from einspace.interpreter import build
from einspace.language.ast import Sequential
from einspace.testing.strategies import input_types, trees
from einspace.types.dimension_functions import try_output_type
from einspace.types.normal_form import PERM_MODULE, is_normal, normalize, structural_hash
from einspace.types.tensor import as_type

from helpers import typed_or_reject


def n(text: str) -> str:
    return to_string(normalize(parse(text)))


def test_sequences_nest_to_the_right():
    left = "sequential(sequential(sequential(norm, relu), linear(8)), softmax)"
    assert n(left) == to_string(parse("sequential(norm, relu, linear(8), softmax)"))
    tree = normalize(parse(left))
    assert all(not isinstance(node.first, Sequential) for node in tree.walk() if isinstance(node, Sequential))


def test_identities_go():
    assert n("routing[identity, linear(8), identity]") == "computation<linear(8)>"
    assert n("sequential(identity, norm, identity, relu)") == "sequential(computation<norm>, computation<relu>)"
    assert n("routing[identity, computation<identity>, identity]") == "computation<identity>"
    assert n("sequential(identity, identity)") == "computation<identity>"


def test_inverse_permutations_cancel_only_when_adjacent():
    pair = "sequential(routing[perm(0,2,1), identity, identity], routing[perm(0,2,1), identity, identity])"
    assert n(pair) == "computation<identity>"
    around = "routing[perm(0,2,1), linear(8), perm(0,2,1)]"
    assert n(around).count("perm(0,2,1)") == 2
    # a post-perm meets the next module's pre-perm: they cancel
    meet = "sequential(routing[identity, linear(8), perm(0,2,1)], routing[perm(0,2,1), norm, identity])"
    assert n(meet) == "sequential(computation<linear(8)>, computation<norm>)"
    # im-mode cycle of order 3 composes to the identity
    cycle = ("sequential(routing[perm(0,2,3,1), identity, identity], routing[perm(0,2,3,1), identity, "
             "perm(0,2,3,1)])")
    assert n(cycle) == "computation<identity>"
    # two different perms compose into one
    assert n("sequential(routing[perm(0,1,3,2), identity, perm(0,2,1,3)], norm)") == \
        "sequential(routing[perm(0,3,1,2), computation<identity>, identity], computation<norm>)"  # [C,H,W] -> [W,C,H]


def test_permutation_module_is_canonical():
    m = PERM_MODULE((0, 2, 1))
    assert normalize(m) == m
    assert n("routing[identity, identity, perm(0,2,1)]") == to_string(m)


def test_split_and_rejoin_is_identity():
    assert n("sequential(branching(2){group(2,1), identity, identity, cat(2,1)}, norm)") == "computation<norm>"
    assert n("branching(4){group(4,3), identity, cat(4,3)}") == "computation<identity>"
    # different dims, or computation inside: kept
    assert "group" in n("branching(2){group(2,1), identity, identity, cat(2,2)}")
    assert "group" in n("branching(2){group(2,1), norm, identity, cat(2,1)}")


def test_conv_routing_kept_and_dilation_of_1x1_dropped():
    conv = "routing[im2col(3,1,1), computation<linear(64)>, col2im]"
    assert n(conv) == conv
    assert n("routing[im2col(1,1,0,3), linear(4), col2im]") == "routing[im2col(1,1,0), computation<linear(4)>, col2im]"


def test_structural_hash():
    a = parse("sequential(sequential(norm, relu), routing[identity, linear(8), identity])")
    b = parse("sequential(norm, relu, linear(8))")
    assert structural_hash(a) == structural_hash(b)
    assert structural_hash(a) != structural_hash(parse("sequential(norm, relu, linear(16))"))
    # the documented value, computed independently: the sha256 of the normal form's canonical text
    text = "sequential(computation<norm>, sequential(computation<relu>, computation<linear(8)>))"
    assert to_string(normalize(a)) == text
    assert structural_hash(a) == hashlib.sha256(text.encode()).hexdigest()
    # stable across processes: the digest of the canonical text
    assert structural_hash(b) == normalize(b).digest()


def test_public_names():
    t = parse("sequential(sequential(norm, relu), norm)")
    assert einspace.normalize(t) == normalize(t)
    assert einspace.structural_hash(t) == structural_hash(t)


@pytest.mark.parametrize("name", seeds.names())
def test_normalize_seeds_keeps_types_and_params(name):
    tree = seeds.load(name)
    inputs = [seeds.info(name).input] + [t for t in ("3x32x32", "3x64x64") if try_output_type(tree, t) is not None]
    for t in inputs:
        typed = infer(tree, t)
        norm = infer(normalize(tree), t)
        assert (norm.output, norm.params) == (typed.output, typed.params), t


# --- properties ---------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(tree=trees(max_leaves=12))
def test_idempotent(tree):
    once = normalize(tree)
    assert normalize(once) == once
    assert is_normal(once)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(tree=trees(max_leaves=10), t=input_types(max_side=20))
def test_keeps_output_type_and_parameters_where_defined(tree, t):
    typed = typed_or_reject(tree, t)
    norm = infer(normalize(tree), t)
    assert norm.output == typed.output
    assert norm.params == typed.params


@settings(max_examples=100, deadline=None)
@given(tree=trees(max_leaves=10), t=input_types(max_side=20))
def test_never_shrinks_the_domain(tree, t):
    if try_output_type(tree, t, memo=False) is not None:
        assert try_output_type(normalize(tree), t, memo=False) == try_output_type(tree, t, memo=False)


# --- numeric equality with the interpreter --------------------------------------------------------

def _same_outputs(tree, t) -> None:
    t = as_type(t)
    torch.manual_seed(0)
    a = build(tree, t).eval()
    b = build(normalize(tree), t).eval()
    pa, pb = list(a.parameters()), list(b.parameters())
    assert [p.shape for p in pa] == [p.shape for p in pb]
    with torch.no_grad():
        for x, y in zip(pa, pb):
            y.copy_(x)
        inp = torch.randn(2, *t.shape)
        assert torch.allclose(a(inp), b(inp), atol=1e-5, rtol=1e-4)


def test_outputs_equal_on_examples():
    _same_outputs(parse("sequential(sequential(routing[identity, linear(8), perm(0,2,1)], "
                        "routing[perm(0,2,1), norm, identity]), routing[identity, relu, identity])"), "col:6x5")
    _same_outputs(parse("sequential(routing[perm(0,2,3,1), identity, identity], sequential(routing[perm(0,3,1,2), "
                        "routing[im2col(3,1,1), linear(4), col2im], identity], branching(2){group(2,1), identity, "
                        "identity, cat(2,1)}))"), "4x6x6")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(tree=trees(max_leaves=8), t=input_types(max_side=8))
def test_outputs_equal_with_the_same_weights(tree, t):
    typed = typed_or_reject(tree, t)
    assume(t.numel <= 4096 and typed.params <= 200_000 and typed.memory <= 1_000_000)
    _same_outputs(tree, t)
