"""Seed architectures: text files in the notation, grammar derivations, the original's exact sizes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import einspace
from einspace import seeds
from einspace.language.ast import Module, Terminal
from einspace.language.parser import parse_terminal
from einspace.language.printer import terminal_text, to_string

REQUIRED = {"resnet18", "resnet34", "wideresnet16_4", "vit", "mlp_mixer", "transformer_layer", "attention_head",
            "resnet_block", "densenet", "resmlp"}

# backbone parameters measured on the original code (reference §6.3)
ORIGINAL = {
    ("resnet18", "3x64x64"): 11_210_560, ("resnet18", "3x32x32"): 11_210_560, ("resnet18", "3x28x28"): 11_210_560,
    ("wideresnet16_4", "3x64x64"): 2_748_576, ("wideresnet16_4", "3x32x32"): 2_748_576,
    ("wideresnet16_4", "3x28x28"): 2_748_576,
    ("vit", "3x64x64"): 4_367_872, ("vit", "3x32x32"): 4_269_568, ("vit", "3x28x28"): 4_261_888,
    ("mlp_mixer", "3x64x64"): 6_472_192, ("mlp_mixer", "3x32x32"): 2_434_048, ("mlp_mixer", "3x28x28"): 2_317_288,
    ("resnet34", "3x64x64"): 21_330_112,
}
OUTPUTS = {"resnet18": ("im", (512, 4, 4)), "wideresnet16_4": ("im", (256, 16, 16)), "vit": ("col", (256, 512)),
           "mlp_mixer": ("col", (256, 512)), "resnet34": ("im", (512, 2, 2))}


def test_names_text_load():
    assert REQUIRED <= set(seeds.names())
    assert seeds.names() == sorted(seeds.names())
    for name in seeds.names():
        assert isinstance(seeds.load(name), Module)
        assert seeds.load(name) is seeds.load(name)
        assert seeds.text(name).lstrip().startswith("#")
    with pytest.raises(KeyError):
        seeds.text("no_such_seed")


def test_einspace_seeds_attribute_is_the_package():
    assert einspace.seeds.names() == seeds.names()


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_every_seed_type_checks_at_its_input(name):
    info = seeds.info(name)
    assert info.description and info.input
    einspace.infer(seeds.load(name), info.input)


@pytest.mark.parametrize("name, input", sorted(ORIGINAL))
def test_parameter_counts_equal_the_original(name, input):
    assert einspace.infer(seeds.load(name), input).params == ORIGINAL[(name, input)]


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_output_types(name):
    out = einspace.infer(seeds.load(name), "3x64x64").output
    assert (out.mode, out.shape) == OUTPUTS[name]


def test_vit_and_mixer_layer_breakdown():
    layer = einspace.infer(seeds.load("transformer_layer"), "col:256x512")
    assert layer.params == 1_052_928
    head = einspace.infer(seeds.load("attention_head"), "col:256x512")
    assert head.params == 3 * 32_832 and head.output.shape == (256, 64)
    typed = einspace.infer(seeds.load("mlp_mixer"), "3x64x64")
    assert (typed.params - 156_160) == 8 * 789_504


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_every_seed_is_a_grammar_derivation(name):
    tree = seeds.load(name)
    # the canonical text and the labelled derivation tree both read back to the same AST
    assert einspace.parse(to_string(tree)) == tree
    assert einspace.parse(to_string(tree, "brackets")) == tree
    for node in tree.walk():
        if isinstance(node, Terminal):
            assert parse_terminal(terminal_text(node)) == node


def test_densenet_concatenates_and_resmlp_mixes_tokens():
    dense = to_string(seeds.load("densenet"))
    assert "cat(2,1)" in dense
    resmlp = to_string(seeds.load("resmlp"))
    assert "routing[perm(0,2,1), computation<linear(x1)>, perm(0,2,1)]" in resmlp
    assert "linear(x4)" in resmlp


def test_resnet18_stem_replaces_the_maxpool_with_a_strided_conv():
    tree = seeds.load("resnet18")
    text = to_string(tree)
    stem = "routing[im2col(3,1,1), computation<linear(64)>, col2im], sequential(computation<norm>, " \
           "sequential(computation<relu>, sequential(routing[im2col(3,2,1), computation<linear(64)>, col2im], "
    assert text.startswith("sequential(" + stem)


def test_docs_list_every_seed_with_its_size():
    text = (Path(__file__).resolve().parents[2] / "docs" / "seeds.md").read_text(encoding="utf-8")
    for name in seeds.names():
        assert f"`{name}`" in text, name
        typed = None
        try:
            typed = einspace.infer(seeds.load(name), "3x64x64")
        except einspace.TypeCheckError:
            typed = einspace.infer(seeds.load(name), seeds.info(name).input)
        assert re.search(rf"\b{typed.params:,}\b", text), (name, typed.params)
