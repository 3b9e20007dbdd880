"""Derivation-tree pictures: every box's colour, read back from the figure's artists, is its group's;
the layout keeps boxes on a level apart; importing einspace.viz stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest
from matplotlib.colors import to_rgba

import einspace
from einspace.errors import ArgumentError, TypeCheckError
from einspace.language.ast import Module, Terminal
from einspace.language.parser import parse
from einspace.viz import COLOURS, draw_tree, group_of, layout_tree
from einspace.viz.paths import places
from einspace.viz.render import pad_units
from einspace.viz.tree import tree_labels

SEEDS = ("resnet18", "vit", "mlp_mixer")
SAMPLES = range(20)


def _tree(case):
    return einspace.seeds.load(case) if isinstance(case, str) else einspace.sample("3x32x32", seed=case)


CASES = [*SEEDS, *SAMPLES]


def boxes(fig) -> dict[str, object]:
    """gid -> text artist, for every tagged text of the figure."""
    return {t.get_gid(): t for ax in fig.axes for t in ax.texts if t.get_gid()}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_box_has_its_groups_colour(case):
    tree = _tree(case)
    artists = boxes(draw_tree(tree))
    expected = list(places(tree))
    assert set(artists) == {p.path for p in expected}
    for place in expected:
        face = artists[place.path].get_bbox_patch().get_facecolor()
        if isinstance(place.node, Module):
            assert face == to_rgba(COLOURS["nonterminal"]), place.path
        else:
            group = {"B": "branching", "A": "aggregation", "R1": "routing", "R2": "routing",
                     "C": "computation"}[{"fn": "B", "agg": "A", "pre": "R1", "post": "R2", "op": "C"}[place.slot]]
            assert face == to_rgba(COLOURS[group]), place.path
            assert artists[place.path].get_text() == place.node.text()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_boxes_on_a_level_do_not_overlap_and_parents_are_centred(case):
    tree = _tree(case)
    labels = tree_labels(tree)
    pos = layout_tree(tree, labels)
    width = {p: len(labels[p]) + 2 * pad_units() for p in labels}
    levels: dict[float, list[str]] = {}
    for path, (_, y) in pos.items():
        levels.setdefault(y, []).append(path)
    for row in levels.values():
        row.sort(key=lambda p: pos[p][0])
        for a, b in zip(row, row[1:]):
            assert pos[a][0] + width[a] / 2 < pos[b][0] - width[b] / 2, (a, b)
    children: dict[str, list[str]] = {}
    for place in places(tree):
        if place.parent is not None:
            children.setdefault(place.parent, []).append(place.path)
            assert pos[place.path][1] == pos[place.parent][1] - 1
    for parent, kids in children.items():
        assert pos[parent][0] == pytest.approx((pos[kids[0]][0] + pos[kids[-1]][0]) / 2)
        assert [pos[k][0] for k in kids] == sorted(pos[k][0] for k in kids)


def test_rendered_boxes_do_not_overlap_and_fit_the_figure():
    fig = draw_tree(einspace.seeds.load("resnet_block"), input="64x32x32")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    extents = [t.get_bbox_patch().get_window_extent(renderer) for t in boxes(fig).values()]
    width, height = fig.canvas.get_width_height()
    for i, a in enumerate(extents):
        assert a.x0 >= 0 and a.y0 >= 0 and a.x1 <= width and a.y1 <= height
        assert not any(a.overlaps(b) for b in extents[i + 1:])


def test_the_figure_grows_with_the_tree():
    small = draw_tree("sequential(norm, relu)").get_size_inches()
    large = draw_tree(einspace.seeds.load("resnet18")).get_size_inches()
    assert large[0] > 5 * small[0] and large[1] > 3 * small[1]


def test_with_an_input_leaves_show_types_and_ill_typed_trees_are_refused():
    artists = boxes(draw_tree("routing[im2col(3,1,1), linear(64), col2im]", input="3x32x32"))
    assert artists["root.pre"].get_text() == "im2col(3,1,1)\ncol[1024,27]"
    assert artists["root.post"].get_text() == "col2im\nim[64,32,32]"
    with pytest.raises(TypeCheckError) as err:
        draw_tree("routing[identity, linear(64), col2im]", input="col:49x16")
    assert err.value.path == "root.post"


def test_a_4_or_8_way_template_is_marked_with_its_copies():
    artists = boxes(draw_tree("branching(4){clone(4), sequential(linear(8), relu), cat(4,1)}"))
    assert artists["root.inner"].get_text() == "M ×4"
    assert artists["root"].get_text() == "S"
    assert artists["root.inner.first"].get_text() == "M"


def test_a_caller_axes_is_drawn_into():
    from matplotlib.figure import Figure
    fig = Figure()
    ax = fig.add_subplot(1, 2, 1)
    assert draw_tree("sequential(norm, relu)", ax=ax) is fig
    assert {t.get_gid() for t in ax.texts} == {"root", "root.first", "root.first.op", "root.second",
                                               "root.second.op"}


def test_group_comes_from_the_slot_not_the_operation():
    tree = parse("routing[identity, identity, identity]")
    assert group_of(tree.pre, "pre") == "routing"
    assert group_of(tree.inner.op, "root.inner.op") == "computation"
    assert group_of(tree) == "nonterminal"
    assert group_of(parse("linear(8)").op) == "computation"  # one role: no slot needed
    with pytest.raises(ArgumentError, match="slot"):
        group_of(tree.pre)
    with pytest.raises(ArgumentError, match="cannot fill"):
        group_of(parse("linear(8)").op, "pre")
    with pytest.raises(ArgumentError, match="no module slot"):
        group_of(tree.pre, "elsewhere")


def test_the_colour_table():
    assert set(COLOURS) == {"nonterminal", "branching", "aggregation", "routing", "computation", "input", "output"}
    assert len(set(COLOURS.values())) == len(COLOURS)
    assert to_rgba(COLOURS["input"]) == to_rgba("black")
    with pytest.raises(TypeError):
        COLOURS["routing"] = "pink"  # type: ignore[index]


def test_importing_viz_does_not_import_matplotlib_or_networkx():
    code = ("import sys, einspace.viz as v; v.COLOURS; v.group_of; "
            "print('matplotlib' in sys.modules, 'networkx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_every_terminal_in_the_tree_is_a_leaf_box():
    tree = einspace.seeds.load("resnet18")
    leaves = [p for p in places(tree) if isinstance(p.node, Terminal)]
    assert len(leaves) == sum(isinstance(n, Terminal) for n in tree.walk())
