"""The interpreter: semantics of every operation, naming, heads, and the PyTorch ecosystem."""

from __future__ import annotations

import copy
import io
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import einspace
from einspace.language.ast import Computation, Module
from einspace.interpreter import HeadError, summary
from einspace.interpreter.modules import BranchingModule, ComputationModule, submodule



def plain(text: str, input: str) -> nn.Module:
    return einspace.build(einspace.parse(text), input, lower=False).eval()


# --- operations ----------------------------------------------------------------------------------

def test_linear_acts_on_the_last_dimension():
    net = plain("sequential(linear(5), identity)", "2x3x4")
    lin = net.first.op
    x = torch.randn(2, 2, 3, 4)
    assert isinstance(lin, nn.Linear) and lin.in_features == 4 and lin.bias is not None
    torch.testing.assert_close(net(x), F.linear(x, lin.weight, lin.bias))


def test_linear_factor_width():
    net = plain("sequential(linear(x0.25), linear(x4))", "col:3x8")
    assert (net.first.op.out_features, net.second.op.out_features) == (2, 8)


def test_norm_is_batchnorm_in_im_and_layernorm_in_col():
    im = plain("sequential(norm, identity)", "5x3x3").first.op
    col = plain("sequential(norm, identity)", "col:4x6").first.op
    assert isinstance(im, nn.BatchNorm2d) and im.num_features == 5
    assert isinstance(col, nn.LayerNorm) and col.normalized_shape == (6,)


def test_relu_is_leaky_and_softmax_is_over_the_last_dim():
    net = plain("sequential(relu, softmax)", "col:3x5")
    x = torch.randn(2, 3, 5)
    torch.testing.assert_close(net(x), torch.softmax(F.leaky_relu(x, 0.01), -1))
    assert net.first.op.negative_slope == 0.01


def test_pos_enc_full_shape_standard_normal():
    torch.manual_seed(0)
    net = plain("sequential(pos_enc, identity)", "8x32x32")
    w = net.first.op.weight.detach()
    assert tuple(w.shape) == (1, 8, 32, 32)
    assert abs(float(w.mean())) < 0.05 and abs(float(w.std()) - 1) < 0.05
    x = torch.randn(2, 8, 32, 32)
    torch.testing.assert_close(net(x), x + w)


@pytest.mark.parametrize("k, s, p, d", [(3, 1, 1, 1), (3, 2, 1, 1), (2, 2, 0, 1), (3, 1, 2, 2)])
def test_im2col_is_unfold_with_patches_as_rows(k, s, p, d):
    net = plain(f"routing[im2col({k},{s},{p},{d}), identity, identity]", "3x7x6")
    x = torch.randn(2, 3, 7, 6)
    expect = F.unfold(x, k, dilation=d, padding=p, stride=s).transpose(1, 2)
    torch.testing.assert_close(net(x), expect)


def test_col2im_folds_rows_back_onto_the_grid():
    net = plain("routing[im2col(2,2,0), linear(5), col2im]", "3x4x6")
    x = torch.randn(2, 3, 4, 6)
    cols = F.unfold(x, 2, stride=2).transpose(1, 2)  # [B, 2*3, 12]
    lin = net.inner.op
    y = F.linear(cols, lin.weight, lin.bias)  # [B, 6, 5]
    out = net(x)
    assert out.shape == (2, 5, 2, 3)
    for i in range(2):
        for j in range(3):
            torch.testing.assert_close(out[:, :, i, j], y[:, i * 3 + j, :])


@pytest.mark.parametrize("order", [(0, 1, 3, 2), (0, 2, 1, 3), (0, 2, 3, 1), (0, 3, 1, 2), (0, 3, 2, 1)])
def test_perm_im(order):
    net = plain(f"routing[perm{order}, identity, identity]".replace(" ", ""), "2x3x4")
    x = torch.randn(2, 2, 3, 4)
    torch.testing.assert_close(net(x), x.permute(order))


