"""Printers: canonical (the authors' v2 text), compact (for people), brackets (derivation tree), tree.

``canonical`` is byte-identical to the einspace v2 printer; ``compact`` uses the conveniences the
parser accepts (bare computation terminals, n-ary sequential, indentation); ``brackets`` is the
labelled-bracket derivation tree of the paper's figures; ``tree`` is an indented view that shows
every node's input and output type and parameter count when an input type is given.
"""

from __future__ import annotations

from typing import Callable, Union

from .._recursion import deep_enough
from .ast import (Add, Branching, Cat, Clone, Col2Im, Computation, DotProduct, Group, Identity, Im2Col,
                  Linear, Module, Node, Norm, Perm, PosEnc, Relu, Routing, Sequential, Softmax, Terminal)
from ..types.tensor import TensorType

__all__ = ["to_string", "terminal_text", "STYLES", "format_factor"]

STYLES = ("canonical", "compact", "brackets", "tree")


def format_factor(f: float) -> str:
    """``4.0`` → ``4``, ``0.25`` → ``0.25`` (the v2 printer's ``str`` of the Python number)."""
    return str(int(f)) if float(f).is_integer() else repr(float(f))


def _ints(*xs: int) -> str:
    return ",".join(str(x) for x in xs)


_TERMINAL_TEXT: dict[type, Callable[..., str]] = {
    Clone: lambda op: f"clone({op.b})",
    Group: lambda op: f"group({op.b},{op.dim})",
    DotProduct: lambda op: "dot_product(scaled)" if op.scaled else "dot_product",
    Add: lambda op: f"add({op.b})",
    Cat: lambda op: f"cat({op.b},{op.dim})",
    Identity: lambda op: "identity",
    Perm: lambda op: f"perm({_ints(*op.order)})",
    Im2Col: lambda op: f"im2col({_ints(op.k, op.s, op.p)})" if op.d == 1 else f"im2col({_ints(op.k, op.s, op.p, op.d)})",
    Col2Im: lambda op: "col2im",
    Linear: lambda op: f"linear({op.width})" if op.width is not None else f"linear(x{format_factor(op.factor)})",
    Norm: lambda op: "norm",
    Relu: lambda op: "relu",
    Softmax: lambda op: "softmax",
    PosEnc: lambda op: "pos_enc",
}


def terminal_text(op: Terminal) -> str:
    """The canonical text of one terminal, e.g. ``im2col(3,1,1)``."""
    return _TERMINAL_TEXT[type(op)](op)


# --- canonical --------------------------------------------------------------------------------

def _canonical(node: Node, out: list[str]) -> None:
    if isinstance(node, Terminal):
        out.append(_TERMINAL_TEXT[type(node)](node))
    elif isinstance(node, Computation):
        out.append("computation<")
        out.append(_TERMINAL_TEXT[type(node.op)](node.op))
        out.append(">")
    elif isinstance(node, Sequential):
        out.append("sequential(")
        _canonical(node.first, out)
        out.append(", ")
        _canonical(node.second, out)
        out.append(")")
    elif isinstance(node, Routing):
        out.append("routing[")
        _canonical(node.pre, out)
        out.append(", ")
        _canonical(node.inner, out)
        out.append(", ")
        _canonical(node.post, out)
        out.append("]")
    elif isinstance(node, Branching):
        out.append(f"branching({node.factor}){{")
        for i, child in enumerate(node.children):
            if i:
                out.append(", ")
            _canonical(child, out)
        out.append("}")
    else:  # pragma: no cover
        raise TypeError(f"cannot print {type(node).__name__}")


# --- compact ----------------------------------------------------------------------------------

def _seq_items(node: Sequential) -> list[Module]:
    """The items of a right-nested chain ``sequential(a, sequential(b, c))`` → ``[a, b, c]``; a
    left-nested first child stays one item (the n-ary form means right nesting)."""
    items: list[Module] = []
    current: Module = node
    while isinstance(current, Sequential):
        items.append(current.first)
        current = current.second
    items.append(current)
    return items


def _compact_parts(node: Node) -> tuple[str, str, list[Node], str]:
    """(head, open, children, close) of a node in compact style; leaves have no children."""
    if isinstance(node, Terminal):
        return terminal_text(node), "", [], ""
    if isinstance(node, Computation):
        return terminal_text(node.op), "", [], ""
    if isinstance(node, Sequential):
        return "sequential", "(", list(_seq_items(node)), ")"
    if isinstance(node, Routing):
        return "routing", "[", list(node.children), "]"
    assert isinstance(node, Branching)
    return f"branching({node.factor})", "{", list(node.children), "}"


