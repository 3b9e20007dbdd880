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
    """One layer: its submodule name in the built network (what ``net.get_submodule`` takes), label,
    output and params.

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


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _rows(typed: Typed, max_depth: int | None, root_name: str = "") -> list[Row]:
    """The rows in pre-order. Each row's name is what ``net.get_submodule`` takes: ``root_name``
    ("" for the backbone alone, "backbone" under a head) for the root, and below a 4/8-way template
    (the ModuleList ``inner``) the names of its first copy (``inner.0...``)."""
    rows: list[Row] = []
    # (node, evaluator path, own submodule name, prefix of its children's names, depth, copies)
    stack: list[tuple[Module, str, str, str, int, int]] = [(typed.tree, ROOT, root_name, root_name, 0, 1)]
    while stack:
        node, path, name, base, depth, reps = stack.pop()
        info = typed.at(path)
        rows.append(Row(name, depth, _label(node), info.output, info.params * reps, reps))
        if isinstance(node, Computation) or (max_depth is not None and depth >= max_depth):
            continue
        kids: list[tuple[Module, str, str, str, int, int]] = []
        if isinstance(node, Sequential):
            # flatten the chain, as the compact notation does
            chain: list[tuple[Module, str, str]] = [(node.second, child_path(path, "second"), _join(base, "second")),
                                                    (node.first, child_path(path, "first"), _join(base, "first"))]
            while chain:
                item, p, n = chain.pop()
                if isinstance(item, Sequential):
                    chain += [(item.second, child_path(p, "second"), _join(n, "second")),
                              (item.first, child_path(p, "first"), _join(n, "first"))]
                else:
                    kids.append((item, p, n, n, depth + 1, 1))
        elif isinstance(node, Routing):
            n = _join(base, "inner")
            kids.append((node.inner, child_path(path, "inner"), n, n, depth + 1, 1))
        elif isinstance(node, Branching):
            template = len(node.branches) == 1
            copies = node.factor if template else 1
            for slot, child in node.named_children():
                if isinstance(child, Module):
                    n = _join(base, slot)
                    kids.append((child, child_path(path, slot), n, _join(n, "0") if template else n,
                                 depth + 1, copies))
        stack.extend(reversed(kids))
    return rows


def summary(tree: Union[Module, str], input: Union[str, TensorType, tuple, list], classes: int | None = None, *,
            dense=None, depth: int | None = None, paths: bool = False) -> Summary:
    """The layer table of ``tree`` at ``input``: ``print(einspace.summary(tree, "3x32x32"))``.

    Rows follow the compact notation (a sequential chain is listed flat); ``depth`` limits the
    nesting shown. ``classes``/``dense`` add the head's row, as :func:`einspace.build` would.
    ``paths=True`` adds each layer's submodule name in the built network, as ``net.get_submodule``
    takes it: the root is ``""`` (the network itself; ``backbone`` under a head), and the layers of
    a 4/8-way template are named in its first copy (``inner.0.first``).
    """
    if isinstance(tree, str):
        from ..language.parser import parse
        tree = parse(tree)
    typed = infer(tree, input)
    head = head_p = head_out = None
    if classes is not None or dense is not None:
        from .head_rules import describe_head
        head, head_p, head_out = describe_head(typed.output, classes, dense)
    root_name = "" if head is None else "backbone"
    return Summary(tuple(_rows(typed, depth, root_name)), typed.input, typed.output, typed.params,
                   head, head_p or 0, head_out, paths)
