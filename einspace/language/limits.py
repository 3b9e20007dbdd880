"""The parser's limits, and the cheap scans that enforce some of them before Lark reads the text.

Each limit keeps every consumer of a parsed tree safe and fast (docs/notation.md, "Limits"):

* ``MAX_LENGTH`` bounds the work of parsing: the densest valid text parses at about 0.3 MiB/s on
  a busy core, so 1 MiB stays within a few seconds, and anything longer is refused at once;
* ``MAX_NODES`` bounds the tree after ``let`` expansion (``infer`` takes about 10 µs a node), and
  is small enough that the canonical text of any accepted tree (at most 25 characters a node)
  fits in ``MAX_LENGTH``, so printed trees always parse again;
* ``MAX_DEPTH`` bounds nesting, so the recursive walks of the package (which raise the recursion
  limit to a few frames a level) stay far from the C stack;
* ``MAX_DIGITS`` / ``MAX_FACTOR_DIGITS`` bound numbers: no size needs more, and ``int()`` of huge
  digit strings is slow (Python refuses beyond 4,300 digits).

The scans are vectorised (numpy over the UTF-8 bytes, comments blanked), so refusing megabytes
takes milliseconds.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .syntax_errors import error_at_offset

if TYPE_CHECKING:
    import numpy as np

__all__ = ["MAX_DEPTH", "MAX_NODES", "MAX_LENGTH", "MAX_DIGITS", "MAX_FACTOR_DIGITS", "refuse_early", "first_char",
           "nesting_depth", "longest_group"]

#: deepest module nesting accepted (an n-ary sequential of n items nests n deep)
MAX_DEPTH = 1000
#: most nodes of a tree after ``let`` expansion
MAX_NODES = 40_000
#: longest text accepted (characters)
MAX_LENGTH = 1 << 20
#: most digits of an integer (a size, an index, a ``let`` argument)
MAX_DIGITS = 9
#: most digits of a ``linear(xF)`` factor (its printed form has no more, so it parses again)
MAX_FACTOR_DIGITS = 24

_OPEN = b"([{<"
_CLOSE = b")]}>"


def refuse_early(text: str, max_depth: int) -> None:
    """Refuse, before parsing, text that is too long or must nest deeper than ``max_depth``."""
    if len(text) > MAX_LENGTH:
        raise error_at_offset(text, MAX_LENGTH, f"the input has {len(text):,} characters, more than the limit "
                              f"of {MAX_LENGTH:,}", "an architecture of the largest accepted size is far shorter")
    if len(text) <= 2 * max_depth:  # too short to nest that deep
        return
    buf = _scan_bytes(text)
    depth, where = nesting_depth(buf)
    if depth > max_depth:
        raise error_at_offset(text, _char_offset(text, where), f"brackets nest {depth:,} levels deep, more than "
                              f"the limit of {max_depth}", "pass max_depth= to parse deeper architectures")
    items, where = longest_group(buf)
    if items > max_depth:
        raise error_at_offset(text, _char_offset(text, where), f"a sequential of {items:,} items nests {items:,} "
                              f"levels deep, more than the limit of {max_depth}",
                              "a bracket holds at most max_depth items; pass max_depth= to parse deeper architectures")


def first_char(text: str) -> str:
    """The first character that is not whitespace or in a comment (``[`` starts bracket notation)."""
    start = _BLANK.match(text).end()  # type: ignore[union-attr]
    return text[start:start + 1]


_BLANK = re.compile(r"(?:\s+|#[^\n]*)*")


def _scan_bytes(text: str) -> "np.ndarray":
    """The UTF-8 bytes of ``text`` with comments blanked (brackets in a comment do not nest)."""
    import numpy as np
    buf = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8).copy()
    hashes = buf == ord("#")
    if hashes.any():
        idx = np.arange(buf.size)
        last_hash = np.maximum.accumulate(np.where(hashes, idx, -1))
        last_newline = np.maximum.accumulate(np.where(buf == ord("\n"), idx, -1))
        buf[last_hash > last_newline] = ord(" ")
    return buf


def _char_offset(text: str, byte_offset: int) -> int:
    """The character offset of a byte offset of the UTF-8 text."""
    if text.isascii():
        return byte_offset
    return len(text.encode("utf-8", "surrogatepass")[:byte_offset].decode("utf-8", "surrogatepass"))


def _brackets(buf: "np.ndarray", which: bytes) -> "np.ndarray":
    import numpy as np
    return np.isin(buf, np.frombuffer(which, dtype=np.uint8))


def nesting_depth(buf: "np.ndarray") -> tuple[int, int]:
    """(depth, byte offset): the deepest bracket nesting and where it is reached."""
    import numpy as np
    step = _brackets(buf, _OPEN).astype(np.int64) - _brackets(buf, _CLOSE).astype(np.int64)
    if not step.any():
        return 0, 0
    depth = np.cumsum(step)
    where = int(depth.argmax())
    return int(depth[where]), where


def longest_group(buf: "np.ndarray") -> tuple[int, int]:
    """(items, byte offset): the most comma-separated items directly inside one pair of brackets,
    and where its opening bracket is. An n-ary ``sequential`` of n items nests n levels deep."""
    import numpy as np
    opens = _brackets(buf, _OPEN)
    depth = np.cumsum(opens.astype(np.int64) - _brackets(buf, _CLOSE).astype(np.int64))
    open_pos = np.flatnonzero(opens)
    comma_pos = np.flatnonzero(buf == ord(","))
    if comma_pos.size == 0 or open_pos.size == 0:
        return (1 if comma_pos.size == 0 else comma_pos.size + 1), 0
    n = len(buf) + 1
    open_keys = depth[open_pos] * n + open_pos  # an opening bracket's own depth is its level
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
