"""``einspace equiv A B``: NeuralArTS relations; ``einspace equiv --generate-convs``: Algorithm 1."""

from __future__ import annotations

import sys

from ..errors import UsageError
from ..errors import EinspaceError, ParseError
from .common import ARCH_HELP, add_grammar_option, emit_json, input_type, read_arch, report_parse_error

RELATIONS = ("type", "complete", "instant", "forward", "compatible")
_KEYS = {"type": "type", "complete": "complete", "instant": "instant", "forward": "forward_compatible",
         "compatible": "complete_compatible"}


def register(sub) -> None:
    p = sub.add_parser(
        "equiv", help="compare two architectures' dimension functions (NeuralArTS), or generate convolutions",
        description="Compare A and B: complete equivalence (same operations and parameters), type equivalence "
                    "(same dimension function over every input), instant equivalence at --input, forward and "
                    "complete compatibility. Exit 0 if the chosen --relation holds (default: type), 1 if not, 2 on "
                    "usage or syntax errors.\n\n"
                    "With --generate-convs IM2COL and two of --kernels/--paddings/--dilations, list the im2col "
                    "settings whose convolution routing[im2col, linear(n), col2im] is type-equivalent to the "
                    "seed's (NeuralArTS Algorithm 1); --save-grammar writes a grammar with them added to R1.",
        epilog="examples:\n"
               "  einspace equiv 'routing[im2col(5,1,2), linear(64), col2im]' "
               "'routing[im2col(3,1,2,2), linear(64), col2im]'\n"
               "  einspace equiv --generate-convs 'im2col(5,1,2)' --kernels 1:7 --dilations 1:3 "
               "--save-grammar dilated.lark",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("a", metavar="A", nargs="?", help=ARCH_HELP)
    p.add_argument("b", metavar="B", nargs="?", help=ARCH_HELP)
    p.add_argument("--input", "-i", metavar="TYPE", help="input type for instant equivalence, e.g. 3x28x28")
    p.add_argument("--relation", "-r", choices=RELATIONS, default="type",
                   help="the relation that sets the exit code (default: type)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--explain", action="store_true", help="print each tree's symbolic dimension function")
    g = p.add_argument_group("generated convolutions (NeuralArTS Algorithm 1)")
    g.add_argument("--generate-convs", metavar="IM2COL", help="seed operation, e.g. 'im2col(5,1,2)'")
    g.add_argument("--kernels", metavar="LO:HI", help="kernel sizes to try (inclusive)")
    g.add_argument("--paddings", metavar="LO:HI", help="paddings to try (inclusive)")
    g.add_argument("--dilations", metavar="LO:HI", help="dilations to try (inclusive)")
    g.add_argument("--save-grammar", metavar="FILE", help="write the grammar extended with the generated settings")
    add_grammar_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.generate_convs:
        if args.a or args.b:
            raise UsageError("--generate-convs takes no architectures")
        return _generate(args)
    if not (args.a and args.b):
        raise UsageError("give two architectures A and B (or --generate-convs IM2COL)")
    if args.relation == "instant" and args.input is None:
        raise UsageError("--relation instant needs --input")
    t = input_type(args.input)
    try:
        a = read_arch(args.a, args.grammar)
        b = read_arch(args.b, args.grammar)
    except ParseError as err:  # a syntax error is a usage error here: 1 means "not related"
        return report_parse_error(err, args.json, code=2)
    from ..types.equivalence import decide_all, describe_function
    answers = decide_all(a, b, t)
    holds = {k: (v.holds if hasattr(v, "holds") else v) for k, v in answers.items()}
    if args.json:
        emit_json(holds)
    else:
        _print(answers, args.input)
        if args.explain:
            for name, tree in (("A", a), ("B", b)):
                for line in describe_function(tree):
                    print(f"{name}: {line}")
    return 0 if holds[_KEYS[args.relation]] else 1


def _yes(v) -> str:
    return "yes" if v else "no"


def _print(answers: dict, input_text) -> None:
    labels = {"complete": "complete", "type": "type", "instant": f"instant ({input_text})",
              "forward_compatible": "forward compatible", "complete_compatible": "complete compatible"}
    width = max(len(v) for v in labels.values()) + 1
    for key, label in labels.items():
        v = answers[key]
        if v is None:
            continue
        if isinstance(v, bool):
            print(f"{label + ':':<{width}} {_yes(v)}")
            continue
        note = ""
        if not v.holds and v.witness is not None:
            note = f"   ({v.detail})"
        elif v.holds and not v.exact:
            note = f"   (checked over a finite box of inputs only: {_boxes(v.methods)})"
        elif not v.holds and v.detail:
            note = f"   ({v.detail})"
        print(f"{label + ':':<{width}} {_yes(v.holds)}{note}")


def _boxes(methods: dict) -> str:
    """The input boxes a decision was checked over, from its ``methods`` (nested for both directions)."""
    from ..types.decide import DEFAULT_BOX
    modes: list[str] = []
    for key, how in methods.items():
        if isinstance(how, dict):
            modes += [m for m, h in how.items() if str(h).startswith("exhaustive") and m not in modes]
        elif str(how).startswith("exhaustive") and key not in modes:
            modes.append(key)
    return "; ".join(DEFAULT_BOX.describe(m) for m in modes)


def _generate(args) -> int:
    from ..language.ops import Im2Col
    from ..types.convgen import ConvGenError, extend_grammar, generate_equivalent_convs, parse_range
    from ..language.parser import parse_terminal
    from ..language.printer import terminal_text
    try:
        seed = parse_terminal(args.generate_convs)
    except (ParseError, ValueError) as err:
        raise UsageError(f"cannot read the seed {args.generate_convs!r}: {err}") from None
    if not isinstance(seed, Im2Col):
        raise UsageError(f"the seed must be an im2col(k,s,p[,d]) operation, got {args.generate_convs!r}")
    try:
        ranges = {name: parse_range(text) if text else None
                  for name, text in (("kernels", args.kernels), ("paddings", args.paddings),
                                     ("dilations", args.dilations))}
        settings = generate_equivalent_convs(seed, **ranges)
    except ConvGenError as err:
        raise UsageError(str(err)) from None
    derived = {"kernels": "kernel", "paddings": "padding", "dilations": "dilation"}[
        next(name for name, r in ranges.items() if r is None)]
    saved = None
    if args.save_grammar:
        try:
            extend_grammar(settings, args.grammar, save=args.save_grammar)
        except (OSError, EinspaceError) as err:
            print(f"cannot write {args.save_grammar}: {err}", file=sys.stderr)
            return 1
        saved = args.save_grammar
    texts = [terminal_text(op) for op in settings]
    if args.json:
        emit_json({"seed": terminal_text(seed), "derived": derived, "settings": texts, "grammar": saved})
    else:
        print(f"type-equivalent convolutions of {terminal_text(seed)} (derived {derived}):")
        for text in texts:
            print(f"  {text}")
        if saved:
            print(f"grammar with these im2col choices written to {saved}")
    return 0 if settings else 1
