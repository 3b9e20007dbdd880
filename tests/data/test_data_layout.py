"""Task registry, Unseen NAS layout, normalisation, padding and loading (numpy only)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from einspace import data
from einspace.data.layout import channel_stats, normalize, pad_spatial, write_split
from einspace.data.tasks import parse_shape, shape_str


# ---------------------------------------------------------------- registry


def test_task_registry_matches_paper_table4():
    add = data.get_task("addnist")
    assert (add.input, add.classes, add.hyper.metric) == ("3x28x28", 20, "accuracy")
    assert (add.hyper.epochs_search, add.hyper.epochs_eval, add.hyper.batch_size) == (8, 64, 256)
    assert (add.hyper.lr, add.hyper.weight_decay, add.hyper.momentum) == (0.04, 3e-4, 0.9)
    chess = data.get_task("chesseract")
    assert (chess.input, chess.stored, chess.pad, chess.classes) == ("12x18x18", (12, 8, 8), 5, 3)
    assert data.get_task("language").input == "1x24x24"
    assert data.get_task("gutenberg").input == "1x27x18"
    nina = data.get_task("ninapro")
    assert (nina.input, nina.classes, nina.hyper.lr, nina.hyper.batch_size) == ("1x16x52", 18, 0.1, 128)
    darcy = data.get_task("darcyflow")
    assert darcy.dense and darcy.target == (1, 85, 85)
    assert (darcy.hyper.batch_size, darcy.hyper.lr, darcy.hyper.weight_decay) == (4, 1e-3, 5e-4)
    assert data.get_task("cosmic").hyper.metric == "1-auroc"


def test_every_task_is_consistent():
    for task in data.tasks():
        shape = parse_shape(task.input)
        stored = task.stored if len(task.stored) == 3 else (1, *task.stored)
        assert shape == (stored[0], stored[1] + 2 * task.pad, stored[2] + 2 * task.pad), task.name
        assert (task.classes is None) == (task.target is not None), task.name
        assert not task.labels or len(task.labels) == task.classes, task.name
    assert set(data.RECIPES) == {"addnist", "multnist", "language", "chesseract", "gutenberg",
                                 "fashion", "fashiontile"}


def test_tasks_are_frozen_and_unknown_names_fail_clearly():
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.get_task("addnist").classes = 3  # type: ignore[misc]
    with pytest.raises(data.DataError, match="known tasks: .*addnist"):
        data.get_task("mnist")
    assert issubclass(data.DataError, ValueError)


def test_shape_strings():
    assert parse_shape("3x28x28") == (3, 28, 28)
    assert parse_shape("12 x 18 x 18") == (12, 18, 18)
    assert shape_str((1, 24, 24)) == "1x24x24"
    for bad in ("3x28x", "axb", "0x3x3"):
        with pytest.raises(data.DataError):
            parse_shape(bad)


# ---------------------------------------------------------------- transforms


def test_channel_stats_and_normalize():
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 2.0, size=(200, 3, 4, 4)).astype(np.float32)
    x[:, 2] = 7.0                       # a constant channel must not divide by zero
    mean, std = channel_stats(x)
    assert mean[2] == pytest.approx(7.0) and std[2] == 1.0
    z = normalize(x, mean, std)
    assert z.dtype == np.float32
    assert np.allclose(z[:, :2].mean(axis=(0, 2, 3)), 0, atol=1e-4)
    assert np.allclose(z[:, :2].std(axis=(0, 2, 3)), 1, atol=1e-3)
    assert np.all(z[:, 2] == 0)
    big = rng.integers(0, 256, size=(5000, 1, 2, 2)).astype(np.uint8)   # chunked path
    m, s = channel_stats(big)
    assert m[0] == pytest.approx(big.mean(), rel=1e-6) and s[0] == pytest.approx(big.std(), rel=1e-5)


def test_pad_spatial_chesseract_shape():
    x = np.ones((2, 12, 8, 8), np.float32)
    p = pad_spatial(x, 5)
    assert p.shape == (2, 12, 18, 18)
    assert p[:, :, 5:13, 5:13].sum() == x.sum() and p.sum() == x.sum()
    assert pad_spatial(x, 0) is x


# ---------------------------------------------------------------- loading


def _write(root, name, x_shape, classes, sizes=(30, 10, 10), seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    d = root / name
    for split, n in zip(("train", "valid", "test"), sizes):
        x = (rng.normal(3.0, 2.0, size=(n, *x_shape)) * 10).astype(dtype)
        write_split(d, split, x, np.arange(n) % classes)
    return d


def test_load_unseen_layout_normalises_with_train_statistics(tmp_path):
    d = _write(tmp_path, "addnist", (3, 28, 28), 20)
    ds = data.load("addnist", tmp_path)
    assert ds.input == "3x28x28" and ds.classes == 20 and ds.sizes() == {"train": 30, "valid": 10, "test": 10}
    assert ds.train.x.dtype == np.float32 and ds.train.y.dtype == np.int64
    raw_train = np.load(d / "train_x.npy")
    raw_valid = np.load(d / "valid_x.npy")
    mean = raw_train.mean(axis=(0, 2, 3))
    std = raw_train.std(axis=(0, 2, 3))
    assert np.allclose(ds.mean, mean, rtol=1e-4) and np.allclose(ds.std, std, rtol=1e-4)
    expect = (raw_valid - mean[None, :, None, None]) / std[None, :, None, None]
    assert np.allclose(ds.valid.x, expect, atol=1e-4)        # valid uses the train statistics
    raw = data.load("addnist", tmp_path, normalise=False)
    assert np.allclose(raw.train.x, raw_train)


def test_load_pads_chesseract_to_18x18(tmp_path):
    d = tmp_path / "chesseract"
    rng = np.random.default_rng(1)
    for split in ("train", "valid", "test"):
        x = (rng.random((12, 12, 8, 8)) < 0.05).astype(np.float32)
        write_split(d, split, x, np.arange(12) % 3)
    ds = data.load("chesseract", tmp_path)
    assert ds.input == "12x18x18" and ds.train.x.shape == (12, 12, 18, 18)
    border = ds.test.x.copy()
    border[:, :, 5:13, 5:13] = 0
    assert not border.any()                 # zero padding after normalisation
    assert data.load("chesseract", tmp_path, pad=False).train.x.shape == (12, 12, 8, 8)
    assert data.describe("chesseract", tmp_path)["input"] == "12x18x18"


def test_missing_file_names_the_file_and_the_layout(tmp_path):
    d = _write(tmp_path, "language", (1, 24, 24), 10)
    (d / "valid_y.npy").unlink()
    with pytest.raises(data.DataError) as err:
        data.load("language", tmp_path)
    message = str(err.value)
    assert "valid_y.npy" in message and "train_x.npy" in message and "Unseen NAS layout" in message


def test_missing_directory_suggests_building(tmp_path):
    with pytest.raises(data.DataError, match="einspace data build multnist"):
        data.load("multnist", tmp_path)
    with pytest.raises(data.DataError, match="original files"):
        data.load("isabella", tmp_path)
    with pytest.raises(data.DataError, match="no loader"):
        data.load("cifar100", tmp_path)


def test_bad_shapes_and_labels_are_reported(tmp_path):
    _write(tmp_path, "multnist", (3, 28, 27), 10)
    with pytest.raises(data.DataError, match="3x28x27.*expected 3x28x28"):
        data.load("multnist", tmp_path)
    _write(tmp_path, "fashion", (1, 28, 28), 11)             # label 10 with 10 classes
    with pytest.raises(data.DataError, match="labels span 0..10"):
        data.load("fashion", tmp_path)


def test_pickled_arrays_are_refused(tmp_path):
    d = _write(tmp_path, "addnist", (3, 28, 28), 20)
    np.save(d / "test_y.npy", np.array([{"a": 1}] * 10, dtype=object), allow_pickle=True)
    with pytest.raises(data.DataError, match="plain numpy array"):
        data.load("addnist", tmp_path)


def test_one_hot_labels_and_uint8_inputs(tmp_path):
    d = _write(tmp_path, "fashiontile", (1, 56, 56), 4, dtype=np.uint8)
    y = np.load(d / "train_y.npy")
    np.save(d / "train_y.npy", np.eye(4, dtype=np.float32)[y])
    ds = data.load("fashiontile", tmp_path)
    assert np.array_equal(ds.train.y, y) and ds.train.x.dtype == np.float32


def test_ninapro_layout(tmp_path):
    d = tmp_path / "ninapro"
    d.mkdir()
    rng = np.random.default_rng(0)
    for alias, n in (("train", 20), ("val", 6), ("test", 6)):
        np.save(d / f"ninapro_{alias}.npy", rng.normal(size=(n, 16, 52)).astype(np.float32))
        np.save(d / f"label_{alias}.npy", (np.arange(n) % 18).astype(np.int8))
    ds = data.load("ninapro", tmp_path)
    assert ds.input == "1x16x52" and ds.train.x.shape == (20, 1, 16, 52) and ds.classes == 18
    (d / "label_val.npy").unlink()
    with pytest.raises(data.DataError, match="label_val.npy"):
        data.load("ninapro", tmp_path)


def test_meta_json_overrides_class_count(tmp_path):
    d = _write(tmp_path, "gutenberg", (1, 27, 18), 4)
    info = data.describe("gutenberg", tmp_path)
    assert info["classes"] == 6 and info["source"].startswith("original")   # registry: 6 authors
    (d / "meta.json").write_text(json.dumps({"classes": 4, "labels": list("abcd"),
                                             "source": "test", "stored": [1, 27, 18]}))
    ds = data.load("gutenberg", tmp_path)
    assert ds.classes == 4 and ds.labels == tuple("abcd")


def test_describe_has_the_design_keys(tmp_path):
    data.make_fixture("addnist", tmp_path, sizes=(40, 20, 20))
    info = data.describe("addnist", tmp_path)
    assert {"name", "input", "classes", "splits", "source"} <= set(info)
    assert info["splits"] == {"train": 40, "valid": 20, "test": 20}
    assert info["class_counts"]["train"] == [2] * 20
    json.dumps(info)


def test_default_root_respects_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("EINSPACE_DATA", str(tmp_path))
    assert data.default_root() == tmp_path
    data.make_fixture("language", sizes=(20, 10, 10))
    assert data.load("language").train.x.shape == (20, 1, 24, 24)
    monkeypatch.delenv("EINSPACE_DATA")
    assert data.default_root().parts[-3:] == (".cache", "einspace", "data")


def test_torch_loaders(tmp_path):
    data.make_fixture("multnist", tmp_path, sizes=(40, 20, 20))
    loaders = data.torch_loaders(data.load("multnist", tmp_path), batch_size=16)
    xb, yb = next(iter(loaders["train"]))
    assert xb.shape == (16, 3, 28, 28) and xb.dtype == torch.float32 and yb.dtype == torch.int64
    assert sum(len(b[1]) for b in loaders["train"]) == 32          # drop_last on train
    assert sum(len(b[1]) for b in loaders["test"]) == 20
