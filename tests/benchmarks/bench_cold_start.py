"""Benchmark: what a fresh process pays before its first answer.

Run:  python tests/benchmarks/bench_cold_start.py [--rounds 7]

Fresh interpreters, interleaved round by round, medians reported:
  * ``import einspace`` (the baseline: the package's own import);
  * the first ``einspace.parse`` in a fresh process (timed inside it, after the import), with the
    on-disk cache of compiled Lark parsers warm (the usual case: a folder another process filled),
    cold (an empty folder: Lark compiles and writes the file) and off (``EINSPACE_CACHE_DIR=""``);
  * ``einspace check ARCH`` end to end (what the console script runs), which imports only the ``check``
    command's module, against ``python -c "import einspace"``. Goals (issue 15): first parse
    <= 40 ms; check <= 2x the import.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARCH = "sequential(routing[im2col(3,1,1), computation<linear(64)>, col2im], computation<relu>)"
CLI = "import sys; from einspace.cli import main; sys.exit(main())"   # what the console script runs
FIRST_PARSE = ("import time, einspace; t = time.perf_counter(); einspace.parse(%r); "
               "print(time.perf_counter() - t)" % ARCH)


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def first_parse(cache: str | None) -> float:
    """Seconds of the first parse in a fresh process, with the parser cache in ``cache`` ("" off)."""
    env = dict(os.environ)
    if cache is not None:
        env["EINSPACE_CACHE_DIR"] = cache
    out = subprocess.run([sys.executable, "-c", FIRST_PARSE], cwd=ROOT, check=True, capture_output=True,
                         text=True, env=env)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    runs: dict[str, list[float]] = {"import einspace": [], "einspace check ARCH": [], "first parse (in process)": [],
                                    "first parse, warm cache": [], "first parse, cold cache": [],
                                    "first parse, no cache": []}
    with tempfile.TemporaryDirectory() as tmp:
        warm = os.path.join(tmp, "warm")
        first_parse(warm)  # fills it
        for r in range(args.rounds):
            runs["import einspace"].append(wall([py, "-c", "import einspace"]))
            runs["einspace check ARCH"].append(wall([py, "-c", CLI, "check", ARCH, "-i", "3x8x8"]))
            runs["first parse (in process)"].append(first_parse(None))  # the user's own cache folder
            runs["first parse, warm cache"].append(first_parse(warm))
            runs["first parse, cold cache"].append(first_parse(os.path.join(tmp, f"cold{r}")))
            runs["first parse, no cache"].append(first_parse(""))
    base = statistics.median(runs["import einspace"])
    print(f"{'measure':28} {'median ms':>10} {'ratio to import':>16}   (median of {args.rounds} fresh processes)")
    for name, times in runs.items():
        med = statistics.median(times)
        print(f"{name:28} {med * 1000:10.1f} {med / base:16.2f}")


if __name__ == "__main__":
    main()
