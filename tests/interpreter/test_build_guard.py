"""The build guard (issue 17, item 2): ``build`` refuses, before allocating anything, what the cost
model says is too big; every integer that reaches torch is range-checked by the type rules; the
recursion limit is as build found it, after success and failure alike."""

from __future__ import annotations

import sys
import time

import pytest

torch = pytest.importorskip("torch")

import einspace  # noqa: E402
from einspace.errors import BuildRefused, TypeCheckError  # noqa: E402
from einspace.interpreter import head_params  # noqa: E402
from einspace.interpreter.guard import (DEFAULT_MAX_MEMORY, DEFAULT_MAX_NODES, DEFAULT_MAX_PARAMS,  # noqa: E402
                                        instantiated_nodes, over_limits)
from einspace.language.ast import Computation, Routing  # noqa: E402
from einspace.language.ops import Col2Im, Im2Col, Linear  # noqa: E402
from einspace.types.rules import MAX_SIZE, fits  # noqa: E402
from einspace.types.tensor import TensorType, as_type  # noqa: E402

BIG_CONV = "routing[im2col(1024,1,0), linear(2048), col2im]"


def nested(levels: int, inner: str, agg: str) -> str:
    """``levels`` nested 8-way branchings around ``inner``."""
    arch = inner
    for _ in range(levels):
        arch = f"branching(8){{clone(8), {arch}, {agg}}}"
    return arch


def refusal(call) -> BuildRefused:
    limit = sys.getrecursionlimit()
    started = time.perf_counter()
    with pytest.raises(BuildRefused) as info:
        call()
    assert time.perf_counter() - started < 2.0  # refused from the cost model, nothing allocated
    assert sys.getrecursionlimit() == limit
    return info.value


# --- the reproductions -------------------------------------------------------------------------------

def test_the_6g_parameter_convolution_is_refused_by_build():
    err = refusal(lambda: einspace.build(BIG_CONV, "3x1024x1024"))
    assert err.figure == "params" and err.value == 6_442_452_992 and err.limit == DEFAULT_MAX_PARAMS
    assert "6,442,452,992 parameters" in str(err) and "max_params 200,000,000" in str(err)
    assert isinstance(err, einspace.EinspaceError) and einspace.BuildRefused is BuildRefused


def test_nested_8_way_branches_are_refused_by_memory():
    arch = nested(5, "computation<linear(64)>", "cat(8,1)")
    err = refusal(lambda: einspace.build(arch, "3x32x32", classes=10))
    assert err.figure == "memory" and err.value == einspace.infer(arch, "3x32x32").memory > DEFAULT_MAX_MEMORY
    assert "activation elements per sample" in str(err) and "max_memory 500,000,000" in str(err)


def test_nested_8_way_branches_of_tiny_tensors_are_refused_by_their_module_count():
    arch = nested(6, "relu", "add(8)")  # 8^6 copies: within the memory limit, minutes and GBs to build
    typed = einspace.infer(arch, "1x2x2")
    assert typed.memory < DEFAULT_MAX_MEMORY and typed.params == 0
    err = refusal(lambda: einspace.build(arch, "1x2x2"))
    assert err.figure == "nodes" and err.value == instantiated_nodes(typed) > DEFAULT_MAX_NODES


def test_the_head_counts_towards_the_parameter_limit():
    head = head_params(einspace.infer("linear(8)", "col:4x8").output, 10)
    err = refusal(lambda: einspace.build("linear(8)", "col:4x8", classes=10, max_params=80))
    assert err.value == 8 * 8 + 8 + head and head > 0
    assert einspace.build("linear(8)", "col:4x8", classes=10, max_params=72 + head) is not None


def test_limits_are_overridable_and_none_disables_them():
    refusal(lambda: einspace.build("linear(8)", "col:4x8", max_params=10))
    refusal(lambda: einspace.build("linear(8)", "col:4x8", max_memory=10))
    refusal(lambda: einspace.build("linear(8)", "col:4x8", max_nodes=1))
    net = einspace.build("linear(8)", "col:4x8", max_params=None, max_memory=None, max_nodes=None)
    assert sum(p.numel() for p in net.parameters()) == 72
    with pytest.raises(einspace.EinspaceError):
        einspace.build("linear(8)", "col:4x8", max_params=-1)


