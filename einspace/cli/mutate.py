"""``einspace mutate ARCH --input T``: children of an architecture, valid by construction."""

from __future__ import annotations

import sys

from ..errors import UsageError
from ..errors import ParseError, TypeCheckError
from .common import ARCH_HELP, add_grammar_option, emit_json, input_type, read_arch, report_parse_error


def register(sub) -> None:
    p = sub.add_parser(
        "mutate", help="mutate an architecture (resample one node; every child type-checks)",
        description="Print K children of ARCH, each differing from it in one node resampled from the grammar "
                    "(a uniformly chosen module or terminal), each valid at --input by construction. "
                    "With --chain each child is the parent of the next.")
    p.add_argument("arch", metavar="ARCH", help=ARCH_HELP)
    p.add_argument("--input", "-i", required=True, metavar="TYPE", help="input type, e.g. 3x28x28")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: fresh randomness)")
    p.add_argument("-n", type=int, default=1, metavar="K", help="number of children (default 1)")
    p.add_argument("--preserve-type", action="store_true",
                   help="only changes that keep the node's output type (the child's output type is the parent's)")
    p.add_argument("--subtree-nodes", type=int, default=None, metavar="N",
                   help="at most N nodes in a resampled subtree (default: only the budget limits it)")
    p.add_argument("--chain", action="store_true", help="mutate each child again (a random walk)")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per child: arch, path, old, new, output, params, flops")
    add_grammar_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.n < 1:
        raise UsageError("-n must be at least 1")
    if args.subtree_nodes is not None and args.subtree_nodes < 2:
        raise UsageError("--subtree-nodes must be at least 2")
    t = input_type(args.input)
    try:
        tree = read_arch(args.arch, args.grammar)
    except ParseError as err:
        return report_parse_error(err, args.json)
    import random

    from ..types.dimension_functions import attributes
    from ..variation.mutation import MutationError, mutate_step
    from ..language.printer import to_string
    rng = random.Random(args.seed)
    parent = tree
    for _ in range(args.n):
        try:
            m = mutate_step(parent, t, rng, grammar=args.grammar, preserve_type=args.preserve_type,
                            subtree_nodes=args.subtree_nodes)
        except TypeCheckError as err:
            for v in err.violations:
                print(f"type error {v}", file=sys.stderr)
            return 1
        except MutationError as err:
            print(f"mutate: {err}", file=sys.stderr)
            return 1
        if args.json:
            a = attributes(m.child, t)
            emit_json({**m.to_json(), "valid": True, "params": a.params, "flops": a.flops})
        else:
            print(to_string(m.child))
        if args.chain:
            parent = m.child
    return 0
