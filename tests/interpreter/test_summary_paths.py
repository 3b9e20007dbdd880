"""Every module name ``summary(..., paths=True)`` prints is one ``net.get_submodule`` accepts, and
names the module built for that row (issue 10, item 7)."""

from __future__ import annotations

import pytest

import einspace
from einspace.interpreter.modules import Container

CASES = [
    ("seed:resnet_block", "64x8x8", None),
    ("seed:vit", "3x32x32", 10),  # a 4-way template (multi-head attention) under a head
    ("branching(4){clone(4), sequential(norm, relu), cat(4,1)}", "3x8x8", None),
    ("routing[im2col(3,1,1), linear(8), col2im]", "3x8x8", None),
    ("sequential(norm, relu)", "3x4x4", 3),
    ("routing[im2col(3,1,1), linear(8), col2im]", "3x8x8", "dense"),
]


def _tree(text: str) -> einspace.Module:
    return einspace.seeds.load(text[5:]) if text.startswith("seed:") else einspace.parse(text)


def printed_names(table: str) -> list[str]:
    """The module column of a printed summary table (blank for the root: the network itself)."""
    lines = table.splitlines()
    start = lines[0].index("module")
    body = lines[2:lines.index(lines[1], 2)]
    return [line[start:].strip() if len(line) > start else "" for line in body]


@pytest.mark.parametrize("text,input,head", CASES)
def test_every_printed_path_is_a_submodule(text, input, head):
    tree = _tree(text)
    kw = {"dense": (2, 4, 4)} if head == "dense" else {"classes": head}
    s = einspace.summary(tree, input, paths=True, **kw)
    net = einspace.build(tree, input, **kw)
    names = printed_names(str(s))
    assert len(names) == len(s.rows) + (s.head is not None)
    assert names[:len(s.rows)] == [r.name for r in s.rows]
    for row, name in zip(s.rows, names):
        module = net.get_submodule(name)  # raises AttributeError on a name the net does not have
        if isinstance(module, Container):  # (a template row names the ModuleList of its copies)
            assert module.output_type == row.output, name
    if s.head is not None:
        assert names[-1] == "head" and net.get_submodule("head") is net.head


def test_root_is_the_network_or_the_backbone():
    plain = einspace.summary("sequential(norm, relu)", "3x4x4", paths=True)
    headed = einspace.summary("sequential(norm, relu)", "3x4x4", classes=2, paths=True)
    assert plain.rows[0].name == "" and headed.rows[0].name == "backbone"
    assert headed.rows[1].name == "backbone.first"


def test_template_layers_are_named_in_the_first_copy():
    rows = einspace.summary("branching(4){clone(4), sequential(norm, relu), cat(4,1)}", "3x8x8", paths=True).rows
    assert [r.name for r in rows] == ["", "inner", "inner.0.first", "inner.0.second"]
