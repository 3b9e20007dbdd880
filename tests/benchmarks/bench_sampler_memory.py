"""Sampler latency tail, garbage-collector pauses and memory growth in one fresh process.

Run:  python tests/benchmarks/bench_sampler_memory.py [--n 20000] [--memory-samples 100000] [--input 3x28x28]

Draws ``--memory-samples`` architectures with :func:`einspace.sample` (one chooser, seed
``--seed``) after one warm-up sample (the first loads the grammar: cold start, reported apart).
Every collection is timed with ``gc.callbacks``, so each sample's latency comes with the
collector's time inside it. Over the first ``--n`` samples it prints the latency median, p99,
p99.9 and the slowest (with the gc time inside it, and without), the number of collections per
generation, the longest full (gen-2) pause and the collector's share of the time; over the whole
run the resident set size (``/proc/self/statm``) every tenth and its growth over the second half,
and the objects the collector tracks (what a full collection has to scan).

No baseline: the goals are absolute (issue 15): the slowest of 20,000 samples <= 50 ms, RSS growth
from sample 50,000 to 100,000 <= 2 MB. On a shared machine another job's burst can still land in
one sample; the slowest *without gc* tells such a burst from a pause.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import einspace  # noqa: E402
from einspace.generate.chooser import RandomChooser  # noqa: E402
from einspace.types.tensor import as_type  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sampler import rss_mb  # noqa: E402  (the one RSS reader of the benchmarks)


class GcClock:
    """Times every collection through ``gc.callbacks``: (generation, seconds) in order, and the total."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self.total = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            d = time.perf_counter() - self._start
            self.pauses.append((info["generation"], d))
            self.total += d

    def __enter__(self) -> "GcClock":
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self)


def pct(sorted_values: list, q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


def row(name: str, value: str) -> None:
    print(f"{name:44} {value:>22}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", default="3x28x28")
    ap.add_argument("--n", type=int, default=20_000, help="samples whose latencies are reported")
    ap.add_argument("--memory-samples", type=int, default=100_000, help="samples of the whole run (>= --n)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    total = max(args.n, args.memory_samples)
    t = as_type(args.input)
    print(f"input {t}, default budget, p(M -> C) as in the grammar, seed {args.seed}, "
          f"{args.n:,} timed samples of {total:,}")

    t0 = time.perf_counter()
    einspace.sample(t, seed=args.seed + 1)
    cold = time.perf_counter() - t0
    gc.collect()
    tracked0 = len(gc.get_objects())
    chooser = RandomChooser(args.seed)
    lat: list[float] = []
    gc_in: list[float] = []
    marks: list[tuple[int, float, int]] = []
    step = max(1, total // 10)
    with GcClock() as clock:
        start = time.perf_counter()
        for i in range(1, total + 1):
            before = clock.total
            a = time.perf_counter()
            einspace.sample(t, chooser=chooser)
            d = time.perf_counter() - a
            if i <= args.n:
                lat.append(d)
                gc_in.append(clock.total - before)
                if i == args.n:
                    timed_wall = time.perf_counter() - start
                    timed_pauses = list(clock.pauses)
            if i % step == 0 or i == total:
                marks.append((i, rss_mb(), len(gc.get_objects())))
    order = sorted(range(len(lat)), key=lat.__getitem__)
    slow = order[-1]
    s = sorted(lat)
    pure = sorted(x - g for x, g in zip(lat, gc_in))
    print(f"{'measure':44} {'value':>22}")
    row("first sample, cold (ms)", f"{cold * 1e3:.1f}")
    row(f"samples/s over the first {args.n:,}", f"{args.n / timed_wall:,.0f}")
    row("latency median / p99 / p99.9 (ms)", f"{statistics.median(s) * 1e3:.3f} / {pct(s, .99) * 1e3:.2f} / "
        f"{pct(s, .999) * 1e3:.2f}")
    row(f"slowest of {args.n:,} (ms), gc inside it", f"{lat[slow] * 1e3:.1f}, {gc_in[slow] * 1e3:.1f}")
    row("slowest without its gc time (ms)", f"{pure[-1] * 1e3:.1f}")
    for g in range(3):
        ps = [d for gen, d in timed_pauses if gen == g]
        row(f"gen-{g} collections: count, longest (ms)", f"{len(ps)}, {max(ps, default=0.0) * 1e3:.1f}")
    gc_total = sum(d for _, d in timed_pauses)
    row("gc time: total (s), share of the run", f"{gc_total:.2f}, {gc_total / timed_wall:.1%}")
    full = [d for gen, d in clock.pauses if gen == 2]
    row(f"gen-2 over all {total:,}: count, longest (ms)", f"{len(full)}, {max(full, default=0.0) * 1e3:.1f}")
    row("objects tracked by gc: before, at the end", f"{tracked0:,}, {marks[-1][2]:,}")
    print(f"{'RSS (MB) at samples':44} " + ", ".join(f"{k:,}: {m:.1f}" for k, m, _ in marks))
    half = [m for k, m, _ in marks if k <= total // 2]
    if half:
        row(f"RSS growth {marks[len(half) - 1][0]:,} -> {total:,} (MB)", f"{marks[-1][1] - half[-1]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
