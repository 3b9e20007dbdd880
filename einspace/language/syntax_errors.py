"""Syntax errors a person can act on: where, what was found, what could stand there, and a hint.

What "could stand there" comes from Lark's interactive parser (``accepts()``: the tokens the LALR
automaton really accepts at that point), not from the lexer's larger set, so a missing aggregation
says ``","`` and not every token some other context allows. Hints name the operation being written
and its signature, a near keyword, or the brackets a module kind takes. Also here: the cheap,
vectorised scans that refuse absurdly deep input before Lark reads it.
"""

from __future__ import annotations

import difflib
from typing import Iterable

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import ParseError
from .ops import operations

__all__ = ["MODULE_KEYWORDS", "keywords", "error_at", "excerpt", "suggest", "syntax_error", "nesting_depth", "longest_group"]

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


def excerpt(text: str, line: int, column: int, width: int = 70) -> str:
    """The line around a position, with a caret under it (non-printable characters replaced)."""
    lines = text.splitlines() or [""]
    src = lines[line - 1] if 0 < line <= len(lines) else ""
    start = max(0, column - 1 - width // 2)
    shown = "".join(ch if ch.isprintable() else "\ufffd" for ch in src[start:start + width])
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(src) else ""
    return f"  {prefix}{shown}{suffix}\n  {' ' * (len(prefix) + column - 1 - start)}^"


def error_at(tok: Token | None, text: str, message: str, hint: str | None = None) -> ParseError:
    """A ParseError at a token's position (line 1, column 1 when the token has none)."""
    line = getattr(tok, "line", None) if tok is not None else None
    column = getattr(tok, "column", None) if tok is not None else None
    if line is None or column is None:
        line, column = 1, 1
    return ParseError(message, line=line, column=column, excerpt=excerpt(text, line, column), hint=hint)


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word[:64], list(candidates), n=3, cutoff=0.6)
    return f"did you mean {' or '.join(repr(c) for c in close)}?" if close else None


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
    line, column = getattr(err, "line", None), getattr(err, "column", None)
    pos = getattr(err, "pos_in_stream", None)
    found = ""
    if isinstance(err, UnexpectedEOF) or (isinstance(err, UnexpectedToken) and err.token.type == "$END"):
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        pos = len(text)
        message = "unexpected end of input"
    elif isinstance(err, UnexpectedCharacters):
        found = text[err.pos_in_stream] if 0 <= err.pos_in_stream < len(text) else ""
        message = f"unexpected character {found!r}"
    elif isinstance(err, UnexpectedToken):
        found = str(err.token)
        shown = found if len(found) <= QUOTE else found[:QUOTE] + "…"
        message = f"unexpected {shown!r}"
    else:  # pragma: no cover
        message = "syntax error"
    if pos is None or pos < 0:
        pos = 0
    expected = _expected(err)
    hint = _hint(err, text, pos, found, expected, known)
    if line is None or column is None or line < 1:
        line, column = 1, 1
    return ParseError(message, line=line, column=column, excerpt=excerpt(text, line, column),
                      expected=_readable(parser, expected), hint=hint)


# --- fast refusals ---------------------------------------------------------------------------------

_DEPTH_TABLE = str.maketrans({"(": "\x02", "[": "\x02", "{": "\x02", "<": "\x02",
                               ")": "\x00", "]": "\x00", "}": "\x00", ">": "\x00"})


def _codes(text: str):
    import numpy as np
    return np.frombuffer(text.translate(_DEPTH_TABLE).encode("utf-8", "surrogatepass"), dtype=np.uint8)


def nesting_depth(text: str) -> int:
    """Deepest bracket nesting of ``text``, in C-speed passes (no Python loop per character)."""
    import numpy as np
    buf = _codes(text)
    steps = buf[(buf == 0) | (buf == 2)].astype(np.int8) - 1
    return int(np.cumsum(steps, dtype=np.int64).max()) if steps.size else 0


def longest_group(text: str) -> tuple[int, int]:
    """(items, offset): the most comma-separated items directly inside one pair of brackets, and the
    byte offset of its opening bracket. An n-ary ``sequential`` of n items nests n levels deep, so this
    bounds the depth before parsing; vectorised, it takes milliseconds for megabytes."""
    import numpy as np
    buf = _codes(text)
    opens = buf == 2
    closes = buf == 0
    commas = buf == ord(",")
    step = opens.astype(np.int64) - closes.astype(np.int64)
    depth = np.cumsum(step)  # depth after each byte; an opening bracket's own depth is its level
    open_pos = np.flatnonzero(opens)
    comma_pos = np.flatnonzero(commas)
    if comma_pos.size == 0 or open_pos.size == 0:
        return (1 if comma_pos.size == 0 else comma_pos.size + 1), 0
    n = len(buf) + 1
    open_keys = depth[open_pos] * n + open_pos
    order = np.argsort(open_keys, kind="stable")
    open_keys = open_keys[order]
    comma_depth = depth[comma_pos]
    idx = np.searchsorted(open_keys, comma_depth * n + comma_pos) - 1
    valid = (idx >= 0) & (open_keys[np.maximum(idx, 0)] // n == comma_depth)
    if not valid.any():
        return 1, 0
    counts = np.bincount(idx[valid], minlength=open_keys.size)
    best = int(counts.argmax())
    return int(counts[best]) + 1, int(open_pos[order[best]])
