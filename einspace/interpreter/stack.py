"""A deep network's forward pass needs a recursion limit above Python's; raise it only meanwhile.

Nested modules call each other (about three Python frames per level), so a network a few hundred
levels deep overflows the default limit of 1000. :func:`deepen` hooks the top module instead of
raising the limit for good: the limit goes up when its forward pass starts and back to what it was
when the outermost pass ends, normally or by an exception. Building and running a network thus
leave ``sys.getrecursionlimit()`` as they found it. Torch-free (the hooks are plain callables).
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from .._recursion import FRAMES_PER_LEVEL, HEADROOM

__all__ = ["ForwardDepth", "deepen", "frames_needed"]

_LOCK = threading.Lock()
#: passes running now (threads and nested calls) and the limit to restore when the last one ends
_ACTIVE = {"passes": 0, "saved": 0}


def frames_needed(levels: int) -> int:
    """Frames a forward pass through ``levels`` nested modules may take, with headroom."""
    return levels * FRAMES_PER_LEVEL + HEADROOM


class ForwardDepth:
    """Forward pre-hook (:meth:`enter`) and always-called forward hook (:meth:`leave`) of a top module.

    Picklable (a plain object holding a number), so a saved network keeps its hooks.
    """

    def __init__(self, levels: int):
        self.levels = levels

    def enter(self, module: Any, args: Any) -> None:
        need = frames_needed(self.levels) + _stack_depth()
        with _LOCK:
            if _ACTIVE["passes"] == 0:
                _ACTIVE["saved"] = sys.getrecursionlimit()
            _ACTIVE["passes"] += 1
            if need > sys.getrecursionlimit():
                sys.setrecursionlimit(need)

    def leave(self, module: Any, args: Any, output: Any) -> None:
        with _LOCK:
            if _ACTIVE["passes"] == 0:  # an earlier pre-hook failed before ours ran
                return
            _ACTIVE["passes"] -= 1
            if _ACTIVE["passes"] == 0:
                sys.setrecursionlimit(_ACTIVE["saved"])


def deepen(module: Any, levels: int) -> Any:
    """Hook ``module`` so that its forward pass through ``levels`` nested modules fits the stack;
    a network shallow enough for the current limit is left untouched. Returns ``module``."""
    if frames_needed(levels) + _stack_depth() > sys.getrecursionlimit():
        depth = ForwardDepth(levels)
        module.register_forward_pre_hook(depth.enter)
        module.register_forward_hook(depth.leave, always_call=True)
    return module


def _stack_depth() -> int:
    """Frames on the current call stack."""
    frame, n = sys._getframe(), 0
    while frame is not None:
        n += 1
        frame = frame.f_back  # type: ignore[assignment]
    return n
