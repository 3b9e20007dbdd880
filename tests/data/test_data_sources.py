"""Every offline builder on real sources, at the ``tiny`` size.

These tests never fetch: they run with ``EINSPACE_NO_FETCH=1`` against sources already on this
machine (Debian files installed system-wide, or the source cache of the default data root that
``einspace data build`` fills) and skip cleanly where a source is absent, as on a fresh CI
machine.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from einspace import data
from einspace.data.builders.chessboards import position_key
from einspace.data.encodings import LANGUAGE_ALPHABET


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    """Two fresh data roots sharing the default root's source cache (read-only use)."""
    cache = data.default_root() / "_sources"
    made = []
    for tag in ("a", "b"):
        root = tmp_path_factory.mktemp(f"root_{tag}")
        if cache.is_dir():
            (root / "_sources").symlink_to(cache, target_is_directory=True)
        made.append(root)
    return made


def build_or_skip(name, root, seed=0):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EINSPACE_NO_FETCH", "1")
        try:
            return data.build(name, root, seed=seed, size="tiny")
        except data.SourceError as err:
            pytest.skip(f"source not on this machine: {err}")
        except data.DataError as err:
            if "fewer than two word lists" in str(err):
                pytest.skip(str(err))
            raise


def arrays(directory):
    return {s: (np.load(directory / f"{s}_x.npy"), np.load(directory / f"{s}_y.npy"))
            for s in ("train", "valid", "test")}


def check_common(name, directory):
    task = data.get_task(name)
    meta = json.loads((directory / "meta.json").read_text())
    splits = arrays(directory)
    for split, (x, y) in splits.items():
        assert x.shape[1:] == task.stored and len(x) == len(y) == meta["splits"][split]
        counts = np.bincount(y, minlength=meta["classes"])
        assert counts.max() - counts.min() <= 1, (split, counts)
    for key in ("source", "licence", "split_method", "balance", "differences"):
        assert meta[key]
    ds = data.load(name, directory.parent)
    assert ds.input == meta["input"] and ds.train.x.dtype == np.float32
    assert np.isfinite(ds.train.x).all()
    return splits, meta


def image_hashes(x):
    return {hashlib.blake2b(img.tobytes(), digest_size=12).digest() for img in x}


def assert_disjoint(sets):
    a, b, c = sets
    assert not (a & b) and not (a & c) and not (b & c)


@pytest.mark.parametrize("name", ["addnist", "multnist"])
def test_digit_tasks(name, roots):
    d = build_or_skip(name, roots[0])
    splits, meta = check_common(name, d)
    assert meta["classes"] == (20 if name == "addnist" else 10)
    assert_disjoint([image_hashes(x.reshape(-1, 28, 28)) for x, _ in splits.values()])
    again = arrays(build_or_skip(name, roots[1]))
    assert all(np.array_equal(again[s][0], splits[s][0]) for s in splits)


def test_language(roots):
    d = build_or_skip("language", roots[0])
    splits, meta = check_common("language", d)
    assert meta["classes"] >= 2 and set(meta["labels"]) <= set(data.get_task("language").labels)
    words = []
    for x, _ in splits.values():
        text = ["".join(LANGUAGE_ALPHABET[i] for i in row) for row in x[:, 0].argmax(axis=2)]
        assert all(x[:, 0].sum(axis=2).ravel() == 1)             # one letter per position
        words.append({t[i:i + 6] for t in text for i in range(0, 24, 6)})
    assert_disjoint(words)


def test_chesseract(roots):
    d = build_or_skip("chesseract", roots[0])
    splits, meta = check_common("chesseract", d)
    keys = [{position_key(p) for p in x} for x, _ in splits.values()]
    assert sum(len(k) for k in keys) == sum(len(x) for x, _ in splits.values())   # all unique
    assert_disjoint(keys)
    for x, _ in splits.values():
        assert (x[:, 5].sum(axis=(1, 2)) == 1).all() and (x[:, 11].sum(axis=(1, 2)) == 1).all()
        assert x.sum(axis=(1, 2, 3)).max() <= 4
    again = arrays(build_or_skip("chesseract", roots[1]))
    assert all(np.array_equal(again[s][0], splits[s][0]) for s in splits)


def test_gutenberg(roots):
    d = build_or_skip("gutenberg", roots[0])
    splits, meta = check_common("gutenberg", d)
    assert meta["labels"] == ["shakespeare", "milton", "austen", "kjv"]
    for author, parts in meta["notes"]["works"].items():
        assert all(parts), author
        assert_disjoint([set(p) for p in parts])
    for x, _ in splits.values():
        assert (x[:, 0].sum(axis=1) == 1).all()                    # one symbol per position


@pytest.mark.parametrize("name", ["fashion", "fashiontile"])
def test_fashion_tasks(name, roots):
    d = build_or_skip(name, roots[0])
    splits, meta = check_common(name, d)
    tiles = [x[:, 0] if name == "fashion" else
             np.concatenate([x[:, 0, i:i + 28, j:j + 28] for i in (0, 28) for j in (0, 28)])
             for x, _ in splits.values()]
    hashes = [image_hashes(t) for t in tiles]
    # Fashion-MNIST holds a handful of byte-identical images under different indices;
    # the pools are disjoint by index, so at most a stray duplicate may meet across splits.
    assert len(hashes[0] & hashes[2]) <= 2 and len(hashes[0] & hashes[1]) <= 2
