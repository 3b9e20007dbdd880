"""``scripts/learning_study.py`` end to end on a synthetic task: a fitted grammar written from the
random-search journal and used by the fitted cells, the surrogate cell, finals for the RE cells
only, and the report's rows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from einspace.data.fixtures import make_fixture
from einspace.search import Journal

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--seeds", "0", "--evaluations", "3", "--population", "2", "--tournament", "2", "--epochs", "1",
        "--train-limit", "0", "--valid-limit", "0", "--batch-size", "20", "--final-epochs", "1",
        "--final-train-limit", "0", "--executor", "local", "--display", "none"]


def _script(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(ROOT / "scripts" / name), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_learning_cells_fit_search_and_report(tmp_path):
    make_fixture("fashion", tmp_path / "data", sizes=(40, 20, 20))
    out, data = tmp_path / "journals", str(tmp_path / "data")
    rs = _script("study.py", "run", "--tasks", "fashion", "--strategies", "rs,re-scratch", *TINY,
                 "--root", data, "--out", str(out), cwd=tmp_path)
    assert rs.returncode == 0, rs.stderr[-2000:]
    cells = "fashion-re-fitted-s0,fashion-rs-fitted-fashion-s0,fashion-re-surrogate-s0"
    run = _script("learning_study.py", "run", "--cells", cells, "--candidates", "4", "--evaluate", "1",
                  *TINY, "--root", data, "--out", str(out), cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    grammar = out / "grammars" / "fashion-rs-s0-top20.lark"
    assert "fitted from:" in grammar.read_text()
    for cell in ("fashion-re-fitted-s0", "fashion-rs-fitted-fashion-s0"):
        with Journal(out / f"{cell}.db") as log:
            assert Path(log.config["grammar"]).resolve() == grammar.resolve()
    with Journal(out / "fashion-re-surrogate-s0.db") as log:
        assert log.config["surrogate"] == "rf"
        assert set(log.finals()) == {log.best().id}
    with Journal(out / "fashion-rs-fitted-fashion-s0.db") as log:
        assert log.finals() == {}   # random samples are compared at search fidelity: no final
    report = _script("learning_study.py", "report", "--out", str(out), cwd=tmp_path)
    assert report.returncode == 0, report.stderr[-2000:]
    assert "| fashion-re-fitted-s0 | fashion-re-scratch-s0 |" in report.stdout
    assert "| fashion-re-surrogate-s0 | fashion-re-scratch-s0 |" in report.stdout
    assert "| fashion-rs-fitted-fashion-s0 | 3 / 3 |" in report.stdout


def test_unreadable_cell_name_is_refused(tmp_path):
    bad = _script("learning_study.py", "run", "--cells", "fashion-bogus-s0", cwd=tmp_path)
    assert bad.returncode != 0 and "cannot read the cell name" in bad.stderr
