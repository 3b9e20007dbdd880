"""Small-batch inference: eval-mode forward of the interpreted seeds vs the hand-written networks.

Run as a script (prints a table)::

    python tests/benchmarks/bench_small_batch.py [--batches 1,32] [--repeats 41] [--threads 1] [SEED ...]

For each seed and batch size: the median time of one eval-mode forward pass under
``torch.no_grad()`` of the interpreted network (``einspace.build``, lowered) and of its
hand-written twin (``bench_interpreter.py``'s networks), timed interleaved in the same process,
alternating which goes first; ``ratio`` = einspace / hand-written of the medians, ``ratio(min)``
of the fastest runs, ``paired`` the median of the ratios of back-to-back runs (drift cancels);
process CPU time by default (``--wall`` for wall time). ``calls`` counts the module calls of one forward pass (a global forward hook).
Goal (issue 15): ratio <= 1.05 at batch 1, and nothing slower than before at batch >= 32.
To time an older source tree with the same script, put it first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

import einspace  # noqa: E402
from einspace import seeds  # noqa: E402
from bench_interpreter import CLASSES, SEEDS, hand_written, params  # noqa: E402


def module_calls(net: nn.Module, x: torch.Tensor) -> int:
    """Module calls of one forward pass (every ``nn.Module.__call__``, the top one included)."""
    count = [0]

    def hook(module: nn.Module, args: object, out: object) -> None:
        count[0] += 1

    handle = nn.modules.module.register_module_forward_hook(hook)
    try:
        with torch.no_grad():
            net(x)
    finally:
        handle.remove()
    return count[0]


#: the clock: process CPU time by default (a busy machine disturbs it less); ``--wall`` uses wall time
CLOCK = {"clock": time.process_time}


def timed(net: nn.Module, x: torch.Tensor) -> float:
    clock = CLOCK["clock"]
    start = clock()
    net(x)
    return clock() - start


def compare(name: str, input_type: str, batch: int, repeats: int, warmup: int) -> dict:
    """Median eval forward seconds (no autograd) of the interpreted seed and its hand-written twin."""
    shape = einspace.as_type(input_type).shape
    torch.manual_seed(0)
    ours = einspace.build(seeds.load(name), input_type, classes=CLASSES).eval()
    hand = hand_written(name, shape).eval()
    if params(ours) != params(hand):
        raise AssertionError(f"{name}: interpreted {params(ours):,} params, hand-written {params(hand):,}")
    x = torch.randn(batch, *shape)
    t_ours: list[float] = []
    t_hand: list[float] = []
    with torch.no_grad():
        for _ in range(warmup):
            hand(x)
            ours(x)
        for i in range(repeats):  # interleaved, alternating which goes first
            pair = ((hand, t_hand), (ours, t_ours)) if i % 2 == 0 else ((ours, t_ours), (hand, t_hand))
            for net, acc in pair:
                acc.append(timed(net, x))
    ours_s, hand_s = statistics.median(t_ours), statistics.median(t_hand)
    paired = statistics.median(a / b for a, b in zip(t_ours, t_hand))  # neighbours in time: drift cancels
    return {"seed": name, "batch": batch, "hand_s": hand_s, "ours_s": ours_s, "ratio": ours_s / hand_s,
            "ratio_min": min(t_ours) / min(t_hand), "paired": paired, "calls_ours": module_calls(ours, x),
            "calls_hand": module_calls(hand, x)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batches", type=lambda text: [int(b) for b in text.split(",")], default=[1, 32],
                    help="comma-separated batch sizes (default 1,32)")
    ap.add_argument("--input", default="3x32x32")
    ap.add_argument("--repeats", type=int, default=41, help="timed passes per network at batch 1 (fewer at larger "
                    "batches: repeats / sqrt(batch), at least 7)")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--wall", action="store_true", help="measure wall time instead of process CPU time")
    ap.add_argument("seeds", nargs="*", default=list(SEEDS))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.wall:
        CLOCK["clock"] = time.perf_counter
    clock = "wall time" if args.wall else "CPU time"
    print(f"eval forward under no_grad, input {args.input}, {args.threads} thread(s), {clock}, medians of "
          f"interleaved runs after {args.warmup} warm-up, torch {torch.__version__}, einspace from "
          f"{Path(einspace.__file__).parent}")
    header = (f"{'seed':16s} {'batch':>5s} {'hand (ms)':>10s} {'einspace (ms)':>14s} {'ratio':>7s} {'ratio(min)':>10s} "
              f"{'paired':>7s} {'calls ours/hand':>16s}")
    print(header)
    print("-" * len(header))
    for batch in args.batches:
        repeats = max(7, round(args.repeats / batch ** 0.5))
        for name in args.seeds:
            r = compare(name, args.input, batch, repeats, args.warmup)
            calls = f"{r['calls_ours']}/{r['calls_hand']}"
            print(f"{name:16s} {batch:>5d} {1e3 * r['hand_s']:>10.2f} {1e3 * r['ours_s']:>14.2f} {r['ratio']:>7.3f} "
                  f"{r['ratio_min']:>10.3f} {r['paired']:>7.3f} {calls:>16s}", flush=True)
    print("ratio = einspace / hand-written (medians), ratio(min) = the same for the fastest runs, paired = median of "
          "the ratios of back-to-back runs; goal <= 1.05")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
