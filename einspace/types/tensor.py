"""Tensor types: feature mode, shape (batch excluded) and the im2col grid that col2im needs."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Literal, Union

from ..errors import InputTypeError

__all__ = ["TensorType", "as_type", "InputTypeError"]

Mode = Literal["im", "col"]
RANK = {"im": 3, "col": 2}


@dataclass(frozen=True, slots=True)
class TensorType:
    """The type of a tensor flowing through an architecture.

    ``shape`` excludes the batch: ``(C, H, W)`` in im mode, ``(S, D)`` in col mode. ``grid`` is the
    ``(H', W')`` remembered from the im2col that produced a col tensor, until a col2im consumes it.
    """

    mode: Mode
    shape: tuple[int, ...]
    grid: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.mode not in RANK:
            raise InputTypeError(f"mode must be 'im' or 'col', got {self.mode!r}")
        if len(self.shape) != RANK[self.mode]:
            raise InputTypeError(f"{self.mode} mode needs {RANK[self.mode]} dimensions, got {self.shape}")
        if any((not isinstance(s, int)) or s < 1 for s in self.shape):
            raise InputTypeError(f"every dimension must be a positive integer, got {self.shape}")

    @property
    def rank(self) -> int:
        """Rank including the batch dimension (4 for im, 3 for col), as dims are counted in the notation."""
        return len(self.shape) + 1

    @property
    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    def dim(self, d: int) -> int:
        """Size of dimension ``d`` counted with the batch at 0."""
        return self.shape[d - 1]

    def derive(self, shape: tuple[int, ...], mode: Mode | None = None, grid=...) -> "TensorType":
        """A type of this one's mode (or ``mode``) with ``shape``, keeping the grid unless given."""
        return TensorType(self.mode if mode is None else mode, shape, self.grid if grid is ... else grid)

    def with_dim(self, d: int, size: int) -> "TensorType":
        shape = list(self.shape)
        shape[d - 1] = size
        return TensorType(self.mode, tuple(shape), self.grid)

    def __str__(self) -> str:
        dims = ",".join(str(s) for s in self.shape)
        return f"{self.mode}[{dims}]"

    def spec(self) -> str:
        """The input-type notation that :func:`as_type` reads back."""
        dims = "x".join(str(s) for s in self.shape)
        return dims if self.mode == "im" else f"col:{dims}"

    def to_json(self) -> dict:
        return {"mode": self.mode, "shape": list(self.shape)}


_SEPARATOR = r"\s*[x×,]\s*"
_SPEC = re.compile(rf"^\s*(?:(im|col)\s*:)?\s*(\d+(?:{_SEPARATOR}\d+)*)\s*$", re.IGNORECASE)
_FORMS = "write C x H x W (e.g. 3x28x28) or col:S x D (e.g. col:64x512)"
#: most digits of a size (as the parser's integers: larger sizes are never meaningful)
MAX_DIGITS = 9
#: the longest input type read (a real one has a few dozen characters)
MAX_SPEC = 10_000


def as_type(value: Union[str, TensorType, tuple, list]) -> TensorType:
    """Read an input type: ``"3x28x28"`` / ``"im:3x28x28"`` (im), ``"col:64x512"`` (col), a tuple, or a TensorType.

    A bare spec or tuple must have three dimensions (im mode); col mode is always written ``col:``
    (a bare ``3x32`` is refused, not guessed). The separator is ``x``, ``X``, ``×`` or ``,``.
    """
    if isinstance(value, TensorType):
        return value
    if isinstance(value, (tuple, list)):
        return _bare(value, _tuple_dims(value))
    if not isinstance(value, str):
        raise InputTypeError(f"an input type must be a string, tuple or TensorType, got {type(value).__name__}")
    if len(value) > MAX_SPEC:
        raise InputTypeError(f"input type {_quote(value)} has {len(value):,} characters, more than {MAX_SPEC:,}")
    m = _SPEC.match(value)
    if not m:
        raise InputTypeError(f"cannot read input type {_quote(value)}: {_FORMS}")
    for size in re.finditer(r"\d+", value[m.start(2):m.end(2)]):
        if len(size.group()) > MAX_DIGITS:
            raise InputTypeError(f"input type {_quote(value)}: the size at column {m.start(2) + size.start() + 1} "
                                 f"has {len(size.group()):,} digits, more than the limit of {MAX_DIGITS}")
    dims = tuple(int(v) for v in re.split(_SEPARATOR, m.group(2), flags=re.IGNORECASE))
    if m.group(1) is None:
        return _bare(value, dims)
    return TensorType(m.group(1).lower(), dims)  # type: ignore[arg-type]


def _quote(value: object) -> str:
    """``repr`` of a value for a message, at most 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _tuple_dims(value: Union[tuple, list]) -> tuple[int, ...]:
    """The sizes of a tuple input type; InputTypeError unless every one is an integer (bools refused)
    of at most ``MAX_DIGITS`` digits."""
    if len(value) > 8 or any(isinstance(v, bool) for v in value):
        raise InputTypeError(f"an input type tuple holds 3 (im) integers, got {_kinds(value)}")
    try:
        dims = tuple(operator.index(v) for v in value)
    except TypeError:
        raise InputTypeError(f"an input type tuple holds integers, got {_kinds(value)}") from None
    for i, d in enumerate(dims):
        if abs(d) >= 10 ** MAX_DIGITS:
            raise InputTypeError(f"an input type tuple: size {i + 1} has more than {MAX_DIGITS} digits")
    return dims


def _kinds(value: Union[tuple, list]) -> str:
    """What a tuple holds, for a message (never the repr of a huge value)."""
    names = [type(v).__name__ for v in value[:8]]
    return f"{len(value):,} values ({', '.join(names)}{', ...' if len(value) > 8 else ''})"


def _bare(value: object, dims: tuple[int, ...]) -> TensorType:
    """The type of a spec without a mode: im with three dimensions; two are refused as ambiguous."""
    if len(dims) == 3:
        return TensorType("im", dims)
    if len(dims) == 2:
        spec = "x".join(str(d) for d in dims)
        raise InputTypeError(f"input type {_quote(value)} has 2 dimensions: write col:{spec} for col mode "
                             f"(im mode needs 3, C x H x W)")
    raise InputTypeError(f"input type {_quote(value)} has {len(dims)} dimensions; im mode needs 3 (C x H x W), "
                         f"col mode 2 (col:S x D)")
