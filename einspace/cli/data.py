"""``einspace data list | build NAME | info NAME``: the data subcommand of the command line.

``register(subparsers)`` adds it to the main parser; the handler returns the exit code
(0 ok, 1 failure such as missing data or an unobtainable source, 2 usage error).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..data.builders import RECIPES, SIZE_NAMES, build, get_recipe
from ..errors import DataError
from ..data.layout import default_root
from ..data.loaders import describe, task_directory
from ..data.tasks import get_task, tasks
from .common import count


def register(subparsers: Any) -> None:
    """Add the ``data`` subcommand to an argparse ``subparsers`` object."""
    parser = subparsers.add_parser(
        "data", help="list, build and inspect tasks (Unseen NAS layout)",
        description="Tasks in the Unseen NAS layout: <root>/<name>/{train,valid,test}_{x,y}.npy. "
                    f"Default root: $EINSPACE_DATA or {default_root()}.")
    parser.set_defaults(func=handler, data_command=None, _data_parser=parser)
    sub = parser.add_subparsers(dest="data_command", metavar="{list,build,info}")

    p_list = sub.add_parser("list", help="known tasks, and whether each can be built offline")
    p_list.add_argument("--json", action="store_true", help="one JSON object per task")
    p_list.add_argument("--root", help="data root (to show what is built there)")

    p_build = sub.add_parser("build", help="build a task offline from package sources")
    p_build.add_argument("name")
    p_build.add_argument("--root", help="data root (default: $EINSPACE_DATA or ~/.cache/einspace/data)")
    p_build.add_argument("--seed", type=count, default=0)
    p_build.add_argument("--size", choices=SIZE_NAMES, default="full",
                         help="full: the original's split sizes; small: 1/10; tiny: 1/100")
    p_build.add_argument("--force", action="store_true", help="rebuild even if up to date")
    p_build.add_argument("--json", action="store_true", help="print the info object when done")

    p_info = sub.add_parser("info", help="shapes, classes and split sizes of a task on disk")
    p_info.add_argument("name")
    p_info.add_argument("--root")
    p_info.add_argument("--json", action="store_true")
    p_info.add_argument("--verify", action="store_true",
                        help="also compare every file's sha256 with the one recorded at build time")


def root_problem(root: str | None) -> str:
    """Why ``--root`` cannot be a data root ('' if it can): it, or the nearest existing folder above
    it, must be a directory (a build creates the rest)."""
    if root is None:
        return ""
    if "\0" in root:
        return f"--root {root!r} holds a NUL byte"
    path = Path(root).expanduser()
    while not path.exists() and not path.is_symlink() and path != path.parent:
        path = path.parent
    if not path.is_dir():
        what = "is" if str(path) == str(Path(root).expanduser()) else f"is under {str(path)!r}, which is"
        return f"--root {root!r} {what} not a directory"
    return ""


#: printed names of info keys that are not the key with spaces
_LABELS = {"balance": "balance (as built)", "recipe_balance": "balance of the full-size recipe"}


def _print_info(info: dict[str, Any]) -> None:
    print(f"{info['name']}: input {info['input']} (stored {info['stored']}), "
          f"classes {info['classes']}, metric {info['metric']}")
    print("  splits: " + ", ".join(f"{k} {v}" for k, v in info["splits"].items()))
    for key in ("labels", "source", "licence", "split_method", "balance", "recipe_balance", "differences"):
        if key in info and not (key == "recipe_balance" and info[key] == info.get("balance")):
            value = ", ".join(info[key]) if isinstance(info[key], list) else info[key]
            print(f"  {_LABELS.get(key, key.replace('_', ' '))}: {value}")
    print(f"  directory: {info['directory']}")
    if "verified" in info:
        print(f"  verified: sha256 of {len(info['verified'])} files matches the build record"
              if info["verified"] else "  verified: no checksums recorded (original files)")


def _list(args: argparse.Namespace) -> int:
    for task in tasks():
        built = (default_root() if args.root is None else args.root)
        try:
            info = describe(task.name, args.root)
            state = "built" if info["classes"] == task.classes else f"built ({info['classes']} classes)"
        except DataError:   # nothing there, or something there that does not verify
            there = task_directory(task.name, args.root).is_dir()
            state = "damaged (rebuild with --force)" if there else "not built"
        row = {"name": task.name, "title": task.title, "family": task.family,
               "input": task.input, "classes": task.classes, "metric": task.hyper.metric,
               "builder": task.name in RECIPES, "loader": task.layout is not None,
               "state": state, "root": str(built)}
        if args.json:
            print(json.dumps(row))
        else:
            how = "offline builder" if row["builder"] else (
                "loader only" if row["loader"] else "no loader yet")
            classes = task.classes if task.classes is not None else f"dense {task.target}"
            print(f"{task.name:12} {task.family:7} {task.input:10} {str(classes):>16}  "
                  f"{how:15} {state}")
    return 0


def handler(args: argparse.Namespace) -> int:
    command = getattr(args, "data_command", None)
    if command is None:
        args._data_parser.print_help(sys.stderr)
        return 2
    problem = root_problem(args.root)
    if problem:
        print(f"einspace data: error: {problem}", file=sys.stderr)
        return 2
    try:
        if command == "list":
            return _list(args)
        get_task(args.name)   # unknown names are usage errors, reported before any work
        if command == "build":
            get_recipe(args.name)
    except DataError as err:
        print(f"einspace data: error: {err}", file=sys.stderr)
        return 2
    try:
        if command == "build":
            build(args.name, args.root, seed=args.seed, size=args.size, force=args.force)
            if args.json:
                print(json.dumps(describe(args.name, args.root)))
            return 0
        info = describe(args.name, args.root, verify=args.verify)
    except DataError as err:
        print(f"einspace data: error: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(info))
    else:
        _print_info(info)
    return 0
