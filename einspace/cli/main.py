"""The ``einspace`` command line.

Each subcommand lives in its own module with ``register(subparsers)``; handlers return the exit
code: 0 success, 1 a negative answer (invalid architecture, not equivalent, missing data), 2 a
usage error. An EinspaceError a handler leaves unreported is printed as one message (exit 1). Heavy imports (torch) happen inside handlers, so ``einspace check`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from .. import __version__
from ..errors import EinspaceError, UsageError

#: subcommand modules, in the order ``--help`` lists them
COMMANDS = (
    "einspace.cli.check",
    "einspace.cli.show",
    "einspace.cli.build",
    "einspace.cli.sample",
    "einspace.cli.mutate",
    "einspace.cli.equiv",
    "einspace.cli.grammar",
    "einspace.cli.seeds",
    "einspace.cli.data",
    "einspace.cli.train",
    "einspace.cli.proxies",
    "einspace.cli.search",
    "einspace.cli.runs",
    "einspace.cli.draw",
)


def make_parser(commands: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser with every command, or only ``commands`` (module names): a run of one command
    imports that command's module alone, which keeps ``einspace check`` from importing the rest."""
    parser = argparse.ArgumentParser(
        prog="einspace",
        description="The einspace architecture language: check, print, build, sample and compare architectures.\n"
                    "ARCH is an architecture string, @path to a file holding one, seed:NAME for a built-in seed, "
                    "or - for standard input.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"einspace {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in commands or COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:  # a command not built yet in this checkout
                continue
            raise
        module.register(sub)
    return parser


def _chosen(argv: Sequence[str]) -> tuple[str, ...]:
    """The module of the command named first in ``argv``, if that is a command; else all."""
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is None or any(a in ("-h", "--help", "--version") for a in argv[:argv.index(first)]):
        return ()
    module = f"einspace.cli.{first}"
    return (module,) if module in COMMANDS else ()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = make_parser(_chosen(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as err:
        print(f"einspace {args.command}: {err}", file=sys.stderr)
        return 2
    except EinspaceError as err:  # bad input a handler did not report itself: a message, not a traceback
        print(f"einspace {args.command}: error: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
