"""The exceptions a caller can catch: every one says where (position or node path) and why."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["EinspaceError", "ParseError", "TypeCheckError", "RuleViolation", "GrammarError", "Violation"]


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
        self.types = tuple(types)
        super().__init__(f"[{rule}] {message}")


@dataclass(frozen=True)
class Violation:
    """One type error at one node."""

    path: str
    rule: str
    message: str
    node: str
    types: tuple[str, ...] = field(default=())
    context: str = ""

    def to_json(self) -> dict:
        return {"path": self.path, "rule": self.rule, "message": self.message, "node": self.node,
                "types": list(self.types), "context": self.context}

    def __str__(self) -> str:
        types = f" (types: {', '.join(self.types)})" if self.types else ""
        node = self.node if len(self.node) <= 120 else self.node[:117] + "..."
        text = f"at {self.path} [{self.rule}]: {self.message}{types}\n  node: {node}"
        if self.context and self.context != self.node:
            ctx = self.context if len(self.context) <= 120 else self.context[:117] + "..."
            text += f"\n  in:   {ctx}"
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
