"""The guides, the Makefile and the demo say what the code does (issue 10, item 7): dotted names
in the docs resolve, the critical p(M -> C) is described the way the analysis computes it, the
files the Makefile points at exist, and the demo's --help states its real defaults."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

from einspace import analysis

ROOT = Path(__file__).resolve().parents[1]
GUIDES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
DOTTED = re.compile(r"\beinspace(?:\.[A-Za-z_]\w*)+")
FROM_IMPORT = re.compile(r"^\s*from (einspace(?:\.\w+)*) import ([\w, ]+)", re.M)


def resolves(dotted: str) -> bool:
    """Whether ``a.b.c`` is a module, or an attribute chain below the longest importable module."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        name = ".".join(parts[:i])
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            obj = importlib.import_module(name)
            for attr in parts[i:]:
                if not hasattr(obj, attr):
                    return False
                obj = getattr(obj, attr)
            return True
    return False


def references(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    names = {m.group(0).rstrip(".") for m in DOTTED.finditer(text)}
    for module, imported in FROM_IMPORT.findall(text):
        names |= {f"{module}.{n.strip()}" for n in imported.split(",") if n.strip()}
    return sorted(n for n in names if not n.endswith((".md", ".py", ".lark", ".arch", ".json")))


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_every_dotted_name_in_the_guides_resolves(guide):
    assert [n for n in references(guide) if not resolves(n)] == []


def test_the_checker_catches_the_old_crossover_path():
    assert not resolves("einspace.crossover.crossover_step")
    assert resolves("einspace.variation.crossover.crossover_step")


def test_step_functions_are_named_by_their_full_path():
    # `crossover.crossover_step` read as einspace.crossover.crossover_step, which does not exist
    text = (ROOT / "docs" / "variation.md").read_text(encoding="utf-8")
    named = re.findall(r"`([\w.]+)\.(crossover_step|mutate_step)\b", text)
    assert named and all(prefix.startswith("einspace.") and resolves(f"{prefix}.{fn}") for prefix, fn in named)


def test_default_p_computation_is_just_above_critical_in_every_guide():
    critical = analysis.critical_p_computation()
    assert critical < 0.32 < critical + 0.02  # so "just above" is right
    assert analysis.expectation().consistent
    for name in ("sampling.md", "grammar-analysis.md"):
        text = " ".join((ROOT / "docs" / name).read_text(encoding="utf-8").split())
        assert "just below critical" not in text
        assert re.search(r"0\.32[^.]{0,40}just above", text), name


def test_makefile_points_at_files_that_exist():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    paths = set(re.findall(r"\b(?:tests|docs|examples)/[\w./-]+\.(?:md|py)\b", text))
    assert "tests/benchmarks/README.md" in paths
    assert sorted(p for p in paths if not (ROOT / p).exists()) == []


def test_benchmarks_readme_names_every_script():
    readme = (ROOT / "tests" / "benchmarks" / "README.md").read_text(encoding="utf-8")
    for script in (ROOT / "tests" / "benchmarks").glob("bench_*.py"):
        assert script.name in readme


def test_demo_help_states_the_real_defaults(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("einspace_demo", ROOT / "examples" / "demo.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    seen = {}
    monkeypatch.setattr(demo, "show_language", lambda: None)
    monkeypatch.setattr(demo, "search", lambda *args: seen.setdefault("args", args))
    assert demo.main([]) == 0
    with pytest.raises(SystemExit):
        demo.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    budget, epochs, train_limit, seed = seen["args"]
    for flag, value in (("--budget", budget), ("--epochs", epochs), ("--train-limit", train_limit), ("--seed", seed)):
        assert re.search(rf"{flag} \S+ [^-]*\(default {value}\)", text), flag
    assert f"[--budget {budget}]" in demo.__doc__
