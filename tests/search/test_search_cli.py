"""``einspace search`` and ``einspace runs`` in this process, training real tiny networks on a
synthetic fashion-shaped task: exit codes, JSON output, resume, final fidelity, refusals."""

from __future__ import annotations

import json

import pytest

from einspace import data
from einspace.search import Journal


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    data.make_fixture("fashion", path, sizes=(120, 40, 40))
    return str(path)


@pytest.fixture(scope="module")
def finished(root, tmp_path_factory):
    """A finished random search of 3 evaluations, run once for the module."""
    from einspace.cli.main import main
    journal = tmp_path_factory.mktemp("runs") / "rs.db"
    code = main(["search", "--task", "fashion", "--root", root, "--strategy", "rs", "-n", "3", "--epochs", "1",
                 "--batch-size", "32", "--journal", str(journal), "--display", "none", "--threads", "1"])
    assert code == 0
    return journal


def test_search_prints_its_summary_as_json(cli, root, tmp_path):
    journal = tmp_path / "j.db"
    code, out, err = cli("search", "--task", "fashion", "--root", root, "--strategy", "sample", "-n", "2",
                         "--epochs", "1", "--batch-size", "32", "--journal", str(journal), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["trials"]["finished"] == 2 and summary["strategy"] == "sample"
    assert summary["summary"]["figure"] == "mean" and 0 <= summary["summary"]["value"] <= 1


def test_runs_show_prints_one_object_per_trial(cli, finished):
    code, out, _ = cli("runs", "show", str(finished), "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3] and {r["status"] for r in rows} == {"finished"}
    for r in rows:
        assert r["origin"] == "random" and r["parents"] == [] and r["params"] > 0 and r["seconds"] > 0
        assert 0 <= r["score"] <= 1 and r["arch"]
    code, out, _ = cli("runs", "show", str(finished))
    assert code == 0 and out.splitlines()[0].split()[:3] == ["id", "status", "origin"] and len(out.splitlines()) == 4


def test_rerunning_or_resuming_a_finished_search_adds_nothing(cli, root, finished):
    before = Journal(finished).trials()
    code, out, err = cli("search", "--resume", str(finished), "--display", "none")
    assert code == 0, err and "budget" in out
    assert Journal(finished).trials() == before


def test_a_different_configuration_is_refused(cli, root, finished):
    code, _, err = cli("search", "--task", "fashion", "--root", root, "--strategy", "rs", "-n", "4", "--epochs", "1",
                       "--batch-size", "32", "--journal", str(finished), "--display", "none")
    assert code == 1 and "evaluations" in err and "different search configuration" in err


def test_runs_best_and_its_final_retraining(cli, root, finished):
    code, out, _ = cli("runs", "best", str(finished), "--json")
    best = json.loads(out)
    assert code == 0 and best["score"] == max(t.score for t in Journal(finished).trials())
    code, out, err = cli("runs", "best", str(finished), "--final", "--epochs", "1", "--root", root, "--json")
    assert code == 0, err
    final = json.loads(out)["final"]
    assert final["status"] == "ok" and final["score_split"] == "test" and final["fidelity"]["final"]
    assert Journal(finished).finals()[best["id"]]["score"] == final["score"]


@pytest.mark.parametrize("argv, message", [
    (["search", "--task", "fashion"], "--journal"),
    (["search", "--journal", "x.db"], "--task"),
    (["search", "--task", "nope", "--journal", "x.db"], "nope"),
    (["search", "--task", "fashion", "--journal", "x.db", "--population", "0"], "population"),
    (["search", "--task", "fashion", "--journal", "x.db", "--executor", "local", "--workers", "3"], "local"),
])
def test_usage_errors(cli, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(*argv, "--no-build")
    assert code in (1, 2) and message in err
    assert not (tmp_path / "x.db").exists()


def test_runs_show_refuses_a_file_that_is_not_a_journal(cli, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("hello")
    code, _, err = cli("runs", "show", str(junk))
    assert code == 1 and "junk.db" in err
    assert junk.read_text() == "hello"


def test_plain_display_prints_a_line_per_trial_on_standard_error(cli, root, tmp_path):
    code, out, err = cli("search", "--task", "fashion", "--root", root, "--strategy", "rs", "-n", "2", "--epochs", "1",
                         "--batch-size", "32", "--journal", str(tmp_path / "p.db"), "--display", "plain")
    assert code == 0
    lines = [line for line in err.splitlines() if line.startswith("[einspace search] trial")]
    assert len(lines) == 2 and "2/2 done" in lines[-1] and "best" in lines[-1]
    assert "budget of 2 evaluations reached" in out


def test_rich_display_draws_without_error(cli, root, tmp_path):
    code, _, err = cli("search", "--task", "fashion", "--root", root, "--strategy", "rs", "-n", "1", "--epochs", "1",
                       "--batch-size", "32", "--journal", str(tmp_path / "r.db"), "--display", "rich")
    assert code == 0 and "evaluations" in err
