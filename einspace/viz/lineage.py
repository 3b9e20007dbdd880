"""The lineage plot: how the best architecture came about, one small picture per ancestor.

Evolution changes one node at a time, so the chain of first parents from the best trial back to
its random (or seed) root shows which changes paid: each step is drawn as its derivation tree
(:func:`einspace.viz.tree.draw_tree`), or printed as text when the tree is too big to read small.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any, Optional

from ..errors import ArgumentError
from .figures import new_figure, note
from .journals import JournalLike, RunView, read_run

__all__ = ["lineage", "MAX_DRAWN_NODES"]

#: a tree with more nodes than this is printed, not drawn, in a lineage cell
MAX_DRAWN_NODES = 48
#: cells per row
_COLUMNS = 3
#: a printed architecture: characters per line, lines at most
_TEXT_WIDTH, _TEXT_LINES = 44, 14
#: the largest cell (inches): a wider tree is squeezed rather than the figure grown without end
_MAX_CELL = (8.0, 5.0)


def _score(trial: Any) -> str:
    s = trial.score
    if s is None:
        return trial.state if trial.state != "failed" else f"failed: {trial.status}"
    return f"{s:.2%}" if 0.0 <= s <= 1.0 else f"{s:.4g}"


def _cell(ax: Any, trial: Any, grammar: Any, fontsize: float) -> tuple[float, float]:
    """Draw one ancestor: its tree when small enough, else its text cut to what fits. Returns the
    inches the cell needs for its text to stay legible (a tree is laid out in character units)."""
    from ..language.parser import parse
    from .render import char_inches
    from .tree import draw_tree
    tree = parse(trial.arch, grammar=grammar)
    parents = ",".join(f"#{p}" for p in trial.parents)
    origin = f"{trial.origin} of {parents}" if parents else trial.origin
    ax.set_title(f"#{trial.id} {origin}: {_score(trial)}", fontsize=fontsize + 2)
    unit = char_inches(fontsize)
    if tree.size <= MAX_DRAWN_NODES:
        draw_tree(tree, ax=ax, fontsize=fontsize)
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        return abs(x1 - x0) * unit, abs(y1 - y0) * unit
    ax.set_axis_off()
    lines = textwrap.fill(trial.arch, _TEXT_WIDTH).splitlines()
    if len(lines) > _TEXT_LINES:
        lines = lines[:_TEXT_LINES - 1] + [f"... ({tree.size} nodes)"]
    ax.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", family="DejaVu Sans Mono", fontsize=fontsize,
            transform=ax.transAxes)
    return _TEXT_WIDTH * unit, len(lines) * 1.25 * fontsize / 72


def lineage(journal: JournalLike | RunView, trial: Optional[int] = None, limit: int = 12) -> Any:
    """The chain of first parents of ``trial`` (default: the best) back to its root, root first,
    each ancestor drawn small with its score; at most the ``limit`` nearest the trial (the title
    says how many earlier ones are left out). A JournalError if the journal has no such trial."""
    if type(limit) is not int or limit < 1:
        raise ArgumentError(f"limit must be a positive integer, got {limit!r}")
    run = journal if isinstance(journal, RunView) else read_run(journal)
    chain = run.lineage(trial)
    if not chain:
        fig = new_figure(6.0, 2.0)
        note(fig.add_subplot(), "no scored trial yet")
        return fig
    shown = chain[-limit:]
    cols = min(len(shown), _COLUMNS)
    rows = math.ceil(len(shown) / cols)
    fig = new_figure(3.3 * cols, 2.9 * rows + 0.4)
    grammar = run.config.get("grammar")
    sizes = [_cell(fig.add_subplot(rows, cols, i + 1), t, grammar, fontsize=6) for i, t in enumerate(shown)]
    width = min(max(w for w, _ in sizes), _MAX_CELL[0]) + 0.3
    height = min(max(h for _, h in sizes), _MAX_CELL[1]) + 0.4
    fig.set_size_inches(max(cols * width, 4.0), rows * height + 0.5)
    head = f"Lineage of trial #{chain[-1].id}: {len(chain)} generation{'s' * (len(chain) != 1)}"
    if len(chain) > len(shown):
        head += f" (the first {len(chain) - len(shown)}, from root #{chain[0].id}, not shown)"
    fig.suptitle(head)
    return fig
