"""Fitted grammar probabilities (issue 16, part 1): counting as the sampler draws, recovery of known
probabilities, smoothing, the written file, and the consistency repair."""

from __future__ import annotations

import math

import pytest

import einspace
from einspace import analysis
from einspace.errors import EinspaceError, FitError
from einspace.language.grammar import default_grammar, load_grammar

#: a grammar whose every listed terminal fits every type the sampler meets from a square image input:
#: all operations keep the type (perm(0,1,3,2) swaps H and W of a square), the identities and one add
#: per factor make every witness trivial. So no option is ever removed for type reasons, and the drawn
#: frequencies are the grammar's probabilities (a budget this loose never binds either). A (the
#: aggregation) is left out of the checks: only add(b) joins b copies, so A follows B's factor.
DISTINCT = """\
//@ rule S -> M M      : sequential  = 0.5
//@ rule S -> B M A    : branching   = 0.2
//@ rule S -> R1 M R2  : routing     = 0.3
//@ rule M -> M M      : sequential  = 0.2
//@ rule M -> B M A    : branching   = 0.1
//@ rule M -> R1 M R2  : routing     = 0.15
//@ rule M -> C        : computation = 0.55
//@ choices B  = clone(2):3 clone(4):1 clone(8):1
//@ choices A  = add(2) add(4) add(8)
//@ choices R1 = identity:1 perm(0,1,3,2):2
//@ choices R2 = identity:2 perm(0,1,3,2):1
//@ choices C  = identity:1 relu:2 norm:3 softmax:4
"""
CHECKED = ("S", "M", "B", "R1", "R2", "C")


def _grammar_file(tmp_path, annotations: str = DISTINCT):
    body = "\n".join(line for line in default_grammar().source.splitlines() if not line.startswith("//@"))
    path = tmp_path / "distinct.lark"
    path.write_text(annotations + body)
    return path


def test_the_fit_recovers_known_probabilities(tmp_path):
    path = _grammar_file(tmp_path)
    g = load_grammar(path)
    archs = [einspace.sample("4x8x8", seed=i, grammar=g, max_nodes=100_000, max_depth=200) for i in range(600)]
    alpha = 1.0
    fitted = analysis.fit(archs, grammar=g, smoothing=alpha)
    true = fitted.original
    for sym in CHECKED:
        n = fitted.counts.total(sym)
        k = len(true[sym])
        assert n >= 300, (sym, n)  # enough draws for the normal approximation
        for key, p in true[sym].items():
            # 4 binomial standard errors of the raw frequency, plus the largest shift smoothing makes:
            # |(c + a)/(n + K a) - c/n| = a |1 - K c/n| / (n + K a) <= a max(1, K - 1) / (n + K a)
            tolerance = 4 * math.sqrt(p * (1 - p) / n) + alpha * max(1, k - 1) / (n + k * alpha)
            assert abs(fitted.probabilities[sym][key] - p) <= tolerance, (sym, key, fitted.probabilities[sym][key], p)
    assert not fitted.repaired and fitted.radius == pytest.approx(analysis.expectation(fitted.grammar).spectral_radius)


def test_counting_follows_the_sampler():
    archs = ["sequential(relu, relu)",                                     # S seq; two M -> C
             "branching(2){clone(2), relu, norm, add(2)}",                 # a 2-way branching: two M draws
             "branching(4){clone(4), relu, add(4)}",                       # a 4-way template: one M draw
             "routing[im2col(5,1,2), linear(x4), col2im]"]                 # terminals outside the choice sets
    c = analysis.fit(archs).counts
    assert c.architectures == 4
    assert c.draws["S"] == {"sequential": 1, "branching": 2, "routing": 1}
    assert c.draws["M"] == {"sequential": 0, "branching": 0, "routing": 0, "computation": 6}
    assert c.draws["B"]["clone(2)"] == c.draws["B"]["clone(4)"] == 1 and c.total("B") == 2
    assert c.total("A") == 2 and c.draws["R2"]["col2im"] == 1
    assert c.draws["C"] == {**dict.fromkeys(c.draws["C"], 0), "relu": 4, "norm": 1}
    assert c.unlisted == {"S": 0, "M": 0, "B": 0, "A": 0, "R1": 1, "R2": 0, "C": 1}


def test_smoothing_leaves_no_zero_and_the_file_is_a_grammar(tmp_path):
    fitted = analysis.fit(["sequential(relu, relu)"], smoothing=1.0)
    assert all(p > 0 for row in fitted.probabilities.values() for p in row.values())
    assert fitted.probabilities["M"]["computation"] == pytest.approx((2 + 1) / (2 + 4))
    assert fitted.probabilities["C"]["relu"] == pytest.approx((2 + 1) / (2 + 13))
    assert fitted.probabilities["B"] == pytest.approx(fitted.original["B"])  # never drawn: kept
    path = fitted.write(tmp_path / "fitted.lark")
    g = load_grammar(path)
    assert g.probability("M", "computation") == pytest.approx(0.5)
    assert g.key == fitted.grammar.key
    # only the annotations and the header differ from the grammar fitted
    body = [line for line in fitted.text().splitlines() if not line.startswith("//@")]
    original = [line for line in default_grammar().source.splitlines() if not line.startswith("//@")]
    assert body[-len(original):] == original and all(line.startswith("//") or not line for line in body[:-len(original)])
    arch = einspace.sample("3x8x8", seed=0, grammar=path)
    einspace.infer(einspace.mutate(arch, "3x8x8", seed=0, grammar=path), "3x8x8")


