"""Fuzzing the command line: hostile architecture text, files and input types only ever give an exit
code and a message (0, 1 or 2), never a traceback."""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import einspace
from einspace.cli.main import main

SEED_TEXT = einspace.seeds.text("resnet_block")
ALPHABET = st.sampled_from(list("()[]{}<>,:x0123456789 \n#@-") +
                           ["sequential", "branching", "routing", "computation", "linear", "im2col", "let", "="])


def mutated(draw_text: str, edits: list[tuple[int, str]]) -> str:
    text = draw_text
    for at, piece in edits:
        at %= len(text) + 1
        text = text[:at] + piece + text[at + 1:]
    return text


texts = st.one_of(
    st.text(max_size=200),
    st.lists(ALPHABET, max_size=60).map("".join),
    st.lists(st.tuples(st.integers(0, 10_000), st.text("()[],0123456789x", max_size=3)),
             max_size=8).map(lambda edits: mutated(SEED_TEXT, edits)),
)
COMMANDS = (["check", "--input", "64x32x32"], ["show"], ["show", "--style", "tree"],
            ["build", "--input", "3x8x8", "--json"])


def cli(*argv: str) -> tuple[int, str, str]:
    """The command line in this process; an exception escaping ``main`` fails the test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _no_traceback(code: int, err: str) -> None:
    assert code in (0, 1, 2)
    assert "Traceback" not in err


@settings(max_examples=300)
@given(text=texts, command=st.sampled_from(COMMANDS))
def test_hostile_architecture_text_gives_an_exit_code_and_a_message(text, command):
    if text.startswith(("-", "@")):   # those are options and file references, fuzzed below
        text = " " + text
    code, _, err = cli(*command[:1], text, *command[1:])
    _no_traceback(code, err)


@settings(max_examples=100)
@given(data=st.binary(max_size=300), command=st.sampled_from(COMMANDS))
def test_hostile_files_give_an_exit_code_and_a_message(tmp_path_factory, data, command):
    path = tmp_path_factory.getbasetemp() / "fuzz-arch.txt"
    path.write_bytes(data)
    code, _, err = cli(*command[:1], f"@{path}", *command[1:])
    _no_traceback(code, err)


@settings(max_examples=200)
@given(shape=st.one_of(st.text(max_size=40), st.lists(st.integers(-5, 10**12), max_size=5).map(
    lambda xs: "x".join(map(str, xs)))))
def test_hostile_input_types_give_an_exit_code_and_a_message(shape):
    if shape.startswith("-"):
        shape = " " + shape
    code, _, err = cli("check", "sequential(relu, norm)", "--input", shape)
    _no_traceback(code, err)


@pytest.mark.slow
@settings(max_examples=20_000)
@given(text=texts, command=st.sampled_from(COMMANDS))
def test_hostile_text_many(text, command):
    if text.startswith(("-", "@")):
        text = " " + text
    code, _, err = cli(*command[:1], text, *command[1:])
    _no_traceback(code, err)
