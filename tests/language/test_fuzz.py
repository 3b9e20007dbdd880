"""Fuzzing the parser contract (issue 17): mutated real architecture strings, mutated bracket
notation, random text and bytes go to ``parse`` and ``as_type``; only our errors come out
(``ParseError`` with a position from ``parse``), and every accepted tree prints, parses back equal
and type-checks or says why. A few thousand inputs by default; ``-m slow -k fuzz`` runs 10^5 and
prints the count and the slowest input."""

from __future__ import annotations

import heapq
import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import einspace
from einspace import as_type, infer, parse, to_string
from einspace.errors import EinspaceError, InputTypeError, ParseError
from einspace.language.syntax_errors import keywords

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "v2_strings.jsonl"


def _sources() -> tuple[list[str], list[str]]:
    """Real strings (seeds with ``let``, the v2 corpus, samples in each print style) and bracket notation."""
    texts = [einspace.seeds.text(name) for name in einspace.seeds.names()]
    if CORPUS.exists():
        texts += [json.loads(line)["string"] for line in CORPUS.read_text().splitlines()][:40]
    brackets = []
    for seed in range(24):
        tree = einspace.sample("3x16x16" if seed % 2 else "col:8x16", seed=seed, max_nodes=40)
        texts += [to_string(tree), to_string(tree, "compact", width=40)]
        brackets.append(to_string(tree, "brackets"))
    texts += ["sequential(linear(x0.00009), relu)", "let f(a, b) = routing[im2col(a,b,1), linear(x4), col2im]\nf(3, 1)",
              "branching(2){clone(2), norm, relu, dot_product(scaled)}  # a comment\n"]
    brackets += ["[S [M [C norm]] [M [C relu]]]", "[S [B clone(2)] [M [C linear(64)]] [M [C identity]] [A add(2)]]"]
    return texts, brackets


TEXTS, BRACKETS = _sources()
for _warm in (TEXTS[0], BRACKETS[0], "sequential(relu, ("):  # build the parsers and lexers before timing
    try:
        parse(_warm)
    except ParseError:
        pass
PIECES = (list("()[]{}<>,.x#:; \n\t\r\x00\x0b\ufeff\u2028é") + ["\ud800", "\U0001f600", "let ", "let f(a) = ", "= ",
          "(scaled)", "x0.5", "x1e5", "-1", "0", "00", "(3,1,1)", "(2,", "S ", "[M ", "[C ", "[B ", "[A ", "[R1 ",
          "[R2 ", "]"] + list(keywords()))
SYMBOLS = ["S", "M", "B", "A", "R1", "R2", "C"]
NUMBERS = ["0", "1", "2", "3", "4", "8", "64", "999999999", "1000000000", "0.00009", "1.5", "00000000000000000000001",
           "0.000000000000000000000012", "4" * 30]


@st.composite
def _edited(draw, sources: list[str]) -> str:
    """A real string with up to four random edits: deletions, insertions (brackets, digits, keywords,
    odd characters, long digit runs, whitespace, comments), replacements, duplicated slices, truncation,
    other numbers in the places of numbers, other symbols in bracket notation."""
    text = draw(st.sampled_from(sources))
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2, 3, 4]))):
        at = draw(st.integers(0, len(text)))
        end = min(len(text), at + draw(st.integers(0, 12)))
        kind = draw(st.sampled_from(["delete", "insert", "insert", "replace", "digits", "duplicate", "truncate",
                                     "symbol", "number", "number", "space"]))
        numbers = list(re.finditer(r"\d+(\.\d+)?", text))
        if kind == "number" and numbers:  # keeps the text valid more often: edge-case numbers in real places
            m = draw(st.sampled_from(numbers))
            text = text[:m.start()] + draw(st.sampled_from(NUMBERS)) + text[m.end():]
        elif kind == "space":
            text = text[:at] + draw(st.sampled_from([" ", "\n", "  # note\n", "\t"])) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[end:]
        elif kind in ("insert", "replace"):
            piece = draw(st.sampled_from(PIECES) | st.text(max_size=4))
            text = text[:at] + piece + text[end if kind == "replace" else at:]
        elif kind == "digits":
            run = draw(st.sampled_from("0123456789")) * draw(st.sampled_from([1, 2, 9, 10, 25, 4301]))
            text = text[:at] + run + text[at:]
        elif kind == "duplicate":
            text = text[:at] + text[at:end] * draw(st.integers(2, 4)) + text[at:]
        elif kind == "truncate":
            text = text[:at]
        else:
            text = text[:at] + draw(st.sampled_from(SYMBOLS)) + " " + text[end:]
    return text


