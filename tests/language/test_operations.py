"""One definition per operation: every definition is complete, and incomplete ones are refused by name."""

from __future__ import annotations

import pytest
from hypothesis import given

from einspace.errors import OperationError
from einspace.interpreter import builders
from einspace.language.ops import Operation, missing_pieces, operation, operations, unregister
from einspace.language.parser import keywords, parse_terminal
from einspace.testing.strategies import terminals

BUILTIN = ("clone", "group", "dot_product", "add", "cat", "identity", "perm", "im2col", "col2im",
           "linear", "norm", "relu", "softmax", "pos_enc")


@pytest.mark.parametrize("name", BUILTIN)
def test_every_builtin_operation_is_complete(name):
    cls = operation(name)
    assert missing_pieces(cls) == [], (name, missing_pieces(cls))
    assert cls.builder in builders(), f"{name}: no torch builder registered"
    assert name in keywords()


def test_registry_holds_exactly_the_paper_operations_by_default():
    names = {c.name for c in operations()}
    assert set(BUILTIN) <= names
    assert {c.name for c in operations("A")} >= {"dot_product", "add", "cat"}
    assert {c.name for c in operations("R2")} >= {"identity", "perm", "col2im"}


@given(terminals())
def test_every_operation_prints_text_that_parses_back(op):
    assert parse_terminal(op.text()) == op


def test_an_incomplete_definition_is_refused_naming_the_missing_pieces():
    with pytest.raises(OperationError) as info:
        class Half(Operation):  # noqa: F841 - defining it is the test
            name = "half_op_test"
            roles = ("C",)
    message = str(info.value)
    assert "half_op_test" in message and "docstring" in message and "type rule" in message and "flops" in message
    with pytest.raises(OperationError, match="branch_type"):
        class Brancher(Operation):  # noqa: F841
            """a branching function without its rule"""
            name = "brancher_test"
            roles = ("B",)
            b: int
    assert "half_op_test" not in {c.name for c in operations()}


def test_a_name_is_not_taken_twice_nor_a_keyword():
    with pytest.raises(OperationError, match="taken"):
        class OtherRelu(Operation):  # noqa: F841
            """a second relu"""
            name = "relu"
            roles = ("C",)
            preserves_type = True
            view = True
    with pytest.raises(OperationError, match="reserved"):
        class Seq(Operation):  # noqa: F841
            """not allowed"""
            name = "sequential"
            roles = ("C",)
            preserves_type = True
            view = True


def test_a_complete_user_operation_registers_and_unregisters():
    class Twice(Operation):
        """twice: doubles the width (a test operation)."""
        name = "twice_test"
        roles = ("C",)
        symbolic_supported = False

        def output_type(self, t):
            return t.derive(t.shape[:-1] + (2 * t.shape[-1],))

        def flops(self, t, out):
            return 0
    try:
        assert operation("twice_test") is Twice
        assert Twice().text() == "twice_test"
        assert "twice_test" in keywords()
    finally:
        unregister("twice_test")
    with pytest.raises(OperationError, match="twice_test"):
        operation("twice_test")
