"""The run report: one self-contained HTML file that says what a search did and what it found.

:func:`write_report` reads a journal once and writes the configuration, the trials by state and
origin, the best architecture (drawn and printed in full), every search plot as inline SVG and a
table of every trial that sorts by any column. The file needs nothing else to open (see
:mod:`.report_html`), so it can be copied off a cluster and read on a laptop, offline.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from ..search.trial import Trial
from .journals import JournalLike, RunView, read_run
from .report_html import cell, esc, key_values, page, section, table

__all__ = ["write_report", "render_report", "MAX_REPORT_TREE"]

#: the best architecture is drawn when it has at most this many nodes (else only printed)
MAX_REPORT_TREE = 400
#: the states in the order the summary lists them
_STATES = ("finished", "failed", "cached", "pending")
#: characters of an architecture shown in the trials table before the rest folds away
_SHORT = 72


def write_report(journal: JournalLike | RunView, path: str | os.PathLike[str]) -> Path:
    """Write the report of ``journal`` (a path or a Journal; read-only, safe while the search runs)
    to ``path`` (parent folders made) and return the path."""
    run = journal if isinstance(journal, RunView) else read_run(journal)
    out = Path(path)
    text = render_report(run)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


def render_report(run: RunView) -> str:
    """The report's HTML text."""
    title = f"einspace search: {run.path.name}"
    return page(title, _subtitle(run), [_summary(run), _best(run), _plots(run), _trials(run), _configuration(run)])


def _when(t: Any) -> str:
    if not isinstance(t, (int, float)) or isinstance(t, bool):
        return "?"
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _subtitle(run: RunView) -> str:
    c, m = run.config, run.meta
    state = f"finished: {run.finished_run}" if run.finished_run else "running or stopped before its budget"
    return (f"task {c.get('task', '?')}, strategy {c.get('strategy', '?')}, budget {c.get('evaluations', '?')} "
            f"evaluations; started {_when(run.started)} on {m.get('host', '?')} with einspace "
            f"{m.get('version', '?')}; {state}")


def _score(value: Any) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "-"
    return f"{value:.2%}" if 0.0 <= value <= 1.0 else f"{value:.4g}"


