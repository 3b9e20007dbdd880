"""JSON for the frozen records the training and search layers store: one rule for all of them.

A record's fields become plain JSON values (nested records through their own ``to_json``, tuples
as lists); reading back refuses unknown fields, since they mean a newer format this code does not
understand. Pure Python.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Mapping

__all__ = ["record_to_json", "known_fields"]


def record_to_json(record: Any) -> dict[str, Any]:
    """``record``'s fields as JSON-ready values.

    >>> from einspace.training.recipe import Fidelity
    >>> record_to_json(Fidelity(epochs=2))["epochs"]
    2
    """
    out: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if hasattr(value, "to_json"):
            value = value.to_json()
        elif isinstance(value, tuple):
            value = [list(v) if isinstance(v, tuple) else v for v in value]
        out[f.name] = value
    return out


def known_fields(cls: type, obj: Mapping[str, Any], error: type[Exception], what: str) -> dict[str, Any]:
    """``obj`` as a dict, after refusing (``error``) any key that is not a field of ``cls``."""
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(obj) - names)
    if unknown:
        raise error(f"{what}: unknown field(s) {', '.join(unknown)}")
    return dict(obj)
