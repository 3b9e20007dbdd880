"""Syntax errors a person can act on: where, what was found, what could stand there, and a hint.

What "could stand there" comes from Lark's interactive parser (``accepts()``: the tokens the LALR
automaton really accepts at that point), not from the lexer's larger set, so a missing aggregation
says ``","`` and not every token some other context allows. Hints name the operation being written
and its signature, a near keyword, or the brackets a module kind takes. Whatever a message quotes
from the input is cut to ``QUOTE`` characters, and every error has a line and a column.
"""

from __future__ import annotations

import difflib
from typing import Iterable

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import ParseError
from .ops import operations

__all__ = ["MODULE_KEYWORDS", "QUOTE", "keywords", "error_at", "error_at_offset", "position", "excerpt", "cut", "quote",
           "suggest", "syntax_error"]

MODULE_KEYWORDS = ("sequential", "branching", "routing", "computation")
def keywords() -> tuple[str, ...]:
    """Every keyword of the language: the module kinds, the registered operations, ``let``."""
    return MODULE_KEYWORDS + tuple(c.name for c in operations()) + ("let",)


_BRACKETS = {"sequential": "sequential(A, B, ...)", "branching": "branching(b){fn, M, ..., agg}",
             "routing": "routing[pre, M, post]", "computation": "computation<op>"}

_TOKEN_NAMES = {
    "INT": "an integer", "NAME": "a name", "FACTOR": "a factor such as x4", "SCALED": '"(scaled)"',
    "$END": "end of input", "_COMMA": '","', "_SEQ_OPEN": '"sequential("', "_ROUTE_OPEN": '"routing["',
    "_COMP_OPEN": '"computation<"', "D_ROOT": '"S" (the root of a derivation tree)',
}
#: longest piece of the input quoted in a message
QUOTE = 40


def cut(piece: str, limit: int = QUOTE) -> str:
    """A piece of the input, cut to ``limit`` characters with an ellipsis."""
    return piece if len(piece) <= limit else piece[:limit] + "…"


def quote(piece: str, limit: int = QUOTE) -> str:
    """``repr`` of a piece of the input, cut to ``limit`` characters with an ellipsis."""
    return repr(cut(piece, limit))


def excerpt(text: str, line: int, column: int, width: int = 70) -> str:
    """The line around a position, with a caret under it (non-printable characters replaced)."""
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return _excerpt_line("", column, width)
    end = text.find("\n", start)
    return _excerpt_line(text[start:] if end < 0 else text[start:end], column, width)


def _excerpt_line(src: str, column: int, width: int) -> str:
    start = max(0, column - 1 - width // 2)
    shown = "".join(ch if ch.isprintable() else "\ufffd" for ch in src[start:start + width])
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(src) else ""
    return f"  {prefix}{shown}{suffix}\n  {' ' * (len(prefix) + column - 1 - start)}^"


def position(text: str, offset: int) -> tuple[int, int]:
    """(line, column), both from 1, of a character offset (lines end at ``\\n``, as Lark counts)."""
    offset = max(0, min(offset, len(text)))
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def error_at_offset(text: str, offset: int, message: str, hint: str | None = None,
                    expected: tuple[str, ...] = ()) -> ParseError:
    """A ParseError at a character offset, with its line, column and excerpt (cheap on long text)."""
    offset = max(0, min(offset, len(text)))
    line, column = position(text, offset)
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    src = text[max(start, offset - 100):offset + 100 if end < 0 else min(end, offset + 100)]
    shift = offset - max(start, offset - 100)
    return ParseError(message, line=line, column=column, excerpt=_excerpt_line(src, shift + 1, 70),
                      expected=expected, hint=hint)


def error_at(tok: Token | None, text: str, message: str, hint: str | None = None) -> ParseError:
    """A ParseError at a token's position (line 1, column 1 when the token has none)."""
    offset = getattr(tok, "start_pos", None) if tok is not None else None
    if isinstance(offset, int) and 0 <= offset <= len(text):
        return error_at_offset(text, offset, message, hint)
    line = getattr(tok, "line", None) if tok is not None else None
    column = getattr(tok, "column", None) if tok is not None else None
    if line is None or column is None:
        line, column = 1, 1
    return ParseError(message, line=line, column=column, excerpt=excerpt(text, line, column), hint=hint)


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word[:64], [c for c in candidates if len(c) <= 64], n=3, cutoff=0.6)
    return f"did you mean {' or '.join(quote(c) for c in close)}?" if close else None


