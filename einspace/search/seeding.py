"""Seed architectures for a population, from names, a seed file, or a file of architecture strings.

``resnet18`` (RE(RN18)), ``resnet18,wideresnet16_4,vit,mlp_mixer`` (RE(Mix)), ``path/seed.arch``
(one architecture, ``let`` definitions welcome) or ``path/archs.txt`` (one architecture per line;
blank lines and ``#`` comments skipped). Every seed is parsed and type-checked on the task's input
here, before a search starts, so a bad seed is an error with its position, not a failed trial.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ParseError, SearchError, TypeCheckError
from ..language.parser import parse
from ..language.printer import to_string
from ..seeds import names as seed_names, text as seed_text
from ..types.evaluator import infer

__all__ = ["resolve_seeds"]


def _from_file(path: Path, grammar: Any) -> list[tuple[str, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SearchError(f"cannot read seed file {str(path)!r}: {err.strerror}") from None
    try:
        return [(path.stem, to_string(parse(text, grammar=grammar)))]
    except ParseError as whole:
        lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1)
                 if line.strip() and not line.lstrip().startswith("#")]
        if len(lines) < 2:
            raise SearchError(f"{path}: {whole}") from None
    out = []
    for n, line in lines:
        try:
            out.append((f"{path.stem}:{n}", to_string(parse(line, grammar=grammar))))
        except ParseError as err:
            raise SearchError(f"{path}, line {n}: {err}") from None
    return out


def resolve_seeds(spec: str | None, input: str, grammar: Any = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(canonical texts, labels) of the seeds ``spec`` names, each checked on ``input``.

    >>> texts, labels = resolve_seeds("resnet18", "3x28x28")
    >>> labels
    ('resnet18',)
    """
    if spec is None or not spec.strip():
        return (), ()
    found: list[tuple[str, str]] = []
    known = set(seed_names())
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part in known:
            found.append((part, to_string(parse(seed_text(part), grammar=grammar))))
        elif Path(part).is_file():
            found.extend(_from_file(Path(part), grammar))
        else:
            raise SearchError(f"seed {part!r} is neither a seed name ({', '.join(sorted(known))}) nor a file")
    for label, text in found:
        try:
            infer(parse(text, grammar=grammar), input)
        except TypeCheckError as err:
            raise SearchError(f"seed {label!r} does not type-check on the task's input {input}:\n{err}") from None
    return tuple(t for _, t in found), tuple(label for label, _ in found)
