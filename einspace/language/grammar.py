"""Grammar loader: one ``.lark`` file gives the syntax (for Lark) and the PCFG tables (for sampling).

The tables are read from the file's ``//@`` annotations (documented at the top of
``grammar/einspace.lark``): productions with probabilities per left-hand symbol, and the terminal
choice sets per symbol. Users point the toolkit at their own file with :func:`load_grammar`.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Union

from ..errors import GrammarError, ParseError
from .ast import Terminal
from .ops import operations
from .parser import parse_terminal
from .source import DEFAULT_GRAMMAR_PATH, EXTENSION_MARK, read_source

__all__ = ["Grammar", "Production", "Choice", "load_grammar", "default_grammar", "DEFAULT_GRAMMAR_PATH",
           "MODULE_KINDS", "SYMBOLS", "TERMINAL_SYMBOLS"]

MODULE_KINDS = ("sequential", "branching", "routing", "computation")
#: the right-hand side each module kind must have
KIND_RHS = {"sequential": ("M", "M"), "branching": ("B", "M", "A"), "routing": ("R1", "M", "R2"),
            "computation": ("C",)}
SYMBOLS = ("S", "M", "B", "A", "R1", "R2", "C")
TERMINAL_SYMBOLS = ("B", "A", "R1", "R2", "C")


@dataclass(frozen=True)
class Production:
    """``lhs -> rhs`` building a module of ``kind``, chosen with probability ``prob``."""

    lhs: str
    rhs: tuple[str, ...]
    kind: str
    prob: float

    def __str__(self) -> str:
        return f"{self.lhs} -> {' '.join(self.rhs)} : {self.kind} = {self.prob:g}"


@dataclass(frozen=True)
class Choice:
    """A terminal the sampler may choose for a symbol, with its (unnormalised) weight."""

    node: Terminal
    weight: float = 1.0


@dataclass(frozen=True, eq=False)
class Grammar:
    """The PCFG: Lark source, productions by left-hand symbol, and terminal choices by symbol."""

    source: str
    productions: Mapping[str, tuple[Production, ...]]
    choices: Mapping[str, tuple[Choice, ...]]
    path: str | None = None
    _key: str = field(default="", repr=False)

    @property
    def key(self) -> str:
        """A stable digest of the syntax and the tables (identifies the grammar in journals)."""
        return self._key

    def operations(self, role: str | None = None) -> tuple[type, ...]:
        """The registered operations this grammar's syntax has a rule for (of one role)."""
        defined = set(_RULE_NAMES.findall(self.source))
        return tuple(c for c in operations(role) if c.name in defined)

    def rules(self, lhs: str) -> tuple[Production, ...]:
        return self.productions[lhs]

    def probability(self, lhs: str, kind: str) -> float:
        for p in self.productions[lhs]:
            if p.kind == kind:
                return p.prob
        return 0.0

    def with_probability(self, lhs: str, kind: str, prob: float) -> "Grammar":
        """A copy where ``lhs -> kind`` has ``prob`` and the other rules of ``lhs`` share the rest
        in their current ratio (how the paper varies p(M → C))."""
        if not 0.0 <= prob <= 1.0:
            raise GrammarError(f"probability must be in [0, 1], got {prob}")
        rules = self.productions.get(lhs)
        if not rules or all(p.kind != kind for p in rules):
            raise GrammarError(f"the grammar has no rule {lhs} -> {kind}")
        others = sum(p.prob for p in rules if p.kind != kind)
        new = []
        for p in rules:
            if p.kind == kind:
                new.append(replace(p, prob=prob))
            else:
                share = p.prob / others if others > 0 else 1.0 / (len(rules) - 1)
                new.append(replace(p, prob=(1.0 - prob) * share))
        prods = dict(self.productions)
        prods[lhs] = tuple(new)
        return _finish(Grammar(self.source, prods, self.choices, self.path))

    def with_choices(self, symbol: str, nodes, weights=None) -> "Grammar":
        """A copy whose choice set for ``symbol`` is ``nodes`` (e.g. extra im2col variants)."""
        if symbol not in TERMINAL_SYMBOLS:
            raise GrammarError(f"choice sets exist for {', '.join(TERMINAL_SYMBOLS)}, not {symbol!r}")
        nodes = list(nodes)
        weights = [1.0] * len(nodes) if weights is None else list(weights)
        choices = dict(self.choices)
        choices[symbol] = tuple(Choice(n, float(w)) for n, w in zip(nodes, weights))
        _validate_choices(symbol, choices[symbol])
        return _finish(Grammar(self.source, self.productions, choices, self.path))

    def annotations(self) -> str:
        """The ``//@`` annotation block of this grammar's tables (to write a derived grammar file)."""
        lines = []
        for lhs, rules in self.productions.items():
            for p in rules:
                lines.append(f"//@ rule {lhs} -> {' '.join(p.rhs)} : {p.kind} = {p.prob!r}")
        for sym, cs in self.choices.items():
            items = [c.node.text() + (f":{c.weight:g}" if c.weight != 1.0 else "") for c in cs]
            lines.append(f"//@ choices {sym} = " + " ".join(items))
        return "\n".join(lines)

    def to_source(self) -> str:
        """A complete grammar file: this grammar's syntax with its current annotations."""
        body = "\n".join(line for line in self.source.splitlines() if not line.startswith("//@"))
        return self.annotations() + "\n\n" + body

    def save(self, path: Union[str, os.PathLike]) -> None:
        Path(path).write_text(self.to_source(), encoding="utf-8")

    def __repr__(self) -> str:
        where = self.path or "<string>"
        return f"Grammar({where}, key={self.key[:12]})"


