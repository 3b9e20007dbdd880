"""The AST builder: the Lark callbacks that turn a parse into einspace nodes, bottom-up.

Lark (LALR) calls them while it parses (an embedded transformer), so deep input never recurses and
no intermediate parse tree is built. The module kinds and ``let`` have methods here; the callback of
each operation is derived from its registered definition (:mod:`einspace.language.ops`), as Lark's
``ast_utils`` derives callbacks from classes. The builder counts nodes and depth as it goes, so an
oversized tree is refused at the node that crosses the limit, not after it is built.
"""

from __future__ import annotations

from typing import Any, Callable

from lark import Token, Transformer

from ..errors import ParseError
from .ast import Branching, Computation, Node, Routing, Sequential, Terminal
from .let import Definition, Deferred, Expansion, expand_call, resolve, value_of
from .limits import MAX_DEPTH, MAX_NODES
from .ops import Operation
from .syntax_errors import error_at, quote

__all__ = ["Builder", "LastToken", "op_callback", "MAX_LITERALS"]

#: distinct literal texts remembered per operation (the sampler's choice sets hold a few dozen)
MAX_LITERALS = 1024


class LastToken:
    """A Lark post-lexer that remembers the last token read: where the builder is, for its errors."""

    always_accept: tuple = ()

    def __init__(self) -> None:
        self.token: Token | None = None

    def process(self, stream):
        for tok in stream:
            self.token = tok
            yield tok


