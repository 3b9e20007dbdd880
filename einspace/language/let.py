"""``let`` definitions: subtrees deferred until their parameters are known, expanded after parsing.

Bodies of definitions (and calls to them) become :class:`Deferred` builders; once the whole text is
read they are expanded. Expansion is memoised per (definition, arguments), detects self-reference,
bounds the size of the expanded tree, and remembers where each call's subtree came from, so that
a type error inside an expansion can name the definition and the line of the call
(:func:`call_sites`).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Callable

from lark import Token

from .ast import Computation, Module, Node

__all__ = ["Deferred", "Definition", "Expansion", "CallSite", "call_sites", "remember_calls"]


class Deferred:
    """A subtree that needs ``let`` parameters or definitions: ``build(env, ctx) -> Node``."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[dict, "Expansion"], Node]):
        self.build = build


class Definition:
    """``let NAME(PARAMS) = BODY``, with the token of its name (for positions)."""

    __slots__ = ("name", "params", "body", "token")

    def __init__(self, name: Token, params: list[Token], body: Any):
        self.name, self.params, self.body, self.token = str(name), [str(p) for p in params], body, name


@dataclass(frozen=True)
class CallSite:
    """Where an expanded subtree came from: the definition, its arguments and the call's position."""

    node: Module
    name: str
    args: tuple
    line: int | None
    column: int | None

    def describe(self) -> str:
        args = f"({', '.join(str(a) for a in self.args)})" if self.args else ""
        where = f" called at line {self.line}, column {self.column}" if self.line is not None else ""
        return f"in let {self.name}{args}{where}"


class Expansion:
    """State of one expansion: definitions, the active call chain, a memo of finished calls, and the
    call sites of the subtrees it built."""

    def __init__(self, defs: dict[str, Definition], text: str, max_nodes: int):
        self.defs = defs
        self.text = text
        self.active: list[str] = []
        self.memo: dict[tuple, Node] = {}
        self.max_nodes = max_nodes
        self.sites: list[CallSite] = []

    def record(self, node: Node, name: str, args: tuple, tok: Token) -> None:
        # shared computation values (one per operation) cannot say which call made them
        if isinstance(node, Module) and not isinstance(node, Computation) and len(self.sites) < 10_000:
            self.sites.append(CallSite(node, name, args, getattr(tok, "line", None), getattr(tok, "column", None)))


_SITES: "weakref.WeakKeyDictionary[Node, tuple[CallSite, ...]]" = weakref.WeakKeyDictionary()


def remember_calls(tree: Node, sites: list[CallSite]) -> None:
    """Keep the call sites of a parsed tree for as long as the tree lives."""
    if sites:
        _SITES[tree] = tuple(sites)


def call_sites(tree: Node) -> tuple[CallSite, ...]:
    """The ``let`` call sites of a tree returned by :func:`einspace.parse` (empty for other trees)."""
    try:
        return _SITES.get(tree, ())
    except TypeError:
        return ()
