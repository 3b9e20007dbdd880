"""The ``data`` subcommand, driven through its own ``register`` on a bare argparse parser."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from einspace import data
from einspace.data import builders
from einspace.data.builders.base import Built, Recipe
from einspace.cli.data import register
from einspace.data.splits import balanced_labels


def run(argv):
    parser = argparse.ArgumentParser(prog="einspace")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_list(capsys, tmp_path):
    data.make_fixture("addnist", tmp_path)
    assert run(["data", "list", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "addnist" in out and "chesseract" in out and "ninapro" in out
    assert run(["data", "list", "--json", "--root", str(tmp_path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by = {r["name"]: r for r in rows}
    assert by["addnist"]["state"] == "built" and by["addnist"]["builder"]
    assert by["isabella"]["state"] == "not built" and not by["isabella"]["builder"]


def test_info_json_is_the_design_object(capsys, tmp_path):
    data.make_fixture("addnist", tmp_path, sizes=(40, 20, 20))
    assert run(["data", "info", "addnist", "--root", str(tmp_path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["name"] == "addnist" and info["input"] == "3x28x28" and info["classes"] == 20
    assert info["splits"] == {"train": 40, "valid": 20, "test": 20}
    assert info["source"] == "synthetic fixture"
    assert run(["data", "info", "addnist", "--root", str(tmp_path)]) == 0
    assert "input 3x28x28" in capsys.readouterr().out


def test_exit_codes(capsys, tmp_path):
    assert run(["data", "info", "language", "--root", str(tmp_path)]) == 1
    assert "einspace data build language" in capsys.readouterr().err
    assert run(["data", "info", "nonsense", "--root", str(tmp_path)]) == 2
    assert run(["data", "build", "cifar100", "--root", str(tmp_path)]) == 2
    assert run(["data"]) == 2
    with pytest.raises(SystemExit):
        run(["data", "build", "addnist", "--size", "huge"])


def _toy(ctx):
    r = ctx.rng("toy")
    out = {}
    for name, n in zip(("train", "valid", "test"), ctx.sizes):
        out[name] = (r.integers(0, 255, size=(n, 1, 24, 24)).astype(np.uint8),
                     balanced_labels(n, 10, r))
    return Built(out, tuple("abcdefghij"))


def test_build_then_info(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(builders.RECIPES, "language",
                        Recipe("language", _toy, (500, 100, 100), "toy", "toy", "toy", "toy",
                               "toy", ()))
    assert run(["data", "build", "language", "--root", str(tmp_path), "--size", "tiny",
                "--seed", "3", "--json"]) == 0
    captured = capsys.readouterr()
    info = json.loads(captured.out)
    assert info["splits"] == {"train": 5, "valid": 1, "test": 1} and info["seed"] == 3
    assert "language: done" in captured.err
