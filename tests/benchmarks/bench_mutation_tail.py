"""The latency tail of mutation: sustained rate, p99 against the median, and the first calls of a process.

Run:  python tests/benchmarks/bench_mutation_tail.py [--calls 2000] [--rounds 3] [--against DIR]

Each measurement is a fresh process (the first 300 calls see empty caches) that types the parent
once, then mutates it with seeds 0..calls-1 and times every call. Configurations run interleaved,
round by round, and the table gives the medians over rounds:

* ``cached``: the package as it is;
* ``uncached``: the same code with the caller-target needs dropped after every call (the old
  behaviour: the fallback's witnesses recomputed on each call), the baseline measured in the same run;
* ``against``: with ``--against DIR``, the package from another source tree (e.g. a ``git archive``
  of an older commit), for a before/after of the code itself.

Goals (issue 15): resnet18 and vit at their inputs, sustained >= 1,000/s, p99 <= 10x the median,
first 300 calls >= 0.7x the sustained rate.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLD = 300


def measure(name: str, calls: int, uncached: bool) -> dict:
    """Per-call times of ``calls`` mutations of seed ``name`` in this process, summarised."""
    from einspace import seeds
    from einspace.generate import tables
    from einspace.variation.mutation import mutate

    arch, t = seeds.load(name), seeds.info(name).input
    mutate(arch, t, seed=10 ** 6)  # types the parent, as a search does when it evaluates it
    times = []
    for i in range(calls):
        start = time.perf_counter()
        mutate(arch, t, seed=i)
        times.append(time.perf_counter() - start)
        if uncached:
            for tab in tables._TABLES.values():
                for need in getattr(tab, "targets", {}).values():
                    need.w.local.clear()
                getattr(tab, "targets", {}).clear()
    ordered = sorted(times)
    median = statistics.median(times)
    sustained = (calls - COLD) / sum(times[COLD:])
    return {"sustained": sustained, "cold": COLD / sum(times[:COLD]) / sustained,
            "median_ms": median * 1e3, "p99": ordered[int(0.99 * calls)] / median, "max_ms": ordered[-1] * 1e3}


def _child(name: str, calls: int, config: str, against: str | None) -> dict:
    env = dict(os.environ)
    tree = against if config == "against" else str(ROOT)
    env["PYTHONPATH"] = tree + os.pathsep + env.get("PYTHONPATH", "")
    code = (f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            f"from bench_mutation_tail import measure; "
            f"print(json.dumps(measure({name!r}, {calls}, {config == 'uncached'})))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tree, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=2000, help="mutations per process (> 300)")
    p.add_argument("--rounds", type=int, default=3, help="fresh processes per configuration")
    p.add_argument("--against", help="another source tree to compare with (its einspace/ is imported)")
    p.add_argument("--seeds", nargs="+", default=["resnet18", "vit"])
    args = p.parse_args(argv)
    if args.calls <= COLD:
        p.error(f"--calls must exceed {COLD}")
    configs = ["cached", "uncached"] + (["against"] if args.against else [])
    print(f"{'seed':<10} {'config':<9} {'sustained/s':>12} {'median ms':>10} {'p99/median':>11} "
          f"{'cold/sustained':>15} {'max ms':>8}")
    for name in args.seeds:
        runs: dict = {c: [] for c in configs}
        for _ in range(args.rounds):
            for c in configs:
                runs[c].append(_child(name, args.calls, c, args.against))
        for c in configs:
            med = {k: statistics.median(r[k] for r in runs[c]) for k in runs[c][0]}
            print(f"{name:<10} {c:<9} {med['sustained']:>12,.0f} {med['median_ms']:>10.3f} {med['p99']:>11.1f} "
                  f"{med['cold']:>15.2f} {med['max_ms']:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
