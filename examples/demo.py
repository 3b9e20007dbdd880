"""einspace in five minutes: the language, the sampler, and a tiny architecture search on real digits.

    make demo                      # or: .venv/bin/python examples/demo.py [--budget 6] [--epochs 2]

1. write an architecture as text, check its types, print its derivation tree;
2. build the AddNIST task offline from the real MNIST digits that ship in a PyPI wheel;
3. run a small random search + mutation on it: sample architectures from the grammar under a
   parameter budget, train each briefly on the CPU, keep the best, mutate it, and report.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

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


def train_and_score(tree, ds, epochs: int, train_limit: int, seed: int) -> tuple[float, float]:
    """Train briefly with SGD (the paper's recipe, shortened) and return (valid accuracy, seconds)."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    net = einspace.build(tree, INPUT, classes=ds.classes)
    opt = torch.optim.SGD(net.parameters(), lr=0.04, momentum=0.9, weight_decay=3e-4, nesterov=True)
    x = torch.from_numpy(ds.train.x[:train_limit])
    y = torch.from_numpy(ds.train.y[:train_limit])
    start = time.perf_counter()
    net.train()
    steps = epochs * (len(x) // 64)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, steps))
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g)
        for i in range(0, len(x) - 63, 64):
            idx = order[i:i + 64]
            loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    net.eval()
    with torch.no_grad():
        vx, vy = torch.from_numpy(ds.valid.x[:2000]), torch.from_numpy(ds.valid.y[:2000])
        acc = sum((net(vx[i:i + 500]).argmax(1) == vy[i:i + 500]).sum().item() for i in range(0, len(vx), 500)) / len(vx)
    return acc, time.perf_counter() - start


def search(budget: int, epochs: int, train_limit: int, seed: int) -> None:
    section("2. data: AddNIST, built offline from real MNIST digits")
    data.build(TASK, size="small", seed=0)
    ds = data.load(TASK)
    print(f"{TASK}: input {ds.task.input}, {ds.classes} classes, "
          f"train/valid/test = {len(ds.train)}/{len(ds.valid)}/{len(ds.test)} (training on {min(train_limit, len(ds.train))})")

    section(f"3. a hand-written reference, random search ({budget} samples), then mutation of the best")
    rng = random.Random(seed)
    # budgets are enforced while sampling: small enough to train in seconds on 2 CPU cores
    limits = dict(max_params=250_000, max_flops=20_000_000, max_memory=150_000)
    results: list[tuple[float, str, int, str]] = []

    def evaluate(tree, how: str) -> float:
        typed = einspace.infer(tree, INPUT)
        acc, secs = train_and_score(tree, ds, epochs, train_limit, seed)
        results.append((acc, einspace.to_string(tree), typed.params, how))
        text = einspace.to_string(tree)
        print(f"  {how:9s} acc {acc:6.1%}  {typed.params:>9,} params  {secs:5.1f}s  {text[:70]}{'…' if len(text) > 70 else ''}",
              flush=True)
        return acc

    evaluate(einspace.parse(HAND_WRITTEN), "by hand")
    for i in range(budget):
        tree = einspace.sample(INPUT, seed=rng.randrange(2**31), **limits)
        evaluate(tree, f"sample {i + 1}")
    best = max(results)
    parent = einspace.parse(best[1])
    for i in range(max(1, budget // 4)):
        child = einspace.mutate(parent, INPUT, seed=rng.randrange(2**31), **limits)
        if evaluate(child, f"mutant {i + 1}") > best[0]:
            parent, best = child, max(results)

    chance = 1 / ds.classes
    acc, text, params, how = max(results)
    section("result")
    print(f"best: {how}, validation accuracy {acc:.1%} (chance {chance:.1%}), {params:,} parameters")
    print(einspace.to_string(einspace.parse(text), "compact"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=6, help="architectures sampled (default %(default)s)")
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
