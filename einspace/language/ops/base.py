"""What an operation is: one class per operation holds everything the toolkit knows about it.

An operation is a terminal of the grammar (a leaf of the derivation tree). Its class says

* ``name`` — the keyword (and the Lark rule of the grammar file that parses it);
* ``roles`` — which grammar symbols it may stand for: ``B`` (branching), ``A`` (aggregation),
  ``R1`` (prerouting), ``R2`` (postrouting), ``C`` (computation);
* its fields (dataclass annotations) and their ``domains`` — which values are valid;
* its printed text (:meth:`Operation.text`; derived from the name and fields by default);
* its type rule: :meth:`output_type` (routing and computation), :meth:`branch_type` (branching)
  or :meth:`aggregate_type` (aggregation) — pure functions on tensor types that return a type or
  raise :class:`~einspace.errors.RuleViolation`;
* its symbolic rule (the same rule on symbolic sizes, for NeuralArTS equivalence);
* its costs: :meth:`params`, :meth:`flops`, :meth:`memory`;
* ``builder`` — the name its torch builder is registered under (default: ``name``).

Defining a subclass registers it: the parser's callbacks, the keyword list, the printer, the
Hypothesis strategies and the sampler's tables all read the registry. Tensor types are used only
through their methods (``mode``, ``shape``, ``grid``, ``derive``, ``with_dim``, ``numel``), so this
layer needs no import from the types layer above it. See docs/extending.md.

>>> class Gelu(Operation):
...     '''gelu: the Gaussian error linear unit.'''
...     name = "gelu_doctest"
...     roles = ("C",)
...     preserves_type = True
...     def flops(self, t, out): return 8 * t.numel
>>> Gelu().text()
'gelu_doctest'
>>> unregister("gelu_doctest")
"""

from __future__ import annotations

import keyword
import math
import zlib
from dataclasses import MISSING, dataclass
from typing import Any, ClassVar, Iterable, Sequence

from ...errors import OperationError, RuleViolation
from ..ast import MODULE_TAGS, Terminal, is_int, node_dataclass

__all__ = ["Operation", "Ints", "Choice", "Positive", "ROLES", "ROLE_NAMES", "GROUPS", "operations", "operation",
           "unregister", "registry_version", "missing_pieces", "dims_for_mode", "common_grid", "fail"]

ROLES = ("B", "A", "R1", "R2", "C")
#: what a role is called in messages
ROLE_NAMES = {"B": "a branching function", "A": "an aggregation function", "R1": "a prerouting function",
              "R2": "a postrouting function", "C": "a computation function"}
#: the colour groups of the paper's figures
GROUPS = {"B": "branching", "A": "aggregation", "R1": "routing", "R2": "routing", "C": "computation"}
_UNARY = frozenset({"R1", "R2", "C"})

#: module keywords and ``let``: an operation may not take these names
RESERVED = frozenset({"sequential", "branching", "routing", "computation", "let"})


# --- field domains ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Ints:
    """Integers in ``[lo, hi]`` (``hi=None``: unbounded); ``examples`` guide tests and strategies."""

    lo: int
    hi: int | None = None
    examples: tuple = ()
    optional: bool = False
    #: strategies draw unbounded fields from [lo, lo + spread] besides the examples
    spread: int = 8

    def __contains__(self, value: object) -> bool:
        if value is None:
            return self.optional
        return is_int(value) and value >= self.lo and (self.hi is None or value <= self.hi)  # type: ignore[operator]

    def describe(self) -> str:
        return f"an integer >= {self.lo}" if self.hi is None else f"an integer in [{self.lo}, {self.hi}]"


@dataclass(frozen=True)
class Choice:
    """One of a fixed set of values."""

    values: tuple

    def __contains__(self, value: object) -> bool:
        return any(value == v and type(value) is type(v) for v in self.values)

    @property
    def examples(self) -> tuple:
        return self.values

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Positive:
    """A positive finite number (``None`` allowed when ``optional``)."""

    examples: tuple = ()
    optional: bool = False
    #: strategies draw unbounded fields from [lo, lo + spread] besides the examples
    spread: int = 8

    def __contains__(self, value: object) -> bool:
        if value is None:
            return self.optional
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0

    def describe(self) -> str:
        return "a positive number"


# --- helpers shared by the rules of several operations -------------------------------------------

def fail(rule: str, message: str, *types: object) -> RuleViolation:
    """The error a type rule raises: the rule's name, a sentence, and the types involved."""
    return RuleViolation(rule, message, types)  # formatted as text when read


def dims_for_mode(mode: str) -> tuple[int, ...]:
    """Dimensions (0-based, counting the batch) that group and cat may use in a mode."""
    return (1, 2, 3) if mode == "im" else (1, 2)


def common_grid(types: Sequence[Any]) -> tuple[int, int] | None:
    """The im2col grid all ``types`` remember, or None if they differ."""
    first = types[0].grid
    return first if all(t.grid == first for t in types) else None


# --- the base class -----------------------------------------------------------------------------

