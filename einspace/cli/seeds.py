"""``einspace seeds [list] [--input TYPE]`` and ``einspace seeds show NAME``: the built-in seed architectures."""

from __future__ import annotations

import sys

from ..errors import TypeCheckError
from ..types.evaluator import infer
from .common import emit_json, input_type

DEFAULT_INPUT = "3x64x64"


def register(sub) -> None:
    p = sub.add_parser("seeds", help="list the seed architectures or print one",
                       description="List the built-in seed architectures (ResNet18, WRN16-4, ViT, MLP-Mixer, ...) "
                                   "with their parameter counts at --input, or print one with `seeds show NAME`. "
                                   "Use a seed anywhere an ARCH is expected as seed:NAME.")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    ls = actions.add_parser("list", help="list the seeds (the default)")
    _list_options(ls)
    show = actions.add_parser("show", help="print a seed's text")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--style", "-s", choices=("text", "canonical", "compact", "brackets", "tree"), default="text",
                      help="text: the seed file with its let definitions (default); or a printer style")
    show.add_argument("--input", "-i", metavar="TYPE", help="input type for --style tree (default: the seed's own)")
    show.set_defaults(func=run_show)
    _list_options(p)
    p.set_defaults(func=run_list)


def _list_options(p) -> None:
    p.add_argument("--input", "-i", default=DEFAULT_INPUT, metavar="TYPE",
                   help=f"input type at which to count parameters (default {DEFAULT_INPUT})")
    p.add_argument("--json", action="store_true", help="one JSON object per seed")
    p.set_defaults(func=run_list)


def run_list(args) -> int:
    from .. import seeds
    t = input_type(args.input)
    rows = []
    for name in seeds.names():
        info = seeds.info(name)
        row = {"name": name, "input": t.spec(), "valid": True, "params": None, "output": None,
               "meant_for": info.input, "description": info.description}
        try:
            typed = infer(seeds.load(name), t)
            row["params"], row["output"] = typed.params, typed.output.to_json()
        except TypeCheckError as err:
            row["valid"], row["error"] = False, err.violations[0].rule
        rows.append(row)
    if args.json:
        for row in rows:
            emit_json(row)
        return 0
    print(f"seeds at input {t}:")
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        if r["valid"]:
            out = f"{infer(seeds.load(r['name']), t).output}"
            print(f"  {r['name']:<{width}}  {r['params']:>12,}  → {out}")
        else:
            print(f"  {r['name']:<{width}}  {'—':>12}  (not valid here: {r['error']}; meant for {r['meant_for']})")
    return 0


def run_show(args) -> int:
    from .. import seeds
    from ..errors import UsageError
    try:
        text = seeds.text(args.name)
    except KeyError:
        raise UsageError(f"unknown seed {args.name!r}; known seeds: {', '.join(seeds.names())}") from None
    if args.style == "text":
        print(text, end="" if text.endswith("\n") else "\n")
        return 0
    from ..types.display import to_string
    tree = seeds.load(args.name)
    if args.style == "tree":
        meant = seeds.info(args.name).input
        t = input_type(args.input or meant)
        try:
            print(to_string(tree, "tree", input=t))
        except TypeCheckError as err:
            return _report_type_error(err, args.name, meant)
    else:
        print(to_string(tree, args.style))
    return 0


def _report_type_error(err: TypeCheckError, name: str, meant: str) -> int:
    """A seed that does not type-check at the given input: a negative answer (exit 1), as in ``show``."""
    for v in err.violations:
        print(f"type error {v}", file=sys.stderr)
    print(f"seed {name} does not fit this input; it is meant for --input {meant}", file=sys.stderr)
    return 1