def test_plain_maximum_likelihood_drops_unseen_terminals():
    fitted = analysis.fit(["sequential(relu, relu)"], smoothing=0)
    assert fitted.probabilities["C"]["relu"] == 1.0 and fitted.probabilities["M"]["sequential"] == 0.0
    assert [c.node.text() for c in fitted.grammar.choices["C"]] == ["relu"]
    assert fitted.repaired is False and fitted.radius == 0.0


def test_an_inconsistent_fit_is_repaired_minimally():
    # heavy smoothing pulls every M rule to 1/4: radius (3/4)(2 + 4/3 + 1)/3 = 1.083 > 0.99
    fitted = analysis.fit(["sequential(relu, relu)"], smoothing=1e6)
    assert fitted.fitted_radius > 1.0 and fitted.repaired
    assert fitted.radius <= 0.99
    pc = fitted.probabilities["M"]["computation"]
    assert fitted.fitted_p_computation == pytest.approx(0.25, abs=1e-5) and pc > 0.25
    below = analysis.expectation(fitted.grammar.with_probability("M", "computation", pc - 1e-4))
    assert below.spectral_radius > 0.99  # the smallest step of 1e-4 that reaches the margin
    others = [fitted.probabilities["M"][k] for k in ("sequential", "branching", "routing")]
    assert others == pytest.approx([(1 - pc) / 3] * 3)  # the other M rules keep their ratio
    assert "repaired" in fitted.text().split("\n\n")[0]
    assert load_grammar(fitted.grammar).probability("M", "computation") == pytest.approx(pc)


def test_a_grammar_changed_in_python_is_fitted_as_it_is():
    g = default_grammar().with_probability("M", "computation", 0.5)
    fitted = analysis.fit(["sequential(relu, relu)"], grammar=g)
    assert fitted.original["M"]["computation"] == 0.5
    assert fitted.grammar.probability("M", "computation") == pytest.approx(0.5)


@pytest.mark.parametrize("kwargs", [dict(smoothing=-1), dict(smoothing=float("nan")), dict(margin=0),
                                    dict(margin=1.5), dict(top="20 %x"), dict(top=0), dict(top=1.5), dict(top=True)])
def test_bad_settings_are_fit_errors(kwargs):
    with pytest.raises(FitError):
        analysis.fit(["sequential(relu, relu)"], **kwargs)


def test_nothing_to_fit_is_a_fit_error():
    with pytest.raises(FitError, match="no architectures"):
        analysis.fit([])
    with pytest.raises(EinspaceError):
        analysis.fit([42])


def test_top_selects_the_best_scored():
    class T:
        def __init__(self, id, score):
            self.id, self.score = id, score
    trials = [T(1, 0.5), T(2, None), T(3, 0.9), T(4, 0.9), T(5, float("nan")), T(6, 0.1)]
    assert [t.id for t in analysis.select_top(trials, "50%")[0]] == [3, 4]
    assert [t.id for t in analysis.select_top(trials, 0.2)[0]] == [3]     # rounds up: at least one
    assert [t.id for t in analysis.select_top(trials, 3)[0]] == [3, 4, 1]
    assert analysis.select_top(trials, "15")[1] == "15" and len(analysis.select_top(trials, 15)[0]) == 4


def test_the_facade_keeps_the_analysis_names():
    for name in ("expectation", "critical_p_computation", "tree_counts", "pcfg_counts", "summarize", "matrix",
                 "SYMBOLS", "spectral_radius", "instantiated_size", "fit", "Fitted"):
        assert hasattr(einspace.analysis, name), name


def test_a_grammar_that_extends_another_is_written_whole(tmp_path):
    (tmp_path / "ext.lark").write_text("//@ extends einspace\n//@ rule M -> C : computation = 0.5\n"
                                       "//@ choices C = linear(24)\n")
    fitted = analysis.fit(["sequential(relu, linear(24))", "sequential(linear(24), linear(24))"],
                          grammar=str(tmp_path / "ext.lark"))
    g = load_grammar(fitted.write(tmp_path / "fitted.lark"))
    assert "//@ extends" not in fitted.text()           # the extended text is inlined, not pulled in twice
    assert g.probability("M", "computation") == pytest.approx((4 + 1) / (4 + 4))
    assert [c.weight for c in g.choices["C"] if c.node.text() == "linear(24)"] == [4.0]
    assert len(g.choices["C"]) == len(load_grammar(tmp_path / "ext.lark").choices["C"])
