"""Throughput of the variation operators: mutations and crossovers per second.

Run:  python tests/benchmarks/bench_variation.py [--quick]   (or `make bench`); prints a table.

Every rate comes with a baseline measured in the same run: one full type check of the parent
(``einspace.infer``) — what validating a child from scratch costs, and far less than the
original code's forward pass per attempt. The ratio column is the cost of one variation in units
of that baseline (below 1: cheaper than re-typing the parent once).

Goal (DESIGN §6): at least 1,000 valid mutations per second of the ResNet18 seed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from einspace import infer  # noqa: E402
from einspace.variation.crossover import crossover  # noqa: E402
from einspace.variation.mutation import mutate  # noqa: E402


def _rate(fn: Callable[[int], object], n: int, repeats: int = 3) -> float:
    """Median operations per second over ``repeats`` runs of ``n`` calls (call i gets seed i)."""
    rates = []
    for r in range(repeats):
        start = time.perf_counter()
        for i in range(n):
            fn(r * n + i)
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def _infer_rate(arch, t, n: int) -> float:
    return _rate(lambda i: infer(arch, t), max(20, n // 10))


def rows(quick: bool = False) -> list[tuple[str, float, float]]:
    from einspace import sample, seeds
    n = 300 if quick else 2000
    out = []
    for name in ("resnet18", "vit"):
        arch, t = seeds.load(name), seeds.info(name).input
        base = _infer_rate(arch, t, n)
        for preserve, cap in ((False, None), (True, None), (False, 16)):
            rate = _rate(lambda i: mutate(arch, t, seed=i, preserve_type=preserve, subtree_nodes=cap), n)
            note = " (preserve type)" if preserve else f" (subtree_nodes={cap})" if cap else ""
            out.append((f"mutate {name}{note}", rate, base / rate))
    # random samples: each mutated in turn (the first mutation of a parent also types it)
    t = "3x28x28"
    samples = [sample(t, seed=s) for s in range(20 if quick else 50)]
    sample_base = statistics.median(_infer_rate(a, t, 200) for a in samples[:10])
    for a in samples:  # type the parents once, as a search does when it evaluates them
        mutate(a, t, seed=0)
    rate = _rate(lambda i: mutate(samples[i % len(samples)], t, seed=i), n)
    out.append(("mutate random samples 3x28x28", rate, sample_base / rate))
    for x, y in (("resnet18", "vit"), ("vit", "resnet18"), ("resnet18", "wideresnet16_4")):
        a, b, t = seeds.load(x), seeds.load(y), seeds.info(x).input
        base = _infer_rate(a, t, n)
        rate = _rate(lambda i: crossover(a, b, t, seed=i), n // 2)
        out.append((f"crossover {x} × {y}", rate, base / rate))
    rate = _rate(lambda i: crossover(samples[i % len(samples)], samples[(i * 7 + 3) % len(samples)], "3x28x28",
                                     seed=i), n // 2)
    out.append(("crossover random samples 3x28x28", rate, sample_base / rate))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = p.parse_args(argv)
    print(f"{'operation':<42} {'per second':>12} {'cost / infer(parent)':>22}")
    for label, rate, ratio in rows(args.quick):
        print(f"{label:<42} {rate:>12,.0f} {ratio:>22.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
