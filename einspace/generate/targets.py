"""Output targets: the set of types a sampled subtree must end in.

A target is a predicate on the output :class:`~einspace.types.tensor.TensorType` that also says which
modes it can accept, so the sampler can prune a decision whose subtree can no longer reach it
(a col tensor without an im2col grid, for instance, can never become an im tensor again).
Plain callables work too (:class:`Where`), but only the final operation is filtered with them.

* :class:`Exactly` — one type (mode and shape; optionally the im2col grid too);
* :class:`Pattern` — a mode and/or a shape with free (``None``) entries;
* :class:`AnyOf` — a union;
* :class:`Where` — any predicate on the output type.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Callable, Optional, Union

from ..types.tensor import TensorType, as_type

__all__ = ["Target", "Exactly", "Pattern", "AnyOf", "Where", "as_target", "ALL_MODES"]

ALL_MODES = frozenset(("im", "col"))


class Target(abc.ABC):
    """A set of output types. ``modes`` over-approximates the modes of the types it accepts."""

    modes: frozenset = ALL_MODES

    @abc.abstractmethod
    def __call__(self, t: TensorType) -> bool:
        """Whether ``t`` is in the set."""

    def accepts(self, t: TensorType, flops: int = 0, memory: int = 0) -> bool:
        """``self(t)``; sampler-internal targets also account the pending ``flops``/``memory``."""
        return self(t)


@dataclass(frozen=True)
class Exactly(Target):
    """Exactly ``type`` (mode and shape); with ``grid=True`` also the remembered im2col grid."""

    type: TensorType
    grid: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", as_type(self.type))
        object.__setattr__(self, "modes", frozenset((self.type.mode,)))

    def __call__(self, t: TensorType) -> bool:
        u = self.type
        return t.mode == u.mode and t.shape == u.shape and (not self.grid or t.grid == u.grid)


@dataclass(frozen=True)
class Pattern(Target):
    """A mode (or any) and a shape whose ``None`` entries are free: ``Pattern("im", (64, None, None))``."""

    mode: Optional[str] = None
    shape: Optional[tuple] = None

    def __post_init__(self) -> None:
        if self.shape is not None:
            shape = tuple(self.shape)
            object.__setattr__(self, "shape", shape)
            mode = self.mode or ("im" if len(shape) == 3 else "col")
            if len(shape) != (3 if mode == "im" else 2):
                raise ValueError(f"a {mode}-mode pattern needs {3 if mode == 'im' else 2} entries, got {shape}")
            object.__setattr__(self, "mode", mode)
        object.__setattr__(self, "modes", frozenset((self.mode,)) if self.mode else ALL_MODES)

    def __call__(self, t: TensorType) -> bool:
        if self.mode is not None and t.mode != self.mode:
            return False
        if self.shape is not None:
            for want, have in zip(self.shape, t.shape):
                if want is not None and want != have:
                    return False
        return True


class AnyOf(Target):
    """The union of several targets."""

    def __init__(self, *targets: Target):
        self.targets = tuple(as_target(t) for t in targets)
        self.modes = frozenset().union(*(t.modes for t in self.targets))

    def __call__(self, t: TensorType) -> bool:
        return any(x(t) for x in self.targets)

    def __repr__(self) -> str:
        return f"AnyOf{self.targets!r}"


class Where(Target):
    """Any predicate on the output type; ``modes`` may name the modes it can accept (for pruning)."""

    def __init__(self, fn: Callable[[TensorType], bool], modes=ALL_MODES):
        self.fn = fn
        self.modes = frozenset(modes)

    def __call__(self, t: TensorType) -> bool:
        return bool(self.fn(t))

    def __repr__(self) -> str:
        return f"Where({self.fn!r})"


def as_target(accept: Union[Target, TensorType, str, Callable, None]) -> Optional[Target]:
    """A target from a target, a type (exact match), a type string, a predicate, or None."""
    if accept is None or isinstance(accept, Target):
        return accept
    if isinstance(accept, (TensorType, str)):
        return Exactly(as_type(accept))
    if callable(accept):
        return Where(accept)
    raise TypeError(f"accept must be a Target, a TensorType or a predicate, got {type(accept).__name__}")
