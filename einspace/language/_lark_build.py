"""Compiling a grammar's Lark parser, with Lark's analysis kept on disk between processes.

Compiling the LALR tables of ``einspace.lark`` takes 30-60 ms; loading them from Lark's own cache
(``Lark(..., cache=PATH)``) takes about 5 ms. The cache file lives in the user's cache folder
(``$EINSPACE_CACHE_DIR``, else ``$XDG_CACHE_HOME/einspace/lark``, else ``~/.cache/einspace/lark``),
one file per grammar text, start rule, options, Lark version and Python version: the file's name is
a digest of all of them, and Lark checks its own digest of the grammar, options and version inside
the file before it trusts it. So an edited grammar or another Lark reads another file.

What can go wrong falls back to compiling, silently: no cache folder (``EINSPACE_CACHE_DIR=""``
turns the cache off), a folder that cannot be created or written, a file that is corrupt or
truncated (Lark catches the error, compiles, and writes the file again), or one another process is
still writing (the same: at worst a second compile; the bytes written are the same). Nothing here
changes any state outside the files it writes.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

import lark
from lark import Lark

__all__ = ["CACHE_ENV", "cache_dir", "cache_path", "compile_lark", "loaded_from_cache"]

#: the environment variable naming the cache folder ("" turns the cache off)
CACHE_ENV = "EINSPACE_CACHE_DIR"
#: bumped when what this module writes changes meaning
_FORMAT = "1"
#: options that are objects, not part of the compiled tables (Lark leaves them out of its digest too)
_RUNTIME = ("transformer", "postlex", "lexer_callbacks", "edit_terminals", "_plugins")


def cache_dir() -> Path | None:
    """The folder of the parser cache, or None when it is turned off."""
    value = os.environ.get(CACHE_ENV)
    if value is not None:
        return Path(value).expanduser() if value.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "einspace" / "lark"


def cache_path(source: str, start: str, options: dict[str, Any], folder: Path) -> Path:
    """The cache file of one compiled parser: its name digests everything the tables depend on."""
    h = hashlib.sha256()
    for part in (_FORMAT, lark.__version__, repr(sys.version_info[:2]), start, source):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    for name in sorted(options):
        if name not in _RUNTIME:
            h.update(f"{name}={options[name]!r}\0".encode())
    return folder / f"{start}-{h.hexdigest()[:32]}.lark"


def loaded_from_cache(parser: Lark) -> bool:
    """Whether Lark read ``parser`` from a cache file rather than compiling it."""
    return getattr(parser, "source_path", None) == "<deserialized>"


def _usable_folder() -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if folder.is_dir() and os.access(folder, os.R_OK | os.X_OK) else None


def compile_lark(source: str, start: str, options: dict[str, Any]) -> Lark:
    """``Lark(source, start=start, **options)``, read from or written to the cache when it can be.

    Raises what ``Lark`` raises for a grammar that cannot be compiled (nothing is cached then)."""
    folder = _usable_folder()
    if folder is None:
        return Lark(source, start=start, **options)
    path = cache_path(source, start, options, folder)
    if not path.is_file() and not os.access(folder, os.W_OK):  # a read-only folder without the file
        return Lark(source, start=start, **options)
    # Lark checks the file's digest (of the grammar, the options and this very path, so the file cannot
    # be written elsewhere and renamed); a missing, bad or half-written file is compiled and written again
    return Lark(source, start=start, cache=str(path), **options)
