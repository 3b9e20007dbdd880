"""``einspace draw ARCH [--input T] [--kind tree|graph] [--types] [--expand] -o FILE``: a picture."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import ParseError, UsageError
from .common import ARCH_HELP, add_grammar_option, input_type, read_and_infer, read_arch, report_parse_error

#: file suffixes matplotlib writes, and the Graphviz text
FORMATS = (".png", ".svg", ".pdf", ".dot")
#: PNG size cap: keeps a huge network's picture under matplotlib's pixel limit
MAX_PIXELS = 30000


def register(sub) -> None:
    p = sub.add_parser("draw", help="draw the derivation tree or the data-flow graph to a file",
                       description="Draw ARCH as its derivation tree (--kind tree, the default) or as the data-flow "
                                   "graph of the network (--kind graph, needs --input). Colours: non-terminals grey, "
                                   "branching yellow, aggregation purple, routing green, computation blue, input "
                                   "black, output red. The format follows the suffix of -o: .png, .svg, .pdf, or "
                                   ".dot (Graphviz text). With --input the architecture is type-checked first and "
                                   "errors are reported as `einspace check` does (exit 1).")
    p.add_argument("arch", metavar="ARCH", help=ARCH_HELP)
    p.add_argument("--input", "-i", metavar="TYPE",
                   help="input type, e.g. 3x32x32 or col:64x512 (required for --kind graph; for a tree, "
                        "leaves then show their output types)")
    p.add_argument("--kind", "-k", choices=("tree", "graph"), default="tree", help="picture (default: tree)")
    p.add_argument("--types", action="store_true", help="graph: label the edges with their tensor types")
    p.add_argument("--expand", action="store_true",
                   help="graph: draw every copy of a 4/8-way branching instead of one marked ×b")
    p.add_argument("--dpi", type=int, default=100, help="resolution of a .png (default 100)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write: .png, .svg, .pdf or .dot")
    add_grammar_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    out = Path(args.output)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"cannot tell the format of {args.output!r}: use a name ending in {', '.join(FORMATS)}")
    if args.kind == "graph" and args.input is None:
        raise UsageError("--kind graph needs --input TYPE (the data flow depends on the input type)")
    if args.dpi <= 0:
        raise UsageError(f"--dpi must be a positive integer, got {args.dpi}")
    t = input_type(args.input)
    if t is None:
        try:
            tree = read_arch(args.arch, args.grammar)
        except ParseError as err:
            return report_parse_error(err, False)
    else:
        result = read_and_infer(args.arch, t, args.grammar, False)
        if isinstance(result, int):
            return result
        tree = result[0]
    if suffix == ".dot":
        from ..viz.dot import to_dot
        _write(out, lambda: out.write_text(to_dot(tree, t, args.kind, expand=args.expand), encoding="utf-8"))
    else:
        fig = _figure(tree, t, args)
        width, height = fig.get_size_inches()
        dpi = min(args.dpi, MAX_PIXELS / max(width, height))
        _write(out, lambda: fig.savefig(out, format=suffix[1:], dpi=dpi))
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _figure(tree, t, args):
    if args.kind == "graph":
        from ..viz.graph import draw_graph
        return draw_graph(tree, t, types=args.types, expand=args.expand)
    from ..viz.tree import draw_tree
    return draw_tree(tree, input=t)


def _write(out: Path, write) -> None:
    try:
        write()
    except OSError as err:
        raise UsageError(f"cannot write {str(out)!r}: {err.strerror or err}") from None
