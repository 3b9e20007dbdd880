"""``data info`` reports the class balance of what was built, not of the full-size recipe (issue 10, item 7)."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from einspace import data
from einspace.cli.data import register
from einspace.data import builders
from einspace.data.builders.base import Built, Recipe
from einspace.data.splits import balance_text, balanced_labels
from einspace.errors import DataError

FULL = (10_000, 2_000, 2_000)  # 1,000/200/200 per class over 10 classes; tiny: 10/2/2
RECIPE_BALANCE = "exactly balanced: 1,000/200/200 per class"


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="einspace")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def _toy(ctx) -> Built:
    r = ctx.rng("toy")
    return Built({name: (r.integers(0, 255, size=(n, 1, 24, 24)).astype(np.uint8), balanced_labels(n, 10, r))
                  for name, n in zip(("train", "valid", "test"), ctx.sizes)}, tuple("abcdefghij"))


@pytest.fixture
def tiny_build(tmp_path, monkeypatch):
    monkeypatch.setitem(builders.RECIPES, "language",
                        Recipe("language", _toy, FULL, "toy", "toy", "toy", RECIPE_BALANCE, "toy", ()))
    assert run(["data", "build", "language", "--root", str(tmp_path), "--size", "tiny"]) == 0
    return tmp_path


def test_info_prints_the_balance_of_the_tiny_build(tiny_build, capsys):
    capsys.readouterr()
    assert run(["data", "info", "language", "--root", str(tiny_build)]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.strip().startswith("balance (as built):"))
    assert "exactly balanced: 10/2/2 per class (train/valid/test)" in line and "1,000" not in line
    assert "balance of the full-size recipe: " + RECIPE_BALANCE in out


def test_info_json_balance_is_measured(tiny_build, capsys):
    capsys.readouterr()
    assert run(["data", "info", "language", "--root", str(tiny_build), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["splits"] == {"train": 100, "valid": 20, "test": 20}
    assert info["balance"] == "exactly balanced: 10/2/2 per class (train/valid/test)"
    assert info["recipe_balance"] == RECIPE_BALANCE


def test_fixture_without_a_recipe_text_gets_a_measured_balance(tmp_path):
    data.make_fixture("addnist", tmp_path, sizes=(41, 20, 20))
    assert data.describe("addnist", tmp_path)["balance"] == (
        "balanced within one: 2–3/1/1 per class (train/valid/test)")


def test_balance_text():
    assert balance_text({"train": [3, 3], "test": [1, 1]}) == "exactly balanced: 3/1 per class (train/test)"
    assert balance_text({"train": [1, 9]}) == "not balanced: 1–9 per class (train)"
    with pytest.raises(DataError):
        balance_text({})