class Builder(Transformer):
    """Lark callbacks of the module kinds and of ``let``; operations get theirs from the registry."""

    def __init__(self, text_ref: list[str], max_nodes: int = MAX_NODES):
        super().__init__(visit_tokens=False)
        self._text = text_ref
        self._max_nodes = max_nodes
        self._max_depth = MAX_DEPTH
        self.lexed = LastToken()
        self.nodes = 0

    def start(self, max_nodes: int, max_depth: int) -> None:
        """Reset the per-parse state."""
        self._max_nodes, self._max_depth, self.nodes, self.sites = max_nodes, max_depth, 0, []
        self.lexed.token = None

    # -- helpers -------------------------------------------------------------------------------
    def _count(self, n: int, node: Any = None) -> None:
        """Count ``n`` items of the text (nodes, calls, definitions); refuse past the node limit, or a
        node deeper than the depth limit, at the token being read."""
        self.nodes += n
        if self.nodes > self._max_nodes:
            raise error_at(self.lexed.token, self._text[0], f"the text holds more than {self._max_nodes:,} "
                           "nodes, the limit", "pass max_nodes= to parse larger architectures")
        if isinstance(node, Node) and node.depth > self._max_depth:
            raise error_at(self.lexed.token, self._text[0], f"the architecture nests {node.depth:,} levels "
                           f"deep, more than the limit of {self._max_depth}",
                           "pass max_depth= to parse deeper architectures")

    def _counted(self, node: Node) -> Node:
        """Count one concrete node (the common case of :meth:`_count`, with its errors)."""
        self.nodes += 1
        if self.nodes > self._max_nodes or node.depth > self._max_depth:
            self.nodes -= 1
            self._count(1, node)
        return node

    def _make(self, ctor: Callable[..., Node], args: list, where: Token | None) -> Any:
        """Call ``ctor`` now if every argument is concrete, otherwise defer it."""
        for a in args:
            if isinstance(a, Deferred) or (isinstance(a, Token) and a.type == "NAME"):
                break
        else:
            text = self._text[0]
            node = _construct(ctor, [value_of(a, text) for a in args], where or self.lexed.token, text)
            self._count(1, node)
            return node

        at = where or self.lexed.token  # the token after the construct when it has none of its own

        def build(env: dict, ctx: Expansion) -> Node:
            with ctx.nested():
                vals = [resolve(a, env, ctx) for a in args]
            node = _construct(ctor, [value_of(a, ctx.text) for a in vals], at, ctx.text)
            if not ctx.calls:  # inside a call, the call refuses it (and names the definition)
                ctx.check(node, at, "the module that ends here")
            return node

        self._count(1)
        return Deferred(build)

    def __default__(self, data, children, meta):
        if str(data).startswith("_"):  # Lark's own helper rules (expanded into their parents)
            return super().__default__(data, children, meta)
        raise error_at(self.lexed.token, self._text[0], f"the grammar has a rule {quote(str(data))} but no "
                       "operation of that name is defined",
                       "import the module that defines it, or name it in the grammar file with "
                       "'//@ operations MODULE' (see docs/extending.md)")

    def terminal(self, c):
        return c[0]

    # -- modules -------------------------------------------------------------------------------
    def computation(self, c):
        op = c[0]
        if isinstance(op, Deferred):
            return self._make(Computation, c, None)
        found = _COMPUTATIONS.get(op)
        if found is None:
            if len(_COMPUTATIONS) > 4096:
                _COMPUTATIONS.clear()
            found = _COMPUTATIONS[op] = Computation(op)
        return self._counted(found)

    bare = computation

    def sequential(self, c):
        # n-ary: right-nested binary sequentials, built bottom-up without recursion
        for x in c:
            if isinstance(x, Deferred):
                self._count(1)
                return Deferred(_nested_sequence(c, self.lexed.token))
        node = _right_nest(c)
        self._count(len(c) - 1, node)
        return node

    def branching(self, c):
        factor_tok = c[0]
        if factor_tok.type == "INT":  # the common case of _make: every argument concrete
            for x in c:
                if isinstance(x, Deferred):
                    break
            else:
                text = self._text[0]
                return self._counted(_construct(_branching_of, [value_of(factor_tok, text), *c[1:]], factor_tok, text))
        return self._make(_branching_of, c, factor_tok)

    def routing(self, c):
        pre, inner, post = c
        if isinstance(pre, Deferred) or isinstance(inner, Deferred) or isinstance(post, Deferred):
            return self._make(Routing, c, None)
        return self._counted(_construct(Routing, c, self.lexed.token, self._text[0]))

    def call(self, c):
        name, args = c[0], c[1:]
        text_ref = self._text
        self._count(1)
        return Deferred(lambda env, ctx: expand_call(name, args, env, ctx, text_ref[0]))

    # -- definitions ---------------------------------------------------------------------------
    def params(self, c):
        return list(c)

    def definition(self, c):
        self._count(1)
        return Definition(c[0], c[1] if len(c) == 3 else [], c[-1])

    def arch(self, c):
        *defs, body = c
        table: dict[str, Definition] = {}
        for d in defs:
            if d.name in table:
                raise error_at(d.token, self._text[0], f"definition {quote(d.name)} is defined twice")
            if len(set(d.params)) != len(d.params):
                raise error_at(d.token, self._text[0], f"definition {quote(d.name)} repeats a parameter name")
            table[d.name] = d
        if isinstance(body, Deferred):
            ctx = Expansion(table, self._text[0], self._max_nodes, self._max_depth)
            body = body.build({}, ctx)
            ctx.check(body, None, "the expanded architecture")
            self.sites = ctx.sites
        return body

    # -- derivation trees (labelled brackets) ---------------------------------------------------
    def derivation(self, c):
        body = c[1]
        if isinstance(body, Deferred):  # a name where a derivation tree needs a number: say where
            body = body.build({}, Expansion({}, self._text[0], self._max_nodes, self._max_depth))
        return body

    def d_module(self, c):
        return c[1]

    def d_sequential(self, c):
        return self._make(Sequential, c, None)

    def d_branching(self, c):
        fn, *inner, agg = c
        return self._make(lambda fn_, *rest: _branching(None, fn_, rest), [fn, *inner, agg], None)

    def d_routing(self, c):
        return self._make(Routing, c, None)

    def d_computation(self, c):
        return self._make(Computation, [c[1]], c[0])

    def d_b(self, c):
        return c[1]

    d_a = d_r1 = d_r2 = d_b


