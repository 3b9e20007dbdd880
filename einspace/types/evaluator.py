"""Attribute evaluator: carries tensor types through a tree and checks every rule.

Pure Python on types (no torch). For an input type it computes, for every node, its input and
output types (mode, shape, the im2col grid) and the exact parameter count, FLOPs and activation
memory, or raises :class:`TypeCheckError` with the path, rule and types of each offending node.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator, Union

from .._recursion import deep_enough
from ..language.ast import Branching, Computation, Module, Node, Routing, Sequential, Terminal
from ..errors import RuleViolation, TypeCheckError, Violation
from ..language.let import call_sites
from ..language.parser import as_tree
from .rules import aggregate, agg_flops, apply, branch, op_flops, op_memory, op_params
from .tensor import TensorType, as_type

__all__ = ["infer", "check", "Typed", "NodeInfo", "child_path", "ROOT"]

ROOT = "root"
TypeLike = Union[str, TensorType, tuple, list]


def child_path(parent: str, name: str) -> str:
    """The path of a child: ``root.second.inner``; names are the module's ``child_names()``."""
    return f"{parent}.{name}"


@dataclass(frozen=True)
class NodeInfo:
    """What the evaluator knows about one node occurrence.

    ``params``, ``flops`` and ``memory`` are for one instance of the subtree; ``copies`` is how many
    instances the network holds (the product of the enclosing 4/8-way branching factors). For a
    branching function ``output`` is the type each branch receives; for an aggregation ``input`` is
    the tuple of branch output types.
    """

    path: str
    node: Node
    input: Union[TensorType, tuple[TensorType, ...]]
    output: TensorType
    params: int
    flops: int
    memory: int
    copies: int

    @property
    def depth(self) -> int:
        return self.path.count(".")


@dataclass(frozen=True)
class Typed:
    """An evaluated architecture: the tree, its input and output types, and totals."""

    tree: Module
    input: TensorType
    output: TensorType
    params: int
    flops: int
    memory: int
    nodes: tuple[NodeInfo, ...]

    @property
    def activation_bytes(self) -> int:
        """float32 bytes of the activations of one sample."""
        return 4 * self.memory

    def at(self, path: str) -> NodeInfo:
        """The info of the node at ``path`` (``root``, ``root.first``, ...)."""
        index = self._index()
        try:
            return index[path]
        except KeyError:
            raise KeyError(f"no node at path {path!r}") from None

    def _index(self) -> dict[str, NodeInfo]:
        cached = self.__dict__.get("_by_path")
        if cached is None:
            cached = {n.path: n for n in self.nodes}
            object.__setattr__(self, "_by_path", cached)
        return cached

    def __iter__(self) -> Iterator[NodeInfo]:
        return iter(self.nodes)

    def to_json(self) -> dict:
        return {"valid": True, "input": self.input.to_json(), "output": self.output.to_json(),
                "params": self.params, "flops": self.flops, "memory": self.memory}


class _Failed(Exception):
    """Internal: a subtree failed; its violations are already recorded."""