def _int(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else "-"


def _seconds(t: Trial) -> Optional[float]:
    """Training time: none for a cached trial, which trained nothing."""
    if t.state == "cached":
        return 0.0
    s = (t.evaluation or {}).get("total_seconds")
    return float(s) if isinstance(s, (int, float)) and not isinstance(s, bool) else None


def _summary(run: RunView) -> str:
    counts = run.counts()
    cards = [("trials", len(run.trials))] + [(s, counts[s]) for s in _STATES]
    cards.append(("best score", _score(run.best.score) if run.best else "-"))
    body = '<div class="cards">' + "".join(f'<div class="card">{esc(k)}<b>{esc(v)}</b></div>' for k, v in cards)
    body += "</div>\n"
    origins = sorted({t.origin for t in run.trials})
    by = Counter((t.origin, t.state) for t in run.trials)
    rows = [f"<tr><th>{esc(o)}</th>" + "".join(cell(by[o, s], numeric=True) for s in _STATES)
            + cell(sum(by[o, s] for s in _STATES), numeric=True) + "</tr>" for o in origins]
    body += "<h3>Trials by origin and state</h3>\n"
    body += table(["origin", *_STATES, "all"], rows, numeric=[False] + [True] * 5) if rows else "<p>No trial yet.</p>"
    failures = run.failures()
    if failures:
        body += "\n<h3>Failures by status</h3>\n" + key_values(failures.most_common())
    return section("Summary", body, "summary")


def _svg(draw: Callable[[], Any]) -> str:
    from .figures import svg_markup
    return svg_markup(draw())


def _figure(svg: str, caption: str, natural: bool = False) -> str:
    """A figure scaled to the page, or at its ``natural`` size (scrolling) where shrinking it
    would make its labels unreadable (trees)."""
    kind = "wide natural" if natural else "wide"
    return f'<figure><div class="{kind}">{svg}</div><figcaption>{esc(caption)}</figcaption></figure>'


def _best(run: RunView) -> str:
    best = run.best
    if best is None:
        return section("Best architecture", "<p>No trial has a score yet.</p>", "best")
    from ..language.parser import parse
    ev = best.evaluation or {}
    facts = [("trial", best.id), ("origin", best.origin), ("parents", ", ".join(map(str, best.parents)) or "-"),
             ("state", best.state if best.cached_from is None else f"cached from trial {best.cached_from}"),
             ("score", f"{_score(best.score)} on {ev.get('score_split', 'valid')}"), ("parameters", _int(ev.get("params"))),
             ("FLOPs", _int(ev.get("flops"))), ("training seconds", _secs(_seconds(best))),
             ("input", ev.get("input", "?")), ("structural hash", best.hash)]
    final = run.finals.get(best.id)
    if final is not None:
        facts.append(("final fidelity", f"{final.get('status')}, {_score(final.get('score'))} on "
                                        f"{final.get('score_split', 'test')}"))
    body = key_values(facts)
    tree = parse(best.arch, grammar=run.config.get("grammar"))
    if tree.size <= MAX_REPORT_TREE:
        from .tree import draw_tree
        body += "\n" + _figure(_svg(lambda: draw_tree(tree, input=ev.get("input"))),
                               f"The derivation tree of trial {best.id}, each leaf with its output type.", natural=True)
    else:
        body += f"\n<p>The tree has {tree.size:,} nodes: too many to draw legibly; its text follows.</p>"
    body += f"\n<pre>{esc(best.arch)}</pre>"
    return section("Best architecture", body, "best")


def _secs(seconds: Optional[float]) -> str:
    return "-" if seconds is None else f"{seconds:.1f}"


def _plots(run: RunView) -> str:
    from .lineage import lineage
    from .plots import best_so_far, op_frequency, score_vs_params
    parts = [
        _figure(_svg(lambda: best_so_far(run)), "Best score so far against trained evaluations (dots: each one)."),
        _figure(_svg(lambda: best_so_far(run, x="time")), "Best score so far against wall-clock time since the start."),
        _figure(_svg(lambda: score_vs_params(run)), "Score against parameters; the line is the Pareto front."),
        _figure(_svg(lambda: op_frequency(run)),
                "Share of each operation among the top 10% of trained architectures (solid) and the whole run (light)."),
        _figure(_svg(lambda: lineage(run)), "The best trial's ancestors, root first.", natural=True),
    ]
    return section("Plots", "\n".join(parts), "plots")


def _arch_markup(arch: str) -> str:
    if len(arch) <= _SHORT:
        return f"<code>{esc(arch)}</code>"
    return (f"<details><summary><code>{esc(arch[:_SHORT - 3])}...</code></summary>"
            f'<code class="full">{esc(arch)}</code></details>')


def _row(t: Trial) -> str:
    ev = t.evaluation or {}
    state = t.state if t.state != "failed" else f"failed: {t.status}"
    parents = ", ".join(f'<a href="#t{int(p)}">{int(p)}</a>' for p in t.parents)
    seconds = _seconds(t)
    cells = [cell(t.id, numeric=True, value=t.id), cell(state), cell(t.origin),
             cell("", markup=parents, value=",".join(map(str, t.parents))),
             cell(_score(t.score), numeric=True, value="" if t.score is None else t.score),
             cell(_int(ev.get("params")), numeric=True, value=ev.get("params", "")),
             cell(_secs(seconds), numeric=True, value="" if seconds is None else seconds),
             cell("", markup=_arch_markup(t.arch), value=t.arch)]
    title = f' title="{esc(t.message)}"' if t.message else ""
    return f'<tr id="t{t.id}" class="{esc(t.state)}"{title}>' + "".join(cells) + "</tr>"


def _trials(run: RunView) -> str:
    headers = ["id", "state", "origin", "parents", "score", "params", "seconds", "architecture"]
    numeric = [True, False, False, False, True, True, True, False]
    body = "<p>Click a column's header to sort by it, again to reverse.</p>\n"
    body += table(headers, (_row(t) for t in run.trials), ident="trials", sortable=True, numeric=numeric)
    return section(f"Every trial ({len(run.trials)})", body, "every-trial")


def _configuration(run: RunView) -> str:
    pairs = [(k, v if isinstance(v, (str, int, float, bool)) or v is None else json.dumps(v, sort_keys=True))
             for k, v in sorted(run.config.items())]
    meta = [(k, _when(v) if k == "time" else v if isinstance(v, (str, int, float, bool)) or v is None
             else json.dumps(v, sort_keys=True)) for k, v in sorted(run.meta.items())]
    body = key_values(pairs) + "\n<h3>Software and host at the start</h3>\n" + key_values(meta)
    return section("Configuration", body, "configuration")