_REGISTRY: dict[str, type["Operation"]] = {}
_TAGS: dict[int, str] = {}
_VERSION = [0]


class Operation(Terminal):
    """Base class of every operation; a subclass is a frozen dataclass, registered by its name."""

    name: ClassVar[str] = ""
    roles: ClassVar[tuple[str, ...]] = ()
    #: valid values of each field (checked at construction, drawn by the Hypothesis strategies)
    domains: ClassVar[dict[str, Any]] = {}
    #: the output is a view of the input: no activation memory
    view: ClassVar[bool] = False
    #: the output type equals the input type (the type and symbolic rules are then the identity)
    preserves_type: ClassVar[bool] = False
    #: free and type-preserving in every role (the sampler completes open slots with it)
    identity: ClassVar[bool] = False
    #: an aggregation whose output equals its input type on identical copies (a witness for 4/8-way)
    merges_copies: ClassVar[bool] = False
    #: an operation that folds a remembered im2col grid back into an image (a witness step)
    folds: ClassVar[bool] = False
    #: order among the 2-way aggregations the sampler tries as witnesses (lower first)
    join_order: ClassVar[int] = 9
    #: whether the symbolic rule exists (False: equivalence falls back to checking a finite box)
    symbolic_supported: ClassVar[bool] = True
    #: the name the torch builder is registered under (default: ``name``)
    builder: ClassVar[str] = ""
    _documented: ClassVar[bool] = True

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            raise OperationError(f"operation class {cls.__qualname__} has no 'name' (the grammar keyword)")
        if not cls.builder or "builder" not in cls.__dict__:
            cls.builder = cls.name
        cls._documented = bool((cls.__dict__.get("__doc__") or "").strip())  # before dataclass writes one
        node_dataclass(cls)
        cls.field_names = tuple(f for f in cls.__dataclass_fields__ if f not in ("_hash", "depth", "size"))
        if register:
            _register(cls)

    def __post_init__(self) -> None:
        self.validate()
        self._finish(tuple(-1 if v is None else v for v in self._fields()))

    def _fields(self) -> tuple:
        return tuple(getattr(self, n) for n in self.field_names)

    # -- construction and text ---------------------------------------------------------------------
    @classmethod
    def from_args(cls, *values: Any) -> "Operation":
        """The operation from its parsed arguments (ints, or text for tokens such as ``x4``)."""
        return cls(*values)

    def validate(self) -> None:
        """Refuse field values outside their domains (raises ValueError: the parser adds the position)."""
        for f in self.field_names:
            domain = self.domains.get(f)
            value = getattr(self, f)
            if domain is not None and value not in domain:
                label = "factor" if f == "b" else f
                raise ValueError(f"{self.name} {label} must be {domain.describe()}, got {value!r}")

    def text(self) -> str:
        """The canonical text: ``name`` or ``name(a,b)``."""
        values = [v for v in self._fields() if v is not None]
        if not values:
            return self.name
        return f"{self.name}({','.join(str(int(v)) if isinstance(v, bool) else str(v) for v in values)})"

    # -- type rules (pure functions on types) ------------------------------------------------------
    def output_type(self, t: Any) -> Any:
        """The output type of a routing or computation function at input ``t``."""
        if self.preserves_type:
            return t
        raise fail("position", f"{self.text()} is {self.role_phrase()}, not a routing or computation function")

    def branch_type(self, t: Any) -> Any:
        """The type each branch of a branching function receives."""
        raise fail("position", f"{self.text()} is {self.role_phrase()}, not a branching function")

    def aggregate_type(self, types: Sequence[Any]) -> Any:
        """The output type of an aggregation of ``types`` (same mode, as many as the factor)."""
        raise fail("position", f"{self.text()} is {self.role_phrase()}, not an aggregation function")

    def refuses(self, t: Any) -> bool:
        """A cheap, certain refusal (the sampler skips the costly message of a RuleViolation)."""
        return False

    def may_aggregate(self, types: Sequence[Any]) -> bool:
        """A cheap necessary condition for :meth:`aggregate_type` to accept two branch outputs."""
        return True

    @classmethod
    def join_keys(cls, t: Any, role: int) -> tuple | None:
        """Keys under which an output ``t`` (branch ``role`` 0 or 1) meets a partner this aggregation
        can join: two outputs can be joined only if they share a key. None: no such keys known."""
        return None

    # -- symbolic rules (the same rules on symbolic sizes; see einspace.types.symbolic) ------------
    def symbolic_output(self, t: Any, alg: Any) -> Any:
        if self.preserves_type:
            return t
        return alg.unsupported(f"{self.name} has no symbolic rule")

    def symbolic_branch(self, t: Any, alg: Any) -> Any:
        return alg.unsupported(f"{self.name} has no symbolic rule")

    def symbolic_aggregate(self, types: Sequence[Any], alg: Any) -> Any:
        return alg.unsupported(f"{self.name} has no symbolic rule")

    # -- costs (one sample) ---------------------------------------------------------------------------
    def params(self, t: Any, out: Any) -> int:
        """Trainable parameters at input type ``t`` (exact: the interpreter's module has as many)."""
        return 0

    def flops(self, t: Any, out: Any) -> int:
        """Estimated floating-point operations (a multiply-accumulate counts 2)."""
        return 0

    def memory(self, out: Any, copies: int = 1) -> int:
        """Activation elements the operation materialises."""
        return 0 if self.view else out.numel * copies

    # -- descriptions ---------------------------------------------------------------------------------
    @classmethod
    def signature(cls) -> str:
        """How the operation is written, for hints: ``im2col(k,s,p[,d])``."""
        fields = cls.__dataclass_fields__
        required = [f for f in cls.field_names if fields[f].default is MISSING]
        optional = [f for f in cls.field_names if fields[f].default is not MISSING]
        if not cls.field_names:
            return cls.name
        return f"{cls.name}({','.join(required)}" + "".join(f"[,{f}]" for f in optional) + ")"

    @classmethod
    def role_phrase(cls) -> str:
        return " and ".join(ROLE_NAMES[r] for r in cls.roles) or "an operation without a role"

    @classmethod
    def group(cls) -> str:
        """The colour group of the paper's figures: branching, aggregation, routing or computation."""
        return GROUPS[cls.roles[0]] if cls.roles else "computation"


