"""The one colour table every picture uses, and the rule that puts a node in a colour group.

The groups follow the paper's figures: non-terminals grey, branching yellow, aggregation purple,
routing green, computation blue; data-flow graphs add the input (black) and the output (red).
An operation's group is decided by the slot it fills in its parent module, not by the operation
alone: ``identity`` is routing as ``routing[identity, ...]`` and computation as ``computation<identity>``.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from ..errors import ArgumentError
from ..language.ast import SLOT_SYMBOLS, Module, Node, Terminal
from ..language.ops.base import GROUPS

__all__ = ["COLOURS", "TEXT_COLOURS", "GROUP_ORDER", "group_of", "slot_of"]

#: group -> fill colour (hex), shared by the tree, the graph, the dot text and the report
COLOURS: Mapping[str, str] = MappingProxyType({
    "nonterminal": "#c8c8c8",
    "branching": "#f7d44c",
    "aggregation": "#b58fd9",
    "routing": "#7cc36e",
    "computation": "#6fa8dc",
    "input": "#000000",
    "output": "#d62728",
})
#: group -> text colour that reads on the fill (white on the dark ones)
TEXT_COLOURS: Mapping[str, str] = MappingProxyType({g: "#ffffff" if g in ("input", "output") else "#000000"
                                                     for g in COLOURS})
#: the order legends and documentation list the groups in
GROUP_ORDER: tuple[str, ...] = tuple(COLOURS)


def slot_of(position: str | None) -> str | None:
    """The slot name of a position given as a slot (``"op"``) or a tree path (``"root.first.op"``)."""
    if position is None:
        return None
    return position.rsplit(".", 1)[-1]


def group_of(node: Node, position: str | None = None) -> str:
    """The colour group of ``node`` where it sits.

    ``position`` is the slot the node fills in its parent module (``"pre"``, ``"op"``, ``"fn"``, ...)
    or its whole tree path. Modules are ``"nonterminal"``. A terminal without a position is accepted
    only when all its roles share a group (``linear`` is always computation; ``identity`` is not).
    """
    if isinstance(node, Module):
        return "nonterminal"
    if not isinstance(node, Terminal):
        raise ArgumentError(f"group_of expects a tree node, got {type(node).__name__}")
    slot = slot_of(position)
    if slot is None:
        groups = {GROUPS[r] for r in node.roles}
        if len(groups) != 1:
            raise ArgumentError(f"{node.text()} can be {' or '.join(sorted(groups))}: "
                                "give the slot it fills (e.g. 'pre' or 'op') to decide its group")
        return groups.pop()
    symbol = SLOT_SYMBOLS.get(slot)
    if symbol is None:
        raise ArgumentError(f"no module slot named {slot!r}; slots: {', '.join(SLOT_SYMBOLS)}")
    if symbol not in node.roles:
        raise ArgumentError(f"{node.text()} cannot fill the {slot!r} slot (it has roles {', '.join(node.roles)})")
    return GROUPS[symbol]
