"""The Unseen NAS file layout and the array transforms applied at load time.

Layout: ``<root>/<name>/{train,valid,test}_{x,y}.npy`` with ``x`` of shape ``(N, C, H, W)`` and
``y`` integer labels ``(N,)``. Builders of this project add ``meta.json`` (what was built, from
what, how it was split); the original data sets have no such file and load all the same.
Pure numpy, so it is testable without torch or any source package.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError

SPLITS = ("train", "valid", "test")
META = "meta.json"


def default_root() -> Path:
    """``$EINSPACE_DATA`` if set, else ``~/.cache/einspace/data``."""
    env = os.environ.get("EINSPACE_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "einspace" / "data"


def resolve_root(root: str | os.PathLike[str] | None) -> Path:
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


def write_split(directory: Path, split: str, x: np.ndarray, y: np.ndarray) -> None:
    """Write one split atomically (temporary name, then rename) so a killed build leaves no
    half-written file that a later load would take for data."""
    if len(x) != len(y):
        raise DataError(f"{split}: {len(x)} inputs but {len(y)} labels")
    directory.mkdir(parents=True, exist_ok=True)
    for path, arr in zip(split_files(directory, split), (x, y)):
        tmp = path.with_name(path.stem + ".tmp.npy")
        np.save(tmp, arr, allow_pickle=False)
        os.replace(tmp, path)


def read_array(path: Path, directory: Path, layout: str = "unseen",
               mmap: bool = False) -> np.ndarray:
    """Load one ``.npy`` file; pickled object arrays are refused (they can run code)."""
    if not path.is_file():
        raise DataError(f"missing file {path}; {layout_help(directory, layout)}")
    try:
        return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
    except ValueError as err:  # pickled object arrays, truncated or foreign files
        raise DataError(f"cannot read {path} as a plain numpy array: {err}") from None


def read_split(directory: Path, split: str, layout: str = "unseen",
               mmap: bool = False) -> tuple[np.ndarray, np.ndarray]:
    xp, yp = split_files(directory, split, layout)
    x = read_array(xp, directory, layout, mmap)
    y = read_array(yp, directory, layout, mmap)
    return x, check_labels(y, len(x), yp)


def check_labels(y: np.ndarray, n: int, path: Path) -> np.ndarray:
    """Labels as int64 ``(N,)``; one-hot ``(N, K)`` labels are converted to indices."""
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)
    y = y.reshape(-1) if y.ndim == 2 else y
    if y.ndim != 1 or len(y) != n:
        raise DataError(f"{path}: labels of shape {y.shape} do not match {n} inputs")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise DataError(f"{path}: labels must be integers, got {y.dtype}")
    return y.astype(np.int64)


def write_meta(directory: Path, meta: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / (META + ".tmp")
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, directory / META)


def read_meta(directory: Path) -> dict[str, Any] | None:
    """The builder's record, or ``None`` for data sets that come without one."""
    path = directory / META
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise DataError(f"{path} is not valid JSON: {err}") from None


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
