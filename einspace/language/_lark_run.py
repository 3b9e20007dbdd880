"""A lean run of a compiled Lark LALR parser: Lark's tables and callbacks, without Lark's per-token cost.

Nothing here knows the einspace syntax. Everything comes from the :class:`lark.Lark` instance that
Lark compiled from the grammar file: the LALR table (``parse_table``), the callbacks of the rules
(Lark's child filters and ``?``-rule inlining around the embedded transformer), and, for each parser
state, the terminals its contextual lexer accepts (their regular expressions, priorities and
keyword callbacks exactly as Lark orders them). What this module saves is Lark's machinery around
them: one generator and one ``Token`` constructor call per token, a line counter object, the
post-lexer, and ``Token`` objects for the punctuation the child filters drop anyway.

The run is only for text that parses: it raises :class:`Unsupported` at the first thing it does
not handle itself (a character no terminal matches, a token the table has no action for), and
passes on whatever a callback raises. The caller then parses the same text with Lark's own
``parse``, which gives the error message, position and expected tokens as before.
"""

from __future__ import annotations

from typing import Any, Callable

from lark import Lark, Token
from lark.parse_tree_builder import ExpandSingleChild
from lark.parsers.lalr_analysis import Shift

__all__ = ["LeanRun", "Unsupported"]

_new_str = str.__new__


class Unsupported(Exception):
    """The lean run stopped; Lark's own parse reads the text instead (and reports its errors)."""


def _token(type_: str, value: str, pos: int, line: int, column: int, end_pos: int, end_line: int,
           end_column: int) -> Token:
    """A Lark ``Token`` with its position, built without ``Token.__new__``'s argument handling."""
    tok = _new_str(Token, value)
    tok.type, tok.value, tok.start_pos, tok.line, tok.column = type_, value, pos, line, column
    tok.end_pos, tok.end_line, tok.end_column = end_pos, end_line, end_column
    return tok


