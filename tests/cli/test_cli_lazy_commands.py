"""A run of one command imports that command's module only (issue 15: cold start of ``einspace check``);
``--help`` and unknown names still see every command."""

from __future__ import annotations

import subprocess
import sys

from einspace.cli.main import COMMANDS, _chosen

PROBE = ("import sys; from einspace.cli.main import COMMANDS, main; code = main(sys.argv[1:]); "
         "print(sorted(m for m in sys.modules if m in COMMANDS), 'numpy' in sys.modules); sys.exit(code)")


def test_check_imports_no_other_command():
    out = subprocess.run([sys.executable, "-c", PROBE, "check", "computation<relu>", "-i", "3x8x8"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "['einspace.cli.check'] False"


def test_the_command_is_chosen_by_its_name():
    assert _chosen(["check", "x"]) == ("einspace.cli.check",)
    assert _chosen(["grammar", "fit", "j.db"]) == ("einspace.cli.grammar",)
    for argv in ([], ["--help"], ["-h", "check"], ["--version"], ["nosuch", "x"]):
        assert _chosen(argv) == ()
    assert all(_chosen([name.rsplit(".", 1)[1]]) == (name,) for name in COMMANDS)