_RULE_NAMES = re.compile(r"^\s*\??(\w+)\s*:", re.M)
_RULE = re.compile(r"^rule\s+(\w+)\s*->\s*([\w\s]+?)\s*:\s*(\w+)\s*=\s*(\S+)\s*$")
_CHOICES = re.compile(r"^choices\s+(\w+)\s*=\s*(.*)$")


def _prob(text: str, where: str) -> Fraction | None:
    if text == "*":
        return None
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise GrammarError(f"{where}: cannot read probability {text!r} (write 0.32, 1/3 or *)") from None
    if not 0 <= value <= 1:
        raise GrammarError(f"{where}: probability {text} is outside [0, 1]")
    return value


def _validate_choices(symbol: str, choices: tuple[Choice, ...]) -> None:
    for c in choices:
        if not (isinstance(c.node, Terminal) and symbol in c.node.roles):
            text = c.node.text() if isinstance(c.node, Terminal) else repr(c.node)
            raise GrammarError(f"{text} cannot be a choice for {symbol}")
        if not c.weight > 0:
            raise GrammarError(f"choice weights must be positive, got {c.weight}")


def parse_annotations(source: str, where: str = "<grammar>") -> tuple[dict, dict]:
    """Read the ``//@`` annotations of a grammar source into (productions, choices) tables."""
    raw_rules: dict[str, list[tuple[tuple[str, ...], str, Fraction | None, int]]] = {}
    choices: dict[str, list[Choice]] = {}
    extension = False
    for lineno, line in enumerate(source.splitlines(), 1):
        if not line.startswith("//@"):
            continue
        body = line[3:].split("#", 1)[0].strip()
        loc = f"{where}:{lineno}"
        if line.strip() == EXTENSION_MARK:
            extension = True  # rules from here on replace inherited rules of the same symbol and kind
            continue
        if not body or body.startswith(("extends ", "operations ")):
            continue
        m = _RULE.match(body)
        if m:
            lhs, rhs, kind, prob = m.group(1), tuple(m.group(2).split()), m.group(3), m.group(4)
            if lhs not in ("S", "M"):
                raise GrammarError(f"{loc}: rules rewrite S or M, not {lhs!r}")
            if kind not in KIND_RHS:
                raise GrammarError(f"{loc}: unknown module kind {kind!r}; use one of {', '.join(MODULE_KINDS)}")
            if rhs != KIND_RHS[kind]:
                raise GrammarError(f"{loc}: a {kind} rule has right-hand side {' '.join(KIND_RHS[kind])}, "
                                   f"not {' '.join(rhs)}")
            rules = raw_rules.setdefault(lhs, [])
            if extension:
                rules[:] = [r for r in rules if r[1] != kind]
            rules.append((rhs, kind, _prob(prob, loc), lineno))
            continue
        m = _CHOICES.match(body)
        if m:
            sym = m.group(1)
            if sym not in TERMINAL_SYMBOLS:
                raise GrammarError(f"{loc}: choice sets are for {', '.join(TERMINAL_SYMBOLS)}, not {sym!r}")
            for item in m.group(2).split():
                text, _, weight = item.partition(":")
                try:
                    node = parse_terminal(text, grammar=source)
                    w = float(weight) if weight else 1.0
                except (ParseError, ValueError, GrammarError) as err:
                    raise GrammarError(f"{loc}: cannot read choice {item!r}: {err}") from None
                choices.setdefault(sym, []).append(Choice(node, w))
            _validate_choices(sym, tuple(choices[sym]))
            continue
        raise GrammarError(f"{loc}: cannot read annotation {line.strip()!r}; expected "
                           f"'//@ rule LHS -> RHS : KIND = P' or '//@ choices SYMBOL = TERMINALS'")
    productions: dict[str, tuple[Production, ...]] = {}
    for lhs, rules in raw_rules.items():
        fixed = sum((p for _, _, p, _ in rules if p is not None), Fraction(0))
        stars = [r for r in rules if r[2] is None]
        tolerance = Fraction(1, 10**9)  # saved files hold float reprs such as 0.3333333333333333
        if fixed > 1 + tolerance or (not stars and abs(fixed - 1) > tolerance):
            raise GrammarError(f"{where}: probabilities of {lhs} rules sum to {float(fixed):g}, not 1")
        share = max(Fraction(0), 1 - fixed) / len(stars) if stars else Fraction(0)
        productions[lhs] = tuple(Production(lhs, rhs, kind, float(p if p is not None else share))
                                 for rhs, kind, p, _ in rules)
        kinds = [p.kind for p in productions[lhs]]
        if len(set(kinds)) != len(kinds):
            raise GrammarError(f"{where}: {lhs} has two rules of the same kind")
    if "S" not in productions or "M" not in productions:
        raise GrammarError(f"{where}: the grammar needs rules for S and M (//@ rule ...)")
    for sym in TERMINAL_SYMBOLS:
        if not choices.get(sym):
            raise GrammarError(f"{where}: no choices for {sym} (//@ choices {sym} = ...)")
    return productions, {k: tuple(v) for k, v in choices.items()}


