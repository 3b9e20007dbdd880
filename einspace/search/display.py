"""What a running search shows: a rich live view on a terminal, plain lines on a pipe, or nothing.

All on standard error, so standard output stays free for ``--json``. The driver calls the same
four methods on every kind; a display only reads the counts it is given.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from ..training.progress import is_terminal
from .trial import Trial

__all__ = ["Display", "PlainDisplay", "RichDisplay", "make_display", "DISPLAYS"]

DISPLAYS = ("auto", "rich", "plain", "none")


def _score(value: Any) -> str:
    return "-" if value is None else f"{value:.2%}"


class Display:
    """The base class shows nothing (``none``: in tests, in scripts, under ``--json``)."""

    def start(self, config: Any, executor: str, counts: Any) -> None:
        """The loop starts (``counts`` already holds what the journal replayed)."""

    def trial(self, trial: Trial, counts: Any) -> None:
        """``trial`` completed (finished, cached or failed)."""

    def note(self, text: str) -> None:
        """Something a person should know (a retry, a resume)."""

    def stop(self, counts: Any) -> None:
        """The loop ended (normally or not)."""


class PlainDisplay(Display):
    """One line per completed trial, for logs and pipes."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.budget = 0
        self.started = time.monotonic()

    def _say(self, text: str) -> None:
        print(f"[einspace search] {text}", file=self.stream, flush=True)

    def start(self, config: Any, executor: str, counts: Any) -> None:
        self.budget = config.evaluations
        self._say(f"{config.strategy} on {config.task}, {config.evaluations} evaluations, on {executor}; "
                  f"{counts.finished} already done")

    def trial(self, trial: Trial, counts: Any) -> None:
        what = trial.state if trial.state != "failed" else f"failed ({trial.status})"
        self._say(f"trial {trial.id} {trial.origin} {what} score {_score(trial.score)} | "
                  f"{counts.finished}/{self.budget} done, best {_score(counts.best)}, "
                  f"{counts.failed} failed, {counts.in_flight} running")

    def note(self, text: str) -> None:
        self._say(text)

    def stop(self, counts: Any) -> None:
        self._say(f"stopped: {counts.finished}/{self.budget} done, best {_score(counts.best)} "
                  f"(trial {counts.best_trial}), {time.monotonic() - self.started:.0f} s")


class RichDisplay(Display):
    """A live panel: progress towards the budget, best score so far, workers busy, failures."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        self.console = Console(stderr=True)
        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("best {task.fields[best]}  running {task.fields[running]}  "
                                       "failed {task.fields[failed]}  cached {task.fields[cached]}"),
                            TimeElapsedColumn(), console=self.console)
        self.task: Any = None

    def start(self, config: Any, executor: str, counts: Any) -> None:
        self.console.print(f"[bold]einspace search[/]: {config.strategy} on {config.task} ({executor})")
        self.task = self.bar.add_task("evaluations", total=config.evaluations, completed=counts.finished,
                                      best=_score(counts.best), running=0, failed=counts.failed,
                                      cached=counts.cached)
        self.bar.start()

    def trial(self, trial: Trial, counts: Any) -> None:
        self.bar.update(self.task, completed=counts.finished, best=_score(counts.best), running=counts.in_flight,
                        failed=counts.failed, cached=counts.cached)
        if trial.state == "failed":
            self.bar.console.print(f"trial {trial.id}: {trial.status} {trial.message[:120]}")

    def note(self, text: str) -> None:
        self.bar.console.print(text)

    def stop(self, counts: Any) -> None:
        self.bar.stop()


def make_display(kind: str = "auto") -> Display:
    """``auto``: rich on a terminal, plain lines otherwise; or ``rich``, ``plain``, ``none``."""
    if kind not in DISPLAYS:
        from ..errors import SearchError
        raise SearchError(f"display must be one of {', '.join(DISPLAYS)}, got {kind!r}")
    if kind == "auto":
        kind = "rich" if is_terminal() else "plain"
    return {"rich": RichDisplay, "plain": PlainDisplay, "none": Display}[kind]()