RANDOM = (st.text(max_size=120) | st.binary(max_size=120).map(lambda b: b.decode("utf-8", "replace"))
          | st.binary(max_size=120).map(lambda b: b.decode("latin-1")))
INPUTS = _edited(TEXTS) | _edited(BRACKETS) | RANDOM
TYPE_SPECS = (_edited(["3x28x28", "col:64x512", "im:1x8x8", "3, 32, 32", "COL: 7 × 5"]) | st.text(max_size=30)
              | st.tuples(st.integers(-3, 10 ** 12), st.integers(0, 64), st.integers(1, 64))
              | st.lists(st.one_of(st.integers(), st.booleans(), st.none(), st.floats()), max_size=5))


class Stats:
    """How many inputs one run checked, how many parsed, and the slowest ones."""

    def __init__(self) -> None:
        self.count = self.accepted = 0
        self.slowest: list[tuple[float, str]] = []  # a heap of the 20 slowest (seconds, text)

    def timed(self, seconds: float, text: str) -> None:
        entry = (seconds, text)
        if len(self.slowest) < 20:
            heapq.heappush(self.slowest, entry)
        elif entry > self.slowest[0]:
            heapq.heapreplace(self.slowest, entry)

    def report(self) -> str:
        """The counts and the slowest input: the 20 slowest are timed again (best of 3), because a
        slow first time is often only a busy machine or a garbage collection."""
        def again(text: str) -> float:
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                try:
                    parse(text)
                except ParseError:
                    pass
                best = min(best, time.perf_counter() - start)
            return best
        first, _ = max(self.slowest)
        seconds, text = max((again(text), text) for _, text in self.slowest)
        return (f"{self.count:,} inputs, {self.accepted:,} accepted; slowest first time {first * 1000:.1f} ms; "
                f"slowest timed again {seconds * 1000:.2f} ms: {text[:120]!r}{'…' if len(text) > 120 else ''} "
                f"({len(text):,} characters)")


def check_parse(text: str, stats: Stats) -> None:
    """The contract on one input."""
    start = time.perf_counter()
    try:
        tree = parse(text)
    except ParseError as err:
        assert err.line is not None and err.column is not None and err.line >= 1 and err.column >= 1
        assert len(err.message) < 400, err.message[:200]
        tree = None
    elapsed = time.perf_counter() - start
    stats.count += 1
    stats.timed(elapsed, text)
    if tree is None:
        return
    stats.accepted += 1
    for style in ("canonical", "brackets", "compact"):
        assert parse(to_string(tree, style)) == tree, style
    assert hash(parse(str(tree))) == hash(tree)
    try:
        infer(tree, "3x16x16")
    except EinspaceError:
        pass  # a type error is an answer: the tree does not fit this input


def check_type(value: object) -> None:
    try:
        as_type(value)  # type: ignore[arg-type]
    except InputTypeError as err:
        assert len(str(err)) < 400


DEFAULT = Stats()


@settings(max_examples=3000)
@given(INPUTS)
def test_fuzzed_text_gives_a_tree_or_a_parse_error(text):
    check_parse(text, DEFAULT)


@settings(max_examples=1000)
@given(TYPE_SPECS)
def test_fuzzed_input_types_give_a_type_or_an_input_type_error(value):
    check_type(value)


@pytest.mark.slow
def test_fuzz_100k_inputs(capsys):
    stats = Stats()

    @settings(max_examples=90_000)
    @given(INPUTS)
    def texts(text):
        check_parse(text, stats)

    @settings(max_examples=10_000)
    @given(TYPE_SPECS)
    def types(value):
        check_type(value)

    texts()
    types()
    with capsys.disabled():
        print("\nfuzz (parse):", stats.report())
    assert stats.count >= 80_000
