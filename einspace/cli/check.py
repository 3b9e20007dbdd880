"""``einspace check ARCH --input TYPE``: type-check an architecture."""

from __future__ import annotations

from .common import ARCH_HELP, add_grammar_option, emit_json, input_type, read_and_infer


def register(sub) -> None:
    p = sub.add_parser("check", help="type-check an architecture at an input type",
                       description="Parse ARCH and check every node's types at --input. Exit 0 if valid, "
                                   "1 if not (the errors say where and why), 2 on usage errors.")
    p.add_argument("arch", metavar="ARCH", help=ARCH_HELP)
    p.add_argument("--input", "-i", required=True, metavar="TYPE",
                   help="input type: C x H x W (e.g. 3x28x28) or col:S x D (e.g. col:64x512)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_grammar_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    result = read_and_infer(args.arch, input_type(args.input), args.grammar, args.json)
    if isinstance(result, int):
        return result
    _, typed = result
    if args.json:
        emit_json(typed.to_json())
    else:
        print(f"valid: {typed.input} → {typed.output}")
        print(f"params: {typed.params:,}")
        print(f"flops: {typed.flops:,}")
        print(f"activations: {typed.memory:,} elements per sample")
    return 0
