"""The driver end to end on the local executor, with the proxy evaluator (instant, deterministic)
or a real tiny training: budget, ageing, de-duplication, failures and their cap, resumption after
an interruption, and refusal of journals that are not this run's."""

from __future__ import annotations

import sqlite3

import pytest

import einspace
from einspace import search
from einspace.errors import JournalError, SearchError
from einspace.search import Journal, configure
from einspace.testing.evaluations import proxy_evaluate
from einspace.training import Evaluation

FAST = dict(epochs=1)


def re_config(**kw):
    return configure("fashion", **{"strategy": "re", "evaluations": 12, "population": 4, "tournament": 3,
                                   **FAST, **kw})


def rows(path):
    """(id, state, origin, parents, arch, score) of every trial: what must repeat exactly."""
    with Journal(path) as log:
        return [(t.id, t.state, t.origin, t.parents, t.arch, t.score, t.seed) for t in log.trials()]


def test_regularised_evolution_runs_to_its_budget(tmp_path):
    path = tmp_path / "re.db"
    result = search.run(re_config(), journal=path, fn=proxy_evaluate)
    assert "budget" in result.reason
    finished = result.by_state("finished")
    assert len(finished) == 12 and not result.by_state("pending")
    origins = [t.origin for t in result.trials]
    assert origins[:4] == ["random"] * 4 and set(origins[4:]) <= {"mutation"}
    for t in result.trials[4:]:
        assert len(t.parents) == 1 and t.parents[0] < t.id
        einspace.infer(einspace.parse(t.arch), "1x28x28")
    with Journal(path) as log:
        pop = log.population()
        assert [t.id for t in pop] == [log.trial(i).id for i in log.completions()[-4:]]
        assert log.best().score == max(t.score for t in finished)
        assert log.finished_run is not None


def test_the_same_seed_gives_the_same_run_and_another_seed_another(tmp_path):
    search.run(re_config(), journal=tmp_path / "a.db", fn=proxy_evaluate)
    search.run(re_config(), journal=tmp_path / "b.db", fn=proxy_evaluate)
    search.run(re_config(seed=1), journal=tmp_path / "c.db", fn=proxy_evaluate)
    assert rows(tmp_path / "a.db") == rows(tmp_path / "b.db") != rows(tmp_path / "c.db")


def test_rerunning_a_finished_run_repeats_nothing(tmp_path):
    path = tmp_path / "x.db"
    search.run(re_config(), journal=path, fn=proxy_evaluate)
    before = rows(path)
    again = search.run(re_config(), journal=path, fn=proxy_evaluate)
    assert rows(path) == before and len(again.by_state("finished")) == 12
    resumed = search.run(journal=path, fn=proxy_evaluate)   # configuration read from the journal
    assert rows(path) == before and resumed.config == re_config()


def test_duplicates_reuse_the_earlier_result_unless_dedup_is_off(tmp_path):
    # two seeds written differently with one structure (sequential nesting is normalised away)
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("sequential(sequential(routing[im2col(4,4,0), linear(16), col2im], relu), identity)\n"
                     "sequential(routing[im2col(4,4,0), linear(16), col2im], sequential(relu, identity))\n")
    result = search.run(re_config(seed_arch=str(seeds)), journal=tmp_path / "d.db", fn=proxy_evaluate)
    first, second = result.trials[:2]
    assert first.arch != second.arch and first.hash == second.hash
    assert (first.state, second.state, second.cached_from, second.score) == ("finished", "cached", 1, first.score)
    assert len(result.by_state("finished")) == 12
    for t in result.by_state("cached"):
        source = result.trials[t.cached_from - 1]
        assert source.state == "finished" and source.hash == t.hash and t.score == source.score
    off = search.run(re_config(seed_arch=str(seeds), dedup=False), journal=tmp_path / "n.db", fn=proxy_evaluate)
    assert off.trials[1].state == "finished" and off.trials[1].origin == "seed"


def test_a_seed_is_trained_once_and_its_copies_fill_the_population(tmp_path):
    # --seed-arch takes seed names and files: the architecture goes in a seed file
    arch = tmp_path / "tiny.arch"
    arch.write_text("sequential(routing[im2col(4,4,0), linear(16), col2im], relu)\n")
    cfg = re_config(seed_arch=str(arch), dedup=False)
    result = search.run(cfg, journal=tmp_path / "s.db", fn=proxy_evaluate)
    first = result.trials[0]
    assert first.origin == "seed" and first.state == "finished" and first.parents == ()
    copies = result.trials[1:4]
    assert [t.state for t in copies] == ["cached"] * 3 and {t.cached_from for t in copies} == {first.id}
    assert len({t.id for t in result.trials}) == len(result.trials)
    assert len(result.by_state("finished")) == 12      # copies consume no training
    assert all(t.origin == "mutation" for t in result.trials[4:])


