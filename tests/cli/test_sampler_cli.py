"""``einspace sample``: text, JSON lines, statistics, budgets and exit codes."""

from __future__ import annotations

import json

import einspace
from einspace.cli.main import main


def test_json_lines_carry_the_check_fields(capsys):
    assert main(["sample", "--input", "3x28x28", "-n", "5", "--seed", "0", "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5
    for line in lines:
        row = json.loads(line)
        typed = einspace.infer(einspace.parse(row["arch"]), "3x28x28")
        assert row["valid"] is True and row["input"] == {"mode": "im", "shape": [3, 28, 28]}
        assert row["output"] == typed.output.to_json() and row["params"] == typed.params
        assert row["flops"] == typed.flops


def test_seed_reproduces_and_text_parses(capsys):
    main(["sample", "-i", "col:64x32", "-n", "3", "--seed", "9"])
    first = capsys.readouterr().out
    main(["sample", "-i", "col:64x32", "-n", "3", "--seed", "9"])
    assert capsys.readouterr().out == first
    for line in first.strip().splitlines():
        einspace.infer(einspace.parse(line), "col:64x32")


def test_budgets_and_output_shape(capsys):
    assert main(["sample", "-i", "3x28x28", "-n", "10", "--seed", "1", "--json", "--max-nodes", "30",
                 "--max-params", "5000", "--output-shape", "64x?x?", "--max-depth", "none"]) == 0
    for line in capsys.readouterr().out.strip().splitlines():
        row = json.loads(line)
        assert row["nodes"] <= 30 and row["params"] <= 5000 and row["output"]["shape"][0] == 64


def test_stats(capsys):
    assert main(["sample", "-i", "1x24x24", "-n", "40", "--seed", "2", "--stats", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n"] == 40 and data["stats"]["nodes"]["min"] >= 5
    assert sum(data["output_modes"].values()) == 40
    assert main(["sample", "-i", "1x24x24", "-n", "10", "--stats", "--p-computation", "0.8"]) == 0
    assert "terminals" in capsys.readouterr().out


def test_errors(capsys):
    assert main(["sample", "-i", "3x28x28", "-n", "0"]) == 2
    assert main(["sample", "-i", "col:3x28", "--output-shape", "5x1x1", "--max-nodes", "6", "--seed", "0"]) in (0, 1)
    assert main(["sample", "-i", "3x28x28", "--output-shape", "5x1x1", "--max-nodes", "6"]) == 1
    assert main(["sample", "-i", "3x28x28", "--p-computation", "2"]) == 2
    assert main(["sample", "-i", "nonsense"]) == 2
