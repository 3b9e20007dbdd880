"""The Unseen NAS file layout and the array transforms applied at load time.

Layout: ``<root>/<name>/{train,valid,test}_{x,y}.npy`` with ``x`` of shape ``(N, C, H, W)`` and
``y`` integer labels ``(N,)``. Builders of this project add ``meta.json`` (what was built, from
what, how it was split); the original data sets have no such file and load all the same.
Pure numpy, so it is testable without torch or any source package.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from .metafile import META, read_meta, write_meta
from .npyfile import write_npy

SPLITS = ("train", "valid", "test")

__all__ = ["LAYOUTS", "META", "SPLITS", "channel_stats", "default_root", "layout_files",
           "layout_help", "normalize", "pad_spatial", "read_meta", "resolve_root", "split_files",
           "write_meta", "write_split"]


def default_root() -> Path:
    """``$EINSPACE_DATA`` if set, else ``~/.cache/einspace/data``."""
    env = os.environ.get("EINSPACE_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "einspace" / "data"


def resolve_root(root: str | os.PathLike[str] | None) -> Path:
    """The data root a caller named, else the default one."""
    return Path(root).expanduser() if root is not None else default_root()


# File names per layout: split -> (inputs, labels). NAS-Bench-360's NinaPro calls "valid" "val".
LAYOUTS: dict[str, dict[str, tuple[str, str]]] = {
    "unseen": {s: (f"{s}_x.npy", f"{s}_y.npy") for s in SPLITS},
    "ninapro": {s: (f"ninapro_{a}.npy", f"label_{a}.npy")
                for s, a in zip(SPLITS, ("train", "val", "test"))},
}


def split_files(directory: Path, split: str, layout: str = "unseen") -> tuple[Path, Path]:
    xname, yname = LAYOUTS[layout][split]
    return directory / xname, directory / yname


def layout_help(directory: Path, layout: str = "unseen") -> str:
    names = ", ".join(f"{x}, {y}" for x, y in LAYOUTS[layout].values())
    kind = "the Unseen NAS layout" if layout == "unseen" else f"the {layout} layout"
    return (f"expected {kind} in {directory}/: {names} "
            "(inputs float or uint8 (N,C,H,W), labels integers (N,))")


def layout_files(directory: Path, layout: str = "unseen") -> dict[str, tuple[Path, Path]]:
    """Every split's (inputs, labels) paths."""
    return {split: split_files(directory, split, layout) for split in SPLITS}


def write_split(directory: Path, split: str, x: np.ndarray, y: np.ndarray,
                durable: bool = False) -> dict[str, Any]:
    """Write one split, each file through a temporary name, and return the two files' records
    (size, dtype, shape, sha256) for ``meta.json``. A build writes into a staging folder that is
    swapped in whole (see :mod:`einspace.data.staging`); the renames here keep direct writers
    (fixtures, tests) from leaving a half-written file under a real name."""
    if len(x) != len(y):
        raise DataError(f"{split}: {len(x)} inputs but {len(y)} labels")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(f"cannot create {directory}: {err.strerror or err}") from None
    records: dict[str, Any] = {}
    for path, arr in zip(split_files(directory, split), (x, y)):
        tmp = path.with_name(path.stem + ".tmp.npy")
        records[path.name] = write_npy(tmp, arr, durable)
        try:
            os.replace(tmp, path)
        except OSError as err:
            raise DataError(f"cannot write {path}: {err.strerror or err}") from None
    return records


def channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation over samples and positions of ``(N, C, ...)``.

    A channel that is constant in the training split (an empty chess plane, say) gets std 1,
    so normalising never divides by zero; the original loader would have produced NaNs there.
    Computed in float64 chunks so large uint8 arrays need no float copy.
    """
    if x.ndim < 2 or len(x) == 0:
        raise DataError(f"cannot compute channel statistics of an array of shape {x.shape}")
    axes = (0,) + tuple(range(2, x.ndim))
    total = np.zeros(x.shape[1])
    total_sq = np.zeros(x.shape[1])
    for start in range(0, len(x), 4096):
        chunk = x[start:start + 4096].astype(np.float64)
        total += chunk.sum(axis=axes)
        total_sq += np.square(chunk).sum(axis=axes)
    count = x.size // x.shape[1]
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - mean ** 2, 0.0))
    std[std < 1e-8] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)


def normalize(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """``(x - mean) / std`` per channel, as float32."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    out = x.astype(np.float32)
    out -= mean.reshape(shape)
    out /= std.reshape(shape)
    return out


def pad_spatial(x: np.ndarray, pad: int) -> np.ndarray:
    """Zero-pad the last two dimensions by ``pad`` on every side (Chesseract: 8x8 -> 18x18)."""
    if pad == 0:
        return x
    width = [(0, 0)] * (x.ndim - 2) + [(pad, pad), (pad, pad)]
    return np.pad(x, width, mode="constant", constant_values=0)