def test_clone_add_group_cat():
    x = torch.randn(2, 4, 6, 6)
    torch.testing.assert_close(plain("branching(2){clone(2), identity, identity, add(2)}", "4x6x6")(x), 2 * x)
    torch.testing.assert_close(plain("branching(4){group(4,3), identity, cat(4,3)}", "4x6x8")(
        y := torch.randn(2, 4, 6, 8)), y)
    swapped = plain("branching(2){group(2,1), identity, identity, cat(2,2)}", "4x6x6")(x)
    torch.testing.assert_close(swapped, torch.cat([x[:, :2], x[:, 2:]], 2))


def test_dot_product_col_and_im():
    a = "branching(2){clone(2), identity, routing[identity, identity, perm(0,2,1)], dot_product(scaled)}"
    x = torch.randn(2, 3, 5)
    torch.testing.assert_close(plain(a, "col:3x5")(x), x @ x.transpose(1, 2) / math.sqrt(5))
    b = "branching(2){clone(2), identity, routing[identity, identity, perm(0,1,3,2)], dot_product}"
    y = torch.randn(2, 2, 3, 4)
    torch.testing.assert_close(plain(b, "2x3x4")(y), y @ y.transpose(2, 3))


def test_template_copies_have_independent_weights():
    text = "branching(4){clone(4), sequential(linear(6), norm), cat(4,2)}"
    net = plain(text, "col:5x3")
    assert isinstance(net, BranchingModule) and net.template and len(net.inner) == 4
    weights = [net.inner[i].first.op.weight for i in range(4)]
    assert all(not torch.equal(weights[0], w) for w in weights[1:])
    assert len({w.data_ptr() for w in weights}) == 4
    per_copy = einspace.infer(einspace.parse(text), "col:5x3").at("root.inner").params
    assert sum(p.numel() for p in net.parameters()) == 4 * per_copy


# --- structure and printing ---------------------------------------------------------------------------

def test_one_submodule_per_node_named_by_path():
    tree = einspace.seeds.load("resnet_block")
    typed = einspace.infer(tree, "64x8x8")
    net = einspace.build(tree, "64x8x8")
    for info in typed.nodes:
        if isinstance(info.node, Module):
            m = submodule(net, info.path)
            assert m.input_type == info.input and m.output_type == info.output
            name = info.path[len("root."):] if info.path != "root" else ""
            assert net.get_submodule(name) is m
        if isinstance(info.node, Computation):
            assert isinstance(submodule(net, info.path), ComputationModule)


def test_print_reads_like_the_architecture():
    text = str(einspace.build(einspace.seeds.load("resnet18"), "3x32x32", classes=10))
    assert "Conv(3→64, kernel_size=3, stride=1, padding=1" in text
    assert "Residual(im[64,16,16] → im[64,16,16]" in text
    assert "(second.first): BatchNorm2d(64" in text  # chains print flat, with usable dotted names
    assert "LeakyReLU(negative_slope=0.01)" in text and "(head): ClassificationHead" in text
    vit = str(einspace.build(einspace.seeds.load("vit"), "3x32x32"))
    assert "PatchEmbed(3→512, kernel_size=4, stride=4" in vit and "MultiHeadAttention(heads=4, qk=64, v=64, concat dim=2" in vit
    assert "(0-3): 4 x AttentionHead" in vit


def test_summary_table():
    s = summary(einspace.seeds.load("vit"), "3x32x32", classes=10)
    text = str(s)
    assert s.params == einspace.infer(einspace.seeds.load("vit"), "3x32x32").params
    assert s.head_params == 64 * 10 + 10 and s.total_params == s.params + 650
    assert text.splitlines()[0].split() == ["layer", "output", "params"]
    assert "branching(4){clone(4), …, cat(4,2)}" in text and "col[64,512]" in text
    assert "4,269,568" in text
    shallow = summary(einspace.seeds.load("vit"), "3x32x32", depth=1)
    assert all(r.depth <= 1 for r in shallow.rows)
    with_paths = str(summary(einspace.seeds.load("resnet_block"), "64x8x8", paths=True))
    assert "first.branch1.first.inner" in with_paths


