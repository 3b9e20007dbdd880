"""Fashion-MNIST and FashionTile (a CIFARTile analogue: no CIFAR ships in any package).

Image pools: the official 10,000 test images are the test pool; the official 60,000 training
images are split per class 5/6 : 1/6 into disjoint train and valid pools. FashionTile draws its
four tiles from its split's pool only.
"""

from __future__ import annotations

import gzip

import numpy as np

from ..encodings import parse_idx, tile_2x2
from ..sources import DebPackage, deb_file, log
from ..splits import SPLIT_NAMES, balanced_labels, draw, partition_by_class
from ..tasks import get_task
from .base import Built, Context, Recipe

PACKAGE = DebPackage("dataset-fashion-mnist")
DIR = "usr/share/datasets/fashion-mnist"
CLASSES = get_task("fashion").labels


def fashion_source(ctx: Context) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The official splits as uint8 ``(N, 28, 28)`` images and labels."""
    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        x = parse_idx(gzip.decompress(deb_file(PACKAGE, f"{DIR}/{prefix}-images-idx3-ubyte.gz",
                                               ctx.cache).read_bytes()))
        y = parse_idx(gzip.decompress(deb_file(PACKAGE, f"{DIR}/{prefix}-labels-idx1-ubyte.gz",
                                               ctx.cache).read_bytes()))
        out[split] = (x, y.astype(np.int64))
    return out


def image_pools(official: dict[str, tuple[np.ndarray, np.ndarray]], rng: np.random.Generator,
                ) -> tuple[np.ndarray, list[dict[int, np.ndarray]]]:
    """All images in one array and, per split, the indices of each class's disjoint pool."""
    (xtr, ytr), (xte, yte) = official["train"], official["test"]
    train_pool, valid_pool = partition_by_class(ytr, (5 / 6, 1 / 6), rng)
    test_pool = {int(c): np.flatnonzero(yte == c) + len(xtr) for c in np.unique(yte)}
    return np.concatenate([xtr, xte]), [train_pool, valid_pool, test_pool]


def compose_fashion(images: np.ndarray, pools: list[dict[int, np.ndarray]],
                    sizes: tuple[int, int, int], rng: np.random.Generator,
                    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Balanced single-garment samples, each image used at most once per split when possible."""
    out = {}
    for name, n, pool in zip(SPLIT_NAMES, sizes, pools):
        y = balanced_labels(n, len(pool), rng)
        idx = np.empty(n, dtype=np.int64)
        for c, members in pool.items():
            where = np.flatnonzero(y == c)
            idx[where] = draw(members, len(where), rng)
        out[name] = (images[idx][:, None], y)
    return out


def tile_classes(label: int, classes: int, rng: np.random.Generator) -> np.ndarray:
    """Garment classes of four tiles with exactly ``label + 1`` distinct classes, each used."""
    distinct = rng.choice(classes, size=label + 1, replace=False)
    slots = np.concatenate([distinct, rng.choice(distinct, size=3 - label, replace=True)])
    return rng.permutation(slots)


def compose_tiles(images: np.ndarray, pools: list[dict[int, np.ndarray]],
                  sizes: tuple[int, int, int], rng: np.random.Generator,
                  ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Balanced 2x2 grids; label = number of distinct garment classes - 1 (0..3)."""
    out = {}
    for name, n, pool in zip(SPLIT_NAMES, sizes, pools):
        y = balanced_labels(n, 4, rng)
        slots = np.stack([tile_classes(int(label), len(pool), rng) for label in y])
        idx = np.empty((n, 4), dtype=np.int64)
        for c, members in pool.items():
            mask = slots == c
            idx[mask] = rng.choice(members, size=int(mask.sum()), replace=True)
        out[name] = (tile_2x2(images[idx])[:, None], y)
    return out


def make_fashion(ctx: Context) -> Built:
    images, pools = image_pools(fashion_source(ctx), ctx.rng("pools"))
    log("fashion: drawing balanced splits ...")
    return Built(compose_fashion(images, pools, ctx.sizes, ctx.rng("fashion")), CLASSES,
                 {"pool_sizes": [sum(len(v) for v in p.values()) for p in pools]})


def make_tiles(ctx: Context) -> Built:
    images, pools = image_pools(fashion_source(ctx), ctx.rng("pools"))
    log("fashiontile: composing 2x2 grids ...")
    return Built(compose_tiles(images, pools, ctx.sizes, ctx.rng("fashiontile")),
                 get_task("fashiontile").labels,
                 {"pool_sizes": [sum(len(v) for v in p.values()) for p in pools]})


_COMMON = dict(
    source="Fashion-MNIST (Zalando), Debian package dataset-fashion-mnist, IDX files",
    licence="MIT (Expat), Zalando SE",
    split_method="official test images form the test pool; official training images split per "
                 "class 5/6 : 1/6 into disjoint train and valid pools",
    packages=("deb: dataset-fashion-mnist",),
)

RECIPES = (
    Recipe("fashion", make_fashion, (50000, 10000, 10000),
           balance="exactly balanced: 5,000/1,000/1,000 per class; no image repeats within a "
                   "split at full size",
           differences="not an Unseen NAS task: the standard Fashion-MNIST with a validation "
                       "split carved from the official training set", **_COMMON),
    Recipe("fashiontile", make_tiles, (45000, 15000, 10000),
           balance="exactly balanced over 1..4 distinct classes; the distinct classes are a "
                   "uniform random subset, each used at least once among the four tiles",
           differences="CIFARTile analogue: grey 28x28 garments tiled to 1x56x56 instead of "
                       "colour 32x32 CIFAR-10 images tiled to 3x64x64; same four classes and "
                       "split sizes; tiles repeat across samples within a split", **_COMMON),
)
