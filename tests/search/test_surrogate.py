"""Surrogate-filtered regularised evolution: each step trains exactly ``evaluate`` of ``candidates``
children, the surrogate ranks (a score that is a known function of the features is learnt), a
killed run resumes with the same surrogate, and the features are fixed and documented. Evaluations
are the instant proxy of ``einspace.testing`` (or a known function of the features) except where
zero-cost proxies and the command line train or measure real tiny networks."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from statistics import fmean

import pytest

import einspace
from einspace import data, search
from einspace.errors import JournalError, SearchError
from einspace.language.grammar import TERMINAL_SYMBOLS, load_grammar
from einspace.search import Journal, SearchConfig
from einspace.search.features import SHAPE_FEATURES, feature_names, features
from einspace.search.surrogate import MIN_FIT, spearman
from einspace.testing.evaluations import proxy_evaluate

ROOT = Path(__file__).resolve().parents[2]
TINY = "sequential(routing[im2col(4,4,0), linear(16), col2im], relu)"
NAMES = feature_names()
AT = {name: i for i, name in enumerate(NAMES)}


def sre(**kw):
    return search.configure("fashion", **{"strategy": "re", "evaluations": 31, "population": 6, "tournament": 3,
                                          "surrogate": "rf", "candidates": 10, "evaluate": 5, "epochs": 1, **kw})


def known(job):
    """A score that is a fixed function of the features: what a working surrogate can learn."""
    ev = proxy_evaluate(job)
    v = features(job.arch, "1x28x28", classes=10)
    ev["score"] = 0.05 * v[AT["op.C.relu"]] + 0.05 * v[AT["op.C.norm"]] - 0.2 * abs(v[AT["log.params"]] - 5.0)
    return ev


def steps_of(trials):
    """step number -> the trials of that step, from the notes the journal kept."""
    out = defaultdict(list)
    for t in trials:
        note = (t.notes or {}).get("surrogate")
        if note is not None:
            out[note["step"]].append(t)
    return dict(out)


# --- features -----------------------------------------------------------------------------------------

def test_features_are_deterministic_of_the_documented_length_and_count_by_hand():
    v = features(TINY, "1x28x28", classes=10)
    assert v == features(einspace.parse(TINY), "1x28x28", classes=10) == features(TINY, "1x28x28", classes=10)
    grammar = load_grammar()
    per_role = sum(len(grammar.operations(role)) + 1 for role in TERMINAL_SYMBOLS)   # + op.<role>.other
    assert len(v) == len(NAMES) == len(set(NAMES)) == len(SHAPE_FEATURES) + per_role == 41
    got = {n: x for n, x in zip(NAMES, v) if x and not n.startswith("log.")}
    assert got == {"size": 8, "depth": 4, "module.sequential": 1, "module.routing": 1, "module.computation": 2,
                   "group.routing": 2, "group.computation": 2, "copies.max": 1, "nodes.built": 8,
                   "op.R1.im2col": 1, "op.C.linear": 1, "op.R2.col2im": 1, "op.C.relu": 1}
    typed = einspace.infer(einspace.parse(TINY), "1x28x28")
    assert v[AT["log.params"]] == pytest.approx(math.log10(1 + typed.params + 16 * 10 + 10))   # the head counts
    assert v[AT["log.memory"]] == pytest.approx(math.log10(1 + typed.memory))
    doc = (ROOT / "docs" / "learning.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in doc for name in NAMES)


def test_identity_counts_by_the_slot_it_fills():
    v = features("routing[identity, identity, identity]", "1x28x28")
    assert (v[AT["op.R1.identity"]], v[AT["op.C.identity"]], v[AT["op.R2.identity"]]) == (1, 1, 1)


# --- the recipe: exactly `evaluate` trained per step ---------------------------------------------------------

def test_each_step_trains_exactly_evaluate_of_candidates(tmp_path):
    result = search.run(sre(), journal=tmp_path / "s.db", fn=proxy_evaluate)
    trials = result.trials
    assert len(result.by_state("finished")) == 31 and not result.by_state("cached")
    assert [t.origin for t in trials[:6]] == ["random"] * 6 and all(t.notes is None for t in trials[:6])
    steps = steps_of(trials)
    assert sorted(steps) == [1, 2, 3, 4, 5]
    with Journal(tmp_path / "s.db") as log:   # trainings between one step's start and the next's
        dispatched = [e.trial for e in log.events() if e.kind == "trial_dispatched"]
    starts = [dispatched.index(steps[s][0].id) for s in sorted(steps)] + [len(dispatched)]
    assert [b - a for a, b in zip(starts, starts[1:])] == [5] * 5
    for number, members in steps.items():
        notes = [m.notes["surrogate"] for m in members]
        assert [n["rank"] for n in notes] == [1, 2, 3, 4, 5] and notes[0]["candidates"] == 10
        predictions = [n["prediction"] for n in notes]
        assert predictions == sorted(predictions, reverse=True)   # the best five of the ranking
        assert [b["arch"] for b in notes[0]["batch"]] == [m.arch for m in members[1:]]
        assert notes[0]["fit"] == 6 + 5 * (number - 1)            # refitted on every trained trial
    assert len({t.hash for t in trials}) == len(trials)          # no candidate repeats a known structure
    s = result.summary["surrogate"]
    assert (s["steps"], s["refits"], s["fallback"], s["predicted"]) == (5, 5, 0, 25)
    assert s["spearman"] is not None and -1 <= s["spearman"] <= 1


def test_plain_evolution_is_unchanged_and_journals_no_surrogate(tmp_path):
    plain = search.configure("fashion", strategy="re", evaluations=12, population=4, tournament=3, epochs=1)
    result = search.run(plain, journal=tmp_path / "p.db", fn=proxy_evaluate)
    assert all(t.notes is None for t in result.trials) and "surrogate" not in result.summary
    with Journal(tmp_path / "p.db") as log:
        assert not {"surrogate", "candidates", "evaluate", "proxies"} & set(log.config)
        assert all("notes" not in e.data for e in log.events() if e.kind == "trial_proposed")


def test_journals_without_the_new_fields_resume_and_a_surrogate_is_part_of_the_configuration():
    plain = SearchConfig(task="fashion", evaluations=20, population=4)
    stored = plain.to_json()                      # what journals held before surrogates existed
    assert not {"surrogate", "candidates", "evaluate", "proxies"} & set(stored)
    plain.check_resumes(stored, "old.db")
    assert SearchConfig.from_json(stored) == plain
    with pytest.raises(JournalError, match="surrogate: journal null"):
        SearchConfig(task="fashion", evaluations=20, population=4, surrogate="rf").check_resumes(stored, "old.db")


def test_too_few_trained_trials_fall_back_to_plain_evolution_and_say_so(tmp_path):
    seed = tmp_path / "tiny.arch"
    seed.write_text(TINY + "\n")
    result = search.run(sre(seed_arch=str(seed), evaluations=12, candidates=6, evaluate=3),
                        journal=tmp_path / "f.db", fn=proxy_evaluate)
    s = result.summary["surrogate"]
    assert s["fallback"] >= MIN_FIT - 1 and "fewer than" in s["note"] and s["steps"] >= 1
    first = min(t.id for t in result.trials if t.notes)
    trained_before = [t for t in result.trials if t.id < first and t.state == "finished"]
    assert len(trained_before) >= MIN_FIT


# --- validation ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("settings, message", [
    (dict(surrogate="svm"), "surrogate must be one of rf, gbr, knn"),
    (dict(surrogate="rf", strategy="rs"), "regularised evolution"),
    (dict(surrogate="rf", candidates=4, evaluate=5), "must not exceed candidates"),
    (dict(surrogate="rf", candidates=0), "candidates must be an integer >= 1"),
    (dict(surrogate="rf", evaluate=True), "evaluate must be an integer >= 1"),
    (dict(candidates=30), "choose among mutants for a surrogate"),
    (dict(proxies="grad_norm,bogus"), "unknown proxy name"),
    (dict(proxies=("snip", "snip")), "twice"),
])
def test_bad_settings_are_refused_with_a_clear_message(settings, message):
    base = dict(task="fashion", strategy="re", evaluations=20, population=4)
    with pytest.raises(SearchError, match=message):
        SearchConfig(**{**base, **settings})


def test_the_command_line_refuses_bad_surrogate_flags_and_writes_nothing(cli, tmp_path):
    db = tmp_path / "x.db"
    for flags, message in ((["--candidates", "3"], "--surrogate"), (["--surrogate", "rf", "--evaluate", "30"],
                                                                    "exceed"),
                           (["--proxies", "nope"], "unknown proxy")):
        code, _, err = cli("search", "--task", "fashion", "--journal", str(db), "--no-build", *flags)
        assert code == 1 and message in err and not db.exists()


def test_spearman_by_hand():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 25]) == pytest.approx(0.8)
    assert spearman([1, 2, 2, 3], [3, 2, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2], [1, 2]) is None and spearman([1, 1, 1], [1, 2, 3]) is None


# --- resumption ------------------------------------------------------------------------------------------

class Interrupt(KeyboardInterrupt):
    pass


def test_a_killed_run_resumes_mid_step_with_the_same_surrogate(tmp_path):
    calls = {"n": 0}

    def interrupting(job):   # dies during the third trial of step 2: three of its members still to come
        calls["n"] += 1
        if calls["n"] == 14:
            raise Interrupt
        return known(job)
    path = tmp_path / "r.db"
    with pytest.raises(Interrupt):
        search.run(sre(), journal=path, fn=interrupting)
    with Journal(path) as log:
        (pending,) = log.pending()
        assert pending.notes["surrogate"]["step"] == 2 and pending.notes["surrogate"]["rank"] == 3
    resumed = search.run(sre(), journal=path, fn=known)        # a fresh strategy rebuilt from the journal
    whole = search.run(sre(), journal=tmp_path / "u.db", fn=known)

    def view(run):
        return [(t.id, t.origin, t.parents, t.arch, t.score, t.notes) for t in run.trials]
    assert view(resumed) == view(whole)                          # same steps, rankings and predictions
    assert resumed.summary == whole.summary and resumed.summary["surrogate"]["refits"] == 5


# --- the surrogate ranks -------------------------------------------------------------------------------------

def test_the_surrogate_learns_a_score_that_is_a_function_of_the_features(tmp_path):
    """With the score a known function of the features, the surrogate's predictions of trials it had
    not seen correlate with their scores, and the children it picks score higher than plain
    evolution's at the same number of trained evaluations (two seeds; seeded, so repeatable)."""
    filtered, plain = [], []
    for seed in (0, 1):
        kw = dict(evaluations=40, population=10, tournament=5, seed=seed)
        f = search.run(sre(candidates=20, **kw), journal=tmp_path / f"f{seed}.db", fn=known)
        p = search.run(search.configure("fashion", strategy="re", epochs=1, **kw), journal=tmp_path / f"p{seed}.db",
                       fn=known)
        assert f.summary["surrogate"]["spearman"] > 0.4
        assert f.summary["surrogate"]["predicted"] == 30
        filtered += [t.score for t in f.trials if t.origin == "mutation" and t.state == "finished"]
        plain += [t.score for t in p.trials if t.origin == "mutation" and t.state == "finished"]   # trained
    assert len(filtered) == len(plain) == 60
    assert fmean(filtered) > fmean(plain) + 0.02


