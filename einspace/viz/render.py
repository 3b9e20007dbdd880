"""What the pictures share about matplotlib: a figure sized in character widths, and a box artist.

Drawing code works in data units of one monospaced character width, both across and down, so
a layout computed in characters maps straight onto the figure. matplotlib is imported here only,
inside the functions, and never through pyplot: no global state, no display (the Agg canvas).
"""

from __future__ import annotations

from typing import Any

__all__ = ["CHAR_EM", "LINE_UNITS", "PAD_EM", "pad_units", "char_inches", "new_axes", "box"]

#: advance width of a DejaVu Sans Mono character, in em
CHAR_EM = 0.602
#: one text line (1.2 em) in character widths
LINE_UNITS = 1.2 / CHAR_EM
#: the padding of a box around its text, in em
PAD_EM = 0.3


def pad_units() -> float:
    """A box's padding on one side, in character widths."""
    return PAD_EM / CHAR_EM


def char_inches(fontsize: float) -> float:
    """The width of one character at ``fontsize`` points, in inches."""
    return CHAR_EM * fontsize / 72


def new_axes(ax: Any, width: float, height: float, fontsize: float) -> tuple[Any, Any]:
    """``(figure, axes)`` spanning ``[0, width] × [-height, 0]`` character units, sized so that text
    at ``fontsize`` fits those units; a caller's ``ax`` is used as it is (limits set, axis hidden)."""
    if ax is None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        unit = char_inches(fontsize)
        fig = Figure(figsize=(max(width * unit, 1.0), max(height * unit, 1.0)))
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, max(width, 1.0))
    ax.set_ylim(-max(height, 1.0), 0)
    ax.set_axis_off()
    return ax.figure, ax


def box(ax: Any, x: float, y: float, text: str, gid: str, facecolor: str, textcolor: str, fontsize: float,
        **extra: Any) -> Any:
    """A text box centred at ``(x, y)`` tagged with ``gid`` (the node it stands for)."""
    artist = ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, family="DejaVu Sans Mono",
                     color=textcolor, zorder=3, linespacing=1.2,
                     bbox=dict(boxstyle=f"round,pad={PAD_EM}", facecolor=facecolor, edgecolor="#333333",
                               linewidth=0.6), **extra)
    artist.set_gid(gid)
    return artist
