"""Figures without pyplot's global state, and their SVG: files to open, or markup to inline.

Every plot makes its own :class:`matplotlib.figure.Figure` on an Agg canvas, so plotting from a
thread, a server or a test never opens a window or leaks figures. SVG text is written as ``<text>``
(no embedded glyphs: smaller, searchable, and nothing for a browser to fetch), and the markup for
inlining drops the XML prolog and DOCTYPE (the DOCTYPE names a web address).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

__all__ = ["new_figure", "save_figure", "svg_markup", "note"]

#: matplotlib settings for every SVG written here
_SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": None}
#: no creator, date or licence block (it holds web addresses, and a date makes files differ per run)
_NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}
_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)


def new_figure(width: float, height: float) -> Any:
    """A Figure of ``width`` x ``height`` inches on its own Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: Path) -> Path:
    """Write ``fig`` to ``path``, the format from its suffix (``.svg``, ``.png``, ``.pdf``)."""
    import matplotlib
    fmt = path.suffix.lstrip(".").lower()
    with matplotlib.rc_context(_SVG_RC):
        fig.savefig(path, format=fmt, dpi=120, metadata=_NO_METADATA if fmt == "svg" else None)
    return path


def svg_markup(fig: Any) -> str:
    """``fig`` as an ``<svg>`` element to place inside an HTML page."""
    import matplotlib
    out = io.StringIO()
    with matplotlib.rc_context(_SVG_RC):
        fig.savefig(out, format="svg", metadata=_NO_METADATA)
    return _PROLOG.sub("", out.getvalue(), count=1).strip()


def note(ax: Any, text: str) -> None:
    """Say in an empty axis why it is empty (no scored trial yet, say)."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
