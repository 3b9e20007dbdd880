"""The tables and figures of ``docs/results.md``, read from the study's journals only.

``python scripts/study.py report`` prints the markdown (the table per task and row, the cost of
every cell, the best architecture of every task) and writes the figures into ``--img``: the best
score so far of every strategy of a task on one plot, and the data-flow graph of its best network.
Nothing is trained here; everything comes from the journals and the finals recorded in them.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

CELL = re.compile(r"^(?P<task>[a-z0-9_]+)-(?P<strategy>rs|re-scratch|re-rn18|re-mix)-s(?P<seed>\d+)$")
ROWS = (("RN18", "re-rn18"), ("random sampling", "rs"), ("random search", "rs"),
        ("RE(Scratch)", "re-scratch"), ("RE(RN18)", "re-rn18"), ("RE(Mix)", "re-mix"))
LABELS = {"rs": "random search", "re-scratch": "RE(Scratch)", "re-rn18": "RE(RN18)", "re-mix": "RE(Mix)"}


@dataclass(frozen=True)
class Cell:
    path: Path
    task: str
    strategy: str
    seed: int
    view: Any   # einspace.viz.journals.RunView

    def scored(self) -> list[Any]:
        return [t for t in self.view.trials if t.score is not None]

    def final_of(self, trial: Any) -> Optional[float]:
        ev = None if trial is None else self.view.finals.get(trial.id)
        return None if ev is None else ev.get("score")

    def best_final(self) -> Optional[float]:
        return self.final_of(self.view.best)

    def unscored_finals(self, trials: list[Any]) -> list[str]:
        """The statuses of these trials' finals that ended without a score (``nan``, ``timeout``)."""
        evs = [self.view.finals.get(t.id) for t in trials if t is not None]
        return [ev.get("status", "?") for ev in evs if ev is not None and ev.get("score") is None]

    def seed_trial(self) -> Any:
        return next((t for t in self.view.trials if t.origin == "seed" and not t.parents), None)

    def sample_trials(self) -> list[Any]:
        """The first samples in id order that have a final (the random-sampling row)."""
        out = []
        for t in sorted(self.scored(), key=lambda t: t.id):
            if t.id not in self.view.finals:
                break
            out.append(t)
        return out

    def sample_finals(self) -> list[float]:
        return [v for t in self.sample_trials() for v in [self.final_of(t)] if v is not None]

    def search_seconds(self) -> float:
        return sum(float((t.evaluation or {}).get("total_seconds") or 0.0) for t in self.view.trials)

    def final_seconds(self) -> float:
        return sum(float(ev.get("total_seconds") or 0.0) for ev in self.view.finals.values())

    def wall_seconds(self) -> float:
        ends = [t.finished_at for t in self.view.trials if t.finished_at]
        return max(ends) - self.view.started if ends else 0.0


def read_cells(folder: Path) -> list[Cell]:
    from einspace.viz.journals import read_run
    cells = []
    for path in sorted(folder.glob("*.db")):
        m = CELL.match(path.stem)
        if m is None:
            continue
        view = read_run(path, label=f"{LABELS[m['strategy']]} s{m['seed']}")
        cells.append(Cell(path, m["task"], m["strategy"], int(m["seed"]), view))
    return cells


def _fmt(values: list[float]) -> str:
    if not values:
        return "—"
    mean = statistics.fmean(values)
    if len(values) == 1:
        return f"{mean:.1%}"
    return f"{mean:.1%} ± {statistics.stdev(values):.1%} (n={len(values)})"


def row_values(row: str, cells: list[Cell]) -> list[float]:
    if row == "RN18":
        return [v for c in cells if c.seed == 0 for v in [c.final_of(c.seed_trial())] if v is not None]
    if row == "random sampling":
        return [v for c in cells if c.seed == 0 for v in c.sample_finals()]
    return [v for c in cells for v in [c.best_final()] if v is not None]


def unscored(row: str, cells: list[Cell]) -> list[str]:
    if row == "RN18":
        return [s for c in cells if c.seed == 0 for s in c.unscored_finals([c.seed_trial()])]
    if row == "random sampling":
        return [s for c in cells if c.seed == 0 for s in c.unscored_finals(c.sample_trials())]
    return [s for c in cells for s in c.unscored_finals([c.view.best])]


def valid_values(row: str, cells: list[Cell]) -> list[float]:
    if row == "RN18":
        return [t.score for c in cells if c.seed == 0 for t in [c.seed_trial()] if t is not None]
    if row == "random sampling":
        return [statistics.fmean([t.score for t in c.scored()]) for c in cells if c.seed == 0 and c.scored()]
    return [c.view.best.score for c in cells if c.view.best is not None]