def test_summary_marks_template_copies():
    rows = summary("branching(4){clone(4), linear(3), cat(4,2)}", "col:5x2").rows
    inner = [r for r in rows if r.name == "inner"][0]
    assert inner.copies == 4 and inner.params == 4 * (2 * 3 + 3)


# --- heads -----------------------------------------------------------------------------------------------

def test_classification_head_im():
    net = einspace.build(einspace.seeds.load("resnet_block"), "64x8x8", classes=7)
    assert isinstance(net.head.fc, nn.Linear) and net.head.fc.in_features == 64
    x = torch.randn(2, 64, 8, 8)
    torch.testing.assert_close(net(x), net.head.fc(net.backbone(x).mean((2, 3))))


def test_classification_head_col_classifies_over_tokens():
    net = einspace.build(einspace.seeds.load("vit"), "3x64x64", classes=10)
    assert net.head.fc.in_features == 256 and sum(p.numel() for p in net.head.parameters()) == 2570
    x = torch.randn(2, 3, 64, 64)
    torch.testing.assert_close(net(x), net.head.fc(net.backbone(x).mean(2)))


@pytest.mark.parametrize("text, input, channels", [("sequential(linear(5), norm)", "3x6x5", 3),
                                                   ("sequential(linear(5), norm)", "col:6x4", 1)])
def test_dense_head(text, input, channels):
    net = einspace.build(text, input, dense=(2, 9, 7)).eval()
    assert net.head.proj.in_channels == channels and net.head.proj.kernel_size == (1, 1)
    x = torch.randn(3, *einspace.as_type(input).shape)
    y = net(x)
    assert y.shape == (3, 2, 9, 7)
    feats = net.backbone(x)
    if feats.dim() == 3:
        feats = feats.unsqueeze(1)
    torch.testing.assert_close(y, net.head.proj(F.adaptive_avg_pool2d(feats, (9, 7))))


def test_dense_target_spellings():
    a = einspace.build("sequential(norm, relu)", "3x4x4", dense="2x5x5")
    b = einspace.build("sequential(norm, relu)", "3x4x4", dense=einspace.as_type("2x5x5"))
    assert a(torch.randn(2, 3, 4, 4)).shape == b(torch.randn(2, 3, 4, 4)).shape == (2, 2, 5, 5)


@pytest.mark.parametrize("kwargs", [{"classes": 0}, {"classes": 2.5}, {"classes": 3, "dense": (1, 2, 2)},
                                    {"dense": (0, 2, 2)}, {"dense": "col:3x3"}])
def test_bad_head_requests(kwargs):
    with pytest.raises(HeadError) as err:
        einspace.build("sequential(norm, relu)", "3x4x4", **kwargs)
    assert isinstance(err.value, einspace.EinspaceError) and err.value.rule.startswith("head.")


def test_type_errors_surface_with_paths():
    with pytest.raises(einspace.TypeCheckError) as err:
        einspace.build("sequential(relu, routing[identity, linear(4), col2im])", "col:4x4")
    assert err.value.path == "root.second.post" and err.value.rule == "col2im.grid"


# --- the ecosystem ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, input", [("resnet18", "3x16x16"), ("vit", "3x16x16"), ("mlp_mixer", "3x16x16"),
                                         ("transformer_layer", "col:8x512")])
def test_state_dict_round_trip(name, input):
    torch.manual_seed(0)
    a = einspace.build(einspace.seeds.load(name), input, classes=3).eval()
    torch.manual_seed(1)
    b = einspace.build(einspace.seeds.load(name), input, classes=3).eval()
    buf = io.BytesIO()
    torch.save(a.state_dict(), buf)
    buf.seek(0)
    b.load_state_dict(torch.load(buf))
    x = torch.randn(2, *einspace.as_type(input).shape)
    with torch.no_grad():
        torch.testing.assert_close(a(x), b(x))
        torch.testing.assert_close(copy.deepcopy(a)(x), a(x))


