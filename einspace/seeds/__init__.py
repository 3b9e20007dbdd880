"""Seed architectures, stored as text in the notation (``NAME.arch`` files beside this module).

Each file starts with ``#`` comment lines describing the network; a line ``# input: TYPE`` names
the input type it is meant for (the seed type-checks there). The rest is ordinary architecture
text with ``let`` definitions, so a file is read exactly like any user's architecture.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..language.ast import Module

__all__ = ["names", "text", "load", "info", "SeedInfo"]

_SUFFIX = ".arch"


@dataclass(frozen=True)
class SeedInfo:
    """A seed's name, its description (the leading comment) and the input type it is meant for."""

    name: str
    description: str
    input: str


def _files():
    return resources.files(__name__)


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    """Seed name -> file name, read once from the package data."""
    found = {}
    for entry in _files().iterdir():
        if entry.name.endswith(_SUFFIX) and entry.is_file():
            found[entry.name[: -len(_SUFFIX)]] = entry.name
    return dict(sorted(found.items()))


def names() -> list[str]:
    """The names of every seed, sorted."""
    return list(_index())


def text(name: str) -> str:
    """The text of seed ``name`` (its ``.arch`` file); KeyError if there is no such seed."""
    file = _index().get(name)
    if file is None:
        raise KeyError(name)
    return _files().joinpath(file).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def load(name: str) -> Module:
    """Seed ``name`` parsed into an AST (cached: ASTs are immutable)."""
    from ..language.parser import parse
    return parse(text(name))


def info(name: str) -> SeedInfo:
    """The description and intended input type from the seed file's leading comments."""
    lines = []
    input_type = "3x64x64"
    for line in text(name).splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        body = stripped.lstrip("#").strip()
        if body.startswith("input:"):
            input_type = body.split(":", 1)[1].strip()
        elif body:
            lines.append(body)
    return SeedInfo(name, " ".join(lines), input_type)
