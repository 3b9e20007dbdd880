"""Publishing a folder or file with renames, so a killed writer leaves the old copy or the new one,
never a mix of two builds.

A build writes into ``.<name>.tmp-<pid>`` beside the task folder, then renames the old folder
aside (``.<name>.old-<pid>``), renames the new one in and deletes the old. A process killed
between those two renames leaves no task folder but a complete old one, which :func:`recover`
puts back; leftovers of dead processes are removed. The pid in the names keeps a live build's
folders from being touched by another process.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import DataError


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _leftovers(target: Path, kind: str) -> list[Path]:
    """``.<name>.<kind>-<pid>`` entries beside ``target`` whose process is gone."""
    if not target.parent.is_dir():
        return []
    prefix = f".{target.name}.{kind}-"
    found = []
    for path in target.parent.iterdir():
        pid = path.name[len(prefix):]
        if path.name.startswith(prefix) and pid.isdigit() and not _alive(int(pid)):
            found.append(path)
    return sorted(found, key=lambda p: p.lstat().st_mtime_ns)


def remove(path: Path) -> None:
    """Delete a file, link or folder tree."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    except OSError as err:
        raise DataError(f"cannot remove {path}: {err.strerror or err}") from None


def recover(target: Path) -> None:
    """Undo what a killed writer left beside ``target``: restore the old copy if the new one never
    arrived, delete unfinished new copies."""
    try:
        old = _leftovers(target, "old")
        if old and not (target.exists() or target.is_symlink()):
            os.rename(old.pop(), target)
        for path in old + _leftovers(target, "tmp"):
            remove(path)
    except OSError as err:
        raise DataError(f"cannot tidy up beside {target}: {err.strerror or err}") from None


@contextmanager
def staging(target: Path) -> Iterator[Path]:
    """A fresh empty folder beside ``target`` to build into; removed if the block fails."""
    recover(target)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    try:
        if tmp.exists() or tmp.is_symlink():
            remove(tmp)
        tmp.mkdir(parents=True)
    except OSError as err:
        raise DataError(f"cannot create {tmp}: {err.strerror or err}") from None
    try:
        yield tmp
    finally:
        if tmp.exists():
            remove(tmp)


def swap_in(new: Path, target: Path) -> None:
    """Replace ``target`` by the folder ``new``: old aside, new in, old deleted."""
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    try:
        if old.exists() or old.is_symlink():
            remove(old)
        had_old = target.exists() or target.is_symlink()
        if had_old:
            os.rename(target, old)
        try:
            os.rename(new, target)
        except OSError:
            if had_old:
                os.rename(old, target)
            raise
    except OSError as err:
        raise DataError(f"cannot put {new} in place of {target}: {err.strerror or err}") from None
    if had_old:
        remove(old)


def publish_file(tmp: Path, target: Path) -> None:
    """Rename a finished file onto its final name (one atomic step)."""
    try:
        os.replace(tmp, target)
    except OSError as err:
        raise DataError(f"cannot write {target}: {err.strerror or err}") from None


__all__ = ["publish_file", "recover", "remove", "staging", "swap_in"]