class _Evaluator:
    def __init__(self) -> None:
        self.infos: list[NodeInfo | None] = []
        self.violations: list[Violation] = []

    def fail(self, path: str, node: Node, parent: Node | None, err: RuleViolation) -> _Failed:
        from ..language.printer import to_string
        context = to_string(parent) if parent is not None else ""
        self.violations.append(Violation(path, err.rule, err.message, to_string(node), err.types, context))
        return _Failed()

    def record(self, slot: int, info: NodeInfo) -> None:
        self.infos[slot] = info

    def reserve(self) -> int:
        self.infos.append(None)
        return len(self.infos) - 1

    def terminal(self, op: Terminal, t: TensorType, path: str, copies: int, parent: Module) -> TensorType:
        slot = self.reserve()
        try:
            out = apply(op, t)
        except RuleViolation as err:
            raise self.fail(path, op, parent, err) from None
        self.record(slot, NodeInfo(path, op, t, out, op_params(op, t, out), op_flops(op, t, out),
                                   op_memory(op, out), copies))
        return out

    def module(self, node: Module, t: TensorType, path: str, copies: int) -> tuple[TensorType, int, int, int]:
        slot = self.reserve()
        if isinstance(node, Computation):
            out = self.terminal(node.op, t, child_path(path, "op"), copies, node)
            info = self.infos[slot + 1]
            assert info is not None
            params, flops, memory = info.params, info.flops, info.memory
        elif isinstance(node, Sequential):
            mid, p1, f1, m1 = self.module(node.first, t, child_path(path, "first"), copies)
            out, p2, f2, m2 = self.module(node.second, mid, child_path(path, "second"), copies)
            params, flops, memory = p1 + p2, f1 + f2, m1 + m2
        elif isinstance(node, Routing):
            a = self.terminal(node.pre, t, child_path(path, "pre"), copies, node)
            pre = self.infos[slot + 1]
            assert pre is not None
            b, params, flops, memory = self.module(node.inner, a, child_path(path, "inner"), copies)
            out = self.terminal(node.post, b, child_path(path, "post"), copies, node)
            post = self.infos[-1]
            assert post is not None
            flops += pre.flops + post.flops
            memory += pre.memory + post.memory
        elif isinstance(node, Branching):
            out, params, flops, memory = self.branching(node, t, path, copies)
        else:  # pragma: no cover - the AST constructors make this unreachable
            raise TypeError(f"not a module: {node!r}")
        self.record(slot, NodeInfo(path, node, t, out, params, flops, memory, copies))
        return out, params, flops, memory

    def branching(self, node: Branching, t: TensorType, path: str, copies: int) -> tuple[TensorType, int, int, int]:
        names = node.child_names()
        fn_slot = self.reserve()
        try:
            bt = branch(node.fn, t)
        except RuleViolation as err:
            raise self.fail(child_path(path, names[0]), node.fn, node, err) from None
        b = node.factor
        fn_memory = op_memory(node.fn, bt, b)
        self.record(fn_slot, NodeInfo(child_path(path, names[0]), node.fn, t, bt, 0, 0, fn_memory, copies))
        outs: list[TensorType] = []
        params = flops = memory = 0
        failed = False
        reps = 1 if len(node.branches) == 2 else b
        for name, inner in zip(names[1:-1], node.branches):
            try:
                o, p, f, m = self.module(inner, bt, child_path(path, name), copies * reps)
            except _Failed:
                failed = True
                continue
            outs.append(o)
            params, flops, memory = params + p * reps, flops + f * reps, memory + m * reps
        if failed:
            raise _Failed()
        types = outs * b if reps > 1 else outs
        agg_path = child_path(path, names[-1])
        agg_slot = self.reserve()
        try:
            out = aggregate(node.agg, types, b)
        except RuleViolation as err:
            raise self.fail(agg_path, node.agg, node, err) from None
        af = agg_flops(node.agg, types, out)
        am = op_memory(node.agg, out)
        self.record(agg_slot, NodeInfo(agg_path, node.agg, tuple(types), out, 0, af, am, copies))
        return out, params, flops + af, memory + am + fn_memory


def infer(tree: Union[Module, str], input: TypeLike, *, grammar=None) -> Typed:
    """Evaluate ``tree`` on ``input`` (``"3x28x28"``, ``"col:64x512"`` or a TensorType).

    Raises :class:`TypeCheckError` listing every violation found (independent branches are all
    checked), each with the node's path, the rule, the message and the types involved.
    """
    tree = as_tree(tree, grammar=grammar)
    t = as_type(input)
    ev = _Evaluator()
    with deep_enough(tree.depth):
        try:
            out, params, flops, memory = ev.module(tree, t, ROOT, 1)
        except _Failed:
            raise TypeCheckError(_with_call_sites(tree, ev.violations)) from None
    nodes = tuple(i for i in ev.infos if i is not None)
    return Typed(tree, t, out, params, flops, memory, nodes)


def _with_call_sites(tree: Module, violations: list[Violation]) -> list[Violation]:
    """Violations inside a ``let`` expansion also name the definition and where it was called."""
    sites = call_sites(tree)
    if not sites:
        return violations
    by_node = {id(s.node): s for s in sites}
    out = []
    for v in violations:
        node, found = tree, None
        for name in v.path.split(".")[1:]:
            if id(node) in by_node:
                found = by_node[id(node)]
            node = dict(node.named_children()).get(name) if isinstance(node, Module) else None
            if node is None:
                break
        if node is not None and id(node) in by_node:
            found = by_node[id(node)]
        out.append(replace(v, origin=found.describe()) if found is not None else v)
    return out


def check(tree: Union[Module, str], input: TypeLike, *, grammar=None) -> list[Violation]:
    """Every violation of ``tree`` at ``input``; empty when it type-checks."""
    try:
        infer(tree, input, grammar=grammar)
    except TypeCheckError as err:
        return list(err.violations)
    return []
