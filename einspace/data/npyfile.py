"""Reading and writing ``.npy`` files so that a damaged file can only ever raise ``DataError``.

A header is read and checked against the file's size *before* any array is allocated, so a
header that claims 713 TiB, a truncated file, garbage bytes or an unreadable path are refused
in microseconds. Writing hashes the bytes as they go out, so the checksum recorded in
``meta.json`` is that of what the builder meant to write, not of whatever reached the disk.
"""

from __future__ import annotations

import errno
import hashlib
import math
import os
import tokenize  # numpy tokenizes old-style headers; garbage there raises TokenError
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..errors import DataError

#: bytes hashed per read when checksumming a file
CHUNK = 1 << 22


@dataclass(frozen=True)
class Header:
    """What a ``.npy`` header says, checked to agree with the file's size."""

    path: Path
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran: bool
    offset: int
    size: int

    def record(self, sha256: str) -> dict[str, Any]:
        """The entry ``meta.json`` keeps for this file."""
        return {"bytes": self.size, "dtype": self.dtype.str, "shape": list(self.shape),
                "sha256": sha256}


def _unreadable(path: Path, err: OSError) -> DataError:
    if err.errno == errno.ELOOP:
        why = "a symbolic link loop"
    elif err.errno == errno.EISDIR:
        why = "a directory, not a file"
    else:
        why = err.strerror or type(err).__name__
    return DataError(f"cannot read {path}: {why}")


def open_file(path: Path) -> BinaryIO:
    """Open a data file for reading; every way that fails becomes a ``DataError``."""
    if path.is_dir():
        raise DataError(f"cannot read {path}: a directory, not a file")
    try:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise DataError(f"missing file {path}") from None
    except OSError as err:
        raise _unreadable(path, err) from None


def read_header(path: Path) -> Header:
    """Parse the header of ``path`` and check that the data it announces fills the file exactly.

    Refuses object (pickled) arrays, structured dtypes and headers numpy cannot parse.
    """
    with open_file(path) as fp:
        try:
            size = os.fstat(fp.fileno()).st_size
            version = np.lib.format.read_magic(fp)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
            else:
                raise DataError(f"{path}: .npy format version {version} is not supported")
            offset = fp.tell()
        except OSError as err:
            raise _unreadable(path, err) from None
        except (ValueError, TypeError, SyntaxError, EOFError, UnicodeDecodeError,
                OverflowError, MemoryError, RecursionError, tokenize.TokenError) as err:
            raise DataError(f"{path} is not a readable .npy file: {_short(err)}") from None
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise DataError(f"{path}: dtype {dtype} is not a plain numpy array (pickled object "
                        "arrays and structured dtypes are refused)")
    if any(not isinstance(d, int) or d < 0 for d in shape):
        raise DataError(f"{path}: header has an invalid shape {shape}")
    expected = offset + math.prod(shape) * dtype.itemsize
    if expected != size:
        claim = _human(expected)
        raise DataError(f"{path}: header announces {shape} {dtype} ({claim}) but the file holds "
                        f"{_human(size)}: truncated or damaged")
    return Header(path, tuple(shape), dtype, bool(fortran), offset, size)


def load_array(header: Header, mmap: bool = False) -> np.ndarray:
    """The array of a checked header, read whole or memory-mapped (read-only)."""
    try:
        return np.load(header.path, allow_pickle=False, mmap_mode="r" if mmap else None)
    except OSError as err:
        raise _unreadable(header.path, err) from None
    except (ValueError, EOFError, MemoryError) as err:  # changed since its header was read
        raise DataError(f"cannot read {header.path} as a plain numpy array: "
                        f"{_short(err)}") from None


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks (constant memory)."""
    digest = hashlib.sha256()
    with open_file(path) as fp:
        try:
            while block := fp.read(CHUNK):
                digest.update(block)
        except OSError as err:
            raise _unreadable(path, err) from None
    return digest.hexdigest()


class _HashingWriter:
    """A write-only file object that hashes what it writes (numpy writes through ``write``)."""

    def __init__(self, fp: BinaryIO):
        self.fp = fp
        self.digest = hashlib.sha256()

    def write(self, data: bytes | memoryview) -> int:
        self.digest.update(data)
        return self.fp.write(data)


def write_npy(path: Path, array: np.ndarray, durable: bool = False) -> dict[str, Any]:
    """Write ``array`` to ``path`` (no pickles) and return its ``meta.json`` record.

    ``durable`` syncs the file to disk before returning, so a build that swaps its folder in
    afterwards never publishes files the kernel has not written yet.
    """
    try:
        with open(path, "wb") as fp:
            writer = _HashingWriter(fp)
            np.lib.format.write_array(writer, np.ascontiguousarray(array), allow_pickle=False)
            fp.flush()
            if durable:
                os.fsync(fp.fileno())
    except OSError as err:
        raise DataError(f"cannot write {path}: {err.strerror or err}") from None
    return read_header(path).record(writer.digest.hexdigest())


def _short(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _human(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"


__all__ = ["CHUNK", "Header", "load_array", "open_file", "read_header", "sha256_file", "write_npy"]
