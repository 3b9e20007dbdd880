"""Every refusal of bad input is an ``einspace.EinspaceError``: one ``except`` catches them all
(issue 10, items 4 and 7)."""

from __future__ import annotations

from typing import Callable

import pytest

import einspace
from einspace import data
from einspace.cli.common import input_type, read_arch_text
from einspace.generate.budget import Budget


def _infer_bad_input() -> object:
    return einspace.infer(einspace.parse("norm"), "3x")


def _type_error() -> object:
    return einspace.infer(einspace.parse("routing[identity, linear(4), col2im]"), "col:4x4")


BAD_INPUTS: dict[str, tuple[Callable[[], object], type]] = {
    "infer(t, '3x')": (_infer_bad_input, einspace.InputTypeError),
    "as_type('3x')": (lambda: einspace.as_type("3x"), einspace.InputTypeError),
    "as_type('3x32') (col needs col:)": (lambda: einspace.as_type("3x32"), einspace.InputTypeError),
    "data.load('x')": (lambda: data.load("x"), einspace.DataError),
    "CLI --input 3x": (lambda: input_type("3x"), einspace.UsageError),
    "CLI @/no/such/file": (lambda: read_arch_text("@/no/such/file"), einspace.UsageError),
    "Budget(max_nodes=-1)": (lambda: Budget(max_nodes=-1), einspace.BudgetError),
    "sample without a size limit": (lambda: einspace.sample("3x8x8", max_nodes=None, max_depth=None),
                                    einspace.BudgetError),
    "parse('sequential(')": (lambda: einspace.parse("sequential("), einspace.ParseError),
    "normalize(42)": (lambda: einspace.normalize(42), einspace.ParseError),
    "col2im without a grid": (_type_error, einspace.TypeCheckError),
    "grammar file missing": (lambda: einspace.load_grammar("/no/such/grammar.lark"), einspace.GrammarError),
    "p(M -> C) = 2": (lambda: einspace.default_grammar().with_probability("M", "computation", 2.0),
                      einspace.GrammarError),
}


@pytest.mark.parametrize("what", sorted(BAD_INPUTS))
def test_one_except_catches_every_bad_input(what):
    call, kind = BAD_INPUTS[what]
    try:
        call()
    except einspace.EinspaceError as err:
        caught = err
    else:
        pytest.fail(f"{what} was accepted")
    assert isinstance(caught, kind), (what, type(caught))
    assert str(caught)  # every refusal says why


def test_every_error_class_is_under_the_roof():
    from einspace import errors
    for name in errors.__all__:
        cls = getattr(errors, name)
        if isinstance(cls, type) and issubclass(cls, Exception):
            assert issubclass(cls, einspace.EinspaceError), name
