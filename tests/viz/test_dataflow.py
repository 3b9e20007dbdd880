"""The data-flow graph: one node per operation instance, the degree invariants of
einspace/viz/dataflow.py, a DAG, the types of infer on every edge; its picture and its dot text."""

from __future__ import annotations

import networkx as nx
import pytest
from matplotlib.colors import to_rgba

import einspace
from einspace.errors import ArgumentError, TypeCheckError
from einspace.language.ast import Branching, Terminal
from einspace.types.evaluator import infer
from einspace.viz import COLOURS, dataflow, draw_graph, group_of, to_dot
from einspace.viz.paths import places

SEEDS = ("resnet18", "vit", "mlp_mixer", "transformer_layer", "attention_head")
CASES = [(s, einspace.seeds.info(s).input) for s in SEEDS] + [(s, "3x32x32") for s in range(20)]


def _tree(case):
    return einspace.seeds.load(case) if isinstance(case, str) else einspace.sample("3x32x32", seed=case)


def _factor_at(tree, path: str) -> int | None:
    """The factor of the branching whose fn or agg sits at ``path`` (None for other paths)."""
    node = tree
    for name in path.split(".")[1:-1]:
        node = dict(node.named_children())[name]
    last = path.rsplit(".", 1)[-1]
    return node.factor if isinstance(node, Branching) and last in ("fn", "agg") else None


@pytest.mark.parametrize("collapse", [True, False], ids=["collapsed", "expanded"])
@pytest.mark.parametrize("case,input", CASES, ids=lambda c: str(c))
def test_invariants(case, input, collapse):
    tree = _tree(case)
    typed = infer(tree, input)
    g = dataflow(tree, input, collapse=collapse)
    assert nx.is_directed_acyclic_graph(g)
    terminals = [i for i in typed.nodes if isinstance(i.node, Terminal)]
    ops = [n for n in g if n not in ("input", "output")]
    # one node per operation instance: each terminal once (collapsed) or once per copy (expanded)
    assert len(ops) == (len(terminals) if collapse else sum(i.copies for i in terminals))
    assert {g.nodes[n]["path"] for n in ops} == {i.path for i in terminals}
    assert (g.in_degree("input"), g.out_degree("input")) == (0, 1)
    assert (g.in_degree("output"), g.out_degree("output")) == (1, 0)
    for n in ops:
        data = g.nodes[n]
        info = typed.at(data["path"])
        factor = _factor_at(tree, data["path"])
        out_copies = [d["copies"] for _, _, d in g.out_edges(n, data=True)]
        in_copies = [d["copies"] for _, _, d in g.in_edges(n, data=True)]
        if data["group"] == "branching":
            assert sum(out_copies) == factor and len(in_copies) == 1
            assert len(out_copies) == (factor if not collapse or factor == 2 else 1)
        elif data["group"] == "aggregation":
            assert sum(in_copies) == factor and len(out_copies) == 1
            assert len(in_copies) == (factor if not collapse or factor == 2 else 1)
        else:
            assert len(in_copies) == len(out_copies) == 1
        assert data["op"] == info.node.text()
        assert data["group"] == group_of(info.node, data["path"])
        assert data["type"] == str(info.output)
        assert data["copies"] == (info.copies if collapse else 1)
    for u, v, d in g.edges(data=True):
        want = typed.input if u == "input" else typed.at(g.nodes[u]["path"]).output
        assert d["type"] == str(want)
    assert g.nodes["output"]["type"] == str(typed.output)
    assert g.in_edges("output", data=True).__iter__().__next__()[2]["type"] == str(typed.output)


def test_a_collapsed_copy_carries_its_factor_and_expanded_copies_have_their_own_ids():
    arch = "branching(8){clone(8), sequential(linear(8), relu), cat(8,1)}"
    g = dataflow(arch, "col:4x8")
    assert g.edges["root.fn", "root.inner.first.op"]["copies"] == 8
    assert g.nodes["root.inner.second.op"]["copies"] == 8
    e = dataflow(arch, "col:4x8", collapse=False)
    assert sorted(e.successors("root.fn")) == sorted(f"root.inner[{k}].first.op" for k in range(1, 9))
    assert e.nodes["root.inner[3].second.op"]["path"] == "root.inner.second.op"


def test_branch_types_flow_out_of_the_branching_function():
    g = dataflow("branching(2){group(2,1), linear(8), linear(4), cat(2,2)}", "col:4x8")
    assert [g.edges[e]["type"] for e in g.out_edges("root.fn")] == ["col[2,8]", "col[2,8]"]
    assert g.nodes["root.agg"]["type"] == "col[2,12]"


def test_without_an_input_there_are_no_types_and_ill_typed_trees_are_refused():
    g = dataflow(einspace.seeds.load("resnet_block"))
    assert all(d["type"] is None for _, d in g.nodes(data=True))
    with pytest.raises(TypeCheckError):
        dataflow("routing[identity, linear(64), col2im]", "col:49x16")


@pytest.mark.parametrize("expand", [False, True])
@pytest.mark.parametrize("seed", ["resnet18", "vit", "transformer_layer"])
def test_graph_picture_colours_come_from_the_table(seed, expand):
    tree, input = einspace.seeds.load(seed), einspace.seeds.info(seed).input
    g = dataflow(tree, input, collapse=not expand)
    fig = draw_graph(tree, input, types=True, expand=expand)
    texts = {t.get_gid(): t for t in fig.axes[0].texts if t.get_gid()}
    assert {gid for gid in texts if not gid.startswith("type:")} == set(g)
    for node, data in g.nodes(data=True):
        assert texts[node].get_bbox_patch().get_facecolor() == to_rgba(COLOURS[data["group"]])
    assert texts["input"].get_bbox_patch().get_facecolor() == to_rgba("black")
    assert texts["type:input"].get_text() == g.nodes["input"]["type"]
    marked = [n for n, d in g.nodes(data=True) if d["copies"] > 1]
    assert all(texts[n].get_text().endswith(f"×{g.nodes[n]['copies']}") for n in marked)
    assert bool(marked) == (seed != "resnet18" and not expand)


def test_graph_layers_follow_the_longest_path():
    from einspace.viz.graph import layout_graph
    g = dataflow(einspace.seeds.load("resnet_block"), "64x32x32")
    pos, routes = layout_graph(g)
    assert all(pos[v][1] > pos[u][1] for u, v in g.edges)
    assert pos["output"][1] == nx.dag_longest_path_length(g)
    for (u, v), route in routes.items():  # a skip edge bends once per layer it crosses
        assert [layer for _, layer in route] == list(range(pos[u][1], pos[v][1] + 1))


def test_dot_text_has_every_node_and_edge_in_its_colour():
    tree = einspace.seeds.load("attention_head")
    dot = to_dot(tree, "col:256x512", "graph")
    g = dataflow(tree, "col:256x512")
    assert dot.startswith("digraph dataflow {") and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == g.number_of_edges()
    assert dot.count(f'fillcolor="{COLOURS["aggregation"]}"') == 2
    text = to_dot(tree)
    assert text.count(" -> ") == sum(1 for _ in places(tree)) - 1
    assert f'"root.fn" [label="clone(2)", fillcolor="{COLOURS["branching"]}"' in text
    with pytest.raises(ArgumentError):
        to_dot(tree, kind="graph")
    with pytest.raises(ArgumentError):
        to_dot(tree, kind="picture")
