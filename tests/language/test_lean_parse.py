"""The lean run of Lark's tables (einspace/language/_lark_run.py) against Lark's own parse.

``parse`` reads text with the lean run first and falls back to Lark's ``parse`` at the first error;
both must give the same trees, the same ``let`` call sites (with their lines and columns), and the
same errors. Lark's path is forced by turning the lean run off.
"""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import einspace
from einspace import ParseError, parse, to_string
from einspace.language import parser as parser_module
from einspace.language._lark_run import LeanRun, Unsupported
from einspace.language.let import call_sites
from einspace.language.source import source_of

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "v2_strings.jsonl"


def _texts() -> list[str]:
    texts = [einspace.seeds.text(name) for name in einspace.seeds.names()]
    texts += [str(einspace.seeds.load(name)) for name in einspace.seeds.names()]
    if CORPUS.exists():
        entries = [json.loads(line) for line in CORPUS.read_text().splitlines()]
        texts += [e["string"] for e in entries if e["facts"].get("grammar_valid", True)]
    for seed in range(30):
        tree = einspace.sample("3x32x32" if seed % 2 else "col:8x16", seed=seed)
        texts += [to_string(tree), to_string(tree, "compact", width=40), to_string(tree, "brackets")]
    texts += ["let f(a, b) = routing[im2col(a,b,1), linear(x4), col2im]\nf(3, 1)",
              "let g = sequential(norm, relu)\n\n  # two calls\nsequential(g, g,\n  g)",
              "branching(2){clone(2), norm, relu, dot_product(scaled)}  # a comment\n",
              "routing[perm(0, 2, 1), linear(x0.25), perm( 0 ,2, 1 )]",
              "routing[im2col( 3 ,1, 1 ), computation< linear(16) >, col2im]"]
    return texts


TEXTS = _texts()


def outcome(text: str):
    try:
        tree = parse(text)
    except ParseError as err:
        return ("error", str(err), err.line, err.column, err.expected, err.hint, err.excerpt)
    sites = [(to_string(s.node), s.name, tuple(s.args), s.line, s.column) for s in call_sites(tree)]
    return ("tree", tree, to_string(tree), tree.size, tree.depth, sites)


def lark_outcome(monkeypatch, text: str):
    with monkeypatch.context() as m:
        m.setattr(parser_module._Parsers, "lean", lambda self, start: None)
        return outcome(text)


def test_the_lean_run_is_used():
    parsers = parser_module._parsers(source_of(None))
    assert isinstance(parsers.lean("arch"), LeanRun) and isinstance(parsers.lean("derivation"), LeanRun)


@pytest.mark.parametrize("text", TEXTS, ids=lambda t: t[:30])
def test_same_trees_and_call_sites_as_lark(monkeypatch, text):
    got = outcome(text)
    assert got[0] == "tree"
    assert got == lark_outcome(monkeypatch, text)


BAD = ["sequential(relu)", "sequential(relu, norm", "routing[im2col(3,1,1), relu, relu]", "computation<relux>",
       "branching(4){clone(2), relu, add(2)}", "let a = relu\nlet a = norm\na", "let f(c) = linear(c)\nf",
       "im2col(0,1,1)", "sequential(norm, relu) extra", "[S [M [C norm]]", "[S [M [C norm]] [M [C x]]]",
       "sequential(linear(1234567890123), relu)", "sequential(\n  norm,\n  relu,\n  ?)", "", "   # only a comment"]


@pytest.mark.parametrize("text", BAD)
def test_same_errors_as_lark(monkeypatch, text):
    got = outcome(text)
    assert got[0] == "error" and got[2] is not None and got[3] is not None
    assert got == lark_outcome(monkeypatch, text)


def test_limits_are_the_same(monkeypatch):
    text = "sequential(" + ", ".join(["relu"] * 60) + ")"
    for kw in ({"max_nodes": 50}, {"max_depth": 10}):
        with pytest.raises(ParseError) as lean:
            parse(text, **kw)
        with monkeypatch.context() as m, pytest.raises(ParseError) as lark:
            m.setattr(parser_module._Parsers, "lean", lambda self, start: None)
            parse(text, **kw)
        assert (str(lean.value), lean.value.line, lean.value.column) == (str(lark.value), lark.value.line,
                                                                         lark.value.column)


def test_the_lean_run_stops_where_lark_must_report():
    parsers = parser_module._parsers(source_of(None))
    lean = parsers.lean("arch")
    for text in ("sequential(relu, ~)", "sequential(relu, norm", "relu relu"):
        parsers.text_ref[0] = text
        parsers.builder.start(parser_module.MAX_NODES, parser_module.MAX_DEPTH)
        with pytest.raises(Unsupported):
            lean.parse(text)
    parsers.text_ref[0] = ""


PIECES = [" ", "\n", "  # note\n", "\t", ",", "(", ")", "<", ">", "[", "]", "{", "}", "relu", "x4", "3", "let ",
          "sequential(", "S ", "[M "]


@st.composite
def edited(draw) -> str:
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "insert", "delete", "truncate"]))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(PIECES)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 6)):]
        else:
            text = text[:at]
    return text


@settings(max_examples=300)
@given(edited())
def test_edited_text_gives_what_lark_gives(text):
    with pytest.MonkeyPatch.context() as m:
        assert outcome(text) == lark_outcome(m, text)
