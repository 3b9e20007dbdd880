"""Benchmark: parsing and type inference.

Run:  python tests/benchmarks/bench_language.py   (or `make bench`)

Reports, for a large generated architecture (a balanced tree of convolution blocks, 0.6 MB of
canonical text, above the parser's default node limit, raised here) and for the ResNet18 seed:
  * parse throughput in MB/s, and parse + infer time;
  * ratios against baselines measured in the same run: Lark alone building its generic parse tree
    with the same grammar (the floor for any Lark-based parser), and ``json.loads`` of the same
    tree encoded as JSON (a C-speed reference for reading nested text).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import einspace  # noqa: E402
from einspace.language.source import source_of as _source_of  # noqa: E402

UNIT = "sequential(routing[im2col(3,1,1), computation<linear(64)>, col2im], sequential(computation<norm>, computation<relu>))"


def balanced(depth: int) -> str:
    text = UNIT
    for _ in range(depth):
        text = f"branching(2){{clone(2), {text}, {text}, add(2)}}"
    return text


def as_json(node) -> object:
    if isinstance(node, einspace.Terminal):
        return einspace.to_string(node)
    return [type(node).__name__, [as_json(c) for c in node.children]]


def timeit(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    from lark import Lark
    text = balanced(12)
    mb = len(text.encode()) / 1e6
    # 57,341 nodes: above the parser's default limit (einspace.language.limits.MAX_NODES, which
    # bounds untrusted text), so the limit is raised for this trusted benchmark text
    limit = 4 * len(text)
    tree = einspace.parse(text, max_nodes=limit)
    raw = Lark(_source_of(None), start="arch", parser="lalr", lexer="contextual", maybe_placeholders=True)
    encoded = json.dumps(as_json(tree))

    t_parse = timeit(lambda: einspace.parse(text, max_nodes=limit), 3)
    t_lark = timeit(lambda: raw.parse(text), 3)
    t_json = timeit(lambda: json.loads(encoded), 3)
    t_infer = timeit(lambda: einspace.infer(tree, "3x32x32"), 3)
    t_print = timeit(lambda: einspace.to_string(tree), 3)

    print(f"large architecture: {mb:.2f} MB canonical text, {tree.size:,} nodes, depth {tree.depth}")
    print(f"  parse            {t_parse * 1e3:9.1f} ms   {mb / t_parse:6.2f} MB/s")
    print(f"  Lark tree only   {t_lark * 1e3:9.1f} ms   {mb / t_lark:6.2f} MB/s   ratio parse/lark = {t_parse / t_lark:.2f}")
    print(f"  json.loads       {t_json * 1e3:9.1f} ms   (ratio parse/json = {t_parse / t_json:.1f})")
    print(f"  infer            {t_infer * 1e3:9.1f} ms   ({tree.size / t_infer / 1e6:.2f} M nodes/s)")
    print(f"  print canonical  {t_print * 1e3:9.1f} ms   {mb / t_print:6.2f} MB/s")
    print(f"  parse + infer    {(t_parse + t_infer) * 1e3:9.1f} ms")

    try:
        from einspace import seeds
        names = seeds.names()
    except (ImportError, AttributeError):
        names = []
    for name in [n for n in ("resnet18", "vit") if n in names]:
        src = seeds.text(name)
        canonical = str(seeds.load(name))
        for label, s in (("let text", src), ("canonical", canonical)):
            t = timeit(lambda: einspace.infer(einspace.parse(s), "3x64x64"), 50)
            print(f"seed {name} ({label}, {len(s):,} chars): parse + infer {t * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
