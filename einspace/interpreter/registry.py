"""Torch builders, registered by operation name; importing this module does not import torch.

A builder is ``(op, t, out) -> torch.nn.Module``: the operation, its evaluated input type (for an
aggregation, the tuple of branch output types) and its output type (for a branching function, the
type each branch receives), so sizes come from the type rules, never from running a tensor.

>>> @register_builder("my_op")
... def _build(op, t, out):
...     from torch import nn
...     return nn.Identity()
>>> "my_op" in builders()
True
>>> unregister_builder("my_op")
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import OperationError

__all__ = ["register_builder", "builder", "builders", "build_op", "unregister_builder", "Builder"]

Builder = Callable[[Any, Any, Any], Any]

_BUILDERS: dict[str, Builder] = {}


def register_builder(name: str) -> Callable[[Builder], Builder]:
    """Decorator: register ``fn`` as the torch builder of operation ``name`` (its ``builder`` name)."""
    if not isinstance(name, str) or not name:
        raise OperationError(f"a builder is registered under an operation's name, not {name!r}")

    def register(fn: Builder) -> Builder:
        _BUILDERS[name] = fn
        return fn

    return register


builder = register_builder  # the short name used inside the package


def builders() -> dict[str, Builder]:
    """The registered builders by name (a copy; the built-in ones register when torch loads)."""
    return dict(_BUILDERS)


def unregister_builder(name: str) -> None:
    _BUILDERS.pop(name, None)


def build_op(op: Any, t: Any, out: Any) -> Any:
    """The torch module of one operation at its evaluated types."""
    fn = _BUILDERS.get(type(op).builder)
    if fn is None:
        raise OperationError(f"no torch builder is registered for operation {type(op).name!r}; register one "
                             f"with @einspace.interpreter.register_builder({type(op).builder!r}) "
                             "(see docs/extending.md)")
    return fn(op, t, out)
