"""Where a grammar's text comes from: the packaged file, a user's file, and what a file pulls in.

A grammar file may start from another and name the Python modules that define its operations:

    //@ extends einspace            # the packaged grammar (or a path, relative to this file)
    //@ operations my_ops.py        # a module file (relative to this file) or a dotted module name

``extends`` prepends the other file's text (its annotations included: ``choices`` lines add up,
a ``rule`` line replaces the inherited rule of the same symbol and kind). ``operations`` imports
the module before the grammar is used, so that its operations (and torch builders) are registered
— a grammar file is then all the command line needs (``--grammar FILE``).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import sys
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import GrammarError

__all__ = ["DEFAULT_GRAMMAR_PATH", "EXTENSION_MARK", "default_source", "read_source", "source_of"]

DEFAULT_GRAMMAR_PATH = Path(str(resources.files("einspace") / "grammars" / "einspace.lark"))

_EXTENDS = re.compile(r"^//@\s*extends\s+(\S+)\s*(?:#.*)?$")
_OPERATIONS = re.compile(r"^//@\s*operations\s+(\S+)\s*(?:#.*)?$")
#: the line that separates an extended grammar from its extension (later rules replace earlier ones)
EXTENSION_MARK = "//@ extension"
#: the longest grammar file read (a grammar is a few kilobytes)
MAX_GRAMMAR_BYTES = 4 * 1024 * 1024


@lru_cache(maxsize=1)
def default_source() -> str:
    """The packaged grammar's text."""
    return DEFAULT_GRAMMAR_PATH.read_text(encoding="utf-8")


def _read(path: Path) -> str:
    try:
        if not path.is_file():
            raise GrammarError(f"cannot read grammar file {str(path)!r}: not a file")
        if path.stat().st_size > MAX_GRAMMAR_BYTES:
            raise GrammarError(f"grammar file {str(path)!r} is larger than {MAX_GRAMMAR_BYTES:,} bytes")
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise GrammarError(f"cannot read grammar file {str(path)!r}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise GrammarError(f"grammar file {str(path)!r} is not UTF-8 text") from None


def read_source(path: Path | str, _seen: tuple[str, ...] = ()) -> str:
    """The full text of a grammar file: ``extends`` resolved, ``operations`` modules imported."""
    path = Path(path)
    key = str(path.resolve())
    if key in _seen:
        raise GrammarError(f"grammar file {str(path)!r} extends itself ({' → '.join(_seen + (key,))})")
    text = _read(path)
    base = ""
    for lineno, line in enumerate(text.splitlines(), 1):
        m = _EXTENDS.match(line.strip())
        if m:
            if base:
                raise GrammarError(f"{path}:{lineno}: a grammar file extends at most one other")
            target = m.group(1)
            base = default_source() if target == "einspace" else read_source(path.parent / target, _seen + (key,))
            continue
        m = _OPERATIONS.match(line.strip())
        if m:
            import_operations(m.group(1), path.parent, f"{path}:{lineno}")
    return base + "\n" + EXTENSION_MARK + "\n" + text if base else text


def import_operations(name: str, folder: Path, where: str) -> None:
    """Import the module that defines a grammar's operations (a ``.py`` path or a dotted name)."""
    try:
        if name.endswith(".py"):
            file = (folder / name).resolve()
            module_name = "einspace_user_ops_" + hashlib.sha256(str(file).encode()).hexdigest()[:12]
            if module_name in sys.modules:
                return
            spec = importlib.util.spec_from_file_location(module_name, file)
            if spec is None or spec.loader is None or not file.is_file():
                raise GrammarError(f"{where}: no operations module at {str(file)!r}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(module_name, None)
                raise
        else:
            importlib.import_module(name)
    except ImportError as err:
        raise GrammarError(f"{where}: cannot import operations module {name!r}: {err}") from None


def source_of(grammar: object) -> str:
    """Grammar text from None (the packaged grammar), a Grammar (anything with ``.source``), the
    text itself (it holds a newline), or a path to a grammar file."""
    if grammar is None:
        return default_source()
    source = getattr(grammar, "source", None)
    if isinstance(source, str):
        return source
    if isinstance(grammar, str) and "\n" in grammar:
        return grammar
    if isinstance(grammar, (str, Path)):
        return _read_cached(str(Path(grammar).resolve()), _mtime(Path(grammar)))
    raise GrammarError(f"a grammar is a path, a Grammar or grammar text, not {type(grammar).__name__}")


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError as err:
        raise GrammarError(f"cannot read grammar file {str(path)!r}: {err.strerror}") from None


@lru_cache(maxsize=16)
def _read_cached(path: str, mtime: float) -> str:
    return read_source(path)
