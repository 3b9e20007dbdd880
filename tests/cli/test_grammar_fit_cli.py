"""``einspace grammar fit`` end to end on journals of a real (proxy-scored) search: the report, the
written grammar read back by sample and by a search, JSON, and clean refusals; ``einspace grammar``
without the subcommand is unchanged."""

from __future__ import annotations

import json

import pytest

import einspace
from einspace import search
from einspace.language.grammar import load_grammar
from einspace.search import Journal
from einspace.testing.evaluations import proxy_evaluate

SETTINGS = dict(strategy="re", evaluations=10, population=4, tournament=2, epochs=1)


def best(path):
    """The journal's scored trials, best first (lower id first among equals)."""
    with Journal(path) as log:
        return sorted((t for t in log.trials() if t.score is not None), key=lambda t: (-t.score, t.id))


@pytest.fixture(scope="module")
def journals(tmp_path_factory):
    """A finished search of 10 trials, and a journal with one pending trial (nothing scored)."""
    folder = tmp_path_factory.mktemp("fit")
    done, pending = folder / "re.db", folder / "pending.db"
    search.run(search.configure("fashion", **SETTINGS), journal=done, fn=proxy_evaluate)
    with Journal(done) as log, Journal.create(pending, log.config, log.meta) as new:
        tree = einspace.parse("sequential(norm, relu)")
        new.propose(new.next_id, origin="random", parents=[], arch=str(tree),
                    hash=einspace.structural_hash(tree), seed=0, fidelity="x")
    return done, pending


def test_fit_writes_a_grammar_that_samples_and_searches(run, journals, tmp_path):
    done, _ = journals
    out = tmp_path / "fitted.lark"
    code, text, err = run("grammar", "fit", str(done), "--top", "50%", "-o", str(out))
    assert code == 0, err
    n = len(best(done))
    assert f"the top 50% of its scored trials ({-(-n // 2)} of {n})" in text
    assert "M -> C" in text and "spectral radius" in text and f"wrote {out}" in text
    g = load_grammar(out)
    header = out.read_text().split("\n\n")[0]
    assert str(done) in header and "smoothing:   1" in header and "radius:" in header
    assert einspace.analysis.expectation(g).spectral_radius <= 0.99
    einspace.sample("1x28x28", seed=0, grammar=out)
    again = search.run(search.configure("fashion", grammar=str(out), **{**SETTINGS, "evaluations": 4}),
                       journal=tmp_path / "again.db", fn=proxy_evaluate)
    assert len([t for t in again.trials if t.score is not None]) >= 1


def test_fit_json_and_a_count(run, journals):
    done, _ = journals
    code, text, err = run("grammar", "fit", str(done), "--top", "3", "--smoothing", "0.5", "--json")
    assert code == 0, err
    got = json.loads(text)
    assert got["architectures"] == 3 and got["scored"] == len(best(done)) and got["smoothing"] == 0.5
    assert got["output"] is None and got["repaired"] is False
    m = got["symbols"]["M"]
    assert sum(v["fitted"] for v in m.values()) == pytest.approx(1.0)
    n = sum(v["draws"] for v in m.values())
    assert m["computation"]["fitted"] == pytest.approx((m["computation"]["draws"] + 0.5) / (n + 4 * 0.5))
    trees = [einspace.parse(t.arch) for t in best(done)[:3]]
    assert got["symbols"]["S"]["sequential"]["draws"] == sum(t.kind == "sequential" for t in trees)


@pytest.mark.parametrize("argv, code, words", [
    (("--top", "0%"), 2, "top"),
    (("--top", "abc"), 2, "top"),
    (("--top", "0"), 2, "at least 1"),
    (("--smoothing", "-1"), 2, "smoothing"),
    (("--margin", "0"), 2, "margin"),
])
def test_bad_options_are_usage_errors(run, journals, argv, code, words):
    got, _, err = run("grammar", "fit", str(journals[0]), *argv)
    assert got == code and words in err and "Traceback" not in err


def test_no_journal_and_no_scores_are_clean_errors(run, journals, tmp_path):
    code, _, err = run("grammar", "fit", str(tmp_path / "none.db"))
    assert code == 1 and "no journal" in err and "Traceback" not in err
    code, _, err = run("grammar", "fit", str(journals[1]))
    assert code == 1 and "no scored trials" in err
    code, _, err = run("grammar", "fit", str(journals[0]), "-o", str(tmp_path / "no" / "such" / "dir.lark"))
    assert code == 2 and "cannot write" in err


def test_grammar_without_a_subcommand_is_unchanged(run):
    code, text, _ = run("grammar", "--json")
    assert code == 0 and json.loads(text)["consistent"] is True
    code, text, _ = run("grammar", "--p-computation", "0.5")
    assert code == 0 and "critical p(M -> C)" in text
