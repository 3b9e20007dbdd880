"""The data cache cannot lie (issue 17, item 3): every corruption of a task folder is a DataError
that names the file, from ``load``, ``describe`` and the freshness check alike.

Each case damages a fixture task (``make_fixture``, milliseconds) one way; the corpus covers
the 72-case adversarial run: truncation, foreign dtypes and shapes, bad labels, NaN, absurd
headers, garbage, missing or unreadable paths, and damaged ``meta.json``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from einspace import data
from einspace.data import builders
from einspace.data.builders.base import Built, Recipe
from einspace.data.splits import balanced_labels
from einspace.errors import DataError

SIZES = (40, 20, 20)
N = dict(zip(("train", "valid", "test"), SIZES))


def _save(path: Path, array: np.ndarray) -> None:
    path.unlink()
    np.save(path, array, allow_pickle=True)


def _header_only(path: Path, shape: tuple[int, ...], descr: str = "|u1") -> None:
    with open(path, "wb") as fp:
        np.lib.format.write_array_header_1_0(fp, {"descr": descr, "fortran_order": False,
                                                  "shape": shape})
        fp.write(b"\0" * 64)


def _edit_meta(change: Callable[[dict], None]) -> Callable[[Path], str]:
    def damage(d: Path) -> str:
        meta = json.loads((d / "meta.json").read_text())
        change(meta)
        (d / "meta.json").write_text(json.dumps(meta))
        return "meta.json"
    return damage


def _flip_first_pixel(d: Path) -> None:
    raw = bytearray((d / "train_x.npy").read_bytes())
    raw[-1] ^= 0xFF
    (d / "train_x.npy").write_bytes(bytes(raw))


#: name -> damage(d) returning the file the error must name
CORRUPTIONS: dict[str, Callable[[Path], str]] = {
    "truncated x": lambda d: (os.truncate(d / "train_x.npy", 5000), "train_x.npy")[1],
    "truncated header": lambda d: (os.truncate(d / "valid_y.npy", 20), "valid_y.npy")[1],
    "wrong dtype": lambda d: (_save(d / "train_x.npy", np.load(d / "train_x.npy").astype(
        np.float32)), "train_x.npy")[1],
    "wrong shape": lambda d: (_save(d / "test_x.npy", np.zeros((20, 3, 28, 27), np.uint8)),
                              "test_x.npy")[1],
    "too few labels": lambda d: (_save(d / "train_y.npy", np.zeros(39, np.int64)),
                                 "train_y.npy")[1],
    "label too large": lambda d: (_save(d / "valid_y.npy", np.full(20, 20, np.int64)),
                                  "valid_y.npy")[1],
    "negative label": lambda d: (_save(d / "test_y.npy", np.full(20, -1, np.int64)),
                                 "test_y.npy")[1],
    "complex inputs": lambda d: (_save(d / "train_x.npy", np.zeros((40, 3, 28, 28), np.complex64)),
                                 "train_x.npy")[1],
    "string inputs": lambda d: (_save(d / "train_x.npy", np.full((40, 3, 28, 28), "a")),
                                "train_x.npy")[1],
    "bool inputs": lambda d: (_save(d / "train_x.npy", np.zeros((40, 3, 28, 28), bool)),
                              "train_x.npy")[1],
    "object inputs": lambda d: (_save(d / "train_x.npy", np.empty((40, 3, 28, 28), object)),
                                "train_x.npy")[1],
    "bool labels": lambda d: (_save(d / "train_y.npy", np.ones(40, bool)), "train_y.npy")[1],
    "string labels": lambda d: (_save(d / "train_y.npy", np.full(40, "1")), "train_y.npy")[1],
    "713 TiB header": lambda d: (_header_only(d / "train_x.npy", (333_000_000_000, 3, 28, 28)),
                                 "train_x.npy")[1],
    "garbage bytes": lambda d: ((d / "valid_x.npy").write_bytes(
        np.random.default_rng(0).bytes(4000)), "valid_x.npy")[1],
    "npy magic then garbage": lambda d: ((d / "valid_x.npy").write_bytes(
        b"\x93NUMPY\x01\x00\x30\x00{'descr': <<<" + b"\xff" * 40), "valid_x.npy")[1],
    "empty file": lambda d: ((d / "test_y.npy").write_bytes(b""), "test_y.npy")[1],
    "missing file": lambda d: ((d / "valid_x.npy").unlink(), "valid_x.npy")[1],
    "directory for a file": lambda d: ((d / "train_y.npy").unlink(),
                                       (d / "train_y.npy").mkdir(), "train_y.npy")[2],
    "symlink loop": lambda d: ((d / "test_x.npy").unlink(),
                               os.symlink("test_x.npy", d / "test_x.npy"), "test_x.npy")[2],
    "dangling symlink": lambda d: ((d / "test_x.npy").unlink(),
                                   os.symlink("nowhere.npy", d / "test_x.npy"), "test_x.npy")[2],
    "meta garbage bytes": lambda d: ((d / "meta.json").write_bytes(b"\xff\xfe\x00garbage"),
                                     "meta.json")[1],
    "meta not json": lambda d: ((d / "meta.json").write_text("{'classes': 20"), "meta.json")[1],
    "meta a list": lambda d: ((d / "meta.json").write_text("[1, 2]"), "meta.json")[1],
    "meta deeply nested": lambda d: ((d / "meta.json").write_text("[" * 100_000), "meta.json")[1],
    "meta empty": lambda d: ((d / "meta.json").write_text(""), "meta.json")[1],
    "meta a directory": lambda d: ((d / "meta.json").unlink(), (d / "meta.json").mkdir(),
                                   "meta.json")[2],
    "meta classes a string": _edit_meta(lambda m: m.update(classes="20")),
    "meta classes a bool": _edit_meta(lambda m: m.update(classes=True)),
    "meta stored a string": _edit_meta(lambda m: m.update(stored="3x28x28")),
    "meta stored wrong": _edit_meta(lambda m: m.update(stored=[3, 28, 27])),
    "meta fewer classes": _edit_meta(lambda m: m.update(classes=5, labels=list("abcde"))),
    "meta labels not strings": _edit_meta(lambda m: m.update(labels=list(range(20)))),
    "meta splits wrong": _edit_meta(lambda m: m["splits"].update(train=41)),
    "meta splits negative": _edit_meta(lambda m: m["splits"].update(train=-1)),
    "meta files a list": _edit_meta(lambda m: m.update(files=[])),
    "meta file record short": _edit_meta(lambda m: m["files"]["train_x.npy"].pop("sha256")),
    "meta sha256 not hex": _edit_meta(lambda m: m["files"]["train_x.npy"].update(sha256="zz")),
    "meta bytes wrong": _edit_meta(lambda m: m["files"]["test_y.npy"].update(bytes=1)),
    "meta dtype wrong": _edit_meta(lambda m: m["files"]["test_x.npy"].update(dtype="<f4")),
    "meta shape wrong": _edit_meta(lambda m: m["files"]["test_x.npy"].update(shape=[20])),
    "meta file missing": _edit_meta(lambda m: m["files"].pop("valid_y.npy")),
    "meta source a number": _edit_meta(lambda m: m.update(source=3)),
    **{f"meta without {key}": _edit_meta(lambda m, k=key: m.pop(k))
       for key in ("name", "stored", "classes", "labels", "splits", "files", "version", "seed")},
}


@pytest.fixture
def task(tmp_path: Path) -> Path:
    return data.make_fixture("addnist", tmp_path, sizes=SIZES)


def test_the_fixture_passes_every_check(task: Path):
    info = data.describe("addnist", task.parent, verify=True)
    assert info["verified"] == sorted(p.name for p in task.glob("*.npy"))
    assert data.load("addnist", task.parent).sizes() == N


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_every_corruption_is_a_data_error_naming_the_file(task: Path, kind: str):
    name = CORRUPTIONS[kind](task)
    for call in (lambda: data.load("addnist", task.parent),
                 lambda: data.describe("addnist", task.parent),
                 lambda: data.describe("addnist", task.parent, verify=True)):
        with pytest.raises(DataError) as err:
            call()
        assert name in str(err.value), kind
    assert "--force" in str(err.value)   # built data: the message says how to replace it


def test_a_713_tib_header_is_refused_before_allocating(task: Path):
    CORRUPTIONS["713 TiB header"](task)
    start = time.perf_counter()
    with pytest.raises(DataError, match="TiB.*truncated or damaged"):
        data.load("addnist", task.parent)
    assert time.perf_counter() - start < 0.5


def test_a_flipped_byte_is_caught_by_verify_only(task: Path):
    _flip_first_pixel(task)
    data.load("addnist", task.parent)           # same size, header and dtype: loads
    with pytest.raises(DataError, match="train_x.npy: sha256 differs"):
        data.describe("addnist", task.parent, verify=True)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file(task: Path):
    (task / "train_x.npy").chmod(0)
    with pytest.raises(DataError, match="train_x.npy.*ermission"):
        data.load("addnist", task.parent)


# ------------------------------------------------- original files (no meta.json): values checked


@pytest.fixture
def original(tmp_path: Path) -> Path:
    return data.make_fixture("addnist", tmp_path, sizes=SIZES, meta=False)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_one_non_finite_input_is_refused_with_the_file_named(original: Path, bad: float):
    x = np.load(original / "valid_x.npy").astype(np.float32)
    x[7, 2, 3, 4] = bad
    _save(original / "valid_x.npy", x)
    with pytest.raises(DataError, match="valid_x.npy: sample 7 holds NaN"):
        data.load("addnist", original.parent)
    with pytest.raises(DataError, match="valid_x.npy: sample 7"):
        data.describe("addnist", original.parent)


@pytest.mark.parametrize("dtype", [np.int16, np.int64, np.float16, np.complex128, np.bool_])
def test_inputs_must_be_uint8_or_float(original: Path, dtype):
    _save(original / "train_x.npy", np.ones((40, 3, 28, 28), dtype))
    with pytest.raises(DataError, match="train_x.npy: inputs of dtype"):
        data.load("addnist", original.parent)


def test_float_originals_load_and_fractional_or_nan_labels_do_not(original: Path):
    _save(original / "train_x.npy", np.load(original / "train_x.npy").astype(np.float64))
    assert data.load("addnist", original.parent).train.x.dtype == np.float32
    y = np.load(original / "test_y.npy").astype(np.float32)
    _save(original / "test_y.npy", y + 0.5)
    with pytest.raises(DataError, match="test_y.npy: labels must be integers"):
        data.load("addnist", original.parent)
    y[3] = np.nan
    _save(original / "test_y.npy", y)
    with pytest.raises(DataError, match="test_y.npy: labels hold NaN"):
        data.describe("addnist", original.parent)
    _save(original / "test_y.npy", np.full(20, 2**40, np.int64))
    with pytest.raises(DataError, match="test_y.npy: labels span"):
        data.load("addnist", original.parent)


def test_a_hand_written_meta_is_type_checked_too(original: Path):
    (original / "meta.json").write_text(json.dumps({"classes": 20, "labels": "abc"}))
    with pytest.raises(DataError, match="'labels' must be a list of strings"):
        data.load("addnist", original.parent)


# ------------------------------------------------- freshness: damaged data is never "up to date"


def _toy(ctx) -> Built:
    r = ctx.rng("toy")
    return Built({s: (r.integers(0, 255, size=(n, 3, 28, 28)).astype(np.uint8),
                      balanced_labels(n, 20, r)) for s, n in zip(N, ctx.sizes)},
                 tuple(str(i) for i in range(20)))


@pytest.fixture
def toy(monkeypatch) -> Recipe:
    recipe = Recipe("addnist", _toy, (4000, 2000, 2000), "toy", "toy", "toy", "toy", "toy", ())
    monkeypatch.setitem(builders.RECIPES, "addnist", recipe)
    return recipe


@pytest.mark.parametrize("kind", ["truncated x", "wrong dtype", "wrong shape", "label too large",
                                  "713 TiB header", "empty file", "missing file",
                                  "meta without files", "meta bytes wrong", "meta not json"])
def test_damaged_data_is_rebuilt_not_up_to_date(tmp_path: Path, toy: Recipe, kind: str, capsys):
    d = data.build("addnist", tmp_path, size="tiny")
    good = {p.name: p.read_bytes() for p in d.iterdir()}
    CORRUPTIONS[kind](d)
    with pytest.raises(DataError, match="--force"):
        data.load("addnist", tmp_path)
    capsys.readouterr()
    data.build("addnist", tmp_path, size="tiny")
    assert "rebuilding" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in d.iterdir() if p.suffix == ".npy"} == \
        {k: v for k, v in good.items() if k.endswith(".npy")}
    data.describe("addnist", tmp_path, verify=True)


def test_a_build_from_an_older_version_without_records_is_rebuilt(tmp_path: Path, toy, capsys):
    d = data.build("addnist", tmp_path, size="tiny")
    CORRUPTIONS["meta without files"](d)
    meta = json.loads((d / "meta.json").read_text())
    with pytest.raises(DataError, match="lacks 'files'.*einspace data build addnist --force"):
        data.describe("addnist", tmp_path)
    data.build("addnist", tmp_path, size="tiny")
    assert "rebuilding" in capsys.readouterr().err
    assert "files" in json.loads((d / "meta.json").read_text()) and "files" not in meta


def test_data_list_tells_damaged_from_not_built(tmp_path, cli):
    import json as _json
    from einspace import data as _data
    folder = _data.make_fixture("addnist", tmp_path, sizes=(40, 20, 20))
    (folder / "train_y.npy").write_bytes(b"garbage")
    code, out, _ = cli("data", "list", "--root", str(tmp_path), "--json")
    states = {row["name"]: row["state"] for row in map(_json.loads, out.splitlines())}
    assert code == 0 and states["addnist"].startswith("damaged") and states["fashion"] == "not built"