def failing(job):
    """A real Evaluation record with status nan for every third trial (a fake training)."""
    ev = Evaluation.from_json(proxy_evaluate(job))
    if job.trial % 3 == 0:
        ev = Evaluation.from_json({**ev.to_json(), "status": "nan", "score": None, "message": "fake divergence"})
    return ev.to_json()


def always_nan(job):
    return {**proxy_evaluate(job), "status": "nan", "score": None, "message": "fake divergence"}


def test_failed_evaluations_are_recorded_never_join_and_do_not_count(tmp_path):
    result = search.run(re_config(), journal=tmp_path / "f.db", fn=failing)
    failed = result.by_state("failed")
    assert failed and all(t.status == "nan" and t.score is None for t in failed)
    assert len(result.by_state("finished")) == 12
    with Journal(tmp_path / "f.db") as log:
        assert not {t.id for t in failed} & {t.id for t in log.population(100)}


def test_the_failure_cap_stops_the_run_and_a_larger_cap_resumes_it(tmp_path):
    path = tmp_path / "cap.db"
    with pytest.raises(SearchError, match="5 evaluations in a row failed"):
        search.run(re_config(max_failures=5), journal=path, fn=always_nan)
    assert [t.state for t in Journal(path).trials()] == ["failed"] * 5
    with pytest.raises(SearchError, match="7 evaluations in a row"):
        search.run(re_config(max_failures=7), journal=path, fn=always_nan)   # resume-free setting
    assert len(Journal(path).trials()) == 7


def test_architectures_over_the_size_limit_are_refused_before_dispatch(tmp_path):
    arch = tmp_path / "big.arch"
    arch.write_text("sequential(routing[im2col(4,4,0), linear(512), col2im], relu)\n")
    calls = []

    def counting(job):
        calls.append(job.trial)
        return proxy_evaluate(job)
    with pytest.raises(SearchError, match="every seed"):
        search.run(re_config(seed_arch=str(arch), max_params=1000), journal=tmp_path / "b.db", fn=counting)
    t = Journal(tmp_path / "b.db").trial(1)
    assert t.state == "failed" and t.status == "too_big" and t.worker == "driver" and calls == []


class Interrupt(KeyboardInterrupt):
    pass


def test_an_interrupted_trial_is_sent_again_as_it_was(tmp_path):
    path = tmp_path / "i.db"
    state = {"n": 0}

    def interrupting(job):
        state["n"] += 1
        if state["n"] == 6:
            raise Interrupt
        return proxy_evaluate(job)
    with pytest.raises(Interrupt):
        search.run(re_config(), journal=path, fn=interrupting)
    with Journal(path) as log:
        (pending,) = log.pending()
        assert pending.id == 6 and pending.attempts == 1
    search.run(re_config(), journal=path, fn=proxy_evaluate)
    search.run(re_config(), journal=tmp_path / "u.db", fn=proxy_evaluate)
    assert rows(path) == rows(tmp_path / "u.db")
    assert Journal(path).trial(6).attempts == 2


def test_a_journal_of_another_configuration_is_refused_untouched(tmp_path):
    path = tmp_path / "m.db"
    search.run(re_config(), journal=path, fn=proxy_evaluate)
    size = path.stat().st_size
    with pytest.raises(JournalError, match="different search configuration.*population"):
        search.run(re_config(population=5), journal=path, fn=proxy_evaluate)
    with pytest.raises(JournalError, match="tournament"):
        search.run(re_config(tournament=2), journal=path, fn=proxy_evaluate)
    assert path.stat().st_size == size
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(JournalError):
        search.run(re_config(), journal=junk, fn=proxy_evaluate)
    assert junk.read_bytes() == b"not a database at all" * 100
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table t(x)").connection.commit()
    with pytest.raises(JournalError):
        search.run(re_config(), journal=other, fn=proxy_evaluate)


def test_no_journal_to_resume_is_an_error(tmp_path):
    with pytest.raises(JournalError, match="no journal"):
        search.run(journal=tmp_path / "none.db")


def test_a_journal_of_another_grammar_or_a_newer_version_is_refused(tmp_path):
    from einspace.search.driver import journal_meta
    cfg = re_config()
    for name, meta in (("g.db", {**journal_meta(cfg), "grammar": "0" * 64}),
                       ("v.db", {**journal_meta(cfg), "version": "99.0.0"})):
        Journal.create(tmp_path / name, cfg.to_json(), meta).close()
        before = (tmp_path / name).read_bytes()
        with pytest.raises(JournalError, match="grammar" if name == "g.db" else "newer"):
            search.run(cfg, journal=tmp_path / name, fn=proxy_evaluate)
        assert (tmp_path / name).read_bytes() == before
