"""``einspace proxies ARCH --task NAME``: zero-cost proxies of an architecture on one batch, untrained.

Exit codes: 0 the proxies were computed (a NaN value included); 1 the architecture is invalid, the
data is missing or torch cannot run the network; 2 a usage error (unknown task or proxy name, bad
setting, unavailable device).
"""

from __future__ import annotations

import math
import sys
from typing import Any

from ..errors import (BuildRefused, DataError, ParseError, ProxyError, TrainingError, TypeCheckError,
                      UsageError)
from .common import (report_type_error, ARCH_HELP, add_grammar_option, count, emit_json, ensure_data, positive, read_arch,
                     report_parse_error)

#: what each proxy is, for the human-readable output and the help
MEANING = {
    "params": "trainable parameters (with the head)",
    "flops": "floating-point operations per sample, the cost model's (a multiply-add is 2; backbone)",
    "grad_norm": "sum of the layers' loss-gradient L2 norms (Abdelfattah et al. 2021)",
    "snip": "sum |w * dL/dw| (Lee et al. 2019)",
    "synflow": "sum w * dR/dw, |w|, all-ones input (Tanaka et al. 2020)",
    "jacob_cov": "Jacobian correlation score, k=1e-5 (Mellor et al. 2021, v1)",
}


def register(sub: Any) -> None:
    from ..proxies import NAMES
    p = sub.add_parser(
        "proxies", help="zero-cost proxies of an untrained architecture on one batch of a task",
        description="Build ARCH for --task as `einspace train` would (same head, same seeded initial weights), "
                    "take one class-balanced training batch and compute zero-cost proxies without training: "
                    + "; ".join(f"{n}: {MEANING[n]}" for n in NAMES) + ". Exit 0 if computed (NaN values "
                    "included), 1 if the architecture, the data or the network is not usable, 2 on usage errors.")
    p.add_argument("arch", metavar="ARCH", help=ARCH_HELP)
    p.add_argument("--task", "-t", required=True, metavar="NAME", help="task name (see `einspace data list`)")
    p.add_argument("--names", metavar="A,B", help=f"comma-separated proxies (default: all: {','.join(NAMES)})")
    p.add_argument("--batch-size", type=positive, default=64, metavar="N", help="samples in the batch (default 64)")
    p.add_argument("--seed", type=count, default=0, metavar="N", help="seed of the weights and the batch (default 0)")
    p.add_argument("--root", metavar="DIR", help="data root (default: $EINSPACE_DATA or ~/.cache/einspace/data)")
    p.add_argument("--device", metavar="DEV", help="cpu, cuda, cuda:N or mps (default: cuda when available)")
    p.add_argument("--threads", type=positive, metavar="N", help="torch CPU threads")
    p.add_argument("--no-build", action="store_true",
                   help="do not build a missing task offline first (default: build it, as `einspace data build`)")
    p.add_argument("--json", action="store_true", help="print one JSON object, name -> value (null for NaN/inf)")
    add_grammar_option(p)
    p.set_defaults(func=run)


def _json_value(v: float) -> float | int | None:
    if not math.isfinite(v):
        return None
    return int(v) if v.is_integer() and abs(v) < 2 ** 53 else v


def _human(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    return f"{int(v):,}" if v.is_integer() and abs(v) < 1e15 else f"{v:.6g}"


def run(args: Any) -> int:
    from ..data.tasks import get_task
    from ..proxies import check_names, score
    try:
        task = get_task(args.task).name
        names = check_names(args.names)
    except (DataError, ProxyError) as err:
        raise UsageError(str(err)) from None
    try:
        from ..training.run import resolve_device
        resolve_device(args.device)
    except (TrainingError, RuntimeError) as err:  # torch.device('bogus') is a RuntimeError
        raise UsageError(f"device {args.device!r}: {err}") from None
    try:
        tree = read_arch(args.arch, args.grammar)
    except ParseError as err:
        return report_parse_error(err, args.json)
    try:
        ensure_data(task, args.root, not args.no_build and not set(names) <= {"params", "flops"}, "proxies")
        values = score(tree, task, names, batch_size=args.batch_size, seed=args.seed, root=args.root,
                       grammar=args.grammar, device=args.device, threads=args.threads)
    except TypeCheckError as err:
        return report_type_error(err, args.json)
    except (ProxyError, DataError, BuildRefused) as err:
        print(f"einspace proxies: {err}", file=sys.stderr)
        return 1
    if args.json:
        emit_json({n: _json_value(v) for n, v in values.items()})
    else:
        width = max(map(len, values))
        for n, v in values.items():
            print(f"{n:<{width}}  {_human(v):>24}   {MEANING[n]}")
    return 0