def _compact_line(node: Node) -> str:
    head, open_, kids, close = _compact_parts(node)
    if not kids:
        return head
    return head + open_ + ", ".join(_compact_line(k) for k in kids) + close


def _compact(node: Node, indent: int, width: int, out: list[str]) -> None:
    line = _compact_line(node)
    if indent + len(line) <= width:
        out.append(line)
        return
    head, open_, kids, close = _compact_parts(node)
    out.append(head + open_ + "\n")
    pad = " " * (indent + 2)
    for i, kid in enumerate(kids):
        out.append(pad)
        _compact(kid, indent + 2, width, out)
        out.append(",\n" if i < len(kids) - 1 else "\n")
    out.append(" " * indent + close)


# --- brackets (labelled derivation tree) ------------------------------------------------------

def _brackets(node: Node, symbol: str, out: list[str]) -> None:
    if isinstance(node, Terminal):
        out.append(f"[{symbol} {terminal_text(node)}]")
        return
    out.append(f"[{symbol}")
    if isinstance(node, Computation):
        out.append(f" [C {terminal_text(node.op)}]")
    elif isinstance(node, Sequential):
        for child in (node.first, node.second):
            out.append(" ")
            _brackets(child, "M", out)
    elif isinstance(node, Routing):
        for child, sym in zip(node.children, ("R1", "M", "R2")):
            out.append(" ")
            _brackets(child, sym, out)
    elif isinstance(node, Branching):
        syms = ("B",) + ("M",) * len(node.branches) + ("A",)
        for child, sym in zip(node.children, syms):
            out.append(" ")
            _brackets(child, sym, out)
    out.append("]")


# --- tree -------------------------------------------------------------------------------------

def _tree(node: Node, input: TensorType | None) -> str:
    from ..types.evaluator import ROOT, infer
    typed = infer(node, input) if input is not None and isinstance(node, Module) else None
    lines: list[str] = []

    def label(n: Node) -> str:
        if isinstance(n, Terminal):
            return terminal_text(n)
        if isinstance(n, Computation):
            return f"computation<{terminal_text(n.op)}>"
        if isinstance(n, Branching):
            return f"branching({n.factor})"
        return n.kind  # type: ignore[attr-defined]

    def visit(n: Node, path: str, prefix: str, name: str) -> None:
        text = label(n)
        if typed is not None:
            info = typed.at(path)
            if isinstance(info.input, TensorType):
                src = str(info.input)
            elif len(set(info.input)) == 1:
                src = f"{len(info.input)}×{info.input[0]}"
            else:
                src = " ⊕ ".join(str(t) for t in info.input)
            text += f"  {src} → {info.output}"
            if info.params:
                text += f"  {info.params:,} params"
        lines.append(prefix + text)
        if isinstance(n, Module) and not isinstance(n, Computation):
            reps = n.factor if isinstance(n, Branching) and len(n.branches) == 1 else 1
            for cname, child in n.named_children():
                mark = f"×{reps} " if reps > 1 and cname == "inner" else ""
                visit_child(child, f"{path}.{cname}", prefix + "  ", mark)

    def visit_child(child: Node, path: str, prefix: str, mark: str) -> None:
        before = len(lines)
        visit(child, path, prefix, path.rsplit(".", 1)[-1])
        if mark:
            lines[before] = prefix + mark + lines[before][len(prefix):]

    visit(node, ROOT, "", ROOT)
    return "\n".join(lines)


def to_string(node: Node, style: str = "canonical", *, input: Union[str, TensorType, None] = None,
              width: int = 80) -> str:
    """Print ``node`` in ``style`` (``canonical``, ``compact``, ``brackets`` or ``tree``).

    ``input`` (only for ``tree``) adds every node's input → output type and parameter count.
    """
    if not isinstance(node, Node):
        raise TypeError(f"to_string expects an AST node, got {type(node).__name__}")
    with deep_enough(node.depth):
        if style == "canonical":
            out: list[str] = []
            _canonical(node, out)
            return "".join(out)
        if style == "compact":
            out = []
            _compact(node, 0, width, out)
            return "".join(out)
        if style == "brackets":
            out = []
            root = node.symbol if isinstance(node, Terminal) else "M" if isinstance(node, Computation) else "S"
            _brackets(node, root, out)
            return "".join(out)
        if style == "tree":
            from ..types.tensor import as_type
            return _tree(node, as_type(input) if input is not None else None)
    raise ValueError(f"unknown print style {style!r}; choose one of {', '.join(STYLES)}")