def _token_name(parser: Lark, name: str) -> str:
    if name in _TOKEN_NAMES:
        return _TOKEN_NAMES[name]
    if name.endswith("_LIT"):
        return f'"{name[:-4].lower()}(…)"'
    try:
        pattern = parser.get_terminal(name).pattern
    except KeyError:
        return name
    return repr(pattern.value).replace("'", '"') if pattern.type == "str" else name.lower()


def _readable(parser: Lark, names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(dict.fromkeys(_token_name(parser, n) for n in sorted(names))))


def _expected(err: UnexpectedInput) -> set[str]:
    ip = getattr(err, "interactive_parser", None)
    if ip is not None:
        try:
            return set(ip.accepts())
        except UnexpectedInput:  # pragma: no cover - accepts() simulates; a failure leaves Lark's set
            pass
    return set(getattr(err, "expected", None) or getattr(err, "allowed", None) or ())


def _open_operation(text: str, pos: int) -> str | None:
    """The operation whose argument list is open at ``pos`` (``im2col(3,1`` → ``im2col``)."""
    start = max(0, pos - 200)
    window = text[start:pos]
    depth = 0
    for i in range(len(window) - 1, -1, -1):
        ch = window[i]
        if ch in ")]}>":
            depth += 1
        elif ch in "([{<":
            if depth:
                depth -= 1
                continue
            if ch != "(":
                return None
            j = i
            while j > 0 and (window[j - 1].isalnum() or window[j - 1] == "_"):
                j -= 1
            return window[j:i] or None
    return None


def _word_before(text: str, pos: int) -> str:
    """The identifier just before ``pos``, skipping one bracketed argument list: ``branch(2){`` → branch."""
    i = pos
    while i > 0 and text[i - 1].isspace():
        i -= 1
    if i > 0 and text[i - 1] == ")":
        i = text.rfind("(", 0, i - 1)
        if i < 0:
            return ""
    j = i
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] == "_"):
        j -= 1
    return text[j:i]


def _hint(err: UnexpectedInput, text: str, pos: int, found: str, expected: set[str], known: tuple[str, ...]) -> str | None:
    ops = {c.name: c for c in operations()}
    inside = _open_operation(text, pos)
    if inside in ops:
        return f"{inside} is written {ops[inside].signature()}"
    if inside in _BRACKETS:
        return f"{inside} is written {_BRACKETS[inside]}"
    if found == "}" and expected == {"_COMMA"}:
        return "a branching module ends with an aggregation function, e.g. branching(2){clone(2), M1, M2, add(2)}"
    word = _word_before(text, pos) if found in "{[<(" else ""
    if word in _BRACKETS:
        return f"{word} is written {_BRACKETS[word]}"
    if word and word not in ops:
        return suggest(word, known)
    if isinstance(err, UnexpectedToken) and err.token.type == "NAME":
        return suggest(str(err.token), known)
    if isinstance(err, UnexpectedCharacters):
        end = pos
        while end < len(text) and (text[end].isalnum() or text[end] == "_"):
            end += 1
        if end > pos:
            return suggest(text[pos:end], known)
    return None


def syntax_error(err: UnexpectedInput, parser: Lark, text: str, known: tuple[str, ...]) -> ParseError:
    """The ParseError of a Lark syntax error: position, what was found, what is accepted, a hint."""
    pos = getattr(err, "pos_in_stream", None)
    found = ""
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        pos = len(text.rstrip())
        message = "unexpected end of input"
    elif isinstance(err, UnexpectedCharacters):
        found = text[err.pos_in_stream] if 0 <= err.pos_in_stream < len(text) else ""
        message = f"unexpected character {found!r}"
    elif isinstance(err, UnexpectedToken):
        found = str(err.token)
        message = f"unexpected {quote(found)}"
    else:  # pragma: no cover
        message = "syntax error"
    if not isinstance(pos, int) or not 0 <= pos <= len(text):
        pos = 0
    expected = _expected(err)
    return error_at_offset(text, pos, message, _hint(err, text, pos, found, expected, known),
                           _readable(parser, expected))