class LeanRun:
    """Parse text with the tables and callbacks of one compiled Lark LALR parser (one start rule)."""

    def __init__(self, parser: Lark, start: str):
        frontend = parser.parser
        lalr = frontend.parser.parser
        table = lalr.parse_table
        self._start, self._end = table.start_states[start], table.end_states[start]
        # the table with each reduction's rule replaced by (size, callback, left-hand side), so that
        # a reduction does not hash a Rule object (callback None: the rule passes its one child up);
        # a shift keeps its target state
        reduce = {}
        for actions in table.states.values():
            for action, arg in actions.values():
                if action is not Shift and arg not in reduce:
                    callback = lalr.callbacks[arg]
                    if _passes_its_child(arg, callback):
                        callback = None
                    reduce[arg] = (len(arg.expansion), callback, arg.origin.name)
        self._states = {state: {sym: (action is Shift, arg if action is Shift else reduce[arg])
                                for sym, (action, arg) in actions.items()} for state, actions in table.states.items()}
        lexer = getattr(frontend.lexer, "lexer", frontend.lexer)  # under a post-lexer's connector
        self._lexers = getattr(lexer, "lexers", None)
        if self._lexers is None:  # pragma: no cover - the parsers here use the contextual lexer
            raise Unsupported("not a contextual lexer")
        conf = parser.lexer_conf
        self._ignore = frozenset(conf.ignore)
        self._re = conf.re_module
        self._flags = conf.g_regex_flags
        self._kept = _kept_terminals(parser)
        lexers = {id(lx): lx for lx in self._lexers.values()}.values()
        self._newline = frozenset().union(*(lx.newline_types for lx in lexers))
        #: per state (states are numbered from 0): the matcher and keyword callbacks of its lexer, on first use
        self._scanners: list[tuple[Callable, dict] | None] = [None] * (max(table.states) + 1)

    def _scanner(self, state: int) -> tuple[Callable, dict]:
        """The matcher of the terminals the lexer accepts in ``state``: one alternation, in Lark's order."""
        lexer = self._lexers[state]
        terminals = lexer.scanner.terminals  # after Lark folded keywords into NAME-like terminals
        if len(terminals) > 99:  # Python's limit on named groups: Lark splits the pattern; leave it to Lark
            raise Unsupported("too many terminals in one lexer state")
        pattern = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
        found = self._scanners[state] = (self._re.compile(pattern, self._flags).match, dict(lexer.callback))
        return found

    def parse(self, text: str) -> Any:
        """The value the callbacks build for ``text``; :class:`Unsupported` where Lark must take over."""
        states, scanners, kept, ignore, end = self._states, self._scanners, self._kept, self._ignore, self._end
        newline = self._newline
        state = self._start
        state_stack: list[int] = [state]
        value_stack: list[Any] = []
        push_state, push_value, new = state_stack.append, value_stack.append, _new_str
        pos, n, line, line_start = 0, len(text), 1, 0
        type_: str = ""
        value: Any = None
        while True:
            if pos < n:
                match, unless = scanners[state] or self._scanner(state)
                m = match(text, pos)
                if m is None:
                    raise Unsupported("no terminal matches here")
                start, pos, type_ = pos, m.end(), m.lastgroup
                line_at, column = line, start - line_start + 1
                if type_ in newline:
                    found = m.group().count("\n")
                    if found:
                        line += found
                        line_start = text.rindex("\n", start, pos) + 1
                if type_ in ignore:
                    continue
                if type_ in kept or type_ in unless:  # punctuation: None, dropped by the child filters
                    value = new(Token, m.group())  # _token(), inlined
                    value.type, value.value, value.start_pos, value.line, value.column = \
                        type_, str(value), start, line_at, column
                    value.end_pos, value.end_line, value.end_column = pos, line, pos - line_start + 1
                    if type_ in unless:
                        value = unless[type_](value)
                        type_ = value.type
                else:
                    value = None
            elif type_ == "$END":  # pragma: no cover - the loop below returns or raises at the end
                raise Unsupported("the table did not accept the end of the text")
            else:
                type_, value = "$END", None
            while True:
                try:
                    shift, arg = states[state][type_]
                except KeyError:
                    raise Unsupported("the table has no action for this token") from None
                if shift:
                    if type_ == "$END":
                        raise Unsupported("shift at the end of the text")
                    state = arg
                    push_state(state)
                    push_value(value)
                    break
                size, callback, origin = arg
                if callback is None:  # a `?rule` of one kept symbol: the child is the value
                    state = state_stack[-1] = states[state_stack[-2]][origin][1]
                    if state == end and type_ == "$END":
                        return value_stack[-1]
                    continue
                if size:
                    children = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                    push_value(callback(children))
                else:
                    push_value(callback([]))
                state = states[state_stack[-1]][origin][1]
                push_state(state)
                if state == end and type_ == "$END":
                    return value_stack[-1]


def _kept_terminals(parser: Lark) -> frozenset[str]:
    """Terminals some rule keeps as a child (the others are punctuation its child filter drops)."""
    kept = set()
    for rule in parser.rules:
        keep_all = getattr(rule.options, "keep_all_tokens", False)
        for sym in rule.expansion:
            if sym.is_term and (keep_all or not sym.filter_out):
                kept.add(sym.name)
    return frozenset(kept)


def _passes_its_child(rule: Any, callback: Any) -> bool:
    """Whether a rule's callback returns its one child unchanged: Lark's inlining of a ``?rule`` with a
    single symbol that its child filter keeps (``ExpandSingleChild`` returns ``children[0]`` then)."""
    if type(callback) is not ExpandSingleChild or len(rule.expansion) != 1:
        return False
    sym = rule.expansion[0]
    return not sym.is_term and not sym.name.startswith("_") or \
        sym.is_term and (not sym.filter_out or getattr(rule.options, "keep_all_tokens", False))
