"""The data-flow graph as a picture (the paper's Figure 1, top row).

Top to bottom by depth (the longest path from the input); input black, output red, operations in
their group's colour; a collapsed 4/8-way copy is marked ×b. Every node is a text artist whose gid
is its id in :func:`einspace.viz.dataflow.dataflow`'s graph; edge labels have gids ``edge:u->v``.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from .colours import COLOURS, TEXT_COLOURS
from .dataflow import dataflow
from .layout import layered_x
from .render import LINE_UNITS, box, new_axes, pad_units

__all__ = ["draw_graph", "graph_labels", "layout_graph"]

GAP = 3.0
FONTSIZE = 8.0


def graph_labels(graph: nx.DiGraph) -> dict[str, str]:
    """node id -> its box text: the operation, ``×b`` after a node that stands for b copies."""
    return {n: d["op"] + (f" ×{d['copies']}" if d["copies"] > 1 else "") for n, d in graph.nodes(data=True)}


def layout_graph(graph: nx.DiGraph, labels: dict[str, str] | None = None, *, types: bool = False,
                 gap: float = GAP) -> tuple[dict[str, tuple[float, int]], dict[tuple[str, str], list[tuple[float, int]]]]:
    """``(positions, routes)``: node -> ``(x, layer)`` with x in character widths, and each edge's
    bend points; layers by the longest path from the input (see :func:`einspace.viz.layout.layered_x`).
    With ``types`` each node also keeps room on its right for the type label below it."""
    labels = graph_labels(graph) if labels is None else labels
    widths = {n: len(text) + 2 * pad_units() for n, text in labels.items()}
    if types:
        widths = {n: max(w, 2 * (len(type_label(graph, n)) + 1)) for n, w in widths.items()}
    return layered_x(graph, widths, gap)


def type_label(graph: nx.DiGraph, node: str) -> str:
    """What a node's out-edges carry (every out-edge of a node carries its output type), ×b when the
    edge stands for b copies; empty for the output."""
    copies = {d["copies"] for _, _, d in graph.out_edges(node, data=True)}
    if not copies or graph.nodes[node]["type"] is None:
        return ""
    reps = max(copies)
    return graph.nodes[node]["type"] + (f" ×{reps}" if reps > 1 else "")


def draw_graph(tree: Any, input: Any, *, types: bool = False, expand: bool = False, ax: Any = None,
               fontsize: float | None = None) -> Any:
    """Draw the data-flow graph of ``tree`` at ``input``; returns the matplotlib Figure.

    ``types`` writes under every node the tensor type its out-edges carry; ``expand`` draws every
    copy of a 4/8-way branching instead of one marked ×b. Raises TypeCheckError when the tree does
    not type-check at ``input``.
    """
    size = FONTSIZE if fontsize is None else float(fontsize)
    graph = dataflow(tree, input, collapse=not expand)
    labels = graph_labels(graph)
    pos, routes = layout_graph(graph, labels, types=types)
    half = {n: max(len(labels[n]) + 2 * pad_units(), 2 * (len(type_label(graph, n)) + 1) if types else 0) / 2
            for n in graph}
    left = min(x - half[n] for n, (x, _) in pos.items())
    right = max(x + half[n] for n, (x, _) in pos.items())
    level = LINE_UNITS * (3.2 if types else 2.6)
    depth = max(layer for _, layer in pos.values())
    fig, ax = new_axes(ax, right - left + 2, (depth + 1) * level, size)

    def at(x: float, layer: float) -> tuple[float, float]:
        return x - left + 1, -(layer + 0.5) * level

    from matplotlib.collections import LineCollection
    ax.add_collection(LineCollection([[at(*p) for p in route] for route in routes.values()],
                                     colors="#555555", linewidths=0.8, zorder=1))
    for node, data in graph.nodes(data=True):
        group = data["group"]
        x, y = at(*pos[node])
        box(ax, x, y, labels[node], node, COLOURS[group], TEXT_COLOURS[group], size)
        text = type_label(graph, node) if types else ""
        if text:
            label = ax.text(x + 0.8, y - level / 2, text, ha="left", va="center", fontsize=size * 0.85,
                            family="DejaVu Sans Mono", color="#333333", zorder=2,
                            bbox=dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none", alpha=0.85))
            label.set_gid(f"type:{node}")
    return fig
