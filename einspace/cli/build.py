"""``einspace build ARCH --input TYPE [--classes K | --dense KxHxW]``: build and run the network once."""

from __future__ import annotations

import sys

from ..errors import BuildRefused
from ..interpreter.guard import DEFAULT_MAX_MEMORY, DEFAULT_MAX_NODES, DEFAULT_MAX_PARAMS, guard
from ..types.evaluator import Typed
from .common import ARCH_HELP, add_grammar_option, emit_json, input_type, limit, read_and_infer

#: the guard's limits: option, keyword, default, what it counts
LIMITS = (("--max-params", "max_params", DEFAULT_MAX_PARAMS, "parameters, head included"),
          ("--max-memory", "max_memory", DEFAULT_MAX_MEMORY, "activation elements of one sample"),
          ("--max-nodes", "max_nodes", DEFAULT_MAX_NODES, "nodes of the instantiated network"))
#: the option that raises the limit of each figure a BuildRefused names
FLAGS = {"params": "--max-params", "memory": "--max-memory", "nodes": "--max-nodes"}


def register(sub) -> None:
    p = sub.add_parser("build", help="build an architecture as a PyTorch module and run one forward pass",
                       description="Parse ARCH, check it at --input, build it as a torch module (with a head if "
                                   "--classes or --dense is given), count its parameters and run one forward pass "
                                   "at batch 1 in eval mode. Before anything is allocated, a network over a size "
                                   "limit is refused (--max-params, --max-memory, --max-nodes). Exit 0 if it builds "
                                   "and the predicted and measured figures agree, 1 if the architecture is invalid "
                                   "or refused, 2 on usage errors (torch missing included).")
    p.add_argument("arch", metavar="ARCH", help=ARCH_HELP)
    p.add_argument("--input", "-i", required=True, metavar="TYPE",
                   help="input type: C x H x W (e.g. 3x28x28) or col:S x D (e.g. col:64x512)")
    head = p.add_mutually_exclusive_group()
    head.add_argument("--classes", type=int, metavar="K", help="add a classification head with K classes")
    head.add_argument("--dense", metavar="KxHxW", help="add a dense-prediction head with a K x H x W output")
    p.add_argument("--plain", action="store_true", help="build without lowerings (no fused convolution/attention)")
    p.add_argument("--print", dest="show", action="store_true", help="print the torch module")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    g = p.add_argument_group("size limits, checked on the cost model before building (an integer, or 'none')")
    for flag, dest, default, what in LIMITS:
        g.add_argument(flag, dest=dest, type=limit, default=default, metavar="N",
                       help=f"refuse above N {what} (default {default:,})")
    add_grammar_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import UsageError
    t = input_type(args.input)
    if args.classes is not None and args.classes < 1:
        raise UsageError(f"--classes must be a positive integer, got {args.classes}")
    result = read_and_infer(args.arch, t, args.grammar, args.json)
    if isinstance(result, int):
        return result
    _, typed = result

    from ..interpreter.head_rules import HeadError, head_output, head_params
    try:
        extra = head_params(typed.output, args.classes, args.dense)
        expected_shape = list(head_output(typed.output, args.classes, args.dense))
    except HeadError as err:
        raise UsageError(err.message) from None

    limits = {dest: getattr(args, dest) for _, dest, _, _ in LIMITS}
    try:
        guard(typed, args.classes, args.dense, **limits)
    except BuildRefused as err:
        return _refused(err, typed, extra, args.json)

    from .common import require_torch
    require_torch()
    import torch
    from ..interpreter.builder import build_typed
    net = build_typed(typed, args.classes, lower=not args.plain, dense=args.dense, **limits).eval()
    built = sum(p.numel() for p in net.parameters())
    with torch.no_grad():
        out = net(torch.zeros(1, *typed.input.shape))
    shape = list(out.shape[1:])
    result = typed.to_json()
    result.pop("memory", None)
    result["params"] = typed.params + extra
    if args.classes is not None or args.dense is not None:
        result["backbone_params"] = typed.params
        result["head_params"] = extra
    result["built"] = True
    result["built_params"] = built
    result["forward_shape"] = shape
    agree = built == result["params"] and shape == expected_shape
    if args.json:
        emit_json(result)
    else:
        if args.show:
            print(net)
        print(f"valid: {typed.input} → {typed.output}")
        print(f"params: {result['params']:,} predicted, {built:,} built"
              + (f" (backbone {typed.params:,} + head {extra:,})" if extra else ""))
        print(f"forward: [{', '.join(str(s) for s in shape)}] (batch excluded)")
        print(f"flops: {typed.flops:,}")
        if not agree:
            print("MISMATCH between predicted and built figures", file=sys.stderr)
    return 0 if agree else 1


def _refused(err: BuildRefused, typed: Typed, extra: int, as_json: bool) -> int:
    """Report a refusal by the build guard (exit 1): the check fields, ``built: false`` and the error."""
    if as_json:
        result = typed.to_json()
        result["params"] = typed.params + extra
        result["built"] = False
        result["errors"] = [err.to_json()]
        emit_json(result)
        return 1
    flag = FLAGS.get(err.figure)
    print(f"refused: {err}" + (f" (raise the limit with {flag} N, or {flag} none)" if flag else ""),
          file=sys.stderr)
    return 1
