"""Parser: text → typed AST, with ``let`` expansion and errors that say where and what was expected.

Lark (LALR, contextual lexer) reads the syntax of ``grammar/einspace.lark``; a transformer embedded
in the parser builds AST nodes bottom-up during parsing, so deep input never recurses. Bodies of
``let`` definitions (and calls to them) become deferred builders, expanded once the whole text is
read; expansion is memoised per (definition, arguments), detects self-reference, and bounds the
size of the expanded tree.
"""

from __future__ import annotations

import difflib
import re
import threading
from functools import lru_cache
from typing import Any, Callable, Union

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .._recursion import deep_enough
from .ast import (Add, Branching, Cat, Clone, Col2Im, Computation, DotProduct, Group, Identity, Im2Col,
                  Linear, Module, Node, Norm, Perm, PosEnc, Relu, Routing, Sequential, Softmax, Terminal)
from ..errors import ParseError

__all__ = ["parse", "parse_terminal", "as_tree", "MAX_DEPTH", "MAX_NODES", "MAX_LENGTH", "KEYWORDS"]

#: deepest module nesting accepted (an n-ary sequential of n items nests n deep)
MAX_DEPTH = 1000
#: most nodes an expanded tree may have
MAX_NODES = 2_000_000
#: longest text accepted (characters)
MAX_LENGTH = 64 * 1024 * 1024

KEYWORDS = ("sequential", "branching", "routing", "computation", "clone", "group", "dot_product", "add",
            "cat", "identity", "perm", "im2col", "col2im", "linear", "norm", "relu", "softmax", "pos_enc", "let")


_INTS = re.compile(r"[0-9]+")

#: what a terminal keyword is, for errors when one stands where a module must
_ROLES = {
    "clone": "a branching function (first child of branching{...})",
    "group": "a branching function (first child of branching{...})",
    "add": "an aggregation function (last child of branching{...})",
    "cat": "an aggregation function (last child of branching{...})",
    "dot_product": "an aggregation function (last child of branching{...})",
    "perm": "a routing function (first or last child of routing[...])",
    "im2col": "a prerouting function (first child of routing[...])",
    "col2im": "a postrouting function (last child of routing[...])",
}


