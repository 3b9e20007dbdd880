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

import re
from bisect import bisect_left
from operator import itemgetter
from typing import Any, Callable

from lark import Lark, Token
from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders, ExpandSingleChild
from lark.parsers.lalr_analysis import Shift

__all__ = ["LeanRun", "Unsupported"]

_new_str = str.__new__
_NEWLINE = re.compile("\n")
_NO_CHILDREN = itemgetter(slice(0, 0))  # an empty list of children, picked from the stack


class Unsupported(Exception):
    """The lean run stopped; Lark's own parse reads the text instead (and reports its errors)."""


class LeanRun:
    """Parse text with the tables and callbacks of one compiled Lark LALR parser (one start rule)."""

    def __init__(self, parser: Lark, start: str):
        frontend = parser.parser
        lalr = frontend.parser.parser
        table = lalr.parse_table
        self._start, self._end = table.start_states[start], table.end_states[start]
        # the table with each reduction's rule replaced by what _reduction() says to do, so that a
        # reduction does not hash a Rule object; a shift keeps its target state
        reduce = {}
        for actions in table.states.values():
            for action, arg in actions.values():
                if action is not Shift and arg not in reduce:
                    reduce[arg] = _reduction(arg, lalr.callbacks[arg], parser.options.transformer)
        count = max(table.states) + 1  # states are numbered from 0: lists, indexed by state
        self._states: list[dict] = [{} for _ in range(count)]
        self._gotos: list[dict] = [{} for _ in range(count)]  # the shifts of nonterminals, after a reduction
        for state, actions in table.states.items():
            self._states[state] = {sym: (action is Shift, arg if action is Shift else reduce[arg])
                                   for sym, (action, arg) in actions.items()}
            self._gotos[state] = {sym: arg for sym, (action, arg) in actions.items() if action is Shift}
        lexer = getattr(frontend.lexer, "lexer", frontend.lexer)  # under a post-lexer's connector
        self._lexers = getattr(lexer, "lexers", None)
        if self._lexers is None:  # pragma: no cover - the parsers here use the contextual lexer
            raise Unsupported("not a contextual lexer")
        conf = parser.lexer_conf
        self._ignore = frozenset(conf.ignore)
        self._re = conf.re_module
        self._flags = conf.g_regex_flags
        self._kept = _kept_terminals(parser)
        #: per state (states are numbered from 0), on first use: the matcher of its lexer, the keyword
        #: callbacks, and the terminals that need more than a shift of None (kept, ignored, retyped)
        self._scanners: list[tuple[Callable, dict, frozenset] | None] = [None] * count

    def _scanner(self, state: int) -> tuple[Callable, dict, frozenset]:
        """The matcher of the terminals the lexer accepts in ``state``: one alternation, in Lark's order."""
        lexer = self._lexers[state]
        terminals = lexer.scanner.terminals  # after Lark folded keywords into NAME-like terminals
        if len(terminals) > 99:  # Python's limit on named groups: Lark splits the pattern; leave it to Lark
            raise Unsupported("too many terminals in one lexer state")
        pattern = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
        unless = dict(lexer.callback)
        found = self._scanners[state] = (self._re.compile(pattern, self._flags).match, unless,
                                         self._kept | self._ignore | frozenset(unless))
        return found

    def parse(self, text: str) -> Any:
        """The value the callbacks build for ``text``; :class:`Unsupported` where Lark must take over."""
        states, gotos, scanners, ignore, end = self._states, self._gotos, self._scanners, self._ignore, self._end
        newlines = [m.start() for m in _NEWLINE.finditer(text)] if "\n" in text else None
        state = self._start
        state_stack: list[int] = [state]
        value_stack: list[Any] = []
        push_state, push_value, new = state_stack.append, value_stack.append, _new_str
        pos, n = 0, len(text)
        type_: str = ""
        value: Any = None
        while True:
            if pos < n:
                match, unless, special = scanners[state] or self._scanner(state)
                m = match(text, pos)
                if m is None:
                    raise Unsupported("no terminal matches here")
                start, pos, type_ = pos, m.end(), m.lastgroup
                if type_ not in special:  # punctuation: None, dropped by the child filters
                    value = None
                elif type_ in ignore:
                    continue
                else:
                    value = new(Token, m.group())  # a Token without Token.__new__'s argument handling
                    value.type, value.value, value.start_pos, value.end_pos = type_, str(value), start, pos
                    if newlines is None:
                        value.line, value.column, value.end_line, value.end_column = 1, start + 1, 1, pos + 1
                    else:
                        value.line, value.column = _line_column(newlines, start)
                        value.end_line, value.end_column = _line_column(newlines, pos)
                    if type_ in unless:
                        value = unless[type_](value)
                        type_ = value.type
            elif type_ == "$END":  # pragma: no cover - a table that shifts the end (Lark's never do)
                raise Unsupported("the table shifted the end of the text")
            else:
                type_, value = "$END", None
            while True:
                try:
                    shift, arg = states[state][type_]
                except KeyError:
                    raise Unsupported("the table has no action for this token") from None
                if shift:  # (of $END: the test above the loop stops the run)
                    state = arg
                    push_state(state)
                    push_value(value)
                    break
                size, callback, origin, one, some = arg
                if callback is None:  # a `?rule` of one kept symbol: the child is the value
                    state = state_stack[-1] = gotos[state_stack[-2]][origin]
                    if state == end and type_ == "$END":
                        return value_stack[-1]
                    continue
                if size:
                    if one is not None:  # the children Lark's filter keeps, picked here
                        children = [value_stack[one]]
                    elif some is not None:
                        children = list(some(value_stack))
                    else:
                        children = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                    push_value(callback(children))
                else:
                    push_value(callback([]))
                state = gotos[state_stack[-1]][origin]
                push_state(state)
                if state == end and type_ == "$END":
                    return value_stack[-1]


