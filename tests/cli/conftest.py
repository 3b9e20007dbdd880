"""Fixtures of the command-line tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def run(capsys):
    """The CLI in this process; an argparse refusal (SystemExit) gives its exit code too:
    ``code, out, err = run("check", ARCH, "-i", "3x8x8")``."""
    from einspace.cli.main import main

    def call(*argv: str) -> tuple[int, str, str]:
        try:
            code = main(list(argv))
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 2
        out, err = capsys.readouterr()
        return code, out, err
    return call
