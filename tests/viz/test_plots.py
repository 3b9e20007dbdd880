"""The search plots read from real journals of small proxy searches: every figure's content is
checked from its artists (line data, bars, titles), not by looking at pixels."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

import einspace
from einspace.errors import ArgumentError, EinspaceError, JournalError
from einspace.language.ast import Terminal
from einspace.search import Journal
from einspace.viz import lineage as lineage_module
from einspace.viz.colours import COLOURS
from einspace.viz.lineage import lineage
from einspace.viz.plots import best_so_far, op_frequency, pareto_front, plot_all, score_vs_params

def trials(path):
    with Journal(path) as log:
        return log.trials(), log.best()


def named_lines(ax):
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


def test_a_figure_is_made_without_pyplot(runs):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    fig = best_so_far(runs[0])
    assert isinstance(fig.canvas, FigureCanvasAgg)


def test_best_so_far_rises_to_the_journal_best(runs):
    everything, best = trials(runs[0])
    finished = [t for t in everything if t.state == "finished"]
    (line,) = named_lines(best_so_far(runs[0]).axes[0])
    ys, xs = list(line.get_ydata()), list(line.get_xdata())
    assert xs == list(range(1, len(finished) + 1)) and len(finished) == 12
    assert all(a <= b for a, b in zip(ys, ys[1:]))
    assert ys[-1] == best.score and ys[0] == finished[0].score


def test_best_so_far_against_time_starts_at_the_run_and_grows(runs):
    (line,) = named_lines(best_so_far(runs[0], x="time").axes[0])
    xs = list(line.get_xdata())
    assert xs[0] >= 0 and all(a <= b for a, b in zip(xs, xs[1:]))
    assert "time" in best_so_far(runs[0], x="time").axes[0].get_xlabel()


def test_two_journals_give_two_lines_on_one_plot(runs):
    with Journal(runs[1]) as open_log:   # a Journal object works as well as a path
        ax = best_so_far([runs[0], open_log]).axes[0]
    lines = named_lines(ax)
    assert [line.get_label() for line in lines] == ["a (re)", "b (re)"]
    assert lines[1].get_ydata()[-1] == trials(runs[1])[1].score
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a (re)", "b (re)"]


def test_bad_arguments_are_einspace_errors(runs):
    with pytest.raises(ArgumentError):
        best_so_far(runs[0], x="hours")
    for top in (0, 1.5, "half"):
        with pytest.raises(ArgumentError):
            op_frequency(runs[0], top=top)
    with pytest.raises(JournalError):
        best_so_far(runs[0].parent / "missing.db")
    assert issubclass(ArgumentError, EinspaceError)


def test_the_pareto_points_are_the_non_dominated_ones(runs):
    fig = score_vs_params([runs[0], runs[1]])
    fronts = [line for line in fig.axes[0].get_lines() if line.get_gid() == "pareto"]
    assert len(fronts) == 2 and fig.axes[0].get_xscale() == "log"
    for path, front in zip(runs, fronts):
        points = [(t.evaluation["params"], t.score) for t in trials(path)[0] if t.state == "finished"]
        marked = set(zip(front.get_xdata(), front.get_ydata()))
        dominated = {p for p in points if any(q[0] <= p[0] and q[1] >= p[1] and q != p for q in points)}
        assert marked and marked <= set(points) and not marked & dominated
        assert {p for p in points if p not in dominated} == marked    # no distinct duplicates here
        assert max(y for _, y in marked) == max(y for _, y in points)


def test_pareto_front_keeps_the_first_of_equals_and_drops_the_beaten():
    got = pareto_front([(5, 0.2, "a"), (5, 0.2, "b"), (3, 0.1, "c"), (9, 0.2, "d"), (9, 0.3, "e")])
    assert [k for *_, k in got] == ["c", "a", "e"]
    assert pareto_front([]) == []


def test_op_frequency_covers_every_operation_coloured_by_group(runs):
    everything, _ = trials(runs[0])
    names = {n.name for t in everything if t.state != "cached"
             for n in einspace.parse(t.arch).walk() if isinstance(n, Terminal)}
    ax = op_frequency(runs[0], top=0.25).axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert {label.split(" (")[0] for label in labels} == names
    whole, top = ax.containers
    assert len(whole) == len(top) == len(labels)
    assert math.isclose(sum(b.get_height() for b in whole), 1.0)
    assert math.isclose(sum(b.get_height() for b in top), 1.0)
    palette = {tuple(round(c, 3) for c in _rgb(v)) for v in COLOURS.values()}
    assert all(tuple(round(c, 3) for c in b.get_facecolor()[:3]) in palette for b in top)
    assert "3 of 12 trained" in top.get_label()


def _rgb(colour):
    from matplotlib.colors import to_rgb
    return to_rgb(colour)


def test_lineage_draws_the_chain_of_first_parents_root_first(runs):
    everything, best = trials(runs[0])
    by_id = {t.id: t for t in everything}
    chain, t = [], best
    while t is not None:
        chain.append(t.id)
        t = by_id[t.parents[0]] if t.parents else None
    fig = lineage(runs[0])
    titles = [ax.get_title() for ax in fig.axes]
    assert [int(title.split()[0][1:]) for title in titles] == chain[::-1]
    assert f"{best.score:.2%}" in titles[-1] and "seed" in titles[0]
    assert any(artist.get_gid() == "root" for artist in fig.axes[0].texts)   # draw_tree's boxes


def test_lineage_of_a_given_trial_prints_big_trees_and_refuses_unknown_ones(runs, monkeypatch):
    monkeypatch.setattr(lineage_module, "MAX_DRAWN_NODES", 0)
    fig = lineage(runs[1], trial=5)
    assert fig.axes[-1].get_title().startswith("#5 ")
    assert fig.axes[-1].texts[0].get_text().startswith(trials(runs[1])[0][4].arch[:20])
    assert "#" in lineage(runs[0], trial=6, limit=1).get_suptitle()
    with pytest.raises(JournalError):
        lineage(runs[0], trial=999)


def test_a_run_with_nothing_scored_says_so_in_every_plot(runs, tmp_path):
    everything, best = trials(runs[2])
    assert [t.state for t in everything] == ["pending"] and best is None
    for fig in (best_so_far(runs[2]), best_so_far(runs[2], x="time"), score_vs_params(runs[2]),
                op_frequency(runs[2]), lineage(runs[2])):
        ax = fig.axes[0]
        assert not named_lines(ax) and not ax.containers
        assert any(text.get_text().startswith("no ") for text in ax.texts)
    assert len(named_lines(best_so_far(runs).axes[0])) == 2   # beside scored runs, it draws no line
    assert len(plot_all([runs[2]], tmp_path / "p")) == 10


def test_plot_all_writes_every_plot_as_svg_and_png(runs, tmp_path):
    written = plot_all(list(runs[:2]), tmp_path / "out")
    names = sorted(p.name for p in written)
    assert names == sorted(f"{stem}.{ext}" for stem in ("best-so-far", "best-so-far-time", "score-vs-params",
                                                        "op-frequency-a", "op-frequency-b", "lineage-a", "lineage-b")
                           for ext in ("svg", "png"))
    for path in written:
        assert path.stat().st_size > 1000
        if path.suffix == ".svg":
            assert ET.parse(path).getroot().tag.endswith("svg")
        else:
            assert path.read_bytes()[:4] == b"\x89PNG"