def _line_column(newlines: list[int], pos: int) -> tuple[int, int]:
    """Line and column (from 1, as Lark counts) of offset ``pos``, from the offsets of the newlines."""
    k = bisect_left(newlines, pos)
    return k + 1, pos - (newlines[k - 1] + 1 if k else 0) + 1


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


class _Inlined:
    """The value of one of Lark's helper rules (``_name``, such as the repeat in ``(_COMMA module)+``):
    only its ``children`` are read, by the child filter of the rule it is inlined into."""

    __slots__ = ("children",)

    def __init__(self, children: list) -> None:
        self.children = children


def _inliner(picks: list[tuple[int, bool]]) -> Callable[[list], _Inlined]:
    """What Lark's child filter and the transformer's default give a helper rule, without the Tree:
    the kept children, those of inlined helpers spliced in (a left-recursive repeat reuses its list)."""
    def inline(children: list) -> _Inlined:
        out: list = []
        for i, expand in picks:
            if not expand:
                out.append(children[i])
            elif out:
                out += children[i].children
            else:
                out = children[i].children
        return _Inlined(out)
    return inline


def _reduction(rule: Any, callback: Callable, transformer: Any) -> tuple:
    """How the run reduces ``rule``: (size, callback, left-hand side, one, some). ``callback`` None: the
    rule passes its one child up. Where Lark's callback is its child filter (children picked by
    position, none inlined), the run picks them itself and calls what the filter would call: ``one``,
    the stack index of a single kept child, or ``some``, an ``itemgetter`` of several. A helper rule
    that the transformer has no method for gets an :func:`_inliner`."""
    size, origin = len(rule.expansion), rule.origin.name
    if _passes_its_child(rule, callback):
        return size, None, origin, None, None
    if type(callback) is ChildFilterLALR_NoPlaceholders and size:
        picks = [(i, expand) for i, expand in callback.to_include]
        name = rule.alias or rule.options.template_source or origin
        if origin.startswith("_") and not rule.alias and not hasattr(transformer, name):
            return size, _inliner(picks), origin, None, None
        if not picks:  # every child is punctuation (an operation without arguments)
            return size, callback.node_builder, origin, None, _NO_CHILDREN
        if not any(expand for _, expand in picks) and len(picks) < size:
            at = [i - size for i, _ in picks]
            if len(at) == 1:
                return size, callback.node_builder, origin, at[0], None
            return size, callback.node_builder, origin, None, itemgetter(*at)
    return size, callback, origin, None, None
