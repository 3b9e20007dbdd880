"""Fit a grammar to a search journal's best architectures (``einspace grammar fit``).

Why here: counting and estimating are pure operations on trees (:mod:`einspace.language.fitting`);
choosing *which* trees — the best scored trials of a journal — needs the search layer's journal.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Iterable, Sequence, Union

from ..errors import FitError, GrammarError, ParseError
from ..language.ast import Module
from ..language.fitting import DEFAULT_MARGIN, DEFAULT_SMOOTHING, Fitted, count_draws, fit_counts, fit_trees
from ..language.grammar import Grammar, load_grammar

__all__ = ["fit", "select_top", "parse_top", "DEFAULT_TOP"]

#: the best fifth of the scored trials
DEFAULT_TOP = 0.2

Top = Union[int, float, str]


def parse_top(top: Top) -> tuple[str, Union[int, float]]:
    """``top`` as (label, value): an int >= 1 is a count of trials, a float in (0, 1] a fraction;
    text is ``"20%"`` (a percentage), ``"15"`` (a count) or ``"0.2"`` (a fraction)."""
    value: Any = top
    if isinstance(top, str):
        text = top.strip()
        try:
            if text.endswith("%"):
                value = float(text[:-1]) / 100
            elif text.isdigit():
                value = int(text)
            else:
                value = float(text)
        except ValueError:
            raise FitError(f"top is a count (15), a percentage (20%) or a fraction (0.2), not {top!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FitError(f"top is a count (15), a percentage (20%) or a fraction (0.2), not {top!r}")
    if isinstance(value, int):
        if value < 1:
            raise FitError(f"top as a count must be at least 1, got {value}")
        return str(value), value
    if not (math.isfinite(value) and 0 < value <= 1):
        raise FitError(f"top as a fraction must be in (0, 1] (a percentage in (0%, 100%]), got {top!r}")
    return f"{value * 100:g}%", value


def select_top(trials: Sequence[Any], top: Top = DEFAULT_TOP) -> tuple[list[Any], str]:
    """The best ``top`` of the scored ``trials`` (highest score first, lower id first among equals),
    and the label of ``top``. A fraction rounds up, so at least one trial is chosen."""
    label, value = parse_top(top)
    scored = sorted((t for t in trials if t.score is not None and math.isfinite(t.score)),
                    key=lambda t: (-t.score, t.id))
    k = value if isinstance(value, int) else max(1, math.ceil(value * len(scored) - 1e-9))
    return scored[:k], label


def fit(source: Union[str, os.PathLike, Iterable[Union[str, Module]]], *, top: Top = DEFAULT_TOP,
        smoothing: float = DEFAULT_SMOOTHING, grammar: Union[Grammar, str, None] = None,
        margin: float = DEFAULT_MARGIN) -> Fitted:
    """Fit the grammar's rule probabilities and choice weights to good architectures.

    ``source``: a journal path (its best ``top`` scored trials are fitted; ``top`` is 15, 0.2 or
    ``"20%"``) or architectures (trees or text; all of them: ``top`` ranks a journal's trials).
    ``grammar``: the grammar fitted (default: the journal's own, else the packaged one).
    ``smoothing``: the additive (Laplace) constant; ``margin``: the largest spectral radius kept
    before p(M -> C) is repaired (:mod:`einspace.language.fitting`). Raises FitError (and the
    journal's JournalError) on bad input; nothing is written (``Fitted.write(path)`` does).
    """
    if isinstance(source, (str, os.PathLike)):
        return _fit_journal(Path(source), top, smoothing, grammar, margin)
    parse_top(top)
    if isinstance(source, Module):
        source = [source]
    return fit_trees(source, grammar, smoothing=smoothing, margin=margin)


def _journal_grammar(config: dict, path: Path) -> Grammar:
    recorded = config.get("grammar")
    try:
        return load_grammar(recorded)
    except GrammarError as err:
        raise FitError(f"journal {str(path)!r} was searched with grammar {recorded!r}, which cannot be read "
                       f"({err}); give the grammar to fit") from None


def _fit_journal(path: Path, top: Top, smoothing: float, grammar: Union[Grammar, str, None], margin: float) -> Fitted:
    from ..language.parser import parse
    from ..search.journal import Journal
    parse_top(top)  # a bad top is refused before the journal is read
    if not path.exists():
        raise FitError(f"no journal at {str(path)!r}")
    with Journal(path) as journal:  # read-only
        trials = journal.trials()
        config = dict(journal.config)
    chosen, label = select_top(trials, top)
    scored = sum(1 for t in trials if t.score is not None and math.isfinite(t.score))
    if not chosen:
        raise FitError(f"journal {str(path)!r} has no scored trials to fit ({len(trials)} trials, none scored yet)")
    g = load_grammar(grammar) if grammar is not None else _journal_grammar(config, path)
    trees = []
    for t in chosen:
        try:
            trees.append(parse(t.arch, grammar=g))
        except ParseError as err:
            raise FitError(f"trial {t.id} of {str(path)!r} does not parse with grammar {g.path or '<string>'}: "
                           f"{err}") from None
    return fit_counts(count_draws(trees, g), g, smoothing=smoothing, margin=margin, origin=str(path),
                      top=label, scored=scored)
