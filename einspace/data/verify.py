"""The one verification of a task folder, shared by ``load``, ``describe`` and ``build``'s
freshness check, so nothing damaged is ever "up to date" or loaded.

Always (fast: headers and sizes, then labels and a finiteness scan of float inputs; uint8 inputs
need no scan): every file
is a plain ``.npy`` whose header fills it exactly; inputs are ``(N, *stored)`` uint8 or float;
labels are ``(N,)`` integers (or one-hot rows) in ``[0, classes)``; float inputs are finite; and
where ``meta.json`` records the files, each one's size, dtype and shape match the record. On
request (``info --verify``, and right after a build), the sha256 of every file too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from .layout import layout_files, layout_help
from .metafile import is_build_record, rebuild_hint
from .npyfile import Header, load_array, read_header, sha256_file

#: input dtypes (kind, bytes): uint8 as our builders store, float32/float64 as the originals
INPUT_KINDS = {("u", 1), ("f", 4), ("f", 8)}
#: each split's (inputs, int64 labels)
Arrays = dict[str, tuple[np.ndarray, np.ndarray]]
#: elements per chunk of a finiteness scan (bounded memory on memory-mapped inputs)
SCAN = 1 << 22


def check_input_header(h: Header, stored: tuple[int, ...], record: dict[str, Any] | None,
                       where: str = "") -> None:
    """Inputs: ``(N, *stored)`` with N >= 1, a numeric dtype inputs may have, as recorded.

    ``where`` says where the expectation came from (" (meta.json)"), for the message."""
    if (h.dtype.kind, h.dtype.itemsize) not in INPUT_KINDS:
        raise DataError(f"{h.path}: inputs of dtype {h.dtype} ({h.dtype.str}); expected uint8, "
                        "float32 or float64")
    if len(h.shape) != len(stored) + 1 or h.shape[1:] != tuple(stored):
        raise DataError(f"{h.path}: samples of shape {_shape(h.shape[1:])}, expected "
                        f"{_shape(stored)}{where}")
    if h.shape[0] < 1:
        raise DataError(f"{h.path}: holds no samples")
    _match_record(h, record)


def check_label_header(h: Header, n: int, record: dict[str, Any] | None) -> None:
    """Labels: ``(N,)`` or ``(N, K)`` integers or integral floats, one per input."""
    if h.dtype.kind not in "iuf":
        raise DataError(f"{h.path}: labels of dtype {h.dtype} ({h.dtype.str}); expected integers")
    if len(h.shape) not in (1, 2) or h.shape[0] != n:
        raise DataError(f"{h.path}: labels of shape {h.shape} do not match {n} inputs")
    _match_record(h, record)


def _match_record(h: Header, record: dict[str, Any] | None) -> None:
    if record is None:
        return
    if h.size != record["bytes"]:
        raise DataError(f"{h.path}: {h.size} bytes, meta.json records {record['bytes']}")
    if h.dtype.str != record["dtype"]:
        raise DataError(f"{h.path}: dtype {h.dtype.str}, meta.json records {record['dtype']}")
    if list(h.shape) != record["shape"]:
        raise DataError(f"{h.path}: shape {list(h.shape)}, meta.json records {record['shape']}")


def check_inputs(x: np.ndarray, path: Path) -> None:
    """Float inputs must be finite: one NaN would turn the whole normalised split into NaN."""
    if x.dtype.kind != "f":
        return
    step = max(1, SCAN // max(1, x[0].size))
    for start in range(0, len(x), step):
        chunk = x[start:start + step]
        if np.isfinite(np.sum(chunk, dtype=np.float64)):
            continue
        bad = ~np.isfinite(chunk.reshape(len(chunk), -1)).all(axis=1)
        if bad.any():
            first = start + int(np.argmax(bad))
            raise DataError(f"{path}: sample {first} holds NaN or infinite values "
                            f"(inputs must be finite)")


def check_label_values(y: np.ndarray, classes: int | None, path: Path,
                       where: str = "") -> np.ndarray:
    """Labels as int64 ``(N,)`` in ``[0, classes)``; one-hot rows become their index."""
    if y.dtype.kind == "f":
        if not np.isfinite(y).all():
            raise DataError(f"{path}: labels hold NaN or infinite values")
        if y.ndim == 1 or y.shape[1] == 1:
            if not np.all(np.mod(y, 1) == 0):
                raise DataError(f"{path}: labels must be integers, got fractions in {y.dtype}")
    if y.ndim == 2:
        y = y.argmax(axis=1) if y.shape[1] > 1 else y[:, 0]
    labels = np.asarray(y).astype(np.int64)
    if classes is not None and len(labels):
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi >= classes or not np.array_equal(labels, y):
            raise DataError(f"{path}: labels span {lo}..{hi}, expected 0..{classes - 1}{where}")
    return labels


def verify_task(directory: Path, layout: str, stored: tuple[int, ...], classes: int | None,
                meta: dict[str, Any] | None, *, mmap: bool = True,
                checksums: bool = False) -> Arrays:
    """Check every split file of a task folder and return its (inputs, int64 labels) arrays.

    ``layout`` names the file names (:data:`~einspace.data.layout.LAYOUTS`); inputs come
    memory-mapped (``mmap``) or read whole, each file read once. Raises :class:`DataError`
    naming the file, what is wrong, and what to do about it.
    """
    try:
        return _verify(directory, layout, stored, classes, meta, mmap, checksums)
    except DataError as err:
        hint = rebuild_hint(directory) if is_build_record(meta) else \
            "replace it with the original file"
        raise DataError(f"{err}; {hint}") from None


def _verify(directory: Path, layout: str, stored: tuple[int, ...], classes: int | None,
            meta: dict[str, Any] | None, mmap: bool, checksums: bool) -> Arrays:
    files = layout_files(directory, layout)
    missing = [p.name for pair in files.values() for p in pair
               if not (p.exists() or p.is_symlink())]
    if missing:
        raise DataError(f"missing file{'s' * (len(missing) > 1)} {', '.join(missing)} in "
                        f"{directory}; {layout_help(directory, layout)}")
    records: dict[str, Any] | None = meta.get("files") if meta else None
    if records is not None:
        names = {p.name for pair in files.values() for p in pair}
        if set(records) != names:
            raise DataError(f"{directory}/meta.json records files {sorted(records)}, the layout "
                            f"has {sorted(names)}")
    sizes = meta.get("splits") if meta else None
    headers: dict[str, tuple[Header, Header]] = {}
    for split, (xp, yp) in files.items():   # every header first: cheap, and refuses most damage
        xh = read_header(xp)
        check_input_header(xh, stored, records and records[xp.name],
                           " (meta.json)" if meta and "stored" in meta else "")
        yh = read_header(yp)
        check_label_header(yh, xh.shape[0], records and records[yp.name])
        if sizes is not None and sizes.get(split) != xh.shape[0]:
            raise DataError(f"{xp}: {xh.shape[0]} samples, meta.json says {sizes.get(split)}")
        headers[split] = (xh, yh)
    out: Arrays = {}
    for split, (xh, yh) in headers.items():
        y = check_label_values(load_array(yh), classes, yh.path,
                               " (meta.json)" if meta and "classes" in meta else "")
        x = load_array(xh, mmap=mmap)
        check_inputs(x, xh.path)
        out[split] = (x, y)
    if checksums:
        verify_checksums(files, meta)
    return out


def verify_checksums(files: dict[str, tuple[Path, Path]], meta: dict[str, Any] | None) -> list[str]:
    """Compare each file's sha256 with the build's record; returns the names checked."""
    records = (meta or {}).get("files")
    if not records:
        return []
    checked = []
    for pair in files.values():
        for path in pair:
            if sha256_file(path) != records[path.name]["sha256"]:
                raise DataError(f"{path}: sha256 differs from the one recorded at build time "
                                "(the bytes changed although size and header did not)")
            checked.append(path.name)
    return checked


def _shape(shape: tuple[int, ...] | list[int]) -> str:
    return "x".join(str(d) for d in shape)


__all__ = ["INPUT_KINDS", "Arrays", "check_input_header", "check_inputs", "check_label_header",
           "check_label_values", "verify_checksums", "verify_task"]
