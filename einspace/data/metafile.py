"""``meta.json``: the builder's record of a task, read so that a damaged one raises ``DataError``.

A record written by a build (it carries ``version``, ``seed`` or ``files``) must have every key
the checks rely on, with the right types, including ``files``: the size, dtype, shape and sha256
of each array file. A hand-written ``meta.json`` beside original data (no build keys) may
override only the stored shape, the class count and the label names, and is type-checked too.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from ..errors import DataError
from .npyfile import open_file

META = "meta.json"
#: a meta.json larger than this is not one of ours (class counts of 100 classes fit in 20 KB)
MAX_META_BYTES = 1 << 22
#: keys that mark a record as written by a build, and the keys such a record must carry
BUILD_MARKS = ("version", "seed", "files")
BUILD_KEYS = ("name", "stored", "classes", "labels", "splits", "files", "version", "seed")
TEXT_KEYS = ("name", "title", "input", "source", "licence", "split_method", "balance",
             "differences", "size")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def write_meta(directory: Path, meta: dict[str, Any]) -> None:
    """Write ``meta.json`` through a temporary name, so a reader never sees half of it."""
    tmp = directory / (META + ".tmp")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, directory / META)
    except OSError as err:
        raise DataError(f"cannot write {directory / META}: {err.strerror or err}") from None


def read_meta(directory: Path) -> dict[str, Any] | None:
    """The checked record, or ``None`` for data sets that come without one."""
    path = directory / META
    if not path.exists() and not path.is_symlink():
        return None
    try:
        meta = _parse(path)
    except DataError as err:
        raise DataError(f"{err}; {rebuild_hint(directory)}, or delete it beside original "
                        "files") from None
    check_meta(meta, path)
    return meta


def _parse(path: Path) -> dict[str, Any]:
    with open_file(path) as fp:
        try:
            raw = fp.read(MAX_META_BYTES + 1)
        except OSError as err:
            raise DataError(f"cannot read {path}: {err.strerror or err}") from None
    if len(raw) > MAX_META_BYTES:
        raise DataError(f"{path} is over {MAX_META_BYTES} bytes: not a task record")
    try:
        meta = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise DataError(f"{path} is not UTF-8 text: damaged") from None
    except json.JSONDecodeError as err:
        raise DataError(f"{path} is not valid JSON: {err}") from None
    except RecursionError:
        raise DataError(f"{path} nests too deeply to be a task record") from None
    if not isinstance(meta, dict):
        raise DataError(f"{path} must hold a JSON object, not {type(meta).__name__}")
    return meta


def rebuild_hint(directory: Path) -> str:
    """What to run to replace a damaged task folder (its name is the task's)."""
    return f"rebuild it with `einspace data build {directory.name} --force`"


def is_build_record(meta: dict[str, Any] | None) -> bool:
    return bool(meta) and any(k in meta for k in BUILD_MARKS)  # type: ignore[operator]


def _int(value: Any, low: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _fail(path: Path, key: str, want: str, value: Any) -> DataError:
    shown = json.dumps(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return DataError(f"{path}: {key!r} must be {want}, got {shown}; {rebuild_hint(path.parent)}")


def check_meta(meta: dict[str, Any], path: Path) -> None:
    """Refuse missing build keys and values of the wrong type, naming the key."""
    if is_build_record(meta):
        missing = [k for k in BUILD_KEYS if k not in meta]
        if missing:
            raise DataError(f"{path} lacks {', '.join(map(repr, missing))} (written by an older "
                            f"or interrupted build); {rebuild_hint(path.parent)}")
    for key in TEXT_KEYS:
        if key in meta and not isinstance(meta[key], str):
            raise _fail(path, key, "a string", meta[key])
    if "stored" in meta:
        stored = meta["stored"]
        if not (isinstance(stored, list) and 2 <= len(stored) <= 3
                and all(_int(d, 1) and d <= 1 << 16 for d in stored)):
            raise _fail(path, "stored", "a list of 2 or 3 positive sizes", stored)
    if "classes" in meta and not (_int(meta["classes"], 1) and meta["classes"] <= 1 << 20):
        raise _fail(path, "classes", "a positive integer", meta["classes"])
    if "labels" in meta:
        labels = meta["labels"]
        if not (isinstance(labels, list) and all(isinstance(s, str) for s in labels)):
            raise _fail(path, "labels", "a list of strings", labels)
        if "classes" in meta and labels and len(labels) != meta["classes"]:
            raise _fail(path, "labels", f"{meta['classes']} names (one per class)", labels)
    for key in ("seed", "version"):
        if key in meta and not _int(meta[key], -(1 << 63)):
            raise _fail(path, key, "an integer", meta[key])
    if "splits" in meta:
        splits = meta["splits"]
        if not (isinstance(splits, dict) and set(splits) == {"train", "valid", "test"}
                and all(_int(n, 1) for n in splits.values())):
            raise _fail(path, "splits", "sizes of train, valid and test", splits)
    if "files" in meta:
        _check_files(meta["files"], path)


def _check_files(files: Any, path: Path) -> None:
    if not isinstance(files, dict) or not files:
        raise _fail(path, "files", "an object of file records", files)
    for name, rec in files.items():
        key = f"files.{name}"
        if not isinstance(rec, dict) or set(rec) != {"bytes", "dtype", "shape", "sha256"}:
            raise _fail(path, key, "a record of bytes, dtype, shape and sha256", rec)
        if not _int(rec["bytes"]):
            raise _fail(path, key + ".bytes", "a size in bytes", rec["bytes"])
        if not isinstance(rec["dtype"], str) or len(rec["dtype"]) > 8:
            raise _fail(path, key + ".dtype", "a dtype string such as '|u1'", rec["dtype"])
        if not (isinstance(rec["shape"], list) and all(_int(d) for d in rec["shape"])):
            raise _fail(path, key + ".shape", "a list of sizes", rec["shape"])
        if not (isinstance(rec["sha256"], str) and _HEX64.fullmatch(rec["sha256"])):
            raise _fail(path, key + ".sha256", "64 hex digits", rec["sha256"])


__all__ = ["BUILD_KEYS", "META", "check_meta", "is_build_record", "read_meta", "rebuild_hint",
           "write_meta"]
