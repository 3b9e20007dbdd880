"""What a builder is: a recipe (provenance and split rules) plus a function that makes arrays."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DataError

SIZE_NAMES = ("tiny", "small", "full")


@dataclass(frozen=True)
class Context:
    """Everything a builder may depend on: its seed, the split sizes and the source cache."""

    seed: int
    sizes: tuple[int, int, int]
    cache: Path

    def rng(self, stream: str) -> np.random.Generator:
        """An independent generator per named stream, so adding a draw in one stage does not
        shift the randomness of another."""
        key = [ord(c) for c in stream]
        return np.random.default_rng(np.random.SeedSequence([self.seed, *key]))


@dataclass(frozen=True, eq=False)
class Built:
    """A builder's output: ``splits[name] = (x, y)`` plus label names and provenance notes."""

    splits: dict[str, tuple[np.ndarray, np.ndarray]]
    labels: tuple[str, ...]
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Recipe:
    """How one task is built offline, and the facts docs/data.md and meta.json report."""

    task: str
    make: Callable[[Context], Built]
    full: tuple[int, int, int]
    source: str
    licence: str
    split_method: str
    balance: str
    differences: str
    packages: tuple[str, ...]
    version: int = 1

    def sizes(self, size: str) -> tuple[int, int, int]:
        """Split sizes for a preset: ``full`` (the original's), ``small`` (1/10), ``tiny`` (1/100)."""
        scale = {"full": 1, "small": 10, "tiny": 100}.get(size)
        if scale is None:
            raise DataError(f"unknown size {size!r}; choose one of {', '.join(SIZE_NAMES)}")
        return tuple(max(1, round(n / scale)) for n in self.full)  # type: ignore[return-value]