# --- zero-cost proxies in the journal ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    data.make_fixture("fashion", path, sizes=(120, 40, 40))
    return str(path)


def test_proxies_are_recorded_in_each_trials_evaluation_and_feed_the_surrogate(tmp_path, root):
    small = {"max_params": 20_000}
    cfg = search.configure("fashion", strategy="re", evaluations=7, population=3, tournament=2, epochs=1,
                           surrogate="rf", candidates=3, evaluate=2, proxies="params,grad_norm", limits=small)
    assert cfg.proxies == ("params", "grad_norm")
    result = search.run(cfg, journal=tmp_path / "z.db", fn=proxy_evaluate, root=root)
    assert result.summary["surrogate"]["steps"] >= 1
    for t in result.trials:
        measured = t.evaluation["proxies"]
        assert set(measured) == {"params", "grad_norm"} and measured["params"] == t.evaluation["params"]
        assert measured["grad_norm"] is None or math.isfinite(measured["grad_norm"])
        assert t.evaluation["proxy_seconds"] >= 0
    with Journal(tmp_path / "z.db") as log:
        assert log.config["proxies"] == ["params", "grad_norm"]


def test_the_command_line_runs_a_surrogate_search_on_real_training(cli, root, tmp_path):
    db = tmp_path / "c.db"
    code, out, err = cli("search", "--task", "fashion", "--root", root, "--strategy", "re", "--population", "3",
                         "-n", "7", "--surrogate", "rf", "--candidates", "4", "--evaluate", "2", "--epochs", "1",
                         "--batch-size", "32", "--max-params", "20000", "--journal", str(db), "--display", "none",
                         "--threads", "1", "--json")
    assert code == 0, err
    summary = json.loads(out)["summary"]["surrogate"]
    assert summary["model"] == "rf" and summary["steps"] == 1 and summary["evaluate"] == 2
    code, out, _ = cli("search", "--resume", str(db), "--display", "none")
    assert code == 0 and "surrogate rf: 1 steps of the best 2 of 4" in out
