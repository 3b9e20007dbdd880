"""The grammar file: annotations become PCFG tables; users can load their own grammar."""

import pytest

import einspace
from einspace import GrammarError, load_grammar
from einspace.language.ops import Im2Col, Linear
from einspace.language.grammar import grammar_from_source


def test_default_tables():
    g = load_grammar()
    assert [p.kind for p in g.rules("S")] == ["sequential", "branching", "routing"]
    assert g.probability("M", "computation") == pytest.approx(0.32)
    for kind in ("sequential", "branching", "routing"):
        assert g.probability("M", kind) == pytest.approx(0.68 / 3)
        assert g.probability("S", kind) == pytest.approx(1 / 3)
    assert len(g.choices["B"]) == 12 and len(g.choices["A"]) == 14
    assert len(g.choices["R1"]) == 14 and len(g.choices["R2"]) == 8 and len(g.choices["C"]) == 13
    assert {c.node for c in g.choices["C"]} >= {Linear(16), Linear(2048)}
    assert Im2Col(16, 16, 0) in {c.node for c in g.choices["R1"]}


def test_with_probability_rescales_others():
    g = load_grammar().with_probability("M", "computation", 0.5)
    assert g.probability("M", "computation") == 0.5
    assert sum(p.prob for p in g.rules("M")) == pytest.approx(1.0)
    assert g.probability("M", "routing") == pytest.approx(0.5 / 3)
    assert g.key != load_grammar().key


def test_custom_grammar_file(tmp_path):
    g = load_grammar()
    g2 = g.with_choices("R1", [c.node for c in g.choices["R1"]] + [Im2Col(3, 1, 2, 2), Im2Col(5, 1, 2)])
    path = tmp_path / "mine.lark"
    g2.save(path)
    loaded = load_grammar(path)
    assert Im2Col(3, 1, 2, 2) in {c.node for c in loaded.choices["R1"]}
    assert loaded.key == g2.key
    # the user's file parses architectures too
    tree = einspace.parse("routing[im2col(3,1,2,2), linear(8), col2im]", grammar=path)
    assert einspace.infer(tree, "1x9x9").output.shape == (8, 9, 9)


@pytest.mark.parametrize("bad,fragment", [
    ("//@ rule M -> C : computation = 1.5", "outside [0, 1]"),
    ("//@ rule M -> M M : routing = *", "right-hand side"),
    ("//@ rule X -> M M : sequential = *", "rewrite S or M"),
    ("//@ choices C = linear(16) col2im", "cannot be a choice"),
    ("//@ choices C = lienar(16)", "cannot read choice"),
    ("//@ something else", "cannot read annotation"),
])
def test_bad_annotations(bad, fragment):
    source = load_grammar().source.replace("//@ rule M -> C        : computation = 0.32", bad + "\n//@ rule M -> C : computation = 0.32")
    with pytest.raises(GrammarError) as info:
        grammar_from_source(source, "test.lark")
    assert fragment in str(info.value)


def test_probabilities_must_sum_to_one():
    source = load_grammar().source.replace("= 1/3", "= 0.3")
    with pytest.raises(GrammarError, match="sum to"):
        grammar_from_source(source)


def test_missing_grammar_file():
    with pytest.raises(GrammarError, match="cannot read grammar file"):
        load_grammar("/no/such.lark")
