"""Sampler throughput, latency, validity and memory at p(M -> C) = 0.32 under the default budgets.

Run:  python tests/benchmarks/bench_sampler.py [--quick] [--input 3x28x28] [--memory-samples 100000]

Prints a table: samples per second (median of rounds), per-sample latency (median, p99, max), the
share of valid samples (every one is type-checked, outside the timed region), and resident memory
while drawing ``--memory-samples`` more (flat memory: the caches stop growing). The baseline,
measured in the same run on the same architectures, is one type check (``einspace.infer``) per
sample; the ratio column is the cost of drawing an architecture in units of checking it.

Goals (DESIGN §6): >= 1,000 architectures/s median at 3x28x28, no sample slower than 1 s, every
sample valid, flat memory over 100,000 samples.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from einspace import infer  # noqa: E402
from einspace.language.analysis import instantiated_size  # noqa: E402
from einspace.generate.budget import DEFAULT_BUDGET  # noqa: E402
from einspace.generate.chooser import RandomChooser  # noqa: E402
from einspace.generate.sampler import sample  # noqa: E402
from einspace.types.tensor import as_type  # noqa: E402


def rss_mb() -> float:
    """Current resident set size (Linux /proc; falls back to the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        import os
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(t, rounds: int, per_round: int, seed: int):
    chooser = RandomChooser(seed)
    rates, latencies, archs = [], [], []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(per_round):
            t0 = time.perf_counter()
            a = sample(t, chooser=chooser)
            latencies.append(time.perf_counter() - t0)
            archs.append(a)
        rates.append(per_round / (time.perf_counter() - start))
    return rates, latencies, archs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", default="3x28x28")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--per-round", type=int, default=4000)
    ap.add_argument("--warmup", type=int, default=3000)
    ap.add_argument("--memory-samples", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="small counts (a smoke run)")
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.per_round, args.warmup, args.memory_samples = 3, 500, 500, 5_000
    t = as_type(args.input)
    b = DEFAULT_BUDGET
    print(f"input {t}, p(M -> C) = 0.32, default budget: nodes {b.max_nodes}, depth {b.max_depth}, "
          f"params {b.max_params:,}, flops {b.max_flops:,}, memory {b.max_memory:,}")

    warm = RandomChooser(args.seed + 1)
    for _ in range(args.warmup):
        sample(t, chooser=warm)

    rates, latencies, archs = measure(t, args.rounds, args.per_round, args.seed)
    start = time.perf_counter()
    valid = 0
    for a in archs:
        infer(a, t)  # raises if invalid
        valid += 1
    check_rate = len(archs) / (time.perf_counter() - start)
    lat = sorted(latencies)
    n = len(lat)
    rate = statistics.median(rates)
    print(f"{'measure':40} {'value':>14} {'ratio to infer':>16}")
    print(f"{'samples/s (median of rounds)':40} {rate:>14,.0f} {check_rate / rate:>16.2f}")
    print(f"{'samples/s per round':40} {' '.join(f'{r:,.0f}' for r in rates):>14}")
    print(f"{'baseline: infer() of the samples / s':40} {check_rate:>14,.0f} {1.0:>16.2f}")
    print(f"{'latency median (ms)':40} {lat[n // 2] * 1e3:>14.3f}")
    print(f"{'latency p99 (ms)':40} {lat[int(n * 0.99)] * 1e3:>14.3f}")
    print(f"{'latency max (ms)':40} {lat[-1] * 1e3:>14.3f}")
    print(f"{'valid samples':40} {f'{valid}/{n}':>14}")
    print(f"{'mean AST nodes per sample':40} {statistics.fmean(a.size for a in archs):>14.1f}")
    print(f"{'mean instantiated nodes per sample':40} {statistics.fmean(instantiated_size(a) for a in archs):>14.1f}")
    del archs

    if args.memory_samples:
        gc.collect()
        chooser = RandomChooser(args.seed + 2)
        marks = []
        step = max(1, args.memory_samples // 10)
        worst = 0.0
        start = time.perf_counter()
        for i in range(args.memory_samples):
            t0 = time.perf_counter()
            sample(t, chooser=chooser)
            worst = max(worst, time.perf_counter() - t0)
            if i % step == 0 or i == args.memory_samples - 1:
                marks.append((i + 1, rss_mb()))
        elapsed = time.perf_counter() - start
        print(f"{'memory run: samples':40} {args.memory_samples:>14,}")
        print(f"{'memory run: samples/s':40} {args.memory_samples / elapsed:>14,.0f}")
        print(f"{'memory run: latency max (ms)':40} {worst * 1e3:>14.3f}")
        print(f"{'RSS (MB) at samples':40} " + ", ".join(f"{k:,}: {m:.0f}" for k, m in marks))
        first_half = max(m for k, m in marks if k <= args.memory_samples // 2)
        print(f"{'RSS growth, 2nd half (MB)':40} {marks[-1][1] - first_half:>14.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
