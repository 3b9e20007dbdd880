"""Progress display of a training run: a rich bar on a terminal, nothing anywhere else.

The loop calls the same four methods on either kind, so it has no branch of its own. The bar
reads the running loss from the device at most a few times a second (a ``.item()`` per batch would
cost a synchronisation per batch on a GPU).
"""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["Progress", "NoProgress", "RichProgress", "make_progress"]


class Progress:
    """What the loop reports; the base class reports nowhere."""

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def epoch(self, epoch: int) -> None:
        """Epoch ``epoch`` (1-based) starts."""

    def batch(self, done: int, loss_sum: Any) -> None:
        """``done`` batches of the epoch are finished; ``loss_sum`` is their summed loss (a tensor)."""

    def scored(self, epoch: int, loss: float, score: float) -> None:
        """Epoch ``epoch`` finished with mean ``loss`` and ``score``."""

    def close(self) -> None:
        """Stop displaying."""


class NoProgress(Progress):
    """Silence: on a pipe, in a worker, with ``--json``."""


class RichProgress(Progress):
    """A rich progress bar on standard error: epoch, batch, running loss, last score, ETA."""

    REFRESH_S = 0.5

    def __init__(self, epochs: int, batches: int, label: str = "training"):
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        self.epochs, self.batches = epochs, batches
        self._bar = Bar(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("loss {task.fields[loss]}  score {task.fields[score]}"),
                        TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                        console=Console(stderr=True), transient=False)
        self._task = self._bar.add_task(label, total=epochs * batches, loss="-", score="-")
        self._label = label
        self._last = 0.0
        self._bar.start()

    def epoch(self, epoch: int) -> None:
        self._bar.update(self._task, description=f"{self._label} epoch {epoch}/{self.epochs}")

    def batch(self, done: int, loss_sum: Any) -> None:
        now = time.monotonic()
        if now - self._last >= self.REFRESH_S or done == self.batches:
            self._last = now
            self._bar.update(self._task, advance=1, loss=f"{float(loss_sum) / done:.4f}")
        else:
            self._bar.advance(self._task)

    def scored(self, epoch: int, loss: float, score: float) -> None:
        self._bar.update(self._task, completed=epoch * self.batches, loss=f"{loss:.4f}",
                         score=f"{score:.2%}")

    def close(self) -> None:
        self._bar.stop()


def is_terminal() -> bool:
    """True when standard error is a terminal (where the bar is drawn)."""
    stream = sys.stderr
    return bool(getattr(stream, "isatty", None)) and stream.isatty()


def make_progress(enabled: bool | None, epochs: int, batches: int, label: str = "training") -> Progress:
    """A bar if ``enabled`` (None: only on a terminal), else silence."""
    if enabled is None:
        enabled = is_terminal()
    return RichProgress(epochs, batches, label) if enabled else NoProgress()
