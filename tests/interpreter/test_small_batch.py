"""The small-batch fast path computes what the nested, uncached path computes.

Flat chains (:mod:`einspace.interpreter.flat`) and the cached fused attention weights
(:mod:`einspace.interpreter.fused`) change how a lowered network runs, never what it computes or
which parameters it has: outputs, gradients and ``state_dict`` keys equal those of the same
network with its chains unflattened and of the plain (``lower=False``) build.
"""

from __future__ import annotations

import collections
import copy
import pickle

import pytest
import torch
from torch import nn

import einspace
from einspace.interpreter.flat import flatten, unflatten
from einspace.interpreter.lowering import MultiHeadAttention
from einspace.interpreter.modules import Chain, ComputationModule, RoutingModule, SequentialModule

SEEDS = ["resnet18", "wideresnet16_4", "vit", "mlp_mixer"]
INPUT = "3x16x16"


def trio(name: str):
    """(fast, nested, plain) builds of a seed with the same weights, in float64."""
    torch.manual_seed(0)
    fast = einspace.build(einspace.seeds.load(name), INPUT, classes=5)
    nested = unflatten(copy.deepcopy(fast))
    plain = einspace.build(einspace.seeds.load(name), INPUT, classes=5, lower=False)
    plain.load_state_dict(fast.state_dict())
    return fast.double(), nested.double(), plain.double()


def called(net: nn.Module, x: torch.Tensor) -> list[nn.Module]:
    """Every module call of one forward pass (a module once per call)."""
    seen: list[nn.Module] = []
    handle = nn.modules.module.register_module_forward_hook(lambda m, i, o: seen.append(m))
    try:
        with torch.no_grad():
            net(x)
    finally:
        handle.remove()
    return seen


