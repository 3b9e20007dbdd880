"""Loading a task's splits from disk into normalised float32 arrays.

Follows the original Unseen NAS loader: per-channel mean and std from the train split applied to
all three splits, once, at load time, no augmentation; Chesseract boards zero-padded by 5 after
normalisation (so the padding reads as "mean" to the network).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from .layout import channel_stats, layout_help, normalize, pad_spatial, read_meta, resolve_root
from .splits import balance_text
from .staging import recover
from .tasks import Task, get_task, shape_str
from .verify import Arrays, verify_task


@dataclass(frozen=True, eq=False)
class Split:
    """One split: inputs ``x`` ``(N, C, H, W)`` and integer labels ``y`` ``(N,)``."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded task: three splits plus what the model needs to know about them."""

    task: Task
    directory: Path
    train: Split
    valid: Split
    test: Split
    input: str
    classes: int | None
    labels: tuple[str, ...] = ()
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    meta: dict[str, Any] | None = field(default=None)

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def splits(self) -> dict[str, Split]:
        return {"train": self.train, "valid": self.valid, "test": self.test}

    def sizes(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.splits.items()}


def task_directory(name: str, root: str | os.PathLike[str] | None = None) -> Path:
    return resolve_root(root) / get_task(name).name


def _require_loader(task: Task, directory: Path) -> str:
    if task.layout is None:
        raise DataError(f"task {task.name!r} ({task.title}) has no loader yet: "
                        f"{task.description}")
    if not directory.is_dir():
        recover(directory)  # a build killed between its two renames left the old copy aside
    if not directory.is_dir():
        from .builders import RECIPES  # local import: builders import this module's neighbours
        hint = (f"build it with `einspace data build {task.name}`" if task.name in RECIPES
                else "place the original files there")
        raise DataError(f"no data for task {task.name!r} in {directory}: {hint}; "
                        f"{layout_help(directory, task.layout)}")
    return task.layout


def _expected(task: Task, meta: dict[str, Any] | None) -> tuple[tuple[int, ...], int | None]:
    """Stored sample shape and class count: the builder's record wins over the registry."""
    if meta is None:
        return task.stored, task.classes
    return tuple(meta.get("stored", task.stored)), meta.get("classes", task.classes)


def _verified(name: str, root: str | os.PathLike[str] | None, mmap: bool,
              checksums: bool = False) -> tuple[Task, Path, dict[str, Any] | None, Arrays]:
    """The task, its folder, its record and its checked splits (see :mod:`.verify`)."""
    task = get_task(name)
    directory = task_directory(name, root)
    layout = _require_loader(task, directory)
    meta = read_meta(directory)
    stored, classes = _expected(task, meta)
    arrays = verify_task(directory, layout, stored, classes, meta, mmap=mmap, checksums=checksums)
    if len(stored) == 2:  # channel-less samples (NinaPro) gain their channel axis
        arrays = {s: (x[:, None], y) for s, (x, y) in arrays.items()}
    return task, directory, meta, arrays


def load(name: str, root: str | os.PathLike[str] | None = None, *, normalise: bool = True,
         pad: bool = True) -> Dataset:
    """Load task ``name`` from ``root`` (default: ``$EINSPACE_DATA`` or ``~/.cache/einspace/data``).

    Returns float32 inputs, normalised per channel with train statistics (``normalise=False``
    keeps raw values) and padded as the task asks (Chesseract: 12x8x8 -> 12x18x18). Every file
    is verified first (header, size, dtype, shape, the build's record, labels in range, finite
    inputs); a :class:`DataError` names the file and what is wrong with it.
    """
    task, directory, meta, raw = _verified(name, root, mmap=False)
    classes = _expected(task, meta)[1]
    mean = std = None
    if normalise:
        mean, std = channel_stats(raw["train"][0])
    out: dict[str, Split] = {}
    for split, (x, y) in raw.items():
        x = normalize(x, mean, std) if mean is not None and std is not None else x.astype(np.float32)
        out[split] = Split(pad_spatial(x, task.pad) if pad else x, y)
    labels = tuple(meta.get("labels", ())) if meta else task.labels
    return Dataset(task, directory, out["train"], out["valid"], out["test"],
                   input=shape_str(out["train"].x.shape[1:]), classes=classes,
                   labels=labels, mean=mean, std=std, meta=meta)


def describe(name: str, root: str | os.PathLike[str] | None = None,
             verify: bool = False) -> dict[str, Any]:
    """Shapes, classes and split sizes of a task on disk, without loading the inputs.

    Verifies the files as :func:`load` does (inputs memory-mapped); ``verify`` also compares
    each file's sha256 with the build's record and lists the files checked under ``verified``.

    The dictionary is the ``einspace data info --json`` object (DESIGN §5) plus extra keys.
    ``balance`` describes the class counts on disk (a ``--size tiny`` build's, not the full size's);
    ``recipe_balance`` is the builder's description of its full-size balance, when it wrote one.
    """
    task, directory, meta, arrays = _verified(name, root, mmap=True, checksums=verify)
    stored, classes = _expected(task, meta)
    sizes: dict[str, int] = {}
    counts: dict[str, list[int]] = {}
    for split, (_, y) in arrays.items():
        sizes[split] = int(len(y))
        if classes is not None:
            counts[split] = np.bincount(y, minlength=classes).tolist()
    padded = stored[:-2] + tuple(d + 2 * task.pad for d in stored[-2:])
    info: dict[str, Any] = {
        "name": task.name,
        "input": shape_str(padded),
        "classes": classes,
        "splits": sizes,
        "source": (meta or {}).get("source", "original files (no meta.json)"),
        "stored": shape_str(stored),
        "directory": str(directory),
        "metric": task.hyper.metric,
        "class_counts": counts,
    }
    if task.target is not None:
        info["target"] = shape_str(task.target)
    if meta:
        for key in ("labels", "licence", "split_method", "balance", "seed", "size",
                    "differences", "build_seconds"):
            if key in meta:
                info[key] = meta[key]
        if "balance" in meta:  # the recipe's words, written for the full-size build
            info["recipe_balance"] = meta["balance"]
    if counts:  # the balance of what is on disk, whatever size was built
        info["balance"] = balance_text(counts)
    if verify:
        info["verified"] = sorted(((meta or {}).get("files") or {}))
    return info