def test_head_and_input_sizes_torch_cannot_take_are_refused():
    err = refusal(lambda: einspace.build("linear(4)", "col:2x3", classes=MAX_SIZE + 1, max_params=None))
    assert err.figure == "classes"
    wide = TensorType("col", (2, MAX_SIZE + 1))
    err = refusal(lambda: einspace.build("linear(4)", wide, max_params=None, max_memory=None))
    assert err.figure == "input"


def test_training_too_big_is_the_build_guard():
    from einspace.training.recipe import Fidelity
    from einspace.training.refusal import too_big
    typed = einspace.infer(BIG_CONV, "3x1024x1024")
    params = typed.params + 2048 * 10 + 10
    expect = over_limits(typed, params, DEFAULT_MAX_PARAMS, None)
    assert expect is not None
    assert too_big(typed, params, Fidelity(max_params=DEFAULT_MAX_PARAMS)) == expect.message
    assert too_big(typed, params, Fidelity()) == ""


# --- integers that reach torch --------------------------------------------------------------------

@pytest.mark.parametrize("tree, t, rule", [
    (Computation(Linear(width=10**30)), "col:4x4", "linear.size"),
    (Computation(Linear(factor=1e300)), "col:4x999999999", "linear.size"),
    (Routing(Im2Col(1, 1, 10**12), Computation(Linear(width=4)), Col2Im()), "3x8x8", "im2col.size"),
    (Routing(Im2Col(1, 10**12, 0), Computation(Linear(width=4)), Col2Im()), "3x8x8", "im2col.size"),
    (Routing(Im2Col(1, 1, 0, 10**40), Computation(Linear(width=4)), Col2Im()), "3x8x8", "im2col.size"),
])
def test_integers_torch_cannot_take_are_type_errors(tree, t, rule):
    with pytest.raises(TypeCheckError) as info:
        einspace.infer(tree, t)
    assert info.value.rule == rule and ("largest size" in str(info.value) or "too large" in str(info.value))
    assert not fits(tree.op if isinstance(tree, Computation) else tree.pre, as_type(t))


def test_a_parsable_padding_whose_output_is_too_large_is_refused_by_infer():
    with pytest.raises(TypeCheckError) as info:
        einspace.infer("routing[im2col(1,1,999999999), linear(4), col2im]", "3x8x8")
    assert info.value.rule == "im2col.size" and "2,147,483,647" in str(info.value)


# --- the recursion limit --------------------------------------------------------------------------

def test_build_leaves_the_recursion_limit_as_it_found_it():
    limit = sys.getrecursionlimit()
    einspace.build("sequential(linear(4), relu)", "col:2x3", classes=2)
    assert sys.getrecursionlimit() == limit
    with pytest.raises(TypeCheckError):
        einspace.build("routing[identity, linear(4), col2im]", "col:4x4")
    assert sys.getrecursionlimit() == limit
    refusal(lambda: einspace.build(BIG_CONV, "3x1024x1024"))


def test_a_deep_network_runs_and_restores_the_limit_after_each_pass():
    limit = sys.getrecursionlimit()
    text = "sequential(" + ", ".join(["relu"] * 500 + ["linear(3)"]) + ")"
    net = einspace.build(einspace.parse(text, max_depth=1000), "col:2x3")
    assert sys.getrecursionlimit() == limit
    x = torch.randn(1, 2, 3)
    assert net(x).shape == (1, 2, 3)
    assert sys.getrecursionlimit() == limit
    with pytest.raises(RuntimeError):  # a failing pass restores the limit too
        net(torch.randn(1, 2, 5))
    assert sys.getrecursionlimit() == limit
    assert net(x).shape == (1, 2, 3)


def test_the_backbone_of_a_deep_network_with_a_head_runs_alone_too():
    limit = sys.getrecursionlimit()
    text = "sequential(" + ", ".join(["relu"] * 500 + ["linear(3)"]) + ")"
    net = einspace.build(einspace.parse(text, max_depth=1000), "col:2x3", classes=4)
    x = torch.randn(1, 2, 3)
    assert net(x).shape == (1, 4) and net.backbone(x).shape == (1, 2, 3)
    assert sys.getrecursionlimit() == limit
