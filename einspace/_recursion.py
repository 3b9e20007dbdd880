"""Recursive tree algorithms need a Python recursion limit above the tree depth.

Trees are depth-limited at parse time (``max_depth``), so raising the limit to a few frames per
level is safe: Python 3.11 runs Python-to-Python calls without growing the C stack.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

FRAMES_PER_LEVEL = 4
HEADROOM = 200


@contextmanager
def deep_enough(depth: int) -> Iterator[None]:
    """Temporarily raise the recursion limit so that a walk of ``depth`` levels fits."""
    need = depth * FRAMES_PER_LEVEL + HEADROOM + len(_stack_depth_probe())
    old = sys.getrecursionlimit()
    if need > old:
        sys.setrecursionlimit(need)
    try:
        yield
    finally:
        if need > old:
            sys.setrecursionlimit(old)


def _stack_depth_probe() -> list[None]:
    """A list as long as the current call stack (cheap enough for the rare deep case)."""
    frame = sys._getframe()
    out: list[None] = []
    while frame is not None and len(out) < 100_000:
        out.append(None)
        frame = frame.f_back  # type: ignore[assignment]
    return out
