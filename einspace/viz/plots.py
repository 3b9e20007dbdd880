"""Search plots: how a run's best score grew, what it cost, and which operations the best ones use.

Each function takes one journal or several (paths, :class:`~einspace.search.Journal` objects) and
returns a :class:`matplotlib.figure.Figure` (no pyplot state: save it with ``fig.savefig``);
:func:`plot_all` writes every plot of some runs as SVG and PNG. A run with nothing scored yet
gives a figure saying so, so a report of a search that just started still draws.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import ArgumentError
from .figures import new_figure, note, save_figure
from .journals import JournalLike, RunView, read_run, read_runs

__all__ = ["best_so_far", "score_vs_params", "op_frequency", "operation_counts", "pareto_front", "plot_all"]

#: x axes of :func:`best_so_far`
X_AXES = ("evaluations", "time")
#: (seconds per unit, name) from the largest down: the time axis takes the first unit its run reaches
_TIME_UNITS = ((3600.0, "h"), (60.0, "min"), (1.0, "s"))


def _percent_axis(ax: Any, scores: Sequence[float]) -> None:
    """Scores are accuracies in [0, 1] for classification: print them as percentages then."""
    from matplotlib.ticker import PercentFormatter
    if scores and all(0.0 <= s <= 1.0 for s in scores):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))


def best_so_far(journals: Any, x: str = "evaluations") -> Any:
    """The best score so far against finished evaluations (``x="evaluations"``) or wall-clock time
    since the run started (``x="time"``): one step line per journal, each evaluation a faint dot.

    Only trained trials count (cached ones repeat an earlier score, failed ones have none), so the
    evaluations axis is the search's budget and each line ends at its journal's best score."""
    if x not in X_AXES:
        raise ArgumentError(f"x must be one of {', '.join(X_AXES)}, got {x!r}")
    runs = read_runs(journals)
    fig = new_figure(7.0, 4.2)
    ax = fig.add_subplot()
    done = {run.path: run.finished() for run in runs}
    longest = max((t.finished_at - run.started for run in runs for t in done[run.path] if t.finished_at),
                  default=0.0)
    unit, unit_name = next((u, n) for u, n in _TIME_UNITS if longest >= 2 * u or u == 1.0)
    every: list[float] = []
    for run in runs:
        trials = done[run.path]
        if not trials:
            continue
        scores = [float(t.score) for t in trials]
        if x == "evaluations":
            xs = list(range(1, len(trials) + 1))
        else:
            xs = [((t.finished_at or run.started) - run.started) / unit for t in trials]
        best, ys = -math.inf, []
        for s in scores:
            best = max(best, s)
            ys.append(best)
        (line,) = ax.plot(xs, ys, drawstyle="steps-post", linewidth=2, label=run.name)
        ax.plot(xs, scores, linestyle="none", marker=".", alpha=0.3, color=line.get_color(), label="_scores")
        every += scores
    if not every:
        note(ax, "no finished evaluation yet")
    else:
        ax.legend(loc="lower right")
        ax.grid(alpha=0.3)
    _percent_axis(ax, every)
    ax.set_xlabel("finished evaluations" if x == "evaluations" else f"wall-clock time ({unit_name})")
    ax.set_ylabel("best score so far")
    ax.set_title("Best score so far")
    return fig


def pareto_front(points: Sequence[tuple[float, float, Any]]) -> list[tuple[float, float, Any]]:
    """The (params, score, key) points no other point beats on both (fewer or equal params and a
    higher or equal score, one strictly), by params ascending; of equal points only the first.

    >>> [k for _, _, k in pareto_front([(10, .5, "a"), (20, .4, "b"), (30, .9, "c"), (10, .5, "d")])]
    ['a', 'c']
    """
    front, best = [], -math.inf
    for p in sorted(points, key=lambda q: (q[0], -q[1])):
        if p[1] > best:
            front.append(p)
            best = p[1]
    return front


def score_vs_params(journals: Any) -> Any:
    """Score against parameter count (log scale) of every trained trial, one colour per journal,
    with each journal's Pareto front (the most accurate for its size) drawn and its trial ids named."""
    runs = read_runs(journals)
    fig = new_figure(7.0, 4.6)
    ax = fig.add_subplot()
    every: list[float] = []
    for run in runs:
        points = [(float(t.evaluation["params"]), float(t.score), t.id) for t in run.finished()
                  if isinstance((t.evaluation or {}).get("params"), (int, float)) and t.evaluation["params"] > 0]
        if not points:
            continue
        dots = ax.scatter([p[0] for p in points], [p[1] for p in points], s=14, alpha=0.45, label=run.name)
        front = pareto_front(points)
        ax.plot([p[0] for p in front], [p[1] for p in front], drawstyle="steps-post", marker="o",
                markerfacecolor="none", color=dots.get_facecolor()[0][:3], label=f"Pareto front: {run.name}",
                gid="pareto")
        for params, score, tid in front:
            ax.annotate(f"#{tid}", (params, score), textcoords="offset points", xytext=(4, 4), fontsize=7)
        every += [p[1] for p in points]
    if every:
        ax.set_xscale("log")
        ax.legend(loc="lower right", fontsize=8)
        ax.grid(alpha=0.3, which="both")
    else:
        note(ax, "no finished evaluation yet")
    _percent_axis(ax, every)
    ax.set_xlabel("parameters")
    ax.set_ylabel("score")
    ax.set_title("Score against size")
    return fig