@pytest.mark.parametrize("name", ["resnet18", "vit", "wideresnet16_4", "mlp_mixer", "densenet", "resmlp"])
def test_every_parameter_gets_a_gradient(name):
    net = einspace.build(einspace.seeds.load(name), "3x16x16", classes=3)
    net(torch.randn(2, 3, 16, 16)).sum().backward()
    missing = [n for n, p in net.named_parameters() if p.grad is None]
    assert not missing


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("name", ["resnet18", "vit", "mlp_mixer", "resmlp"])
def test_fx_symbolic_trace(name, lower):
    net = einspace.build(einspace.seeds.load(name), "3x16x16", classes=4, lower=lower).eval()
    graph = torch.fx.symbolic_trace(net)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(graph(x), net(x))


def test_fx_trace_of_every_operation():
    text = ("sequential(routing[im2col(2,2,0), linear(4), col2im], branching(2){group(2,1), pos_enc, "
            "routing[perm(0,3,2,1), softmax, perm(0,3,2,1)], cat(2,1)}, "
            "routing[im2col(1,1,0), branching(2){clone(2), linear(3), routing[identity, linear(3), perm(0,2,1)], "
            "dot_product(scaled)}, identity], norm, relu)")
    for lower in (True, False):
        net = einspace.build(text, "3x8x8", lower=lower).eval()
        graph = torch.fx.symbolic_trace(net)
        x = torch.randn(2, 3, 8, 8)
        with torch.no_grad():
            torch.testing.assert_close(graph(x), net(x))


@pytest.mark.parametrize("name", ["resnet_block", "transformer_layer"])
def test_torch_compile_full_graph(name):
    input = einspace.seeds.info(name).input.replace("32x32", "8x8").replace("256", "16")
    net = einspace.build(einspace.seeds.load(name), input).eval()
    compiled = torch.compile(net, backend="aot_eager", fullgraph=True)
    x = torch.randn(2, *einspace.as_type(input).shape)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), net(x), rtol=1e-5, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["resnet18", "vit"])
def test_torch_compile_inductor(name):
    net = einspace.build(einspace.seeds.load(name), "3x16x16", classes=4)
    compiled = torch.compile(net)
    x = torch.randn(2, 3, 16, 16)
    out = compiled(x)
    out.sum().backward()
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), net(x), rtol=1e-4, atol=1e-4)


# --- inputs and odd trees ----------------------------------------------------------------------------------

def test_build_accepts_text_and_types():
    t = einspace.as_type("col:4x3")
    a = einspace.build("sequential(linear(2), relu)", t)
    b = einspace.build(einspace.parse("sequential(linear(2), relu)"), einspace.TensorType("col", (4, 3)))
    assert sum(p.numel() for p in a.parameters()) == sum(p.numel() for p in b.parameters()) == 8


def test_deep_chain_builds_and_runs():
    text = "sequential(" + ", ".join(["relu"] * 600) + ")"
    net = einspace.build(einspace.parse(text, max_depth=1000), "2x3x3")
    x = torch.randn(1, 2, 3, 3)
    expect = torch.where(x > 0, x, x * 0.01 ** 600)
    torch.testing.assert_close(net(x), expect)


def test_corpus_strings_build_with_predicted_params():
    import json
    from pathlib import Path
    corpus = Path(__file__).resolve().parents[1] / "fixtures" / "v2_strings.jsonl"
    checked = 0
    for line in corpus.read_text().splitlines():
        item = json.loads(line)
        if item["facts"].get("level") != "network" or item["facts"].get("grammar_valid") is False:
            continue
        # strings from real search runs: each one parses and type-checks (an error here is a regression)
        tree = einspace.parse(item["string"])
        typed = einspace.infer(tree, tuple(item["input_shape"]))
        if typed.params > 5_000_000 or typed.memory > 5_000_000:
            continue
        net = einspace.build(tree, tuple(item["input_shape"])).eval()
        assert sum(p.numel() for p in net.parameters()) == typed.params
        with torch.no_grad():
            assert tuple(net(torch.randn(1, *item["input_shape"])).shape[1:]) == typed.output.shape
        checked += 1
    assert checked > 0
