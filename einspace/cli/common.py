"""Shared pieces of the subcommands: reading ARCH arguments and input types, printing JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ..errors import ParseError, UsageError
from ..types.tensor import InputTypeError, TensorType, as_type
from .reading import MAX_INPUT_BYTES, decode_text, read_stdin, read_text_file


ARCH_HELP = "architecture: a string, @path to a file, seed:NAME for a built-in seed, or - for stdin"


def read_arch_text(arg: str) -> str:
    """The text an ARCH argument stands for (UsageError for what cannot be read as architecture text)."""
    if arg == "-":
        return decode_text(read_stdin(), "standard input")
    if arg.startswith("@"):
        return read_text_file(arg[1:])
    if arg.startswith("seed:"):
        try:
            from .. import seeds
        except ModuleNotFoundError:
            raise UsageError("seeds are not available in this installation") from None
        name = arg[5:]
        try:
            return seeds.text(name)
        except KeyError:
            raise UsageError(f"unknown seed {name!r}; known seeds: {', '.join(seeds.names())}") from None
    return arg


def read_arch(arg: str, grammar: Any = None):
    """Parse an ARCH argument; ParseError propagates for the caller to report (exit 1), a bad
    grammar file or unreadable ARCH is a UsageError (exit 2)."""
    from ..language.parser import parse
    g = grammar_arg(grammar)
    return parse(read_arch_text(arg), grammar=g)


def limit(text: str) -> int | None:
    """An argparse type: a non-negative integer (``_`` allowed), or ``none``/``off``/``inf`` for no limit."""
    if text.strip().lower() in ("none", "off", "inf"):
        return None
    return count(text)


def _at_least(text: str, least: int, what: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
    return value


def count(text: str) -> int:
    """An argparse type: a non-negative integer (exit 2 with a message otherwise)."""
    return _at_least(text, 0, "a non-negative integer")


def positive(text: str) -> int:
    """An argparse type: an integer >= 1 (exit 2 with a message otherwise)."""
    return _at_least(text, 1, "a positive integer")


def probability(text: str) -> float:
    """An argparse type: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a probability in [0, 1], got {text!r}") from None
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise argparse.ArgumentTypeError(f"expected a probability in [0, 1], got {text}")
    return value


def input_type(text: str | None) -> TensorType | None:
    if text is None:
        return None
    try:
        return as_type(text)
    except InputTypeError as err:
        raise UsageError(str(err)) from None


def emit_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, separators=(", ", ": "))
    sys.stdout.write("\n")


def report_parse_error(err: ParseError, as_json: bool, code: int = 1) -> int:
    """Print a syntax error (as JSON when ``as_json``); returns ``code``, the exit code."""
    if as_json:
        emit_json({"valid": False, "errors": [err.to_json()]})
    else:
        print(f"syntax error: {err}", file=sys.stderr)
    return code


def require_torch() -> None:
    """Import torch, or raise a UsageError (exit 2) that says how to install it."""
    from ..interpreter import TORCH_HINT
    try:
        import torch  # noqa: F401
    except ModuleNotFoundError as err:
        if err.name is None or err.name.split(".")[0] != "torch":
            raise  # torch is there but one of its own dependencies is broken: show that
        raise UsageError(TORCH_HINT) from None


def grammar_arg(path: Any) -> Any:
    """The grammar a ``--grammar FILE`` names, loaded (None: the packaged one); a file that cannot be
    used is a UsageError (exit 2) with the GrammarError's message."""
    if path is None or not isinstance(path, str):
        return path
    from ..errors import GrammarError
    from ..language.grammar import load_grammar
    try:
        size = os.stat(path).st_size
    except (OSError, ValueError):
        size = 0  # load_grammar names the problem
    if size > MAX_INPUT_BYTES:
        raise UsageError(f"grammar file {path!r} is over {MAX_INPUT_BYTES // 2**20} MiB")
    try:
        return load_grammar(path)
    except GrammarError as err:
        raise UsageError(f"--grammar: {err}") from None


def add_grammar_option(p) -> None:
    p.add_argument("--grammar", metavar="FILE", help="grammar file (default: the packaged einspace.lark)")


def read_and_infer(arch: str, t: TensorType, grammar: Any, as_json: bool):
    """Parse ARCH and evaluate it at ``t``: ``(tree, typed)``, or the exit code 1 after reporting
    the syntax or type errors (as JSON when ``as_json``)."""
    from ..errors import TypeCheckError
    from ..types.evaluator import infer
    try:
        tree = read_arch(arch, grammar)
    except ParseError as err:
        return report_parse_error(err, as_json)
    try:
        return tree, infer(tree, t)
    except TypeCheckError as err:
        return report_type_error(err, as_json)


def report_type_error(err: Any, as_json: bool) -> int:
    """Print a TypeCheckError's violations (or one JSON object); the exit code 1."""
    if as_json:
        emit_json({"valid": False, "errors": err.to_json()})
    else:
        for v in err.violations:
            print(f"type error {v}", file=sys.stderr)
    return 1


def ensure_data(task: str, root: str | None, allowed: bool, command: str) -> None:
    """Build a task that has an offline builder and is not on disk yet (the data command's job)."""
    from ..data.builders import RECIPES, build
    from ..data.loaders import task_directory
    if not allowed or task not in RECIPES or task_directory(task, root).is_dir():
        return
    print(f"einspace {command}: task {task!r} is not built yet; building it offline first "
          f"(`einspace data build {task}`)", file=sys.stderr)
    build(task, root)


#: the training settings both ``train`` and ``search`` take, as recipe / fidelity field names
TRAINING_OPTIONS = ("epochs", "train_limit", "valid_limit", "time_limit", "device", "lr", "batch_size",
                    "weight_decay", "recalibrate", "max_params", "max_memory")


def add_training_options(p: Any) -> None:
    """The training settings of ``TRAINING_OPTIONS`` on parser (or group) ``p``; unset ones are None,
    so the task's defaults apply."""
    p.add_argument("--epochs", type=int, metavar="N", help="epochs (default: the task's, 8; 64 when final)")
    p.add_argument("--train-limit", type=int, metavar="N", help="train on a class-balanced subset of N samples")
    p.add_argument("--valid-limit", type=int, metavar="N", help="score a class-balanced subset of N samples")
    p.add_argument("--time-limit", type=float, metavar="S", help="stop with status timeout after S seconds")
    p.add_argument("--device", metavar="D", help="cpu, cuda, cuda:N or mps (default: cuda when available)")
    p.add_argument("--lr", type=float, metavar="X", help="learning rate (default: the task's)")
    p.add_argument("--batch-size", type=int, metavar="N", help="batch size (default: the task's)")
    p.add_argument("--weight-decay", type=float, metavar="X", help="weight decay (default: the task's)")
    p.add_argument("--recalibrate", choices=("auto", "always", "never"),
                   help="recompute batch-norm statistics from training batches before scoring: auto (default) "
                        "only after too few steps for the running averages to forget their initial values")
    p.add_argument("--max-params", type=int, metavar="N", help="status too_big, never built, above N parameters")
    p.add_argument("--max-memory", type=int, metavar="N",
                   help="status too_big, never built, above N activation elements per sample")


def given_options(args: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The options among ``names`` the user set (not None), by field name."""
    return {n: getattr(args, n) for n in names if getattr(args, n) is not None}
