"""``let`` definitions: subtrees deferred until their parameters are known, expanded after parsing.

Bodies of definitions (and calls to them) become :class:`Deferred` builders; once the whole text is
read they are expanded. Expansion is memoised per (definition, arguments), detects self-reference,
bounds the size of the expanded tree, and remembers where each call's subtree came from, so that
a type error inside an expansion can name the definition and the line of the call
(:func:`call_sites`).
"""

from __future__ import annotations

import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from lark import Token

from .ast import Computation, Module, Node
from .ops import Operation, operations
from .limits import MAX_DEPTH, MAX_DIGITS, MAX_FACTOR_DIGITS
from .syntax_errors import MODULE_KEYWORDS, cut, error_at, keywords, quote, suggest

__all__ = ["Deferred", "Definition", "Expansion", "CallSite", "call_sites", "remember_calls", "expand_call", "resolve",
           "value_of", "MAX_DIGITS"]


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

    def __init__(self, defs: dict[str, Definition], text: str, max_nodes: int, max_depth: int = MAX_DEPTH):
        self.defs = defs
        self.text = text
        self.active: list[str] = []
        self.calls: list[Token] = []
        self.memo: dict[tuple, Node] = {}
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.level = 0
        self.sites: list[CallSite] = []

    @contextmanager
    def nested(self) -> Iterator[None]:
        """One module level of the tree being expanded: refused beyond ``max_depth`` before the
        expansion recurses any deeper (at the innermost call, or the start of the text)."""
        self.level += 1
        try:
            if self.level > self.max_depth:
                raise error_at(self.calls[-1] if self.calls else None, self.text, "the expanded architecture "
                               f"nests more than {self.max_depth} levels deep",
                               "pass max_depth= to parse deeper architectures")
            yield
        finally:
            self.level -= 1

    def check(self, node: Node, tok: Token | None, what: str) -> None:
        """Refuse a subtree over the node or depth limit as soon as it is built."""
        if node.size > self.max_nodes:
            raise error_at(tok, self.text, f"{what} gives {node.size:,} nodes, more than the limit of "
                           f"{self.max_nodes:,}", "pass max_nodes= to parse larger architectures")
        if node.depth > self.max_depth:
            raise error_at(tok, self.text, f"{what} nests {node.depth:,} levels deep, more than the limit of "
                           f"{self.max_depth}", "pass max_depth= to parse deeper architectures")

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


def value_of(a: Any, text: str) -> Any:
    """A parsed argument's value: an int for INT tokens, text for other tokens, nodes as they are."""
    if not isinstance(a, Token):
        return a
    if a.type == "INT":
        if len(a) > MAX_DIGITS:
            raise error_at(a, text, f"integer {a[:MAX_DIGITS]}… has {len(a):,} digits, more than the "
                           f"limit of {MAX_DIGITS}")
        return int(a)
    if a.type == "FACTOR" and len(a) - 1 - a.count(".") > MAX_FACTOR_DIGITS:  # x, digits, maybe a point
        raise error_at(a, text, f"factor {quote(str(a), 12)} has more than {MAX_FACTOR_DIGITS} digits",
                       "a width factor needs a few digits, e.g. linear(x0.25)")
    return str(a)


def resolve(value: Any, env: dict, ctx: Expansion) -> Any:
    if isinstance(value, Deferred):
        return value.build(env, ctx)
    if isinstance(value, Token) and value.type == "NAME":
        name = str(value)
        if name not in env:
            raise error_at(value, ctx.text, f"unknown parameter {quote(name)}",
                           suggest(name, list(env)) if env else "integer arguments only come from let parameters")
        return env[name]
    return value


#: where an operation of each role stands, for errors when one stands where a module must
_WHERE = {"B": "first child of branching{...}", "A": "last child of branching{...}",
          "R1": "first child of routing[...]", "R2": "last child of routing[...]"}


def _role_of(cls: type[Operation]) -> str:
    places = [_WHERE[r] for r in cls.roles if r in _WHERE]
    return f"{cls.role_phrase()} ({' or '.join(places)})"


def expand_call(name_tok: Token, raw_args: list, env: dict, ctx: Expansion, text: str) -> Node:
    name = str(name_tok)
    d = ctx.defs.get(name)
    if d is None:
        known = {c.name: c for c in operations()}
        if name in known and "C" not in known[name].roles:
            raise error_at(name_tok, text, f"{name!r} is {_role_of(known[name])}, not a module",
                           f"{name} is written {known[name].signature()}; a module position (and a let body) "
                           "needs sequential(...), branching(b){...}, routing[...] or a computation")
        if name in known:
            raise error_at(name_tok, text, f"{name} is not written like this", f"write {known[name].signature()}")
        if name in MODULE_KEYWORDS:
            shape = {"sequential": "sequential(A, B, ...)", "branching": "branching(b){fn, M, ..., agg}",
                     "routing": "routing[pre, M, post]", "computation": "computation<op>"}[name]
            raise error_at(name_tok, text, f"{name} is written {shape}")
        raise error_at(name_tok, text, f"unknown operation or definition {quote(name)}",
                       suggest(name[:64], list(keywords()) + list(ctx.defs)))
    args = [value_of(resolve(a, env, ctx), text) for a in raw_args]
    if len(args) != len(d.params):
        raise error_at(name_tok, text, f"{quote(name)} takes {len(d.params)} argument(s), got {len(args)}")
    key = (name, tuple(args))
    done = ctx.memo.get(key)
    if done is not None:
        return done
    if name in ctx.active:
        chain = " → ".join(cut(n, 20) for n in ctx.active[ctx.active.index(name):] + [name])
        raise error_at(name_tok, text, f"definition {quote(name)} refers to itself ({cut(chain, 200)})",
                       "let definitions cannot be recursive")
    if len(ctx.active) >= ctx.max_depth:
        raise error_at(name_tok, text, f"let calls nest more than {ctx.max_depth} deep")
    ctx.active.append(name)
    ctx.calls.append(name_tok)
    try:
        node = resolve(d.body, dict(zip(d.params, args)), ctx)
    finally:
        ctx.active.pop()
        ctx.calls.pop()
    if isinstance(node, Node):
        ctx.check(node, name_tok, f"expanding {quote(name)}")
    ctx.memo[key] = node
    ctx.record(node, name, tuple(args), name_tok)
    return node


