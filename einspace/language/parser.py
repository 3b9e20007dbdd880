"""Parser: text → typed AST, with ``let`` expansion and errors that say where and what was expected.

Lark (LALR, contextual lexer) compiles the syntax of the grammar file (:mod:`._lark_build`, cached
on disk); the AST builder (:mod:`.builder`) is embedded in the parser as its transformer, so nodes
are built bottom-up while Lark parses, no intermediate tree is built, and deep input never recurses.
Text is first read by a lean run of the same tables and callbacks (:mod:`._lark_run`, about twice as
fast); where it stops, at the first error of any kind, Lark's own ``parse`` reads the text again
and reports the error as it always has.

The contract (docs/notation.md, "Limits"): any text gives a tree or a :class:`ParseError` with a
line, a column and a short excerpt. Too long or too deeply nested text is refused before Lark reads
it (:mod:`.limits`); the builder counts nodes and depth as it goes, so an oversized tree is refused
at the node that crosses the limit, not after it is built.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Union

from lark import Lark
from lark.exceptions import LarkError, UnexpectedInput

from .._recursion import deep_enough
from ..errors import GrammarError, ParseError
from ._lark_build import compile_lark
from ._lark_run import LeanRun, Unsupported
from .ast import Module, Terminal
from .builder import Builder, op_callback
from .let import Deferred, remember_calls
from .limits import MAX_DEPTH, MAX_DIGITS, MAX_FACTOR_DIGITS, MAX_LENGTH, MAX_NODES, first_char, refuse_early
from .ops import operations, registry_version
from .source import source_of
from .syntax_errors import error_at, keywords, quote, syntax_error

__all__ = ["parse", "parse_terminal", "as_tree", "keywords", "MAX_DEPTH", "MAX_NODES", "MAX_LENGTH",
           "MAX_DIGITS", "MAX_FACTOR_DIGITS", "KEYWORDS"]


KEYWORDS = keywords()  # the built-in ones (keywords() includes operations registered later)


class _Parsers:
    """The three Lark parsers of one grammar source, each with an embedded AST builder.

    The derivation-tree and terminal parsers load on first use (about 5 ms from the cache of
    :mod:`._lark_build`, 30-60 ms to compile): most processes only ever read the canonical notation.
    """

    def __init__(self, source: str):
        self.source = source
        self.text_ref = [""]
        methods = {cls.name: op_callback(cls) for cls in operations()}
        self.builder = type("_OperationBuilder", (Builder,), methods)(self.text_ref)
        self.options = dict(parser="lalr", lexer="contextual", maybe_placeholders=True, transformer=self.builder,
                            postlex=self.builder.lexed)
        self.arch = self._compile("arch")   # now: a grammar that cannot be compiled is refused at once

    def _compile(self, start: str) -> Lark:
        try:
            return compile_lark(self.source, start, self.options)
        except LarkError as err:
            raise GrammarError(f"the grammar's syntax cannot be compiled: {err}") from None

    @functools.cached_property
    def derivation(self) -> Lark:
        return self._compile("derivation")

    @functools.cached_property
    def terminal(self) -> Lark:
        return self._compile("terminal")

    def lean(self, start: str) -> LeanRun | None:
        """The lean run of the ``arch`` or ``derivation`` parser (None: Lark's parse reads everything)."""
        found = self.__dict__.get("lean_" + start, False)
        if found is False:
            try:
                found = LeanRun(self.arch if start == "arch" else self.derivation, start)
            except (Unsupported, AttributeError, KeyError, TypeError):  # a Lark whose insides differ
                found = None
            self.__dict__["lean_" + start] = found
        return found


_LOCAL = threading.local()


def _parsers(source: str) -> _Parsers:
    """Parsers for ``source`` and the registered operations, one set per thread (the builder holds
    per-parse state)."""
    cache = getattr(_LOCAL, "cache", None)
    if cache is None:
        cache = _LOCAL.cache = {}
    key = (source, registry_version())
    found = cache.get(key)
    if found is None:
        if len(cache) >= 8:
            cache.pop(next(iter(cache)))
        found = cache[key] = _Parsers(source)
    return found


def parse(text: str, *, grammar: Any = None, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> Module:
    """Parse an architecture: canonical or compact notation (with ``let``), or a labelled-bracket
    derivation tree (text starting with ``[``). Raises :class:`ParseError` with line and column.

    >>> str(parse("sequential(norm, relu)"))
    'sequential(computation<norm>, computation<relu>)'
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}", line=1, column=1)
    refuse_early(text, max_depth)
    parsers = _parsers(source_of(grammar))
    start = "derivation" if first_char(text) == "[" else "arch"
    parser = parsers.derivation if start == "derivation" else parsers.arch
    lean = parsers.lean(start)
    parsers.text_ref[0] = text
    try:
        # the lean run does not recurse but in ``let`` expansion, and stops there at a RecursionError
        tree = _lean_parse(lean, parsers, text, max_nodes, max_depth)
        if tree is None:
            with deep_enough(2 * max_depth):  # expansion: module levels and let calls, each at most max_depth
                parsers.builder.start(max_nodes, max_depth)
                tree = parser.parse(text)
    except UnexpectedInput as err:
        raise syntax_error(err, parser, text, keywords()) from None
    except RecursionError:
        raise error_at(parsers.builder.lexed.token, text, "the architecture nests too deeply to expand "
                       f"(limit {max_depth})") from None
    finally:
        parsers.text_ref[0] = ""
    if not isinstance(tree, Module):
        raise ParseError("expected an architecture (a module), got a lone terminal", line=1, column=1)
    if tree.depth > max_depth or tree.size > max_nodes:  # unreachable: the builder refuses as it goes
        raise ParseError(f"the architecture ({tree.size:,} nodes, {tree.depth:,} levels) is over the limits "
                         f"({max_nodes:,} nodes, {max_depth} levels)", line=1, column=1)
    remember_calls(tree, parsers.builder.sites)
    return tree


def _lean_parse(lean: LeanRun | None, parsers: _Parsers, text: str, max_nodes: int, max_depth: int) -> Any:
    """The lean run's tree, or None where it stopped (Lark's parse then reads the text, errors included)."""
    if lean is None:
        return None
    parsers.builder.start(max_nodes, max_depth)
    try:
        return lean.parse(text)
    except Exception:  # any error: Lark's own parse gives it (its message, position, expected tokens)
        return None


def as_tree(value: Any, *, grammar: Any = None) -> Module:
    """An architecture from a tree or its text: every function that takes a tree takes text too.

    >>> as_tree("sequential(norm, relu)") == as_tree(as_tree("sequential(norm, relu)"))
    True
    """
    if isinstance(value, Module):
        return value
    if isinstance(value, str):
        return parse(value, grammar=grammar)
    raise ParseError(f"expected an architecture (a tree or its text), got {type(value).__name__}", line=1, column=1)


def parse_terminal(text: str, *, grammar: Any = None) -> Terminal:
    """Parse one terminal such as ``im2col(3,1,1)`` or ``linear(x4)``."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}", line=1, column=1)
    refuse_early(text, MAX_DEPTH)
    parsers = _parsers(source_of(grammar))
    parsers.text_ref[0] = text
    parsers.builder.start(MAX_NODES, MAX_DEPTH)
    try:
        node = parsers.terminal.parse(text)
    except UnexpectedInput as err:
        raise syntax_error(err, parsers.terminal, text, keywords()) from None
    finally:
        parsers.text_ref[0] = ""
    if isinstance(node, Deferred) or not isinstance(node, Terminal):
        raise ParseError(f"{quote(text)} is not a terminal with integer arguments", line=1, column=1)
    return node


Parsed = Union[Module, Terminal]
