"""Input type specs: col mode is always written col:, and the x separator is case-insensitive."""

from __future__ import annotations

import pytest

import einspace
from einspace import InputTypeError, TensorType, as_type
from einspace.cli.main import main


@pytest.mark.parametrize("spec", ["3X32X32", "3x32X32", "im:3X32x32", "IM:3x32x32", "3 × 32 × 32", "3,32,32"])
def test_separator_is_case_insensitive(spec):
    assert as_type(spec) == TensorType("im", (3, 32, 32))


def test_col_prefix_any_case():
    assert as_type("COL:64X512") == as_type("col:64x512") == TensorType("col", (64, 512))


@pytest.mark.parametrize("spec", ["3x32", (3, 32), [3, 32]])
def test_bare_two_dimensions_are_refused_with_the_col_spelling(spec):
    with pytest.raises(InputTypeError, match=r"write col:3x32 for col mode"):
        as_type(spec)


@pytest.mark.parametrize("spec", [(True, 2, 3), ("3", 4, 5), (3.0, 4, 5)])
def test_tuples_hold_integers(spec):
    with pytest.raises(InputTypeError, match="integers"):
        as_type(spec)


def test_three_tuples_stay_im():
    assert as_type((3, 4, 5)) == TensorType("im", (3, 4, 5))


def test_infer_refuses_a_bare_two_dimension_spec():
    with pytest.raises(InputTypeError):
        einspace.infer(einspace.parse("norm"), "4x4")


def test_cli_upper_case_x_is_read(capsys):
    assert main(["check", "routing[im2col(3,1,1), linear(8), col2im]", "--input", "3X32X32"]) == 0
    assert "im[3,32,32]" in capsys.readouterr().out


def test_cli_bare_two_dimensions_is_a_usage_error(capsys):
    assert main(["check", "norm", "--input", "3x32"]) == 2
    assert "col:3x32" in capsys.readouterr().err
