"""The derivation tree as a picture (the paper's Figure 1, bottom row, and Figure 2).

Non-terminals (``S`` at the root, ``M`` for every module) are grey boxes; the leaves are the
terminal operations, coloured by the group of the slot they fill. Every box is a text artist whose
gid is the node's tree path, so a program (or a test) can find any node's artist in the figure.
"""

from __future__ import annotations

from typing import Any, Optional

from ..language.ast import Module, Terminal
from ..language.parser import as_tree
from ..types.evaluator import ROOT, infer
from .colours import COLOURS, TEXT_COLOURS, group_of
from .layout import tidy_x
from .paths import Place, places, replicas
from .render import LINE_UNITS, box, new_axes, pad_units

__all__ = ["draw_tree", "layout_tree", "tree_labels"]

#: character widths between neighbouring boxes
GAP = 2.0
#: default font size (points)
FONTSIZE = 8.0


def tree_labels(tree: Module, input: Any = None) -> dict[str, str]:
    """path -> the text of its box: ``S``/``M`` (``M ×4`` for a 4/8-way template), or the terminal's
    text; with ``input``, a terminal's output type on a second line (raises TypeCheckError)."""
    tree = as_tree(tree)
    typed = None
    if input is not None:
        typed = infer(tree, input)
    labels: dict[str, str] = {}
    copies: dict[str, int] = {}
    for place in places(tree):
        labels[place.path] = _label(place, copies)
        if isinstance(place.node, Module):
            copies[place.path] = replicas(place.node)
        if typed is not None and isinstance(place.node, Terminal):
            labels[place.path] += "\n" + str(typed.at(place.path).output)
    return labels


def _label(place: Place, copies: dict[str, int]) -> str:
    if isinstance(place.node, Terminal):
        return place.node.text()
    symbol = "S" if place.parent is None else "M"
    reps = copies.get(place.parent or "", 1)
    return f"{symbol} ×{reps}" if reps > 1 and place.slot == "inner" else symbol


def _widths(labels: dict[str, str]) -> dict[str, float]:
    return {path: max(len(line) for line in text.split("\n")) + 2 * pad_units() for path, text in labels.items()}


def layout_tree(tree: Module, labels: Optional[dict[str, str]] = None, *, gap: float = GAP
                ) -> dict[str, tuple[float, float]]:
    """path -> ``(x, y)``: x in character widths (leftmost box edge at 0), y = -depth.

    A tidy layered layout: boxes on one level never overlap (``gap`` characters apart at least),
    parents are centred over their children, subtrees pack under each other where depths allow.
    """
    tree = as_tree(tree)
    if labels is None:
        labels = tree_labels(tree)
    widths = _widths(labels)
    children: dict[str, list[str]] = {}
    depth: dict[str, int] = {}
    for place in places(tree):
        depth[place.path] = place.depth
        if place.parent is not None:
            children.setdefault(place.parent, []).append(place.path)
    x = tidy_x(children, ROOT, widths, gap)
    left = min(x[p] - widths[p] / 2 for p in x)
    return {p: (x[p] - left, -float(depth[p])) for p in x}


def draw_tree(tree: Any, *, ax: Any = None, input: Any = None, fontsize: Optional[float] = None) -> Any:
    """Draw the derivation tree of ``tree`` (a tree or its text); returns the matplotlib Figure.

    With ``input`` the tree is type-checked first (TypeCheckError names the offending node) and
    each leaf shows its output type. Without ``ax`` the figure is sized to the tree, so every label
    is legible at 100 dpi however large the network.
    """
    tree = as_tree(tree)
    size = FONTSIZE if fontsize is None else float(fontsize)
    labels = tree_labels(tree, input)
    pos = layout_tree(tree, labels)
    widths = _widths(labels)
    lines = max(text.count("\n") + 1 for text in labels.values())
    level = (lines + 1.6) * LINE_UNITS  # one level, in character widths
    span = max(x + widths[p] / 2 for p, (x, _) in pos.items())
    depth = -min(y for _, y in pos.values())
    fig, ax = new_axes(ax, span + 2, (depth + 1) * level, size)
    place = {p: (x + 1, (y - 0.5) * level) for p, (x, y) in pos.items()}
    _draw(ax, tree, labels, place, size)
    return fig


def _draw(ax: Any, tree: Module, labels: dict[str, str], pos: dict[str, tuple[float, float]], size: float) -> None:
    from matplotlib.collections import LineCollection
    segments = [[pos[p.parent], pos[p.path]] for p in places(tree) if p.parent is not None]
    ax.add_collection(LineCollection(segments, colors="#555555", linewidths=0.8, zorder=1))
    for place in places(tree):
        group = group_of(place.node, place.slot)
        box(ax, *pos[place.path], labels[place.path], place.path, COLOURS[group], TEXT_COLOURS[group], size)
