"""``einspace.build`` without torch raises MissingDependency (an EinspaceError and an ImportError)
that says how to install torch; ``summary`` still works (issue 10, item 7)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
sys.modules["torch"] = None  # import torch now fails as if it were not installed
import einspace
print(einspace.summary("sequential(norm, relu)", "3x4x4").params)
try:
    einspace.build("sequential(norm, relu)", "3x4x4")
except einspace.EinspaceError as err:
    assert isinstance(err, ImportError) and err.name == "torch"
    print(type(err).__name__, err, sep=": ")
    sys.exit(3)
"""


def test_build_without_torch_raises_missing_dependency():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    first, second = done.stdout.splitlines()
    assert first == "6"  # summary needs no torch: norm over 3 channels has 6 parameters
    assert second.startswith("MissingDependency: ") and "pip install torch" in second and "GPU users" in second
