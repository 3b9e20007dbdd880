"""Declared dependencies that the package does not import yet say why they are kept (issue 10, item 7)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported_anywhere(module: str) -> bool:
    pattern = re.compile(rf"^\s*(?:import|from)\s+{module}\b", re.M)
    return any(pattern.search(p.read_text(encoding="utf-8")) for p in (ROOT / "einspace").rglob("*.py"))


def test_networkx_is_kept_with_a_reason():
    lines = (ROOT / "pyproject.toml").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith('"networkx'))
    if _imported_anywhere("networkx"):
        return  # used: nothing to explain
    comment = " ".join(line.strip() for line in lines[max(0, at - 3):at] if line.strip().startswith("#"))
    assert "networkx" in comment and "picture" in comment
