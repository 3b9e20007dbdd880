"""The training loop of einspace.train vs a plain loop written here, on the same built module.

Run as a script (prints a table)::

    python tests/benchmarks/bench_train.py [--seed-arch resnet18] [--samples 1024] [--rounds 3]
                                           [--eval-limit 5000] [--skip-eval]

Both loops train the *same* module (reset to the same initial weights before every round) on the
same AddNIST tensors at batch 256, interleaved and alternating which goes first; the figure is
images/s of the toolkit's loop (``einspace.training.loop.fit``, what ``train`` runs) over images/s
of the plain loop (goal: >= 0.97). Then one ``einspace.train`` call end to end: a search-fidelity
evaluation (8 epochs, valid scored every epoch) of the seed at ``train_limit=5000``.
AddNIST is built offline first if it is missing.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

import einspace
from einspace import data, seeds
from einspace.training import Recipe
from einspace.training.loop import fit

BATCH = 256


def plain_epoch(net, opt, x, y, generator) -> float:
    """What a person writes: permute, slice, forward, loss, backward, step. Seconds."""
    start = time.perf_counter()
    net.train()
    order = torch.randperm(len(y), generator=generator)
    for i in range(len(y) // BATCH):
        idx = order[i * BATCH:(i + 1) * BATCH]
        loss = F.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def toolkit_epoch(net, x, y, sx, sy, recipe, generator) -> float:
    """One epoch of the loop train() runs; its own clock of the training part. Seconds."""
    result = fit(net, (x, y), (sx, sy), recipe, 1, generator)
    return result.train_seconds


def compare(arch: str, samples: int, rounds: int) -> dict:
    ds = data.load("addnist")
    x = torch.from_numpy(ds.train.x[:samples]).contiguous()
    y = torch.from_numpy(ds.train.y[:samples]).long()
    sx, sy = x[:BATCH], y[:BATCH]          # a token scoring split: the comparison is of training
    recipe = Recipe(batch_size=BATCH)
    torch.manual_seed(0)
    net = einspace.build(seeds.load(arch), ds.input, classes=ds.classes)
    initial = {k: v.clone() for k, v in net.state_dict().items()}
    images = (samples // BATCH) * BATCH
    plain_s, ours_s = [], []
    for r in range(rounds + 1):                # round 0 warms both up and is not counted
        order = ("plain", "ours") if r % 2 == 0 else ("ours", "plain")
        for who in order:
            net.load_state_dict(initial)
            g = torch.Generator().manual_seed(r)
            if who == "plain":
                opt = torch.optim.SGD(net.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                                      weight_decay=recipe.weight_decay)
                s = plain_epoch(net, opt, x, y, g)
                if r:
                    plain_s.append(s)
            else:
                s = toolkit_epoch(net, x, y, sx, sy, recipe, g)
                if r:
                    ours_s.append(s)
    plain_ips = images / statistics.median(plain_s)
    ours_ips = images / statistics.median(ours_s)
    return {"plain_ips": plain_ips, "ours_ips": ours_ips, "ratio": ours_ips / plain_ips,
            "plain_s": plain_s, "ours_s": ours_s, "images": images}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed-arch", default="resnet18")
    ap.add_argument("--samples", type=int, default=1024, help="training images per round (default 1024)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-limit", type=int, default=5000, help="train_limit of the end-to-end evaluation")
    ap.add_argument("--eval-epochs", type=int, default=8)
    ap.add_argument("--skip-eval", action="store_true", help="only the loop comparison")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        data.load("addnist")
    except data.DataError:
        data.build("addnist")
    r = compare(args.seed_arch, args.samples, args.rounds)
    print(f"{args.seed_arch} on AddNIST 3x28x28, batch {BATCH}, {r['images']} images per epoch, "
          f"{args.threads} threads, median of {args.rounds} rounds after a warm-up, torch {torch.__version__}")
    print(f"{'loop':10s} {'images/s':>10s}  epoch seconds")
    print(f"{'plain':10s} {r['plain_ips']:>10.1f}  {', '.join(f'{s:.2f}' for s in r['plain_s'])}")
    print(f"{'einspace':10s} {r['ours_ips']:>10.1f}  {', '.join(f'{s:.2f}' for s in r['ours_s'])}")
    print(f"ratio einspace / plain (images/s, medians): {r['ratio']:.3f}  (goal >= 0.97)", flush=True)
    if not args.skip_eval:
        start = time.perf_counter()
        ev = einspace.train(seeds.load(args.seed_arch), "addnist", train_limit=args.eval_limit,
                            epochs=args.eval_epochs, threads=args.threads, progress=False)
        wall = time.perf_counter() - start
        print(f"one evaluation (train_limit={args.eval_limit}, {args.eval_epochs} epochs, valid "
              f"{ev.score_samples} scored each epoch): {wall:.1f} s wall, {ev.train_seconds:.1f} s training, "
              f"{ev.score_seconds:.1f} s scoring; {ev.status}, score {ev.score}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
