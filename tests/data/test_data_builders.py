"""Split logic, encodings and the builders' composition steps on synthetic inputs.

Nothing here needs a source package: the real-data builds are in test_data_sources.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from einspace import data
from einspace.data import builders
from einspace.data.builders.authors import compose_authors, windows, words_of
from einspace.data.builders.base import Built, Context, Recipe
from einspace.data.builders.chessboards import position_key, white_result
from einspace.data.builders.digits import compose_digits
from einspace.data.builders.fashion import compose_fashion, compose_tiles, tile_classes
from einspace.data.builders.language import compose_language, six_letter_words, unique_vocabularies
from einspace.data.encodings import (GUTENBERG_ALPHABET, LANGUAGE_ALPHABET, chess_planes,
                                     digit_triples, gutenberg_images, language_images, parse_idx,
                                     tile_2x2)
from einspace.data.splits import (assign_groups, balanced_labels, draw, fractions_of, partition,
                                  partition_by_class)


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- split logic


def test_partition_is_disjoint_and_complete():
    parts = partition(101, (0.6, 0.2, 0.2), rng())
    assert [len(p) for p in parts] == [61, 20, 20]
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(101))
    assert [len(p) for p in partition(3, (0.9, 0.05, 0.05), rng())] == [1, 1, 1]
    with pytest.raises(data.DataError):
        partition(2, (0.5, 0.25, 0.25), rng())


def test_partition_by_class_is_stratified():
    labels = np.repeat(np.arange(4), 50)
    pools = partition_by_class(labels, (0.6, 0.2, 0.2), rng())
    for c in range(4):
        sizes = [len(p[c]) for p in pools]
        assert sizes == [30, 10, 10]
        assert all((labels[p[c]] == c).all() for p in pools)
        assert len(np.unique(np.concatenate([p[c] for p in pools]))) == 50


def test_balanced_labels_and_fractions():
    y = balanced_labels(103, 10, rng())
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1 and counts.sum() == 103
    assert fractions_of((45000, 15000, 10000)) == pytest.approx((9 / 14, 3 / 14, 2 / 14))


def test_assign_groups_fills_every_split_near_its_share():
    sizes = [800, 450, 180, 160]                 # Milton-like: one dominant work
    where = assign_groups(sizes, (0.64, 0.22, 0.14), rng())
    assert set(where.tolist()) == {0, 1, 2}
    many = list(rng(1).integers(10, 100, size=66))
    where = assign_groups(many, (0.64, 0.22, 0.14), rng(2))
    share = np.bincount(where, weights=many) / sum(many)
    assert share == pytest.approx([0.64, 0.22, 0.14], abs=0.03)
    with pytest.raises(data.DataError):
        assign_groups([5, 5], (0.5, 0.3, 0.2), rng())


def test_draw_without_then_with_replacement():
    pool = np.arange(10, 20)
    few = draw(pool, 7, rng())
    assert len(set(few.tolist())) == 7 and set(few.tolist()) <= set(pool.tolist())
    many = draw(pool, 25, rng())
    assert set(many.tolist()) == set(pool.tolist()) and len(many) == 25


# ---------------------------------------------------------------- encodings


def test_language_encoding_rows_are_positions_columns_letters():
    img = language_images([("abcdef", "ghijkl", "mnopqr", "stuvwx")])
    assert img.shape == (1, 1, 24, 24) and img.sum() == 24
    assert img[0, 0, 0, 0] == 1 and img[0, 0, 23, 23] == 1      # 'a' first, 'x' last
    assert np.array_equal(img[0, 0], np.eye(24, dtype=np.uint8))
    with pytest.raises(data.DataError):
        language_images([("abcdef", "ghijkl", "mnopqr", "stuvwy")])  # y is not in the alphabet


def test_gutenberg_encoding_rows_are_letters_columns_positions():
    img = gutenberg_images([("the", "lord", "spoken")])
    assert img.shape == (1, 1, 27, 18) and img.sum() == 18
    col = img[0, 0].argmax(axis=0)
    text = "".join(GUTENBERG_ALPHABET[i] for i in col)
    assert text == "the   lord  spoken"
    assert img[0, 0, 26, 3] == 1                                # blank padding row


def test_digit_triples_counts():
    add = digit_triples("add")
    assert len(add) == 20
    assert [len(add[k]) for k in range(20)] == [3, 6, 10, 15, 21, 28, 36, 45, 55, 63, 69, 73, 75,
                                                 75, 73, 69, 63, 55, 45, 36]
    mult = digit_triples("mult")
    assert [len(mult[k]) for k in range(10)] == [427, 16, 112, 16, 112, 61, 112, 16, 112, 16]
    assert all(sum(t) - 1 == k for k, ts in add.items() for t in ts)


def test_tile_2x2_layout():
    imgs = np.arange(4)[None, :, None, None] * np.ones((1, 4, 2, 3))
    t = tile_2x2(imgs)[0]
    assert t.shape == (4, 6)
    assert (t[:2, :3] == 0).all() and (t[:2, 3:] == 1).all()
    assert (t[2:, :3] == 2).all() and (t[2:, 3:] == 3).all()


def test_chess_planes():
    # white king e1 (square 4), black queen d8 (square 59), white pawn a2 (square 8)
    x = chess_planes([(4, 6, True), (59, 5, False), (8, 1, True)])
    assert x.shape == (12, 8, 8) and x.sum() == 3
    assert x[5, 7, 4] == 1 and x[6 + 4, 0, 3] == 1 and x[0, 6, 0] == 1
    assert white_result(2) == 0 and white_result(-2) == 2
    assert [white_result(v) for v in (-1, 0, 1)] == [1, 1, 1]    # cursed / blessed count as draws
    assert position_key(x) == position_key(x[:, :, ::-1].copy())


def test_parse_idx_roundtrip():
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    blob = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in arr.shape) + arr.tobytes()
    assert np.array_equal(parse_idx(blob), arr)
    with pytest.raises(data.DataError):
        parse_idx(b"\x00\x00\x0d\x01" + blob[4:])


# ---------------------------------------------------------------- composition on synthetic sources


def _id_images(n):
    """Images whose first two pixels encode their index, so samples can be traced back."""
    imgs = np.zeros((n, 28, 28), np.uint8)
    imgs[:, 0, 0] = np.arange(n) % 256
    imgs[:, 0, 1] = np.arange(n) // 256
    return imgs


def _ids(x):
    return x[..., 0, 0].astype(int) + 256 * x[..., 0, 1].astype(int)


@pytest.mark.parametrize("rule", ["add", "mult"])
def test_compose_digits_labels_balance_and_disjoint_pools(rule):
    digits = np.repeat(np.arange(10), 30)
    images = _id_images(len(digits))
    splits, _ = compose_digits(images, digits, rule, (400, 200, 100), rng(3))
    seen = []
    for name, (x, y) in splits.items():
        assert x.shape[1:] == (3, 28, 28) and x.dtype == np.uint8
        counts = np.bincount(y)
        assert counts.max() - counts.min() <= 1
        d = digits[_ids(x)]                                  # (n, 3) digits per channel
        expect = d.sum(axis=1) - 1 if rule == "add" else d.prod(axis=1) % 10
        assert np.array_equal(expect, y)
        seen.append(set(_ids(x).ravel().tolist()))
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])
    again, _ = compose_digits(images, digits, rule, (400, 200, 100), rng(3))
    assert all(np.array_equal(again[k][0], splits[k][0]) for k in splits)


def _decode_language(x):
    cols = x[:, 0].argmax(axis=2)
    return ["".join(LANGUAGE_ALPHABET[i] for i in row) for row in cols]


def test_compose_language_uses_disjoint_word_pools():
    vocab = {lang: sorted({"".join(r.choice(list(LANGUAGE_ALPHABET), 6)) + "" for _ in range(60)})
             for lang, r in (("aa", rng(1)), ("bb", rng(2)), ("cc", rng(3)))}
    vocab = unique_vocabularies({k: set(v) for k, v in vocab.items()})
    splits, pools = compose_language(vocab, (300, 60, 60), rng(4))
    langs = list(vocab)
    for s, (name, (x, y)) in enumerate(splits.items()):
        assert x.shape == (len(y), 1, 24, 24)
        assert np.bincount(y).tolist() == [len(y) // 3] * 3
        for text, label in zip(_decode_language(x), y):
            words = [text[i:i + 6] for i in range(0, 24, 6)]
            assert all(w in pools[langs[label]][s] for w in words)
    for lang in langs:
        a, b, c = pools[lang]
        assert not (a & b) and not (a & c) and not (b & c)


def test_word_filters():
    entries = ["abacus", "Abacus", "zebras", "gehört", "hasard/S", "abc", "tables\n"]
    assert six_letter_words(entries) == {"abacus", "hasard", "tables"}
    uniq = unique_vocabularies({"x": {"abacus", "tables"}, "y": {"tables", "fromag"}})
    assert uniq == {"x": ["abacus"], "y": ["fromag"]}


def test_gutenberg_words_and_windows():
    assert words_of("To be, or NOT to be: naïve Señor extraordinary.") == ["not", "naive", "senor"]
    assert windows(["a", "b", "c", "d"]) == [("a", "b", "c"), ("b", "c", "d")]


def test_compose_authors_keeps_each_work_in_one_split():
    r = rng(5)
    def work(prefix, n):
        return [prefix + "".join(r.choice(list("abc"), 2)) for _ in range(n)]
    works = {a: {f"{a}{i}": work(a[:1] * 2, 50 + 30 * i) for i in range(4)}
             for a in ("alpha", "beta")}
    splits, assignment = compose_authors(works, (200, 60, 40), rng(6))
    for author, parts in assignment.items():
        flat = [w for p in parts for w in p]
        assert sorted(flat) == sorted(works[author]) and all(parts)
    for x, y in splits.values():
        assert x.shape[1:] == (1, 27, 18)
        letters = x[:, 0].argmax(axis=1)                       # row index per column
        first = np.array([GUTENBERG_ALPHABET[i] for i in letters[:, 0]])
        assert np.array_equal(first == "a", y == 0)            # author alpha's words start "aa"


def test_compose_fashion_and_tiles():
    labels = np.repeat(np.arange(10), 12)
    images = _id_images(len(labels))
    pools = partition_by_class(labels, (0.5, 0.25, 0.25), rng(7))
    single = compose_fashion(images, pools, (50, 20, 20), rng(8))
    used = []
    for s, (x, y) in enumerate(single.values()):
        ids = _ids(x[:, 0])
        assert np.array_equal(labels[ids], y)
        used.append(set(ids.tolist()))
    assert not (used[0] & used[1]) and not (used[0] & used[2]) and not (used[1] & used[2])
    tiles = compose_tiles(images, pools, (80, 40, 40), rng(9))
    for s, (x, y) in enumerate(tiles.values()):
        assert x.shape[1:] == (1, 56, 56)
        corners = np.stack([_ids(x[:, 0, i:i + 28, j:j + 28]) for i in (0, 28) for j in (0, 28)], 1)
        classes = labels[corners]
        assert np.array_equal([len(set(c)) - 1 for c in classes], y)
        assert set(corners.ravel().tolist()) <= set(np.concatenate(list(pools[s].values())).tolist())
        assert np.bincount(y).tolist() == [len(y) // 4] * 4


def test_tile_classes_uses_every_chosen_class():
    r = rng(10)
    for label in range(4):
        for _ in range(20):
            slots = tile_classes(label, 10, r)
            assert len(slots) == 4 and len(set(slots.tolist())) == label + 1


# ---------------------------------------------------------------- the build pipeline


def _toy_make(ctx: Context) -> Built:
    r = ctx.rng("toy")
    out = {}
    for name, n in zip(("train", "valid", "test"), ctx.sizes):
        y = balanced_labels(n, 3, r)
        x = r.integers(0, 255, size=(n, 12, 8, 8)).astype(np.uint8)
        out[name] = (x, y)
    return Built(out, ("w", "d", "b"), {"toy": True})


@pytest.fixture
def toy_recipe(monkeypatch):
    recipe = Recipe("chesseract", _toy_make, (300, 60, 60), "toy source", "toy licence",
                    "toy split", "toy balance", "toy differences", ("none",))
    monkeypatch.setitem(builders.RECIPES, "chesseract", recipe)
    return recipe


def test_build_writes_layout_meta_and_is_deterministic(tmp_path, toy_recipe):
    d1 = data.build("chesseract", tmp_path / "a", seed=1, size="small")
    d2 = data.build("chesseract", tmp_path / "b", seed=1, size="small")
    d3 = data.build("chesseract", tmp_path / "c", seed=2, size="small")
    for split in ("train", "valid", "test"):
        a, b = np.load(d1 / f"{split}_x.npy"), np.load(d2 / f"{split}_x.npy")
        assert np.array_equal(a, b)
    assert not np.array_equal(np.load(d1 / "train_x.npy"), np.load(d3 / "train_x.npy"))
    meta = json.loads((d1 / "meta.json").read_text())
    assert meta["splits"] == {"train": 30, "valid": 6, "test": 6}
    assert meta["input"] == "12x18x18" and meta["stored"] == [12, 8, 8] and meta["classes"] == 3
    assert meta["source"] == "toy source" and meta["seed"] == 1 and meta["notes"] == {"toy": True}
    ds = data.load("chesseract", tmp_path / "a")
    assert ds.train.x.shape == (30, 12, 18, 18) and ds.labels == ("w", "d", "b")


def test_build_is_cached_until_seed_or_size_changes(tmp_path, toy_recipe, capsys):
    d = data.build("chesseract", tmp_path, size="tiny")
    stamp = (d / "train_x.npy").stat().st_mtime_ns
    data.build("chesseract", tmp_path, size="tiny")
    assert (d / "train_x.npy").stat().st_mtime_ns == stamp
    assert "up to date" in capsys.readouterr().err
    data.build("chesseract", tmp_path, size="tiny", seed=5)
    assert json.loads((d / "meta.json").read_text())["seed"] == 5
    data.build("chesseract", tmp_path, sizes=(9, 3, 3))
    assert data.describe("chesseract", tmp_path)["splits"] == {"train": 9, "valid": 3, "test": 3}


def test_build_rejects_bad_requests(tmp_path, toy_recipe):
    with pytest.raises(data.DataError, match="no offline builder"):
        data.build("cifar100", tmp_path)
    with pytest.raises(data.DataError, match="unknown size"):
        data.build("chesseract", tmp_path, size="huge")
    with pytest.raises(data.DataError, match="three positive"):
        data.build("chesseract", tmp_path, sizes=(5, 0, 1))