# --- the registry ---------------------------------------------------------------------------------

def _overrides(cls: type, method: str) -> bool:
    return getattr(cls, method) is not getattr(Operation, method)


def missing_pieces(cls: type[Operation]) -> list[str]:
    """What a definition lacks, in words (empty when complete)."""
    missing = []
    if not isinstance(cls.name, str) or not cls.name.isidentifier() or keyword.iskeyword(cls.name):
        missing.append(f"a name that is an identifier (got {cls.name!r})")
    elif cls.name in RESERVED:
        missing.append(f"a name that is not a module keyword ({cls.name!r} is reserved)")
    if not cls.roles or any(r not in ROLES for r in cls.roles):
        missing.append(f"roles among {', '.join(ROLES)} (got {cls.roles!r})")
    if not getattr(cls, "_documented", True):
        missing.append("a docstring")
    roles = set(cls.roles)
    if roles & _UNARY and not (cls.preserves_type or _overrides(cls, "output_type")):
        missing.append("a type rule: output_type(t) (or preserves_type = True)")
    if "B" in roles and not _overrides(cls, "branch_type"):
        missing.append("a type rule: branch_type(t)")
    if "A" in roles and not _overrides(cls, "aggregate_type"):
        missing.append("a type rule: aggregate_type(types)")
    if roles & {"A", "B"} and "b" not in cls.field_names and not isinstance(getattr(cls, "b", None), property):
        missing.append("a branching factor field 'b'")
    if cls.symbolic_supported:
        need = ([("symbolic_output", roles & _UNARY and not cls.preserves_type)]
                + [("symbolic_branch", "B" in roles), ("symbolic_aggregate", "A" in roles)])
        for method, needed in need:
            if needed and not _overrides(cls, method):
                missing.append(f"a symbolic rule: {method}(...) (or symbolic_supported = False)")
    if not (cls.view or cls.identity or _overrides(cls, "flops") or "B" in roles):
        missing.append("a cost: flops(t, out) (or view = True for an operation that only reshapes)")
    return missing


def _register(cls: type[Operation]) -> None:
    problems = missing_pieces(cls)
    if problems:
        raise OperationError(f"operation {cls.__qualname__} ({cls.name!r}) is incomplete: it needs "
                             + "; ".join(problems))
    old = _REGISTRY.get(cls.name)
    if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise OperationError(f"operation name {cls.name!r} is taken by {old.__module__}.{old.__qualname__}")
    tag = 1000 + zlib.crc32(cls.name.encode()) % 1_000_000_000
    owner = _TAGS.get(tag)
    if (owner is not None and owner != cls.name) or tag in MODULE_TAGS:
        raise OperationError(f"operation name {cls.name!r} collides with {owner!r}; choose another name")
    cls._tag = tag
    cls.symbol = cls.roles[0]
    _TAGS[tag] = cls.name
    _REGISTRY[cls.name] = cls
    _VERSION[0] += 1


def unregister(name: str) -> None:
    """Forget an operation (tests and interactive sessions that redefine one)."""
    cls = _REGISTRY.pop(name, None)
    if cls is not None:
        _TAGS.pop(cls._tag, None)
        _VERSION[0] += 1


def operations(role: str | None = None) -> tuple[type[Operation], ...]:
    """Every registered operation (of one role), in registration order."""
    return tuple(c for c in _REGISTRY.values() if role is None or role in c.roles)


def operation(name: str) -> type[Operation]:
    """The operation named ``name``; raises OperationError naming the known ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise OperationError(f"no operation named {name!r}; known: {', '.join(_REGISTRY)}") from None


def registry_version() -> int:
    """Changes whenever an operation is registered or removed (derived tables rebuild on it)."""
    return _VERSION[0]


def role_of(values: Iterable[Operation], role: str) -> bool:
    return all(role in v.roles for v in values)
