"""``einspace show ARCH [--style ...] [--input TYPE]``: print an architecture in another notation."""

from __future__ import annotations

import sys

from ..errors import ParseError, TypeCheckError
from ..language.printer import STYLES
from ..types.display import to_string
from .common import ARCH_HELP, add_grammar_option, input_type, positive, read_arch, report_parse_error


def register(sub) -> None:
    p = sub.add_parser("show", help="print an architecture (canonical, compact, brackets or tree)",
                       description="Parse ARCH and print it. With --input, the tree style shows every node's "
                                   "input → output type and parameter count.")
    p.add_argument("arch", metavar="ARCH", help=ARCH_HELP)
    p.add_argument("--style", "-s", choices=STYLES, default="canonical", help="notation (default: canonical)")
    p.add_argument("--input", "-i", metavar="TYPE", help="input type for --style tree, e.g. 3x28x28")
    p.add_argument("--width", type=positive, default=80, help="line width of the compact style (default 80)")
    add_grammar_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    t = input_type(args.input)
    try:
        tree = read_arch(args.arch, args.grammar)
    except ParseError as err:
        return report_parse_error(err, False)
    try:
        print(to_string(tree, args.style, input=t if args.style == "tree" else None, width=args.width))
    except TypeCheckError as err:
        for v in err.violations:
            print(f"type error {v}", file=sys.stderr)
        return 1
    return 0
