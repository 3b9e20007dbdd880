"""``einspace train``: JSON and human output, exit codes, --final, --save, usage errors."""

from __future__ import annotations

import argparse
import json

import pytest

from einspace import data
from einspace.cli.train import register
from einspace.training import Evaluation

TINY = "sequential(routing[im2col(4,4,0), linear(16), col2im], relu)"


def run(argv):
    parser = argparse.ArgumentParser(prog="einspace")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    data.make_fixture("addnist", path, sizes=(120, 40, 20))
    return str(path)


def base(root, *extra):
    return ["train", TINY, "--task", "addnist", "--root", root, "--epochs", "1", "--batch-size", "20", *extra]


def test_json_is_the_evaluation_and_repeats(capsys, root):
    assert run(base(root, "--json")) == 0
    captured = capsys.readouterr()
    ev = Evaluation.loads(captured.out)
    assert ev.status == "ok" and ev.fidelity.epochs == 1 and ev.recipe.batch_size == 20
    assert captured.err == ""          # no progress bar with --json
    assert run(base(root, "--json")) == 0
    assert Evaluation.loads(capsys.readouterr().out).score == ev.score


def test_final_and_limits(capsys, root):
    assert run(base(root, "--json", "--final", "--train-limit", "100", "--valid-limit", "10", "--best")) == 0
    ev = Evaluation.loads(capsys.readouterr().out)
    assert ev.score_split == "test" and ev.train_samples == 100 and ev.score_samples == 10
    assert ev.recipe.score == "best" and ev.fidelity.final


def test_human_output_and_save(capsys, root, tmp_path):
    assert run(base(root, "--save", str(tmp_path / "run"))) == 0
    out = capsys.readouterr().out
    assert "status: ok" in out and "chance 5.00%" in out and "saved:" in out
    assert (tmp_path / "run" / "weights.safetensors").exists()


def test_failure_statuses_exit_1(capsys, root):
    assert run(base(root, "--json", "--max-params", "1")) == 1
    assert json.loads(capsys.readouterr().out)["status"] == "too_big"
    assert run(base(root, "--json", "--lr", "1e8", "--batch-size", "10")) == 1
    assert json.loads(capsys.readouterr().out)["status"] == "nan"


def test_bad_input(capsys, root):
    from einspace.errors import UsageError
    with pytest.raises(UsageError):
        run(["train", TINY, "--task", "nonsense", "--root", root])
    with pytest.raises(UsageError):
        run(base(root, "--epochs", "0"))
    assert run(["train", "sequential(", "--task", "addnist", "--root", root, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["valid"] is False
    assert run(["train", "routing[identity, linear(64), col2im]", "--task", "addnist", "--root", root]) == 1
    assert run(["train", TINY, "--task", "language", "--root", root, "--no-build"]) == 1
    assert "einspace data build language" in capsys.readouterr().err


def test_main_lists_the_command(capsys):
    from einspace.cli.main import main
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "--train-limit" in capsys.readouterr().out