class _Deferred:
    """A subtree that needs ``let`` parameters or definitions: ``build(env, ctx) -> Node``."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[dict, "_Expansion"], Node]):
        self.build = build


class _Definition:
    __slots__ = ("name", "params", "body", "token")

    def __init__(self, name: Token, params: list[Token], body: Any):
        self.name, self.params, self.body, self.token = str(name), [str(p) for p in params], body, name


class _Expansion:
    """State of one expansion: definitions, the active call chain, and a memo of finished calls."""

    def __init__(self, defs: dict[str, _Definition], text: str, max_nodes: int):
        self.defs = defs
        self.text = text
        self.active: list[str] = []
        self.memo: dict[tuple, Node] = {}
        self.max_nodes = max_nodes


def _error_at(tok: Token | None, text: str, message: str, hint: str | None = None) -> ParseError:
    if tok is None or getattr(tok, "line", None) is None:
        return ParseError(message, hint=hint)
    return ParseError(message, line=tok.line, column=tok.column, excerpt=_excerpt(text, tok.line, tok.column), hint=hint)


def _excerpt(text: str, line: int, column: int, width: int = 70) -> str:
    lines = text.splitlines() or [""]
    src = lines[line - 1] if 0 < line <= len(lines) else ""
    start = max(0, column - 1 - width // 2)
    shown = src[start:start + width]
    shown = "".join(ch if ch.isprintable() else "\ufffd" for ch in shown)
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(src) else ""
    return f"  {prefix}{shown}{suffix}\n  {' ' * (len(prefix) + column - 1 - start)}^"


def _resolve(value: Any, env: dict, ctx: _Expansion) -> Any:
    if isinstance(value, _Deferred):
        return value.build(env, ctx)
    if isinstance(value, Token) and value.type == "NAME":
        name = str(value)
        if name not in env:
            raise _error_at(value, ctx.text, f"unknown parameter {name!r}",
                            _suggest(name, list(env)) if env else "integer arguments only come from let parameters")
        return env[name]
    return value


def _suggest(word: str, candidates) -> str | None:
    close = difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.6)
    return f"did you mean {' or '.join(repr(c) for c in close)}?" if close else None


class _Builder(Transformer):
    """Lark callbacks: build AST nodes, or deferred builders when ``let`` names are involved."""

    def __init__(self, text_ref: list[str], max_nodes: int = MAX_NODES):
        super().__init__(visit_tokens=False)
        self._text = text_ref
        self._max_nodes = max_nodes

    # -- helpers -------------------------------------------------------------------------------
    def _make(self, ctor: Callable[..., Node], args: list, where: Token | None) -> Any:
        """Call ``ctor`` now if every argument is concrete, otherwise defer it."""
        concrete = True
        for a in args:
            if isinstance(a, _Deferred) or (isinstance(a, Token) and a.type == "NAME"):
                concrete = False
                break
        if concrete:
            return self._construct(ctor, [int(a) if isinstance(a, Token) else a for a in args], where, self._text[0])

        def build(env: dict, ctx: _Expansion) -> Node:
            vals = [_resolve(a, env, ctx) for a in args]
            return self._construct(ctor, [int(a) if isinstance(a, Token) else a for a in vals], where, ctx.text)

        return _Deferred(build)

    @staticmethod
    def _construct(ctor: Callable[..., Node], args: list, where: Token | None, text: str) -> Node:
        try:
            return ctor(*args)
        except ParseError:
            raise
        except (ValueError, TypeError) as err:
            raise _error_at(where, text, str(err)) from None

    # -- terminals -----------------------------------------------------------------------------
    @staticmethod
    def _lit(c: list) -> list:
        """Arguments of a terminal: the integers inside a one-token literal such as ``im2col(3,1,1)``."""
        tok = c[0]
        if len(c) == 1 and isinstance(tok, Token) and tok.type.endswith("_LIT"):
            return [Token.new_borrow_pos("INT", v, tok) for v in _INTS.findall(tok, tok.index("("))]
        return c

    def clone(self, c):
        return self._make(Clone, self._lit(c), c[0])

    def group(self, c):
        return self._make(Group, self._lit(c), c[0])

    def dot_product(self, c):
        return DotProduct(c[0] is not None)

    def add(self, c):
        return self._make(Add, self._lit(c), c[0])

    def cat(self, c):
        return self._make(Cat, self._lit(c), c[0])

    def identity(self, c):
        return _IDENTITY

    def perm(self, c):
        return self._make(lambda *order: Perm(tuple(order)), self._lit(c), c[0])

    def im2col(self, c):
        return self._make(Im2Col, self._lit(c), c[0])

    def col2im(self, c):
        return _COL2IM

    def linear(self, c):
        arg = c[0]
        if isinstance(arg, Token) and arg.type == "LINEAR_LIT":
            inside = arg[7:-1]
            if inside.startswith("x"):
                return self._construct(lambda f: Linear(factor=f), [float(inside[1:])], arg, self._text[0])
            return self._construct(lambda w: Linear(width=w), [int(inside)], arg, self._text[0])
        if isinstance(arg, Token) and arg.type == "FACTOR":
            return self._construct(lambda f: Linear(factor=f), [float(arg[1:])], arg, self._text[0])
        return self._make(lambda w: Linear(width=w), c, arg)

    def norm(self, c):
        return _NORM

    def relu(self, c):
        return _RELU

    def softmax(self, c):
        return _SOFTMAX

    def pos_enc(self, c):
        return _POS_ENC

    def terminal(self, c):
        return c[0]

    # -- modules -------------------------------------------------------------------------------
    def computation(self, c):
        op = c[0]
        if isinstance(op, _Deferred):
            return self._make(Computation, c, None)
        found = _COMPUTATIONS.get(op)
        if found is None:
            if len(_COMPUTATIONS) > 4096:
                _COMPUTATIONS.clear()
            found = _COMPUTATIONS[op] = Computation(op)
        return found

    bare = computation

    def sequential(self, c):
        # n-ary: right-nested binary sequentials, built bottom-up without recursion
        if any(isinstance(x, _Deferred) for x in c):
            def build(env: dict, ctx: _Expansion) -> Node:
                return _right_nest([_resolve(x, env, ctx) for x in c])
            return _Deferred(build)
        return _right_nest(c)

    def branching(self, c):
        factor_tok, fn, *inner, agg = c
        return self._make(lambda f, fn_, *rest: _branching(f, fn_, rest, factor_tok, self._text[0]),
                          [factor_tok, fn, *inner, agg], factor_tok)

    def routing(self, c):
        return self._make(Routing, c, None)

    def call(self, c):
        name, args = c[0], c[1:]
        text_ref = self._text

        def build(env: dict, ctx: _Expansion) -> Node:
            return _expand_call(name, args, env, ctx, text_ref[0])

        return _Deferred(build)

    # -- definitions ---------------------------------------------------------------------------
    def params(self, c):
        return list(c)

    def definition(self, c):
        name = c[0]
        params = c[1] if len(c) == 3 else []
        return _Definition(name, params, c[-1])

    def arch(self, c):
        *defs, body = c
        table: dict[str, _Definition] = {}
        for d in defs:
            if d.name in table:
                raise _error_at(d.token, self._text[0], f"definition {d.name!r} is defined twice")
            if len(set(d.params)) != len(d.params):
                raise _error_at(d.token, self._text[0], f"definition {d.name!r} repeats a parameter name")
            table[d.name] = d
        if isinstance(body, _Deferred):
            ctx = _Expansion(table, self._text[0], self._max_nodes)
            body = body.build({}, ctx)
        return body

    # -- derivation trees (labelled brackets) ---------------------------------------------------
    def derivation(self, c):
        return c[1]

    def d_module(self, c):
        return c[1]

    def d_sequential(self, c):
        return Sequential(c[0], c[1])

    def d_branching(self, c):
        fn, *inner, agg = c
        return _branching(None, fn, inner + [agg], None, self._text[0])

    def d_routing(self, c):
        return Routing(c[0], c[1], c[2])

    def d_computation(self, c):
        return Computation(c[1])

    def d_b(self, c):
        return c[1]

    d_a = d_r1 = d_r2 = d_b


#: computation modules are immutable values: share one per operation (bounded by distinct terminals)
_COMPUTATIONS: dict = {}

_IDENTITY, _COL2IM, _NORM, _RELU, _SOFTMAX, _POS_ENC = Identity(), Col2Im(), Norm(), Relu(), Softmax(), PosEnc()


def _right_nest(items: list) -> Node:
    node = items[-1]
    for item in reversed(items[:-1]):
        node = Sequential(item, node)
    return node


def _branching(factor: int | None, fn: Node, rest, where: Token | None, text: str) -> Branching:
    *inner, agg = rest
    if not isinstance(fn, (Clone, Group)):
        raise _error_at(where, text, "the first child of a branching module must be a branching function")
    if factor is not None and factor != fn.b:
        raise _error_at(where, text, f"branching({factor}) has branching function with factor {fn.b}",
                        f"write branching({fn.b}) or change the branching function")
    want = 2 if fn.b == 2 else 1
    if len(inner) != want:
        raise _error_at(where, text, f"branching({fn.b}) takes {want} inner module{'s' if want > 1 else ''}, "
                        f"got {len(inner)}",
                        "factor 4 and 8 use one template module, instantiated with separate weights"
                        if want == 1 else "factor 2 takes two independent inner modules")
    return Branching(fn, tuple(inner), agg)


def _expand_call(name_tok: Token, raw_args: list, env: dict, ctx: _Expansion, text: str) -> Node:
    name = str(name_tok)
    d = ctx.defs.get(name)
    if d is None and name in _ROLES:
        raise _error_at(name_tok, text, f"{name!r} is {_ROLES[name]}, not a module",
                        "a module position (and a let body) needs sequential(...), branching(b){...}, "
                        "routing[...] or a computation")
    if d is None:
        shown = name if len(name) <= 40 else name[:37] + "..."
        hint = _suggest(name[:64], list(KEYWORDS) + list(ctx.defs))
        raise _error_at(name_tok, text, f"unknown operation or definition {shown!r}", hint)
    args = [_resolve(a, env, ctx) for a in raw_args]
    if len(args) != len(d.params):
        raise _error_at(name_tok, text, f"{name} takes {len(d.params)} argument(s), got {len(args)}")
    key = (name, tuple(args))
    done = ctx.memo.get(key)
    if done is not None:
        return done
    if name in ctx.active:
        chain = " → ".join(ctx.active[ctx.active.index(name):] + [name])
        raise _error_at(name_tok, text, f"definition {name!r} refers to itself ({chain})",
                        "let definitions cannot be recursive")
    ctx.active.append(name)
    try:
        env = dict(zip(d.params, args))
        node = _resolve(d.body, env, ctx)
    finally:
        ctx.active.pop()
    if isinstance(node, Node) and node.size > ctx.max_nodes:
        raise _error_at(name_tok, text, f"expanding {name} gives {node.size:,} nodes, more than the limit "
                        f"of {ctx.max_nodes:,}")
    ctx.memo[key] = node
    return node


class _Parsers:
    """The three Lark parsers of one grammar source, each with an embedded AST builder."""

    def __init__(self, source: str):
        self.text_ref = [""]
        self.builder = _Builder(self.text_ref)
        self.arch = Lark(source, start="arch", parser="lalr", lexer="contextual",
                         maybe_placeholders=True, transformer=self.builder)
        self.derivation = Lark(source, start="derivation", parser="lalr", lexer="contextual",
                               maybe_placeholders=True, transformer=self.builder)
        self.terminal = Lark(source, start="terminal", parser="lalr", lexer="contextual",
                             maybe_placeholders=True, transformer=self.builder)


_LOCAL = threading.local()


def _parsers(source: str) -> _Parsers:
    """Parsers for ``source``, one set per thread (the builder holds per-parse state)."""
    cache = getattr(_LOCAL, "cache", None)
    if cache is None:
        cache = _LOCAL.cache = {}
    found = cache.get(source)
    if found is None:
        if len(cache) >= 8:
            cache.pop(next(iter(cache)))
        found = cache[source] = _Parsers(source)
    return found


def _default_source() -> str:
    from .grammar import DEFAULT_GRAMMAR_PATH
    return _read_default(str(DEFAULT_GRAMMAR_PATH))


@lru_cache(maxsize=1)
def _read_default(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _source_of(grammar: Any) -> str:
    if grammar is None:
        return _default_source()
    if isinstance(grammar, str) and "\n" in grammar:
        return grammar
    from .grammar import load_grammar
    return load_grammar(grammar).source


_TOKEN_NAMES = {
    "INT": "an integer", "NAME": "a name", "FACTOR": "a factor such as x4", "SCALED": '"(scaled)"',
    "$END": "end of input", "_COMMA": '","', "_SEQ_OPEN": '"sequential("', "_ROUTE_OPEN": '"routing["',
    "_COMP_OPEN": '"computation<"', "CLONE_LIT": '"clone(…)"', "GROUP_LIT": '"group(…)"', "ADD_LIT": '"add(…)"',
    "CAT_LIT": '"cat(…)"', "PERM_LIT": '"perm(…)"', "IM2COL_LIT": '"im2col(…)"', "LINEAR_LIT": '"linear(…)"',
}


def _readable(parser: Lark, names) -> tuple[str, ...]:
    out = []
    for name in sorted(names):
        if name in _TOKEN_NAMES:
            out.append(_TOKEN_NAMES[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            out.append(name)
            continue
        if pattern.type == "str":
            out.append(repr(pattern.value).replace("'", '"'))
        else:
            out.append(name)
    return tuple(sorted(dict.fromkeys(out)))


def _syntax_error(err: UnexpectedInput, parser: Lark, text: str) -> ParseError:
    line, column = getattr(err, "line", None), getattr(err, "column", None)
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        message = "unexpected end of input"
    elif isinstance(err, UnexpectedCharacters):
        ch = text[err.pos_in_stream] if 0 <= err.pos_in_stream < len(text) else ""
        message = f"unexpected character {ch!r}"
    elif isinstance(err, UnexpectedToken):
        message = f"unexpected {str(err.token)!r}"
    else:  # pragma: no cover
        message = "syntax error"
    expected = getattr(err, "expected", None) or getattr(err, "allowed", None) or ()
    hint = None
    if isinstance(err, UnexpectedToken) and err.token.type == "NAME":
        hint = _suggest(str(err.token), KEYWORDS)
    elif isinstance(err, UnexpectedCharacters):
        start = err.pos_in_stream
        end = start
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        if end > start:
            hint = _suggest(text[start:end], KEYWORDS)
    excerpt = _excerpt(text, line, column) if line is not None and column is not None and line > 0 else ""
    return ParseError(message, line=line, column=column, excerpt=excerpt,
                      expected=_readable(parser, expected), hint=hint)


_DEPTH_TABLE = str.maketrans({"(": "\x02", "[": "\x02", "{": "\x02", "<": "\x02",
                               ")": "\x00", "]": "\x00", "}": "\x00", ">": "\x00"})


def _nesting_depth(text: str) -> int:
    """Deepest bracket nesting of ``text``, in C-speed passes (no Python loop per character)."""
    import numpy as np
    buf = np.frombuffer(text.translate(_DEPTH_TABLE).encode("utf-8", "surrogatepass"), dtype=np.uint8)
    steps = buf[(buf == 0) | (buf == 2)].astype(np.int8) - 1
    return int(np.cumsum(steps, dtype=np.int64).max()) if steps.size else 0


def parse(text: str, *, grammar: Any = None, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> Module:
    """Parse an architecture: canonical or compact notation (with ``let``), or a labelled-bracket
    derivation tree (text starting with ``[``). Raises :class:`ParseError` with line and column."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"input of {len(text):,} characters is longer than the limit of {MAX_LENGTH:,}")
    source = _source_of(grammar)
    parsers = _parsers(source)
    if len(text) > 2 * max_depth and _nesting_depth(text) > max_depth:
        raise ParseError(f"brackets nest deeper than {max_depth} levels",
                         hint="pass max_depth= to parse deeper architectures")
    stripped = _skip_space_and_comments(text)
    is_derivation = stripped.startswith("[")
    parser = parsers.derivation if is_derivation else parsers.arch
    parsers.text_ref[0] = text
    parsers.builder._max_nodes = max_nodes
    try:
        with deep_enough(max_depth):
            tree = parser.parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(err, parser, text) from None
    except RecursionError:
        raise ParseError(f"the architecture nests too deeply to expand (limit {max_depth})") from None
    finally:
        parsers.text_ref[0] = ""
    if not isinstance(tree, Module):
        raise ParseError("expected an architecture (a module), got a lone terminal")
    if tree.depth > max_depth:
        raise ParseError(f"the architecture nests {tree.depth} levels deep, more than the limit of {max_depth}",
                         hint="long n-ary sequentials nest one level per item; pass max_depth= to allow more")
    if tree.size > max_nodes:
        raise ParseError(f"the architecture has {tree.size:,} nodes, more than the limit of {max_nodes:,}")
    return tree


def as_tree(value: Any, *, grammar: Any = None) -> Module:
    """An architecture from a tree or its text: every function that takes a tree takes text too.

    >>> as_tree("sequential(norm, relu)") == as_tree(as_tree("sequential(norm, relu)"))
    True
    """
    if isinstance(value, Module):
        return value
    if isinstance(value, str):
        return parse(value, grammar=grammar)
    raise ParseError(f"expected an architecture (a tree or its text), got {type(value).__name__}")


def _skip_space_and_comments(text: str) -> str:
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        else:
            break
    return text[i:i + 1]


def parse_terminal(text: str, *, grammar: Any = None) -> Terminal:
    """Parse one terminal such as ``im2col(3,1,1)`` or ``linear(x4)``."""
    parsers = _parsers(_source_of(grammar))
    parsers.text_ref[0] = text
    try:
        node = parsers.terminal.parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(err, parsers.terminal, text) from None
    finally:
        parsers.text_ref[0] = ""
    if isinstance(node, _Deferred) or not isinstance(node, Terminal):
        raise ParseError(f"{text!r} is not a terminal with integer arguments")
    return node


Parsed = Union[Module, Terminal]
