"""The command line's help and notes stand on their own: a wheel ships no docs/ folder, so they
print what they mean instead of pointing at docs/ files (issue 10, item 7)."""

from __future__ import annotations

import argparse
import re

from einspace.cli.main import main, make_parser

#: a docs/ path is fine only where the text says where that file lives
BARE_DOCS = re.compile(r"docs/[\w-]+\.md(?! in the source repository)")


def _helps(parser: argparse.ArgumentParser) -> list[str]:
    out = [parser.format_help()]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                out += _helps(sub)
    return out


def test_no_help_text_points_at_a_docs_file():
    helps = _helps(make_parser())
    assert len(helps) > 10
    offenders = [m.group(0) for text in helps for m in BARE_DOCS.finditer(text)]
    assert offenders == []


def test_sample_help_prints_the_default_budget():
    text = next(h for h in _helps(make_parser()) if h.startswith("usage: einspace sample"))
    assert "(default 128)" in text and "(default 24)" in text and "(default 5,000,000)" in text


def test_equiv_note_names_the_box_it_checked(capsys):
    attn = "branching(2){clone(2), identity, identity, dot_product}"
    assert main(["equiv", attn, attn]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("type:"))
    assert "im: C ∈ 1…16, H ∈ 1…32, W ∈ 1…32" in line and "docs/" not in line
