"""Split and balance logic shared by the builders; pure numpy, deterministic from a Generator.

The rule every builder follows: split the *raw material* first (digit images, words, books,
garment images), then compose samples inside each split from that split's material only. So no
test sample shares an image, a word or a book with a training sample.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import DataError

SPLIT_NAMES = ("train", "valid", "test")


def fractions_of(sizes: Sequence[int]) -> tuple[float, ...]:
    """Split sizes as fractions of their total (45000, 15000, 10000) -> (0.64, 0.21, 0.14)."""
    total = float(sum(sizes))
    if total <= 0 or any(s < 0 for s in sizes):
        raise DataError(f"bad split sizes {tuple(sizes)}")
    return tuple(s / total for s in sizes)


def partition(n: int, fractions: Sequence[float], rng: np.random.Generator) -> list[np.ndarray]:
    """A random partition of ``range(n)`` into parts of the given fractions.

    Every part gets at least one item when ``n >= len(fractions)``; rounding goes to the first part.
    """
    k = len(fractions)
    if n < k:
        raise DataError(f"cannot split {n} items into {k} non-empty parts")
    counts = [max(1, int(round(f * n))) for f in fractions[1:]]
    first = n - sum(counts)
    if first < 1:
        raise DataError(f"cannot split {n} items by fractions {tuple(fractions)}")
    order = rng.permutation(n)
    bounds = np.cumsum([first] + counts)[:-1]
    return [np.sort(p) for p in np.split(order, bounds)]


def partition_by_class(labels: np.ndarray, fractions: Sequence[float],
                       rng: np.random.Generator) -> list[dict[int, np.ndarray]]:
    """Per-split pools of item indices, split class by class (stratified, disjoint)."""
    pools: list[dict[int, np.ndarray]] = [{} for _ in fractions]
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        for part, sel in zip(pools, partition(len(idx), fractions, rng)):
            part[int(c)] = idx[sel]
    return pools


def balanced_labels(n: int, classes: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` labels in random order whose class counts differ by at most one."""
    labels = np.arange(n) % classes
    rng.shuffle(labels)
    return labels.astype(np.int64)


def assign_groups(sizes: Sequence[int], fractions: Sequence[float],
                  rng: np.random.Generator) -> np.ndarray:
    """Assign whole groups (books, games) to splits so split totals approach ``fractions``.

    Groups are taken largest first (ties in random order), each to the split with the largest
    remaining deficit; once only as many groups remain as splits are empty, they fill those.
    Returns the split index of every group. Needs at least one group per split.
    """
    k = len(fractions)
    if len(sizes) < k:
        raise DataError(f"{len(sizes)} groups cannot fill {k} splits")
    target = np.asarray(fractions, dtype=float) * float(sum(sizes))
    order = sorted(rng.permutation(len(sizes)).tolist(), key=lambda i: -sizes[i])
    filled = np.zeros(k)
    members = np.zeros(k, dtype=np.int64)
    out = np.empty(len(sizes), dtype=np.int64)
    for rank, g in enumerate(order):
        deficit = target - filled
        empty = [s for s in range(k) if members[s] == 0]
        if len(empty) >= len(order) - rank:
            s = max(empty, key=lambda e: deficit[e])
        else:
            s = int(np.argmax(deficit))
        out[g] = s
        filled[s] += sizes[g]
        members[s] += 1
    return out


def draw(pool: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` items of ``pool``: without replacement when the pool is large enough, else every
    item once and the rest with replacement (duplicates stay inside one split)."""
    if len(pool) == 0:
        raise DataError("cannot draw from an empty pool")
    if n <= len(pool):
        return rng.choice(pool, size=n, replace=False)
    rest = rng.choice(pool, size=n - len(pool), replace=True)
    return rng.permutation(np.concatenate([pool, rest]))


def balance_text(counts: dict[str, Sequence[int]]) -> str:
    """How balanced the classes of the splits are, from their per-class counts:
    ``{"train": [10, 10], "valid": [2, 3]}`` -> ``"balanced within one: 10/2–3 per class (train/valid)"``."""
    spans = {split: (min(c), max(c)) for split, c in counts.items() if len(c)}
    if not spans:
        raise DataError("no class counts to describe")
    spread = max(hi - lo for lo, hi in spans.values())
    kind = "exactly balanced" if spread == 0 else "balanced within one" if spread == 1 else "not balanced"
    sizes = "/".join(f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}" for lo, hi in spans.values())
    return f"{kind}: {sizes} per class ({'/'.join(spans)})"
