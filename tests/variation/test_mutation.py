"""Mutation: children are valid by construction, new, and respect type preservation and budgets."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from einspace import infer, parse, to_string
from einspace.language.analysis import instantiated_size
from einspace.language.ast import Branching, Module
from einspace.language.ops import Clone, Identity, Perm
from einspace.cli.main import main
from einspace.errors import TypeCheckError
from einspace.language.grammar import default_grammar
from einspace.variation.mutation import MutationError, mutate, mutate_step
from einspace.variation.sites import replace_at, subtree_at
from einspace.testing.strategies import trees
from einspace import seeds

from helpers import RESNETISH, typed_or_reject

VITISH = parse("""
let head = branching(2){clone(2), sequential(branching(2){clone(2), linear(16),
              routing[identity, linear(16), perm(0,2,1)], dot_product(scaled)}, softmax), linear(16), dot_product}
sequential(routing[im2col(4,4,0), linear(64), identity], pos_enc,
  branching(2){clone(2), sequential(branching(4){clone(4), head, cat(4,2)}, linear(64)), identity, add(2)}, norm)
""")
T = "3x16x16"


def test_positions_round_trip():
    for info in infer(RESNETISH, T):
        assert subtree_at(RESNETISH, info.path) == info.node
        assert replace_at(RESNETISH, info.path, info.node) == RESNETISH


@pytest.mark.parametrize("arch", [RESNETISH, VITISH], ids=["resnetish", "vitish"])
@pytest.mark.parametrize("preserve", [False, True])
def test_children_are_valid_new_and_local(arch, preserve):
    out = infer(arch, T).output
    for seed in range(100):
        m = mutate_step(arch, T, seed=seed, preserve_type=preserve, subtree_nodes=32)
        typed = infer(m.child, T)
        assert not isinstance(m.new, Module) or m.new.size <= max(32, m.old.size)
        assert m.child != arch
        assert m.output == typed.output
        assert replace_at(arch, m.path, m.new) == m.child
        assert subtree_at(arch, m.path) == m.old
        if preserve:
            assert typed.output == out


@pytest.mark.parametrize("name", ["resnet18", "vit"])
def test_seed_mutations(name):
    arch, t = seeds.load(name), seeds.info(name).input
    out = infer(arch, t).output
    for seed in range(150):
        child = mutate(arch, t, seed=seed)
        infer(child, t)
        assert child != arch
    for seed in range(50):
        assert infer(mutate(arch, t, seed=seed, preserve_type=True), t).output == out


def test_terminal_mutation_keeps_factor_and_symbol():
    arch = parse("sequential(branching(2){clone(2), norm, relu, add(2)}, computation<relu>)")
    seen = set()
    for seed in range(200):
        m = mutate_step(arch, "4x6x6", seed=seed, max_nodes=40)
        infer(m.child, "4x6x6")
        assert m.child.size <= 40
        if not m.path.endswith(("fn", "agg", "op", "pre", "post")):
            continue
        seen.add(m.path.rsplit(".", 1)[1])
        assert m.new.symbol == m.old.symbol or isinstance(m.new, Identity) or isinstance(m.old, Identity)
        if m.path.endswith(("fn", "agg")):
            assert m.new.b == 2  # type: ignore[attr-defined]
    assert {"fn", "agg", "op"} <= seen


def test_a_change_in_a_template_changes_every_copy():
    arch = parse("branching(4){clone(4), sequential(norm, relu), cat(4,1)}")
    hits = 0
    for seed in range(100):
        m = mutate_step(arch, "2x4x4", seed=seed, max_nodes=30)
        assert instantiated_size(m.child) <= 30  # the budget counts each of the 4 copies
        if m.path.startswith("root.inner"):
            hits += 1
            child = m.child
            assert isinstance(child, Branching) and len(child.branches) == 1
            assert child.branches[0] != arch.branches[0]
            # the one template is what every copy instantiates: it is the mutated one
            assert subtree_at(child, m.path) == m.new
    assert hits > 10


def test_budget_is_respected():
    limit = infer(RESNETISH, T).params
    for seed in range(60):
        child = mutate(RESNETISH, T, seed=seed, max_params=limit, max_nodes=RESNETISH.size + 10)
        assert infer(child, T).params <= limit and child.size <= RESNETISH.size + 10


def test_parent_beyond_the_budget_stays_mutable():
    big = infer(RESNETISH, T).params
    child = mutate(RESNETISH, T, seed=1, max_params=big // 10)
    assert infer(child, T).params <= big


def test_no_possible_mutation():
    # only identities, col-mode perms (invalid on im inputs) and 2-way branches (7 nodes > 5)
    g = default_grammar().with_choices("C", [Identity()]).with_choices("R1", [Perm((0, 2, 1))]) \
        .with_choices("R2", [Perm((0, 2, 1))]).with_choices("B", [Clone(2)])
    with pytest.raises(MutationError):
        mutate(parse("sequential(identity, identity)"), "3x4x4", seed=0, grammar=g, max_nodes=5)


def test_parent_must_type_check():
    with pytest.raises(TypeCheckError):
        mutate(parse("routing[identity, norm, col2im]"), T, seed=0)


def test_seeded_mutation_is_reproducible():
    assert mutate(RESNETISH, T, seed=7) == mutate(RESNETISH, T, seed=7)


# --- properties ---------------------------------------------------------------------------------

inputs = st.sampled_from(["3x8x8", "4x6x10", "col:12x8", "col:5x16"])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(arch=trees(max_leaves=8), t=inputs, preserve=st.booleans(), data=st.data())
def test_mutants_always_type_check(arch, t, preserve, data):
    from einspace.generate.chooser import HypothesisChooser
    out = typed_or_reject(arch, t).output
    try:
        m = mutate_step(arch, t, chooser=HypothesisChooser(data.draw), preserve_type=preserve, max_nodes=64,
                        max_depth=16)
    except MutationError:
        return
    typed = infer(m.child, t)
    assert m.child != arch
    if preserve:
        assert typed.output == out


# --- command line ---------------------------------------------------------------------------------

def test_cli_mutate(capsys):
    text = to_string(RESNETISH)
    assert main(["mutate", text, "--input", T, "--seed", "3", "-n", "3", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 3 and all(obj["valid"] for obj in lines)
    for obj in lines:
        infer(parse(obj["arch"]), T)
        assert obj["path"].startswith("root")
    assert main(["mutate", text, "--input", T, "--seed", "3", "--preserve-type"]) == 0
    child = parse(capsys.readouterr().out)
    assert infer(child, T).output == infer(RESNETISH, T).output
    assert main(["mutate", "routing[identity, norm, col2im]", "--input", T]) == 1
    assert main(["mutate", text, "--input", T, "-n", "0"]) == 2


# --- the full-size check (slow): 10,000 mutations of each seed ------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("name", ["resnet18", "vit"])
def test_ten_thousand_seed_mutations(name):
    from einspace import seeds
    arch, t = seeds.load(name), seeds.info(name).input
    for seed in range(10_000):
        child = mutate(arch, t, seed=seed)
        infer(child, t)
        assert child != arch
