"""``einspace build`` without torch says how to install it and exits 2 (issue 10, item 7).

torch is hidden from a fresh interpreter by a meta path finder, not uninstalled."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HIDE_TORCH = """
import sys

class HideTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, HideTorch())
from einspace.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def run_without_torch(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", HIDE_TORCH, *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_build_without_torch_says_pip_install_torch():
    done = run_without_torch("build", "sequential(norm, relu)", "--input", "3x8x8")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "pip install torch" in done.stderr and "GPU users" in done.stderr and "README" in done.stderr


def test_commands_without_torch_still_work():
    done = run_without_torch("check", "sequential(norm, relu)", "--input", "3x8x8")
    assert done.returncode == 0, done.stderr
    # an invalid architecture is reported before torch is needed
    done = run_without_torch("build", "routing[identity, linear(4), col2im]", "--input", "col:4x4")
    assert done.returncode == 1 and "col2im" in done.stderr