def tables(cells: list[Cell]) -> list[str]:
    tasks = list(dict.fromkeys(c.task for c in cells))
    lines = ["| task | row | test (final fidelity) | valid (search fidelity) | searches |", "|---|---|---|---|---|"]
    means: dict[str, list[float]] = {}
    for task in tasks:
        for row, strategy in ROWS:
            mine = [c for c in cells if c.task == task and c.strategy == strategy]
            if not mine:
                continue
            test = row_values(row, mine)
            if test:
                means.setdefault(row, []).append(statistics.fmean(test))
            seeds = ",".join(str(c.seed) for c in mine if row not in ("RN18", "random sampling") or c.seed == 0)
            failed = unscored(row, mine)
            shown = _fmt(test) if not failed else f"{_fmt(test)}; final {', '.join(failed)}" if test else \
                f"final {', '.join(failed)} (no score)"
            lines.append(f"| {task} | {row} | {shown} | {_fmt(valid_values(row, mine))} | seeds {seeds} |")
    lines += ["", "| row | mean test over tasks | tasks |", "|---|---|---|"]
    for row, _ in ROWS:
        if row in means:
            lines.append(f"| {row} | {statistics.fmean(means[row]):.1%} | {len(means[row])} |")
    return lines


def costs(cells: list[Cell]) -> list[str]:
    lines = ["| cell | trials (finished / failed) | best valid | search wall-clock | evaluation CPU | finals CPU |",
             "|---|---|---|---|---|---|"]
    total_wall = total_cpu = 0.0
    for c in cells:
        counts = c.view.counts()
        best = "—" if c.view.best is None else f"{c.view.best.score:.1%}"
        lines.append(f"| {c.path.stem} | {counts.get('finished', 0)} / {counts.get('failed', 0)} | {best} | "
                     f"{c.wall_seconds():.0f} s | {c.search_seconds():.0f} s | {c.final_seconds():.0f} s |")
        total_wall += c.wall_seconds()
        total_cpu += c.search_seconds() + c.final_seconds()
    lines.append(f"| **all** | | | {total_wall / 60:.1f} min | {total_cpu / 60:.1f} min (with finals) | |")
    return lines


def best_archs(cells: list[Cell], img: Path) -> list[str]:
    """The network of each task with the best final test score, drawn and printed."""
    from einspace import parse
    from einspace.data.tasks import get_task
    from einspace.viz import draw_graph
    from einspace.viz.figures import save_figure
    lines = []
    for task in dict.fromkeys(c.task for c in cells):
        scored = [(c.final_of(t), c, t) for c in cells if c.task == task
                  for t in c.view.trials if c.final_of(t) is not None]
        if not scored:
            continue
        score, cell, trial = max(scored, key=lambda x: x[0])
        fig = draw_graph(parse(trial.arch), get_task(task).input)
        path = save_figure(fig, img / f"best-{task}.png")
        params = (trial.evaluation or {}).get("params")
        lines += [f"### {task}: {score:.1%} on test ({cell.path.stem}, trial {trial.id}, {trial.origin}, "
                  f"{params:,} parameters)", "", f"![best {task}]({Path('img') / img.name / path.name})", "",
                  "```", trial.arch, "```", ""]
    return lines


def curves(cells: list[Cell], img: Path) -> list[str]:
    from einspace.viz import best_so_far
    from einspace.viz.figures import save_figure
    lines = []
    for task in dict.fromkeys(c.task for c in cells):
        fig = best_so_far([c.view for c in cells if c.task == task])
        fig.axes[0].set_title(f"{task}: best validation score so far")
        path = save_figure(fig, img / f"best-so-far-{task}.png")
        lines += [f"![best so far, {task}]({Path('img') / img.name / path.name})", ""]
    return lines


def report(folder: Path, img: Path) -> int:
    cells = read_cells(folder)
    if not cells:
        print(f"study report: no study journal (<task>-<strategy>-s<seed>.db) in {folder}")
        return 1
    img.mkdir(parents=True, exist_ok=True)
    out = ["## Test accuracy", ""] + tables(cells) + ["", "## Cost of every cell", ""] + costs(cells)
    out += ["", "## Best score so far", ""] + curves(cells, img)
    out += ["## Best architecture per task", ""] + best_archs(cells, img)
    print("\n".join(out))
    return 0