def _ranked(run: RunView) -> list:
    """Trained trials, best score first (the lower id first among equals)."""
    return sorted(run.finished(), key=lambda t: (-t.score, t.id))


def operation_counts(archs: Iterable[str], grammar: Any = None) -> Counter[tuple[str, str]]:
    """How often each operation occurs in these architectures, over every node of every tree, by
    (colour group, name): ``("computation", "linear")``. The group is that of the slot filled, so
    ``identity`` as a routing function and as a computation count apart."""
    from ..language.ast import Terminal
    from ..language.parser import parse
    from .colours import group_of
    from .paths import places
    counts: Counter[tuple[str, str]] = Counter()
    for text in archs:
        for place in places(parse(text, grammar=grammar)):
            if isinstance(place.node, Terminal):
                counts[group_of(place.node, place.slot), place.node.name] += 1
    return counts


def op_frequency(journal: JournalLike | RunView, top: float = 0.1) -> Any:
    """How often each operation occurs in the top ``top`` fraction of trained architectures (by
    score) against the whole run (every trial except cached ones, which repeat an architecture),
    as shares of all operations in each set: paired bars per operation, coloured by group (the
    paper's Figure 7, split by quality). An operation the best avoid shows a light bar alone."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import PercentFormatter

    from .colours import COLOURS, GROUP_ORDER
    if not (isinstance(top, (int, float)) and not isinstance(top, bool) and 0 < top <= 1):
        raise ArgumentError(f"top must be a fraction in (0, 1], got {top!r}")
    run = journal if isinstance(journal, RunView) else read_run(journal)
    grammar = run.config.get("grammar")
    ranked = _ranked(run)
    chosen = ranked[:max(1, math.ceil(top * len(ranked)))] if ranked else []
    proposed = [t for t in run.trials if t.state != "cached"]
    everything = operation_counts((t.arch for t in proposed), grammar)
    best = operation_counts((t.arch for t in chosen), grammar)
    fig = new_figure(max(7.0, 0.32 * len(everything) + 2), 4.6)
    ax = fig.add_subplot()
    ax.set_title("Operations among the best architectures")
    if not chosen:
        note(ax, "no finished evaluation yet")
        return fig
    n_all, n_best = sum(everything.values()), sum(best.values())
    keys = sorted(everything, key=lambda k: (GROUP_ORDER.index(k[0]), -everything[k], k[1]))
    names = Counter(name for _, name in keys)
    labels = [name if names[name] == 1 else f"{name} ({group})" for group, name in keys]
    colours = [COLOURS[group] for group, _ in keys]
    xs = range(len(keys))
    ax.bar([i - 0.2 for i in xs], [everything[k] / n_all for k in keys], width=0.4, color=colours, alpha=0.35,
           edgecolor=colours, label=f"whole run ({len(proposed)} architectures)")
    ax.bar([i + 0.2 for i in xs], [best[k] / n_best for k in keys], width=0.4, color=colours,
           label=f"top {top:.0%} ({len(chosen)} of {len(ranked)} trained)")
    ax.set_xticks(list(xs), labels, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("share of all operations")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    handles = [Patch(facecolor="0.55", alpha=0.35, edgecolor="0.55", label=ax.containers[0].get_label()),
               Patch(facecolor="0.55", label=ax.containers[1].get_label())]
    handles += [Patch(facecolor=COLOURS[g], label=g) for g in GROUP_ORDER if any(k[0] == g for k in keys)]
    ax.legend(handles=handles, fontsize=8, loc="upper right")
    ax.grid(alpha=0.3, axis="y")
    return fig


def _unique(stem: str, taken: set[str]) -> str:
    name, k = stem, 2
    while name in taken:
        name, k = f"{stem}-{k}", k + 1
    taken.add(name)
    return name


def plot_all(journals: Any, out_dir: str | os.PathLike[str], formats: Sequence[str] = ("svg", "png")) -> list[Path]:
    """Write every plot of these runs into ``out_dir`` (made if missing), once per format: the
    best score so far against evaluations and against time and score against size for all runs
    together; the operation frequencies and the best trial's lineage for each run. Returns the
    paths written."""
    from .lineage import lineage
    runs = read_runs(journals)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures = [("best-so-far", best_so_far(runs)), ("best-so-far-time", best_so_far(runs, x="time")),
               ("score-vs-params", score_vs_params(runs))]
    stems: set[str] = set()
    for run in runs:
        stem = _unique(run.path.stem, stems) if len(runs) > 1 else ""
        suffix = f"-{stem}" if stem else ""
        figures += [(f"op-frequency{suffix}", op_frequency(run)), (f"lineage{suffix}", lineage(run))]
    written = []
    for name, fig in figures:
        for fmt in formats:
            written.append(save_figure(fig, out / f"{name}.{fmt}"))
    return written
