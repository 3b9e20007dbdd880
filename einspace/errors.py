"""Every exception the toolkit raises on bad input: one roof, ``EinspaceError``.

Each says where (a line and column, a node path, a file) and why. The layers raise these and
never define their own, so ``except einspace.EinspaceError`` catches every refusal of bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

__all__ = ["EinspaceError", "ParseError", "TypeCheckError", "RuleViolation", "GrammarError", "FitError", "Violation",
           "InputTypeError", "OperationError", "BudgetError", "SamplingError", "MutationError", "CrossoverError",
           "NotTypeable", "ConvGenError", "HeadError", "DataError", "SourceError", "UsageError",
           "MissingDependency", "TrainingError", "SearchError", "JournalError", "ExecutorError", "BuildRefused",
           "ProxyError"]


class EinspaceError(Exception):
    """Base class of every error the toolkit raises on bad input."""


class ParseError(EinspaceError, ValueError):
    """Text that is not an architecture: carries line, column, a caret excerpt and what was expected."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None,
                 excerpt: str = "", expected: tuple[str, ...] = (), hint: str | None = None):
        self.message = message
        self.line = line
        self.column = column
        self.excerpt = excerpt
        self.expected = tuple(expected)
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line is not None else ""
        text = where + self.message
        if self.expected:
            text += "\n  expected: " + ", ".join(self.expected)
        if self.hint:
            text += f"\n  hint: {self.hint}"
        if self.excerpt:
            text += "\n" + self.excerpt
        return text

    def to_json(self) -> dict:
        return {"path": None, "rule": "syntax", "message": self.message, "line": self.line,
                "column": self.column, "expected": list(self.expected), "hint": self.hint}


class RuleViolation(EinspaceError, ValueError):
    """A type rule refused its input types; the evaluator adds the node path (see TypeCheckError)."""

    def __init__(self, rule: str, message: str, types: tuple = ()):
        self.rule = rule
        self.message = message
        #: the types as given; ``types`` formats them on first read (the sampler and mutation
        #: catch thousands of violations whose types nobody reads)
        self._types = tuple(types)
        self._text: Optional[tuple[str, ...]] = None
        super().__init__(f"[{rule}] {message}")

    @property
    def types(self) -> tuple[str, ...]:
        """The types involved, as text."""
        if self._text is None:
            self._text = tuple(str(t) for t in self._types)
        return self._text

    def fresh(self) -> "RuleViolation":
        """An equal violation with no traceback, to raise where this one is memoised: raising the
        memoised object itself would chain every frame it passes (and their locals) onto it, at
        every hit."""
        return RuleViolation(self.rule, self.message, self._types)


@dataclass(frozen=True)
class Violation:
    """One type error at one node."""

    path: str
    rule: str
    message: str
    node: str
    types: tuple[str, ...] = field(default=())
    context: str = ""
    #: the ``let`` definition the node came from and where it was called, if any
    origin: str = ""

    def to_json(self) -> dict:
        return {"path": self.path, "rule": self.rule, "message": self.message, "node": self.node,
                "types": list(self.types), "context": self.context, "origin": self.origin}

    def __str__(self) -> str:
        types = f" (types: {', '.join(self.types)})" if self.types else ""
        node = self.node if len(self.node) <= 120 else self.node[:117] + "..."
        text = f"at {self.path} [{self.rule}]: {self.message}{types}\n  node: {node}"
        if self.context and self.context != self.node:
            ctx = self.context if len(self.context) <= 120 else self.context[:117] + "..."
            text += f"\n  in:   {ctx}"
        if self.origin:
            text += f"\n  from: {self.origin}"
        return text


class TypeCheckError(EinspaceError, ValueError):
    """An architecture whose types do not fit: names each offending node's path, rule and types."""

    def __init__(self, violations: list[Violation] | tuple[Violation, ...]):
        self.violations = tuple(violations)
        first = self.violations[0]
        self.path, self.rule, self.node, self.types = first.path, first.rule, first.node, first.types
        self.message = first.message
        more = f"\n(and {len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
        super().__init__("type error " + str(first) + more)

    def to_json(self) -> list[dict]:
        return [v.to_json() for v in self.violations]


