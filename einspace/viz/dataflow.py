"""The network as a data-flow graph (networkx) for your own analysis, and what the pictures draw.

Nodes: ``"input"``, ``"output"`` and one node per operation instance. Edges: the tensors flowing.

* sequential(A, B): A's last operation feeds B's first;
* routing[pre, M, post]: pre → M → post;
* branching(b){fn, ..., agg}: fn feeds each branch's first operation, each branch's last feeds agg.

A 4/8-way branching holds b copies of its one inner module. Collapsed (the default) the copy is
drawn once: the edges fn → copy and copy → agg carry ``copies=b`` and the copy's nodes carry
``copies`` (how many instances they stand for). Expanded, every copy has its own nodes (ids such as
``root.inner[2].op``) and every edge has ``copies=1``. Either way, the invariants:

* a branching function of factor b: its out-edges' ``copies`` sum to b (expanded: b out-edges);
* an aggregation of factor b: its in-edges' ``copies`` sum to b (expanded: b in-edges);
* every other operation has one in-edge and one out-edge; the input has none in and one out,
  the output one in and none out; the graph is a DAG;
* a node's ``type`` is its output (a branching function's: what each branch receives) and an
  edge's ``type`` is its source's ``type``, both as ``infer`` computes them.
"""

from __future__ import annotations

from typing import Any, Optional

import networkx as nx

from .._recursion import deep_enough
from ..language.ast import Branching, Computation, Module, Routing, Sequential, Terminal
from ..language.parser import as_tree
from ..types.evaluator import ROOT, Typed, child_path, infer
from .colours import group_of

__all__ = ["dataflow", "INPUT", "OUTPUT"]

INPUT = "input"
OUTPUT = "output"


def dataflow(tree: Any, input: Any = None, *, collapse: bool = True) -> nx.DiGraph:
    """The data-flow graph of ``tree`` at ``input`` (``input=None``: no types, ``type`` is None).

    Node attributes: ``op`` (the operation's text), ``group`` (colour group), ``path`` (tree path),
    ``type`` (output type string), ``copies``. Edge attributes: ``type``, ``copies``. Raises
    TypeCheckError when the tree does not type-check at ``input``.
    """
    tree = as_tree(tree)
    typed = infer(tree, input) if input is not None else None
    graph = nx.DiGraph(input=_text(typed.input) if typed else None, collapsed=collapse)
    builder = _Builder(graph, typed, collapse)
    graph.add_node(INPUT, op=INPUT, group="input", path="", type=graph.graph["input"], copies=1)
    with deep_enough(tree.depth):
        first, last = builder.module(tree, ROOT, ROOT, 1)
    graph.add_node(OUTPUT, op=OUTPUT, group="output", path="", type=_text(typed.output) if typed else None, copies=1)
    builder.edge(INPUT, first)
    builder.edge(last, OUTPUT)
    return graph


def _text(t: Any) -> Optional[str]:
    return None if t is None else str(t)


class _Builder:
    """Adds a module's operations and inner edges; returns the ids of its first and last operation."""

    def __init__(self, graph: nx.DiGraph, typed: Optional[Typed], collapse: bool) -> None:
        self.graph, self.typed, self.collapse = graph, typed, collapse

    def edge(self, u: str, v: str, copies: int = 1) -> None:
        self.graph.add_edge(u, v, type=self.graph.nodes[u]["type"], copies=copies)

    def op(self, op: Terminal, ident: str, path: str, copies: int) -> str:
        out = _text(self.typed.at(path).output) if self.typed is not None else None
        self.graph.add_node(ident, op=op.text(), group=group_of(op, path), path=path, type=out, copies=copies)
        return ident

    def module(self, node: Module, ident: str, path: str, copies: int) -> tuple[str, str]:
        def sub(name: str) -> tuple[str, str]:
            return child_path(ident, name), child_path(path, name)

        if isinstance(node, Computation):
            op = self.op(node.op, *sub("op"), copies)
            return op, op
        if isinstance(node, Sequential):
            first, mid = self.module(node.first, *sub("first"), copies)
            mid2, last = self.module(node.second, *sub("second"), copies)
            self.edge(mid, mid2)
            return first, last
        if isinstance(node, Routing):
            pre = self.op(node.pre, *sub("pre"), copies)
            first, last = self.module(node.inner, *sub("inner"), copies)
            post = self.op(node.post, *sub("post"), copies)
            self.edge(pre, first)
            self.edge(last, post)
            return pre, post
        assert isinstance(node, Branching)
        return self.branching(node, ident, path, copies)

    def branching(self, node: Branching, ident: str, path: str, copies: int) -> tuple[str, str]:
        names = node.child_names()
        fn = self.op(node.fn, child_path(ident, names[0]), child_path(path, names[0]), copies)
        agg_id, agg_path = child_path(ident, names[-1]), child_path(path, names[-1])
        inner: list[tuple[str, str, int]] = []  # (first, last, copies on the edges)
        if len(node.branches) == 2:
            for name, branch in zip(names[1:-1], node.branches):
                first, last = self.module(branch, child_path(ident, name), child_path(path, name), copies)
                inner.append((first, last, 1))
        elif self.collapse:
            b = node.factor
            first, last = self.module(node.branches[0], child_path(ident, "inner"), child_path(path, "inner"),
                                      copies * b)
            inner.append((first, last, b))
        else:
            for k in range(1, node.factor + 1):
                first, last = self.module(node.branches[0], f"{child_path(ident, 'inner')}[{k}]",
                                          child_path(path, "inner"), copies)
                inner.append((first, last, 1))
        agg = self.op(node.agg, agg_id, agg_path, copies)
        for first, last, n in inner:
            self.edge(fn, first, n)
            self.edge(last, agg, n)
        return fn, agg
