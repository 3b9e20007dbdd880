"""Tiny synthetic tasks in the Unseen NAS layout, for tests that need data but not real data.

``make_fixture("addnist", tmp_path)`` writes random inputs of the task's stored shape with
balanced labels (and a class-dependent offset, so a model can learn something) in milliseconds.
Its ``meta.json`` records every file (size, dtype, shape, sha256) as a build's does, so the
fixture passes the same verification as built data.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from .layout import SPLITS, resolve_root, write_meta, write_split
from .splits import balanced_labels
from .tasks import get_task


def make_fixture(name: str, root: str | os.PathLike[str] | None = None,
                 sizes: tuple[int, int, int] = (40, 20, 20), seed: int = 0,
                 meta: bool = True) -> Path:
    """Write a synthetic version of task ``name`` under ``<root>/<name>``; returns the folder.

    ``meta=False`` leaves out ``meta.json``, as in the original data sets.
    """
    task = get_task(name)
    if task.layout != "unseen" or task.classes is None:
        raise DataError(f"fixtures exist for Unseen NAS classification tasks, not {name!r}")
    rng = np.random.default_rng(seed)
    directory = resolve_root(root) / task.name
    files: dict[str, Any] = {}
    for split, n in zip(SPLITS, sizes):
        y = balanced_labels(n, task.classes, rng)
        x = rng.integers(0, 200, size=(n, *task.stored)).astype(np.uint8)
        x[:, 0, 0, 0] = (y * 50 // max(1, task.classes - 1)).astype(np.uint8)
        files.update(write_split(directory, split, x, y))
    if meta:
        write_meta(directory, {
            "name": task.name, "input": task.input, "stored": list(task.stored),
            "classes": task.classes, "labels": list(task.labels),
            "splits": dict(zip(SPLITS, sizes)), "source": "synthetic fixture",
            "seed": seed, "size": "fixture", "version": 0, "files": files,
        })
    return directory


__all__ = ["make_fixture"]
