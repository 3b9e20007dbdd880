"""Grammar analysis: expectation matrix, spectral radius, critical p(M -> C), counts."""

from __future__ import annotations

import json
import statistics

import pytest

import einspace
from einspace import analysis
from einspace.cli.main import main


def test_default_grammar_is_consistent_near_critical():
    e = analysis.expectation()
    assert e.consistent
    assert e.spectral_radius == pytest.approx(0.68 * 13 / 9)  # (1 - p) * (2 + 4/3 + 1) / 3
    assert analysis.critical_p_computation() == pytest.approx(4 / 13, abs=1e-8)  # the paper's "0.31"


def test_copies_move_the_critical_point():
    # a 4/8-way template counted per copy: (1 - p) * (2 + 14/3 + 1) / 3 = 1 at p = 14/23
    assert analysis.critical_p_computation(copies=True) == pytest.approx(14 / 23, abs=1e-8)


def test_inconsistent_below_the_critical_point():
    e = analysis.expectation(p_computation=0.25)
    assert not e.consistent and e.expected is None and e.spectral_radius > 1


@pytest.mark.parametrize("p", [0.9, 0.7, 0.5])
def test_expected_counts_match_the_bare_pcfg(p):
    e = analysis.expectation(p_computation=p)
    counts = analysis.pcfg_counts(n=6000, seed=1, p_computation=p)
    assert statistics.fmean(c[0] for c in counts) == pytest.approx(e.terminals, rel=0.08)
    assert statistics.fmean(c[1] for c in counts) == pytest.approx(e.nonterminals, rel=0.08)
    assert min(c[0] for c in counts) == 2 and min(c[1] for c in counts) == 2  # Table 6's minima


def test_tree_counts():
    t = einspace.parse("branching(4){clone(4), sequential(norm, relu), add(4)}")
    assert analysis.tree_counts(t) == (4, 4)
    assert analysis.tree_counts(t, copies=True) == (2 + 4 * 2, 1 + 4 * 3)
    assert analysis.tree_counts(einspace.parse("routing[identity, relu, identity]")) == (3, 2)
    assert analysis.tree_counts(einspace.parse("sequential(relu, relu)")) == (2, 3)


def test_summary():
    s = analysis.summarize([1, 2, 3, 10])
    assert (s.min, s.median, s.max, s.mean) == (1, 2.5, 10, 4)


def test_matrix_rows_sum_over_rules():
    x = analysis.matrix(einspace.load_grammar())
    i = analysis.SYMBOLS.index
    assert x[i("M")][i("C")] == pytest.approx(0.32)
    assert x[i("S")][i("M")] == pytest.approx(2 / 3 + 4 / 9 + 1 / 3)


def test_grammar_command(capsys):
    assert main(["grammar"]) == 0
    out = capsys.readouterr().out
    assert "spectral radius 0.982222" in out and "critical p(M -> C) = 0.307692" in out
    assert main(["grammar", "--json", "--p-computation", "0.5"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["consistent"] and data["p_computation"] == 0.5
    assert data["critical_p_computation"] == pytest.approx(4 / 13, abs=1e-6)
    assert main(["grammar", "--table6", "-n", "30", "--p", "0.9", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {(r["source"], r["copies"]) for r in rows} == {("pcfg", False), ("pcfg", True), ("sampler", False),
                                                          ("sampler", True)}
    assert main(["grammar", "--grammar", "/no/such/file"]) == 2
