"""Graphviz text of the pictures, with the same colours (nothing needs to be installed to write it;
``dot -Tsvg`` renders it where Graphviz is)."""

from __future__ import annotations

from typing import Any, Iterable

from ..errors import ArgumentError
from ..language.parser import as_tree
from .colours import COLOURS, TEXT_COLOURS, group_of
from .paths import places

__all__ = ["to_dot", "KINDS"]

KINDS = ("tree", "graph")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node(ident: str, label: str, group: str) -> str:
    return (f"  {_quote(ident)} [label={_quote(label)}, fillcolor={_quote(COLOURS[group])}, "
            f"fontcolor={_quote(TEXT_COLOURS[group])}];")


def _document(name: str, lines: Iterable[str]) -> str:
    head = [f"digraph {name} {{", "  rankdir=TB;",
            '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans Mono", fontsize=10];',
            '  edge [fontname="DejaVu Sans Mono", fontsize=8, arrowsize=0.6];']
    return "\n".join([*head, *lines, "}"]) + "\n"


def to_dot(tree: Any, input: Any = None, kind: str = "tree", *, expand: bool = False) -> str:
    """The derivation tree (``kind="tree"``) or the data-flow graph (``kind="graph"``, needs
    ``input``; edges labelled with their tensor types) as Graphviz text."""
    if kind not in KINDS:
        raise ArgumentError(f"to_dot kind must be one of {', '.join(KINDS)}, got {kind!r}")
    tree = as_tree(tree)
    if kind == "tree":
        from .tree import tree_labels  # no matplotlib: labels are plain text
        labels = tree_labels(tree, input)
        lines = []
        for place in places(tree):
            lines.append(_node(place.path, labels[place.path], group_of(place.node, place.slot)))
            if place.parent is not None:
                lines.append(f"  {_quote(place.parent)} -> {_quote(place.path)} [arrowhead=none];")
        return _document("derivation", lines)
    if input is None:
        raise ArgumentError("to_dot(kind='graph') needs an input type, e.g. input='3x32x32'")
    from .dataflow import dataflow
    from .graph import graph_labels
    graph = dataflow(tree, input, collapse=not expand)
    labels = graph_labels(graph)
    lines = [_node(n, labels[n], d["group"]) for n, d in graph.nodes(data=True)]
    for u, v, d in graph.edges(data=True):
        label = d["type"] + (f" ×{d['copies']}" if d["copies"] > 1 else "")
        lines.append(f"  {_quote(u)} -> {_quote(v)} [label={_quote(label)}];")
    return _document("dataflow", lines)
