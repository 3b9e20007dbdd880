"""Printers: canonical (the authors' v2 text), compact (for people), brackets (derivation tree), tree.

``canonical`` is byte-identical to the einspace v2 printer; ``compact`` uses the conveniences the
parser accepts (bare computation terminals, n-ary sequential, indentation); ``brackets`` is the
labelled-bracket derivation tree of the paper's figures; ``tree`` is an indented view that shows
every node's input and output type and parameter count when an input type is given.
"""

from __future__ import annotations

from typing import Callable, Iterator, Optional

from .._recursion import deep_enough
from ..errors import ArgumentError
from .ast import Branching, Computation, Module, Node, Routing, Sequential, Terminal, canonical
from .ops import format_factor

__all__ = ["to_string", "terminal_text", "STYLES", "format_factor", "Annotate"]

STYLES = ("canonical", "compact", "brackets", "tree")

#: what the tree style adds to a node's line: (path, node) -> text (the types layer gives types)
Annotate = Callable[[str, Node], str]


def terminal_text(op: Terminal) -> str:
    """The canonical text of one terminal, e.g. ``im2col(3,1,1)`` (the operation's own ``text()``)."""
    return op.text()


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


def _pieces(node: Node) -> Iterator[str]:
    """The compact one-line text of ``node``, piece by piece, without recursion; a chain of
    sequentials is walked lazily, so reading only a prefix costs only that prefix."""
    stack: list = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, _Rest):  # the remaining items of an n-ary sequential
            second = item.node.second
            stack.append(_Rest(second) if isinstance(second, Sequential) else second)
            stack.append(", ")
            stack.append(item.node.first)
        elif isinstance(item, Sequential):
            stack += [")", _Rest(item), "sequential("]
        else:
            head, open_, kids, close = _compact_parts(item)
            if not kids:
                yield head
                continue
            parts: list = [head + open_]
            for i, kid in enumerate(kids):
                parts += [", "] * (i > 0) + [kid]
            parts.append(close)
            stack.extend(reversed(parts))


class _Rest:
    __slots__ = ("node",)

    def __init__(self, node: Sequential):
        self.node = node


def _line_within(node: Node, room: int) -> str | None:
    """The one-line text of ``node`` if it has at most ``room`` characters, else None (read no further)."""
    out: list[str] = []
    used = 0
    for piece in _pieces(node):
        used += len(piece)
        if used > room:
            return None
        out.append(piece)
    return "".join(out)


def _compact(node: Node, indent: int, width: int, out: list[str]) -> None:
    """Lines of at most ``width`` where they fit; where the indentation reaches ``width`` a subtree
    stays on one line (so the output grows with the tree, not with depth x size)."""
    room = width - indent
    line = _line_within(node, room) if room > 0 else "".join(_pieces(node))
    if line is not None:
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
        for child, sym in zip(node.children, node.child_symbols()):
            out.append(" ")
            _brackets(child, sym, out)
    elif isinstance(node, Branching):
        for child, sym in zip(node.children, node.child_symbols()):
            out.append(" ")
            _brackets(child, sym, out)
    out.append("]")


# --- tree -------------------------------------------------------------------------------------

def _label(n: Node) -> str:
    if isinstance(n, Terminal):
        return n.text()
    if isinstance(n, Computation):
        return f"computation<{n.op.text()}>"
    if isinstance(n, Branching):
        return f"branching({n.factor})"
    return n.kind  # type: ignore[attr-defined]


def _tree(node: Node, annotate: Optional[Annotate]) -> str:
    """One line per node, children indented; a 4/8-way template is marked ×b."""
    lines: list[str] = []
    stack: list[tuple[Node, str, str, str]] = [(node, "root", "", "")]
    while stack:
        n, path, prefix, mark = stack.pop()
        text = _label(n) + (annotate(path, n) if annotate is not None else "")
        lines.append(prefix + mark + text)
        if isinstance(n, Module) and not isinstance(n, Computation):
            reps = n.factor if isinstance(n, Branching) and len(n.branches) == 1 else 1
            kids = [(child, f"{path}.{name}", prefix + "  ", f"×{reps} " if reps > 1 and name == "inner" else "")
                    for name, child in n.named_children()]
            stack.extend(reversed(kids))
    return "\n".join(lines)


def to_string(node: Node, style: str = "canonical", *, width: int = 80, annotate: Optional[Annotate] = None) -> str:
    """Print ``node`` in ``style`` (``canonical``, ``compact``, ``brackets`` or ``tree``).

    ``annotate`` (tree style) adds text to each node's line; :func:`einspace.to_string` uses it to
    show every node's input → output type and parameter count.

    >>> from einspace.language.parser import parse
    >>> to_string(parse("sequential(norm, relu)"), "compact")
    'sequential(norm, relu)'
    """
    if not isinstance(node, Node):
        raise ArgumentError(f"to_string expects an architecture, got {type(node).__name__}")
    if style == "canonical":
        return canonical(node)
    if style == "tree":
        return _tree(node, annotate)
    with deep_enough(node.depth):
        if style == "compact":  # recursion bounded by the depth and by width / 2 levels
            out: list[str] = []
            _compact(node, 0, width, out)
            return "".join(out)
        if style == "brackets":
            out = []
            root = node.symbol if isinstance(node, Terminal) else "M" if isinstance(node, Computation) else "S"
            _brackets(node, root, out)
            return "".join(out)
    raise ArgumentError(f"unknown print style {style!r}; choose one of {', '.join(STYLES)}")
