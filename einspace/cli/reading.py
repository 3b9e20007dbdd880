"""Reading architecture text from files and standard input, bounded and checked.

A command must refuse quickly what is not architecture text: a file bigger than ``MAX_INPUT_BYTES``
(read no further than the bound), binary or non-UTF-8 bytes, and anything that is not a regular
file (a directory, a FIFO that would block, a device such as ``/dev/zero`` that never ends). Each
refusal is a :class:`UsageError` (exit 2) naming the input. A UTF-8 byte-order mark is dropped.
"""

from __future__ import annotations

import codecs
import os
import stat
import sys
from typing import Union

from ..errors import UsageError

__all__ = ["MAX_INPUT_BYTES", "read_text_file", "read_stdin", "decode_text"]

#: the most bytes an ARCH file or standard input may hold (the parser refuses far less anyway)
MAX_INPUT_BYTES = 64 * 2**20

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _too_big(where: str) -> UsageError:
    return UsageError(f"{where} is over {MAX_INPUT_BYTES // 2**20} MiB; an architecture is far shorter")


def read_text_file(path: str) -> str:
    """The text of a regular file of at most ``MAX_INPUT_BYTES``; never opens a FIFO or a device."""
    where = repr(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"cannot read {where}: it is {_kind(info.st_mode)}, not a regular file")
        if info.st_size > MAX_INPUT_BYTES:
            raise _too_big(where)
        # O_NONBLOCK: a FIFO swapped in after the stat cannot make open() wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            mode = os.fstat(f.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise UsageError(f"cannot read {where}: it is {_kind(mode)}, not a regular file")
            data = f.read(MAX_INPUT_BYTES + 1)
    except OSError as err:
        raise UsageError(f"cannot read {where}: {err.strerror or err}") from None
    except ValueError as err:  # a path with a NUL byte
        raise UsageError(f"cannot read {where}: {err}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise _too_big(where)
    return decode_text(data, where)


def read_stdin() -> Union[bytes, str]:
    """At most ``MAX_INPUT_BYTES`` + 1 bytes of standard input (text if it has no byte layer)."""
    stream = sys.stdin
    if stream is None:
        raise UsageError("standard input is closed")
    source = getattr(stream, "buffer", stream)
    try:
        return source.read(MAX_INPUT_BYTES + 1)
    except OSError as err:
        raise UsageError(f"cannot read standard input: {err.strerror or err}") from None


def decode_text(data: Union[bytes, str], where: str) -> str:
    """``data`` as text: a UTF-8 byte-order mark dropped; over-long, binary or non-UTF-8 data refused."""
    if len(data) > MAX_INPUT_BYTES:
        raise _too_big(where)
    if isinstance(data, str):
        text = data[1:] if data.startswith("\ufeff") else data
    else:
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise UsageError(f"{where} is not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}); "
                             "an architecture is plain text") from None
    if "\x00" in text:
        raise UsageError(f"{where} is binary (it holds NUL bytes at offset {text.index(chr(0))}), "
                         "not architecture text")
    return text