@pytest.mark.parametrize("name", SEEDS)
def test_same_outputs_in_eval_and_without_autograd(name):
    nets = [n.eval() for n in trio(name)]
    x = torch.randn(1, *einspace.as_type(INPUT).shape, dtype=torch.float64)
    with torch.no_grad():
        first = [n(x) for n in nets]
        again = [n(x) for n in nets]  # the second call runs from the cached fused weights
    for y in first[1:] + again:
        torch.testing.assert_close(y, first[0], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", SEEDS)
def test_same_outputs_and_gradients_in_training(name):
    nets = [n.train() for n in trio(name)]
    x = torch.randn(3, *einspace.as_type(INPUT).shape, dtype=torch.float64)
    outs = [n(x) for n in nets]
    g = torch.randn_like(outs[0])
    for y, net in zip(outs, nets):
        torch.testing.assert_close(y, outs[0], rtol=1e-10, atol=1e-10)
        y.backward(g)
    names = list(nets[0].state_dict())
    assert all(list(n.state_dict()) == names for n in nets)
    grads = [{k: p.grad for k, p in n.named_parameters()} for n in nets]
    assert all(v is not None for v in grads[0].values())
    for other in grads[1:]:
        assert other.keys() == grads[0].keys()
        for k, v in other.items():
            torch.testing.assert_close(v, grads[0][k], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", SEEDS)
def test_flat_chains_skip_the_nested_containers(name):
    fast, nested, _ = trio(name)
    x = torch.randn(1, *einspace.as_type(INPUT).shape, dtype=torch.float64)
    seen, before = called(fast.eval(), x), called(nested.eval(), x)
    kinds = collections.Counter(type(m) for m in seen)
    assert kinds[ComputationModule] == kinds[nn.Identity] == kinds[RoutingModule] == 0
    assert all(m.steps is not None for m in seen if type(m) is SequentialModule)  # only chain tops run
    assert len(seen) < len(before)


def test_flatten_opens_routings_and_drops_identities():
    net = einspace.build("sequential(linear(4), sequential(routing[identity, linear(3), perm(0,2,1)], relu))",
                         "col:5x6")
    assert [type(s).__name__ for s in net.steps] == ["Linear", "Linear", "PermModule", "LeakyReLU"]
    assert net.second.steps is None and net.second.first.steps is None
    x = torch.randn(2, 5, 6)
    y = net(x)
    torch.testing.assert_close(unflatten(net)(x), y)
    torch.testing.assert_close(flatten(net)(x), y)


def test_the_plain_path_is_not_flattened():
    net = einspace.build(einspace.seeds.load("vit"), INPUT, classes=5, lower=False)
    assert all(m.steps is None for m in net.modules() if isinstance(m, Chain))


# --- the cached fused attention weights -----------------------------------------------------------------

def vit_pair():
    """A lowered ViT (fused, cached attention) and its plain twin, same weights."""
    torch.manual_seed(0)
    fast = einspace.build(einspace.seeds.load("vit"), INPUT, classes=5).eval()
    plain = einspace.build(einspace.seeds.load("vit"), INPUT, classes=5, lower=False).eval()
    plain.load_state_dict(fast.state_dict())
    return fast, plain


def attention(net: nn.Module) -> MultiHeadAttention:
    return next(m for m in net.modules() if isinstance(m, MultiHeadAttention))


def test_the_cache_is_reused_while_nothing_changes():
    fast, _ = vit_pair()
    qkv = attention(fast).qkv
    x = torch.randn(1, 16, 512)
    with torch.no_grad():
        a = qkv.weight_bias(x)
        b = qkv.weight_bias(x)
    assert a[0] is b[0] and a[1] is b[1]
    c = qkv.weight_bias(x)  # autograd on: a fresh concatenation that gradients flow through
    assert c[0] is not a[0] and c[0].requires_grad


def test_an_optimizer_step_invalidates_the_cache():
    fast, plain = vit_pair()
    x = torch.randn(2, *einspace.as_type(INPUT).shape)
    with torch.no_grad():
        before = fast(x)
    opt = torch.optim.SGD(fast.parameters(), lr=0.5)
    fast(x).square().sum().backward()
    opt.step()
    plain.load_state_dict(fast.state_dict())
    qkv = attention(fast).qkv
    with torch.no_grad():
        after, expected = fast(x), plain(x)
        weight, bias = qkv.weight_bias(x)
    assert not torch.allclose(after, before)
    torch.testing.assert_close(after, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(weight, torch.cat([m.weight for m in qkv.linears]), rtol=0, atol=0)
    torch.testing.assert_close(bias, torch.cat([m.bias for m in qkv.linears]), rtol=0, atol=0)


def test_new_data_and_eval_invalidate_the_cache():
    fast, plain = vit_pair()
    x = torch.randn(2, *einspace.as_type(INPUT).shape)
    with torch.no_grad():
        fast(x)
        fast.double()  # new storage for every parameter
        plain.double()
        torch.testing.assert_close(fast(x.double()), plain(x.double()))
        head = attention(fast).qkv.linears[0]
        head.weight.data.mul_(2.0)  # through .data: no version bump, so eval() must clear the cache
        plain.load_state_dict(fast.state_dict())
        fast.eval()
        torch.testing.assert_close(fast(x.double()), plain(x.double()))


def test_copies_start_without_the_cache():
    fast, _ = vit_pair()
    x = torch.randn(2, *einspace.as_type(INPUT).shape)
    with torch.no_grad():
        y = fast(x)
        for other in (copy.deepcopy(fast), pickle.loads(pickle.dumps(fast))):
            assert attention(other).qkv._cache is None
            torch.testing.assert_close(other(x), y)
            assert attention(other).qkv.linears[0] is not attention(fast).qkv.linears[0]


def test_tracing_without_autograd_takes_the_concatenating_path():
    fast, _ = vit_pair()
    x = torch.randn(2, *einspace.as_type(INPUT).shape)
    with torch.no_grad():
        graph = torch.fx.symbolic_trace(fast)
        torch.testing.assert_close(graph(x), fast(x))


def test_inference_mode_and_no_grad_share_the_cache():
    fast, plain = vit_pair()
    x = torch.randn(2, *einspace.as_type(INPUT).shape)
    with torch.no_grad():
        expected = plain(x)
    with torch.inference_mode():
        torch.testing.assert_close(fast(x), expected)
    with torch.no_grad():
        torch.testing.assert_close(fast(x), expected)
    with torch.inference_mode():
        built_inside = einspace.build(einspace.seeds.load("vit"), INPUT, classes=5).eval()
        built_inside.load_state_dict(fast.state_dict())
        torch.testing.assert_close(built_inside(x), expected)
        torch.testing.assert_close(built_inside(x), expected)
