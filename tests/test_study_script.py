"""``scripts/study.py`` end to end on a synthetic task: the grid's journals, the finals recorded in
them, a rerun that trains nothing again, and the report read back from the journals alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from einspace.data.fixtures import make_fixture
from einspace.search import Journal

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "study.py"
TINY = ["--tasks", "fashion", "--strategies", "rs,re-rn18", "--seeds", "0", "--evaluations", "3",
        "--population", "2", "--tournament", "2", "--epochs", "1", "--train-limit", "0", "--valid-limit", "0",
        "--batch-size", "20", "--final-epochs", "1", "--final-train-limit", "0", "--samples", "2",
        "--executor", "local", "--display", "none"]


def _study(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_study_runs_resumes_and_reports(tmp_path):
    make_fixture("fashion", tmp_path / "data", sizes=(40, 20, 20))
    out = tmp_path / "journals"
    args = ["run", *TINY, "--root", str(tmp_path / "data"), "--out", str(out)]
    first = _study(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    rs, rn18 = out / "fashion-rs-s0.db", out / "fashion-re-rn18-s0.db"
    with Journal(rs) as log:
        scored = sorted(t.id for t in log.trials() if t.score is not None)
        assert set(log.finals()) == {log.best().id, *scored[:2]}   # the best and the first 2 samples
    with Journal(rn18) as log:
        seed = next(t for t in log.trials() if t.origin == "seed" and not t.parents)
        assert set(log.finals()) == {log.best().id, seed.id}
        assert all(ev["fidelity"]["final"] for ev in log.finals().values())
    again = _study(*args, cwd=tmp_path)   # every cell done and every final recorded: nothing trains
    assert again.returncode == 0, again.stderr[-2000:]
    assert "final-fidelity trainings" not in again.stdout and again.stdout.count(": done (") == 2
    report = _study("report", "--out", str(out), "--img", str(tmp_path / "img"), cwd=tmp_path)
    assert report.returncode == 0, report.stderr[-2000:]
    for row in ("RN18", "random sampling", "random search", "RE(RN18)"):
        assert f"| fashion | {row} |" in report.stdout
    assert (tmp_path / "img" / "best-so-far-fashion.png").stat().st_size > 0
    assert (tmp_path / "img" / "best-fashion.png").stat().st_size > 0
    held = subprocess.run([sys.executable, str(ROOT / "scripts" / "surrogate_holdout.py"), "--out", str(out),
                           "--folds", "2"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=300)
    assert held.returncode == 0, held.stderr[-2000:]
    assert held.stdout.splitlines()[2].startswith("| fashion | ")   # a row per task, after the header


def test_report_without_journals_says_so(tmp_path):
    result = _study("report", "--out", str(tmp_path), "--img", str(tmp_path / "img"), cwd=tmp_path)
    assert result.returncode == 1 and "no study journal" in result.stdout
