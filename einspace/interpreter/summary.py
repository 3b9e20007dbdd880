"""A layer table of an architecture (layer, output type, parameters), from the type rules alone.

No torch: the numbers are the evaluator's, which the tests hold equal to the built module's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ..language.ast import Branching, Computation, Module, Routing, Sequential
from ..types.evaluator import ROOT, Typed, child_path, infer
from ..language.printer import terminal_text
from ..types.tensor import TensorType

__all__ = ["summary", "Summary", "Row"]


@dataclass(frozen=True)
class Row:
    """One layer: its submodule name (the node path without ``root.``), label, output and params.

    ``params`` counts every instance below this node; ``copies`` > 1 marks the template of a
    4/8-way branching module (``params`` is then the total over its copies).
    """

    name: str
    depth: int
    label: str
    output: TensorType
    params: int
    copies: int = 1


@dataclass(frozen=True)
class Summary:
    """The rows of :func:`summary`; ``str()`` renders them as a table."""

    rows: tuple[Row, ...]
    input: TensorType
    output: TensorType
    params: int
    head: str | None = None
    head_params: int = 0
    head_output: tuple[int, ...] | None = None
    paths: bool = False

    @property
    def total_params(self) -> int:
        return self.params + self.head_params

    def __str__(self) -> str:
        labels = [("  " * r.depth) + r.label + (f" ×{r.copies}" if r.copies > 1 else "") for r in self.rows]
        names = [r.name for r in self.rows]
        outs = [str(r.output) for r in self.rows]
        params = [f"{r.params:,}" for r in self.rows]
        if self.head is not None:
            labels.append(self.head)
            names.append("head")
            outs.append("[" + ",".join(str(s) for s in (self.head_output or ())) + "]")
            params.append(f"{self.head_params:,}")
        header = ("layer", "output", "params", "module")
        cols = [labels, outs, params, names]
        if not self.paths:
            header, cols = header[:3], cols[:3]
        widths = [max([len(h)] + [len(v) for v in col]) for h, col in zip(header, cols)]
        fmt = lambda cells: "  ".join(  # noqa: E731
            c.rjust(w) if i == 2 else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        lines = [fmt(header), rule]
        lines += [fmt(cells) for cells in zip(*cols)]
        lines.append(rule)
        lines.append(f"input {self.input}  →  output {self.output}")
        lines.append(f"backbone params: {self.params:,}")
        if self.head is not None:
            lines.append(f"head params: {self.head_params:,}   total: {self.total_params:,}")
        return "\n".join(lines)

    __repr__ = __str__


_LABELS = {
    Computation: lambda n: terminal_text(n.op),
    Routing: lambda n: f"routing[{terminal_text(n.pre)}, …, {terminal_text(n.post)}]",
    Branching: lambda n: f"branching({n.factor}){{{terminal_text(n.fn)}, …, {terminal_text(n.agg)}}}",
    Sequential: lambda n: "sequential",
}


def _label(node: Module) -> str:
    return _LABELS[type(node)](node)


def _rows(typed: Typed, max_depth: int | None) -> list[Row]:
    rows: list[Row] = []
    stack: list[tuple[Module, str, int, int]] = [(typed.tree, ROOT, 0, 1)]
    while stack:
        node, path, depth, reps = stack.pop()
        info = typed.at(path)
        name = path[len(ROOT) + 1:] if path != ROOT else "(root)"
        rows.append(Row(name, depth, _label(node), info.output, info.params * reps, reps))
        if isinstance(node, Computation) or (max_depth is not None and depth >= max_depth):
            continue
        kids: list[tuple[Module, str, int, int]] = []
        if isinstance(node, Sequential):
            # flatten the chain, as the compact notation does
            chain: list[tuple[Module, str]] = [(node.second, child_path(path, "second")),
                                               (node.first, child_path(path, "first"))]
            while chain:
                item, p = chain.pop()
                if isinstance(item, Sequential):
                    chain += [(item.second, child_path(p, "second")), (item.first, child_path(p, "first"))]
                else:
                    kids.append((item, p, depth + 1, 1))
        elif isinstance(node, Routing):
            kids.append((node.inner, child_path(path, "inner"), depth + 1, 1))
        elif isinstance(node, Branching):
            copies = node.factor if len(node.branches) == 1 else 1
            for slot, child in node.named_children():
                if isinstance(child, Module):
                    kids.append((child, child_path(path, slot), depth + 1, copies))
        stack.extend(reversed(kids))
    return rows


def summary(tree: Union[Module, str], input: Union[str, TensorType, tuple, list], classes: int | None = None, *,
            dense=None, depth: int | None = None, paths: bool = False) -> Summary:
    """The layer table of ``tree`` at ``input``: ``print(einspace.summary(tree, "3x32x32"))``.

    Rows follow the compact notation (a sequential chain is listed flat); ``depth`` limits the
    nesting shown. ``classes``/``dense`` add the head's row, as :func:`einspace.build` would.
    ``paths=True`` adds each layer's submodule name in the built network (``net.get_submodule``).
    """
    if isinstance(tree, str):
        from ..language.parser import parse
        tree = parse(tree)
    typed = infer(tree, input)
    head = head_p = head_out = None
    if classes is not None or dense is not None:
        from .head_rules import describe_head
        head, head_p, head_out = describe_head(typed.output, classes, dense)
    return Summary(tuple(_rows(typed, depth)), typed.input, typed.output, typed.params,
                   head, head_p or 0, head_out, paths)
