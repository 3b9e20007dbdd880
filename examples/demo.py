"""einspace in five minutes: the language, training, and a tiny architecture search on real digits.

    make demo                      # or: .venv/bin/python examples/demo.py [--budget 12] [--epochs 2]

1. write an architecture as text, check its types, print its derivation tree;
2. build the AddNIST task offline from the real MNIST digits that ship in a PyPI wheel;
3. train the hand-written network with the paper's recipe (shortened), then run a small regularised
   evolution under a size budget, journaled in runs/ (kill it and run the demo again: it resumes),
   and draw the best architecture and a report of the run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import einspace
from einspace import data

TASK = "addnist"
INPUT = "3x28x28"


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)), flush=True)


HAND_WRITTEN = """
# a small residual CNN written by hand
let conv(c, s) = routing[im2col(3,s,1), linear(c), col2im]
let block(c) = branching(2){clone(2), sequential(conv(c, 1), norm, relu, conv(c, 1), norm), identity, add(2)}
sequential(conv(32, 2), norm, relu, block(32), conv(64, 2), norm, relu)
"""


def show_language() -> None:
    section("1. the language")
    tree = einspace.parse(HAND_WRITTEN)
    typed = einspace.infer(tree, INPUT)
    print("canonical:", einspace.to_string(tree)[:150], "...")
    print(f"type: {typed.input} → {typed.output}, {typed.params:,} parameters, {typed.flops / 1e6:.1f} MFLOPs")
    lines = einspace.to_string(tree, "tree", input=INPUT).splitlines()
    print("\n".join(lines[:10]) + f"\n  ... ({len(lines)} lines)")
    try:
        einspace.infer(einspace.parse("routing[identity, linear(64), col2im]"), INPUT)
    except einspace.TypeCheckError as err:
        print("a type error, as the checker reports it:\n ", str(err).replace("\n", "\n  "))


def search(budget: int, epochs: int, train_limit: int, seed: int) -> None:
    section("2. data: AddNIST, built offline from real MNIST digits")
    data.build(TASK, size="small", seed=0)
    ds = data.load(TASK)
    print(f"{TASK}: input {ds.task.input}, {ds.classes} classes, "
          f"train/valid/test = {len(ds.train)}/{len(ds.valid)}/{len(ds.test)} (training on {min(train_limit, len(ds.train))})")

    section("3. train the hand-written network, then a small regularised evolution")
    short = dict(epochs=epochs, train_limit=train_limit, valid_limit=2000, batch_size=64, threads=2)
    ref = einspace.train(einspace.parse(HAND_WRITTEN), TASK, seed=seed, progress=False, **short)
    print(f"  by hand: {ref.status}, {ref.score:.1%} on valid (chance {1 / ds.classes:.1%}), "
          f"{ref.params:,} params, {ref.total_seconds:.1f} s")
    # proposals stay small enough to train in seconds on 2 CPU cores
    limits = dict(max_params=250_000, max_flops=20_000_000, max_memory=150_000)
    config = einspace.search.configure(TASK, strategy="re", evaluations=budget, population=max(2, budget // 3),
                                       tournament=3, seed=seed, limits=limits, **short)
    journal = Path("runs") / f"demo-b{budget}-e{epochs}-s{seed}.db"
    result = einspace.search.run(config, journal=journal, display="plain")
    best = result.best
    section("result")
    print(f"best of {budget}: trial {best.id} ({best.origin}), {best.score:.1%} on valid, "
          f"{best.evaluation['params']:,} parameters (the hand-written one: {ref.score:.1%})")
    print(einspace.to_string(einspace.parse(best.arch), "compact"))
    from einspace.viz import draw_tree, write_report
    picture = journal.with_suffix(".png")
    draw_tree(einspace.parse(best.arch), input=INPUT).savefig(picture)
    report = write_report(journal, journal.with_suffix(".html"))
    print(f"\njournal: {journal}  (einspace runs show {journal})\npicture: {picture}\nreport:  {report}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=12, help="architectures trained (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs per architecture (default %(default)s)")
    parser.add_argument("--train-limit", type=int, default=4500, help="training images used (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default %(default)s)")
    args = parser.parse_args(argv)
    show_language()
    try:
        search(args.budget, args.epochs, args.train_limit, args.seed)
    except data.DataError as err:
        print(f"cannot build the demo data: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