class GrammarError(EinspaceError, ValueError):
    """A grammar file whose annotations (probabilities, choice sets) cannot be read."""


class FitError(EinspaceError, ValueError):
    """Grammar probabilities that cannot be fitted: no architectures (no scored trials), a bad
    ``top`` or smoothing, or a fit whose consistency cannot be repaired (the message names the
    spectral radius)."""


class ArgumentError(EinspaceError, ValueError):
    """An argument outside what a function accepts (a print style, a width, a count)."""


class OperationError(EinspaceError, TypeError):
    """An operation definition that is incomplete or clashes with another (see docs/extending.md)."""


class InputTypeError(EinspaceError, ValueError):
    """An input type string such as ``3x28x28`` or ``col:64x512`` could not be read."""


class BudgetError(EinspaceError, ValueError):
    """A budget that cannot be used (negative limit, unknown name, bad output shape)."""


class SamplingError(EinspaceError):
    """No architecture satisfies the grammar, the input type, the budget and the target."""

    def __init__(self, message: str, *, input: object = None, symbol: str = "S", budget: object = None):
        self.input, self.symbol, self.budget = input, symbol, budget
        super().__init__(message)


class MutationError(EinspaceError):
    """No node of the architecture can be changed within the constraints (type, budget)."""


class CrossoverError(EinspaceError):
    """No subtree of the donor fits any position of the recipient within the constraints."""


class NotTypeable(EinspaceError, TypeError):
    """A branching or aggregation function has no one-input dimension function to compare."""


class ConvGenError(EinspaceError, ValueError):
    """Bad generation parameters (not exactly one derived property, empty or negative ranges)."""


class HeadError(EinspaceError, ValueError):
    """A head that cannot be built: bad class count or dense target, or both asked for."""

    def __init__(self, rule: str, message: str):
        self.path, self.rule, self.message = "head", rule, message
        super().__init__(f"[{rule}] {message}")


class DataError(EinspaceError, ValueError):
    """Data missing, malformed, or not loadable; the message says what and where."""


class SourceError(DataError):
    """A data builder's raw source (a pip or Debian package) could not be obtained; the message
    names the package and the command that would fetch it."""


class MissingDependency(EinspaceError, ImportError):
    """An optional package a feature needs (torch, Hypothesis) is not installed; the message says
    how to install it. An ImportError too, so ``except ImportError`` still sees it."""

    def __init__(self, package: str, message: str):
        super().__init__(message, name=package)
        self.package = package


class BuildRefused(EinspaceError, ValueError):
    """An architecture that type-checks but is refused before anything is allocated: a predicted
    figure (parameters, activation memory, a size) over its limit. ``figure``, ``value`` and
    ``limit`` say which; the message names them."""

    def __init__(self, figure: str, value: int, limit: int, message: str):
        self.figure, self.value, self.limit, self.message = figure, value, limit, message
        super().__init__(message)

    def to_json(self) -> dict:
        return {"path": "root", "rule": f"build.{self.figure}", "message": self.message, "figure": self.figure,
                "value": self.value, "limit": self.limit}


class UsageError(EinspaceError):
    """Bad command-line input (exit code 2)."""


class TrainingError(EinspaceError, ValueError):
    """A training request that cannot run: an unknown recipe or fidelity setting, a bad value, an
    unavailable device, a task without classes, or a saved run that cannot be read back. (Failures
    *of* training — NaN, out of memory, time-out — are statuses of the Evaluation, not errors.)"""


class SearchError(EinspaceError, ValueError):
    """A search that cannot go on: a bad setting, no usable seed, too many failures in a row."""


class JournalError(EinspaceError, ValueError):
    """A journal file that cannot be used: missing, corrupt, not a journal, a newer format, another
    run's configuration, or held by a live writer. The file is never modified by the refusal."""


class ExecutorError(EinspaceError, RuntimeError):
    """An executor that cannot run: a scheduler that cannot be reached, a cluster that will not start."""


class ProxyError(EinspaceError, ValueError):
    """A zero-cost proxy request that cannot be answered: an unknown proxy name, a bad batch size or
    seed, a task without classes, or a network torch cannot differentiate or run (the message names
    the proxy and torch's reason). A proxy that computes to NaN or inf is a value, not this error."""
