"""Pure layout rules: a tidy layered layout of trees and a layered layout of data-flow graphs.

Coordinates are in character widths across and levels down, so a picture can size its figure from
them (a monospaced label of n characters is n units wide) and no label overlaps another on a level.
"""

from __future__ import annotations

from typing import Hashable, Mapping, Sequence

import networkx as nx

__all__ = ["tidy_x", "layers", "layered_x", "Route"]

Route = list[tuple[float, int]]


def tidy_x(children: Mapping[Hashable, Sequence[Hashable]], root: Hashable, widths: Mapping[Hashable, float],
           gap: float = 2.0) -> dict[Hashable, float]:
    """The x of every node of a tree, Reingold–Tilford style: each subtree is pushed right until its
    left contour clears its left siblings' right contour by ``gap``, and a parent sits centred over
    its first and last child. Subtrees pack under each other where their depths allow."""
    order: list[Hashable] = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(children.get(node, ()))
    contour: dict[Hashable, list[tuple[float, float]]] = {}
    rel: dict[Hashable, float] = {}
    for node in reversed(order):  # children before parents
        half = widths[node] / 2
        kids = children.get(node, ())
        if not kids:
            contour[node] = [(-half, half)]
            continue
        acc = list(contour.pop(kids[0]))
        offsets = [0.0]
        for kid in kids[1:]:
            theirs = contour.pop(kid)
            shift = max(acc[d][1] - theirs[d][0] + gap for d in range(min(len(acc), len(theirs))))
            offsets.append(shift)
            for d, (left, right) in enumerate(theirs):
                if d < len(acc):
                    acc[d] = (min(acc[d][0], left + shift), max(acc[d][1], right + shift))
                else:
                    acc.append((left + shift, right + shift))
        centre = (offsets[0] + offsets[-1]) / 2
        for kid, offset in zip(kids, offsets):
            rel[kid] = offset - centre
        contour[node] = [(-half, half)] + [(left - centre, right - centre) for left, right in acc]
    x = {root: 0.0}
    for node in order:  # parents before children
        for kid in children.get(node, ()):
            x[kid] = x[node] + rel[kid]
    return x


def layers(graph: nx.DiGraph) -> dict[Hashable, int]:
    """Each node's layer: the length of the longest path to it from a source."""
    layer: dict[Hashable, int] = {}
    for node in nx.topological_sort(graph):
        layer[node] = max((layer[p] + 1 for p in graph.predecessors(node)), default=0)
    return layer


def layered_x(graph: nx.DiGraph, widths: Mapping[Hashable, float], gap: float = 2.0
              ) -> tuple[dict[Hashable, tuple[float, int]], dict[tuple[Hashable, Hashable], Route]]:
    """Positions ``(x, layer)`` of every node and the route of every edge (its bends).

    An edge that skips layers gets a thin waypoint on each layer it crosses, placed like a node, so a
    skip connection runs beside the chain it skips instead of through its nodes. Each layer, top to
    bottom, puts every node at the mean x of what feeds it (ties kept in edge order), then pushes
    neighbours apart and re-centres the layer on where its nodes wanted to be.
    """
    layer = layers(graph)
    feeds: dict[Hashable, list[tuple[Hashable, int]]] = {n: [] for n in graph}  # node -> [(pred, port)]
    width = dict(widths)
    bends: dict[tuple[Hashable, Hashable], list[Hashable]] = {}
    for u in graph:
        for port, v in enumerate(graph.successors(u)):
            prev = u
            waypoints = []
            for level in range(layer[u] + 1, layer[v]):
                w = ("bend", u, v, level)
                layer[w], width[w], feeds[w] = level, 0.0, [(prev, port)]
                waypoints.append(w)
                prev, port = w, 0
            feeds[v].append((prev, port))
            bends[(u, v)] = waypoints
    by_layer: dict[int, list[Hashable]] = {}
    for node, level in layer.items():
        by_layer.setdefault(level, []).append(node)
    x: dict[Hashable, float] = {}
    for level in sorted(by_layer):
        wanted = {n: (sum(x[p] for p, _ in feeds[n]) / len(feeds[n]) if feeds[n] else 0.0,
                      min((port for _, port in feeds[n]), default=0)) for n in by_layer[level]}
        row = sorted(by_layer[level], key=lambda n: wanted[n])
        placed: list[float] = []
        for i, node in enumerate(row):
            want = wanted[node][0]
            if i:
                want = max(want, placed[-1] + (width[row[i - 1]] + width[node]) / 2 + gap)
            placed.append(want)
        drift = sum(wanted[n][0] - p for n, p in zip(row, placed)) / len(row)
        for node, p in zip(row, placed):
            x[node] = p + drift
    positions = {n: (x[n], layer[n]) for n in graph}
    routes = {(u, v): [positions[u]] + [(x[w], layer[w]) for w in ws] + [positions[v]]
              for (u, v), ws in bends.items()}
    return positions, routes
