"""Without Hypothesis, ``einspace.testing.strategies`` says how to install it (issue 10, item 7).

Hypothesis is hidden from a fresh interpreter (``sys.modules["hypothesis"] = None``), not uninstalled."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
sys.modules["hypothesis"] = None  # import hypothesis now fails as if it were not installed
import einspace
try:
    import einspace.testing.strategies
except einspace.EinspaceError as err:
    assert isinstance(err, ImportError) and err.name == "hypothesis", (type(err), err.name)
    print(type(err).__name__, err, sep=": ")
    sys.exit(3)
"""


def test_strategies_without_hypothesis_say_pip_install():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert done.stdout.startswith("MissingDependency: ")
    assert "pip install hypothesis" in done.stdout and "pip install 'einspace[test]'" in done.stdout


def test_strategies_with_hypothesis_import():
    from einspace.testing import strategies
    assert callable(strategies.architectures)