def _syntax_lines(source: str) -> str:
    """The Lark rules of a grammar source without comments and annotations (what the key hashes)."""
    return "\n".join(line.rstrip() for line in source.splitlines() if line.strip() and not line.lstrip().startswith("//"))


def _finish(g: Grammar) -> Grammar:
    h = hashlib.sha256(_syntax_lines(g.source).encode())
    for lhs in sorted(g.productions):
        for p in g.productions[lhs]:
            h.update(f"{p.lhs}>{p.kind}={p.prob!r};".encode())
    for sym in sorted(g.choices):
        for c in g.choices[sym]:
            h.update(f"{sym}:{c.node.text()}:{c.weight!r};".encode())
    object.__setattr__(g, "_key", h.hexdigest())
    return g


def grammar_from_source(source: str, path: str | None = None) -> Grammar:
    """Build a Grammar from the text of a grammar file."""
    productions, choices = parse_annotations(source, path or "<grammar>")
    return _finish(Grammar(source, productions, choices, path))


@lru_cache(maxsize=16)
def _load_cached(path: str, mtime: float) -> Grammar:
    return grammar_from_source(read_source(path), path)


def load_grammar(path: Union[str, os.PathLike, Grammar, None] = None) -> Grammar:
    """Load a grammar file (default: the packaged ``einspace.lark``); a Grammar passes through.

    A file may extend another and name the module of its operations (``//@ extends einspace``,
    ``//@ operations my_ops.py``; see :mod:`einspace.language.source` and docs/extending.md).
    """
    if isinstance(path, Grammar):
        return path
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise GrammarError(f"a grammar is a path or a Grammar, not {type(path).__name__}")
    p = Path(path) if path is not None else DEFAULT_GRAMMAR_PATH
    try:
        mtime = p.stat().st_mtime
    except OSError as err:
        raise GrammarError(f"cannot read grammar file {str(p)!r}: {err.strerror}") from None
    if not p.is_file():
        raise GrammarError(f"cannot read grammar file {str(p)!r}: not a file")
    return _load_cached(str(p.resolve()), mtime)


def default_grammar() -> Grammar:
    """The packaged einspace grammar."""
    return load_grammar(None)