def op_callback(cls: type[Operation]) -> Callable:
    """The Lark callback of one operation: its arguments (integers, ``let`` names, or text such as
    ``x4``) go to ``cls.from_args``; an operation without fields is one shared value, and one written
    as a single literal token (``im2col(3,1,1)``) one value per distinct text (operations are frozen)."""
    shared: list = []
    literals: dict[str, Any] = {}

    def callback(self: Builder, c: list) -> Any:
        if not c and not cls.field_names:
            if not shared:
                shared.append(_construct(cls.from_args, [], self.lexed.token, self._text[0]))
            self._count(1)
            return shared[0]
        if len(c) == 1 and isinstance(c[0], Token) and c[0].type.endswith("_LIT"):
            found = literals.get(c[0].value)
            if found is None:
                found = self._make(cls.from_args, _split_literal(c), c[0])  # counts it; raises if malformed
                if len(literals) >= MAX_LITERALS:
                    literals.clear()
                literals[c[0].value] = found
            else:
                self._counted(found)
            return found
        return self._make(cls.from_args, _split_literal(c), c[0] if c and isinstance(c[0], Token) else None)

    callback.__name__ = cls.name
    return callback


def _split_literal(c: list) -> list:
    """Arguments of an operation: the pieces inside a one-token literal such as ``im2col(3,1,1)``."""
    tok = c[0] if c else None
    if len(c) == 1 and isinstance(tok, Token) and tok.type.endswith("_LIT"):
        inside = tok[tok.index("(") + 1:-1]
        return [Token.new_borrow_pos("INT" if piece.isdigit() else "FACTOR", piece, tok) for piece in inside.split(",")]
    return c


def _construct(ctor: Callable[..., Node], args: list, where: Token | None, text: str) -> Node:
    try:
        return ctor(*args)
    except ParseError as err:
        if err.line is not None:
            raise
        raise error_at(where, text, err.message, err.hint) from None
    except (ValueError, TypeError) as err:
        owner = getattr(ctor, "__self__", None)  # an operation's from_args: say how it is written
        hint = f"{owner.name} is written {owner.signature()}" if isinstance(owner, type) and \
            issubclass(owner, Operation) and owner.field_names else None
        raise error_at(where, text, str(err), hint) from None


#: computation modules are immutable values: share one per operation (bounded by distinct terminals)
_COMPUTATIONS: dict = {}


def _right_nest(items: list) -> Node:
    node = items[-1]
    for item in reversed(items[:-1]):
        node = Sequential(item, node)
    return node


def _nested_sequence(items: list, at: Token | None) -> Callable[[dict, Expansion], Node]:
    """The deferred build of an n-ary sequential whose items need ``let`` values (``at``: the token
    after it, for errors)."""
    def build(env: dict, ctx: Expansion) -> Node:
        with ctx.nested():
            node = _right_nest([resolve(x, env, ctx) for x in items])
        if not ctx.calls:  # inside a call, the call refuses it (and names the definition)
            ctx.check(node, at, "the sequential that ends here")
        return node
    return build


def _branching_of(factor: int | None, fn: Node, *rest: Node) -> Branching:
    return _branching(factor, fn, rest)


def _branching(factor: int | None, fn: Node, rest) -> Branching:
    """A branching module; a ParseError without a position (the caller adds it) if it is malformed."""
    *inner, agg = rest
    if not (isinstance(fn, Terminal) and "B" in fn.roles):
        raise ParseError("the first child of a branching module must be a branching function")
    if factor is not None and factor != fn.b:  # type: ignore[attr-defined]
        raise ParseError(f"branching({factor}) has branching function with factor {fn.b}",  # type: ignore
                         hint=f"write branching({fn.b}) or change the branching function")  # type: ignore
    want = 2 if fn.b == 2 else 1  # type: ignore[attr-defined]
    if len(inner) != want:
        raise ParseError(f"branching({fn.b}) takes {want} inner module{'s' if want > 1 else ''}, "  # type: ignore
                         f"got {len(inner)}", hint="factor 4 and 8 use one template module, instantiated with "
                         "separate weights" if want == 1 else "factor 2 takes two independent inner modules")
    return Branching(fn, tuple(inner), agg)
