"""Benchmark: parse throughput on sampled architectures, against Lark building its own tree.

Run:  python tests/benchmarks/bench_parse.py [--samples 3000] [--input 3x32x32] [--seed 0] [--rounds 7] [--cpu-time]

Draws ``--samples`` architectures with the package's sampler (seeds ``seed .. seed + samples - 1``
at ``--input``), prints them canonically, and times, interleaved round by round (medians reported):
  * ``einspace.parse`` of every text (the lean run of Lark's tables, see einspace/language/_lark_run.py);
  * the baseline: ``Lark(grammar, parser="lalr", lexer="contextual").parse`` of the same texts, Lark
    building its own parse tree (no transformer), compiled in this process from the same grammar file;
  * Lark's own ``parse`` with our embedded builder (what ``einspace.parse`` did before the lean run,
    and still does for text with an error).
Goals (issue 15): >= 1.5 MB/s, and >= 2x Lark building its own tree. ``--cpu-time`` times with the
process's CPU time instead of the wall clock (steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import einspace  # noqa: E402
from einspace.language import parser as _parser  # noqa: E402
from einspace.language.source import source_of  # noqa: E402


def corpus(samples: int, input: str, seed: int) -> list[str]:
    return [str(einspace.sample(input, seed=seed + i)) for i in range(samples)]


def timed(fn, texts: list[str], clock=time.perf_counter) -> float:
    start = clock()
    for text in texts:
        fn(text)
    return clock() - start


def lark_with_builder():
    """Lark's own parse, with the builder embedded: the path ``parse`` takes for text with an error."""
    parsers = _parser._parsers(source_of(None))

    def run(text: str):
        parsers.text_ref[0] = text
        parsers.builder.start(_parser.MAX_NODES, _parser.MAX_DEPTH)
        return parsers.arch.parse(text)
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=3000)
    ap.add_argument("--input", default="3x32x32")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--cpu-time", action="store_true", help="time with process CPU time, not the wall clock")
    args = ap.parse_args()
    from lark import Lark

    start = time.perf_counter()
    texts = corpus(args.samples, args.input, args.seed)
    drawn = time.perf_counter() - start
    mb = sum(len(t.encode()) for t in texts) / 1e6
    raw = Lark(source_of(None), start="arch", parser="lalr", lexer="contextual", maybe_placeholders=True)
    slow = lark_with_builder()
    for text in texts[:50]:  # warm up: every lexer state, the literal memo
        assert einspace.parse(text) == slow(text)
        raw.parse(text)
    runs: dict[str, list[float]] = {"einspace.parse": [], "Lark tree (baseline)": [], "Lark + builder": []}
    fns = {"einspace.parse": einspace.parse, "Lark tree (baseline)": raw.parse, "Lark + builder": slow}
    for _ in range(args.rounds):
        for name, fn in fns.items():
            runs[name].append(timed(fn, texts, time.process_time if args.cpu_time else time.perf_counter))
    base = statistics.median(runs["Lark tree (baseline)"])
    print(f"{len(texts):,} architectures sampled at {args.input} (seeds {args.seed}..{args.seed + len(texts) - 1}, "
          f"{drawn:.1f} s): {mb:.3f} MB, {mb * 1e6 / len(texts):.0f} bytes each; median of {args.rounds} rounds, "
          f"{'CPU' if args.cpu_time else 'wall'} time")
    print(f"{'parser':24} {'median s':>9} {'MB/s':>7} {'speed / Lark tree':>18}")
    for name, times in runs.items():
        med = statistics.median(times)
        print(f"{name:24} {med:9.3f} {mb / med:7.2f} {base / med:18.2f}")


if __name__ == "__main__":
    main()
