"""The command line: ``einspace build`` and ``einspace seeds``."""

from __future__ import annotations

import json

import pytest

import einspace


@pytest.mark.parametrize("name, params, shape", [("resnet18", 11_210_560, [512, 4, 4]),
                                                 ("wideresnet16_4", 2_748_576, [256, 16, 16]),
                                                 ("vit", 4_367_872, [256, 512]),
                                                 ("mlp_mixer", 6_472_192, [256, 512])])
def test_build_seed_json(cli, name, params, shape):
    code, out, _ = cli("build", f"seed:{name}", "--input", "3x64x64", "--json")
    obj = json.loads(out)
    assert code == 0
    assert obj["valid"] is True and obj["params"] == obj["built_params"] == params
    assert obj["output"]["shape"] == obj["forward_shape"] == shape
    assert obj["input"] == {"mode": "im", "shape": [3, 64, 64]} and obj["flops"] > 0


def test_build_with_classes_and_text_output(cli):
    code, out, _ = cli("build", "seed:vit", "--input", "3x32x32", "--classes", "10", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["forward_shape"] == [10]
    assert obj["backbone_params"] == 4_269_568 and obj["head_params"] == 650
    assert obj["params"] == obj["built_params"] == 4_269_568 + 650
    code, out, _ = cli("build", "seed:resnet_block", "-i", "64x8x8", "--classes", "3")
    assert code == 0 and "74,307 predicted, 74,307 built" in out and "forward: [3]" in out


def test_build_dense_and_plain_and_print(cli):
    code, out, _ = cli("build", "sequential(linear(5), norm)", "-i", "col:6x4", "--dense", "2x8x8", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["forward_shape"] == [2, 8, 8] and obj["head_params"] == 4
    code, out, _ = cli("build", "routing[im2col(3,1,1), linear(8), col2im]", "-i", "3x8x8", "--plain",
                       "--print")
    assert code == 0 and "Im2Col(" in out and "Conv(" not in out
    code, out, _ = cli("build", "routing[im2col(3,1,1), linear(8), col2im]", "-i", "3x8x8", "--print")
    assert code == 0 and "Conv(3→8" in out


def test_build_invalid(cli):
    code, out, _ = cli("build", "routing[identity, linear(4), col2im]", "-i", "col:4x4", "--json")
    obj = json.loads(out)
    assert code == 1 and obj["valid"] is False and obj["errors"][0]["rule"] == "col2im.grid"
    code, _, err = cli("build", "routing[identity, linear(4), col2im]", "-i", "col:4x4")
    assert code == 1 and "root.post" in err
    code, out, _ = cli("build", "sequential(norm", "-i", "3x4x4", "--json")
    assert code == 1 and json.loads(out)["valid"] is False


@pytest.mark.parametrize("argv", [("build", "seed:vit", "-i", "3x32x32", "--classes", "0"),
                                  ("build", "seed:nope", "-i", "3x32x32"),
                                  ("build", "seed:vit", "-i", "3by32"),
                                  ("build", "sequential(norm, relu)", "-i", "3x4x4", "--dense", "2x3")])
def test_build_usage_errors(cli, argv):
    code, _, err = cli(*argv)
    assert code == 2 and err


def test_seeds_list(cli):
    code, out, _ = cli("seeds")
    assert code == 0 and "11,210,560" in out and "6,472,192" in out and "transformer_layer" in out
    code, out, _ = cli("seeds", "list", "--input", "3x32x32", "--json")
    rows = {r["name"]: r for r in map(json.loads, out.splitlines())}
    assert code == 0 and set(rows) == set(einspace.seeds.names())
    assert rows["vit"]["params"] == 4_269_568 and rows["vit"]["output"] == {"mode": "col", "shape": [64, 512]}
    assert rows["attention_head"]["valid"] is False and rows["attention_head"]["meant_for"] == "col:256x512"


def test_seeds_show(cli):
    code, out, _ = cli("seeds", "show", "resnet18")
    assert code == 0 and out == einspace.seeds.text("resnet18")
    code, out, _ = cli("seeds", "show", "resnet_block", "--style", "canonical")
    assert code == 0 and einspace.parse(out) == einspace.seeds.load("resnet_block")
    code, out, _ = cli("seeds", "show", "attention_head", "--style", "tree")
    assert code == 0 and "col[256,512] → col[256,64]" in out
    code, _, err = cli("seeds", "show", "nope")
    assert code == 2 and "known seeds" in err
