#!/usr/bin/env python
"""Build each offline task and score simple reference models on it.

A sanity check of the builders, not a benchmark: a task is useful for NAS when a plain model
learns something (clearly above chance) but not everything (below 100%). For each task this
prints the build wall time, shapes, split sizes and the test accuracy of a multinomial logistic
regression and a one-hidden-layer MLP (scikit-learn) trained on the normalised, flattened train
split (optionally a random subset of it).

    python scripts/data_baselines.py                      # all seven tasks, full size
    python scripts/data_baselines.py addnist --size small --json results.json

Needs scikit-learn (``pip install -e .[data]``); the builders fetch their own sources.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from typing import Any

import numpy as np

from einspace import data

DEFAULT_TASKS = ("addnist", "multnist", "language", "chesseract", "gutenberg", "fashion",
                 "fashiontile")


def log(message: str) -> None:
    print(f"[baselines] {message}", file=sys.stderr, flush=True)


def subset(x: np.ndarray, y: np.ndarray, limit: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if limit is None or len(y) <= limit:
        return x, y
    pick = np.random.default_rng(seed).choice(len(y), size=limit, replace=False)
    return x[pick], y[pick]


def score_models(ds: data.Dataset, models: list[str], limit: int | None, seed: int) -> dict[str, Any]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    xtr, ytr = subset(ds.train.x.reshape(len(ds.train), -1), ds.train.y, limit, seed)
    xte, yte = ds.test.x.reshape(len(ds.test), -1), ds.test.y
    out: dict[str, Any] = {"train_used": int(len(ytr))}
    for name in models:
        if name == "logreg":
            model = LogisticRegression(max_iter=100, C=0.05)
        else:
            model = MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, batch_size=256,
                                  max_iter=40, early_stopping=True, n_iter_no_change=5,
                                  random_state=seed)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(xtr, ytr)
        out[name] = {"test_accuracy": round(float((model.predict(xte) == yte).mean()), 4),
                     "train_accuracy": round(float((model.predict(xtr) == ytr).mean()), 4),
                     "fit_seconds": round(time.perf_counter() - start, 1)}
        log(f"{ds.name}: {name} test accuracy {out[name]['test_accuracy']:.4f} "
            f"({out[name]['fit_seconds']} s)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tasks", nargs="*", default=list(DEFAULT_TASKS))
    parser.add_argument("--root", help="data root (default: $EINSPACE_DATA or ~/.cache/einspace/data)")
    parser.add_argument("--size", default="full", choices=("tiny", "small", "full"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument("--models", default="logreg,mlp", help="comma list of logreg, mlp")
    parser.add_argument("--train-limit", type=int, default=20000,
                        help="fit on at most this many training samples (0: all)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    models = [m for m in args.models.split(",") if m]
    if set(models) - {"logreg", "mlp"}:
        parser.error(f"unknown model in {args.models!r}")
    results = []
    for name in args.tasks:
        start = time.perf_counter()
        try:
            data.build(name, args.root, seed=args.seed, size=args.size, force=args.force)
        except data.DataError as err:
            log(f"{name}: build failed: {err}")
            results.append({"name": name, "error": str(err)})
            continue
        wall = round(time.perf_counter() - start, 1)
        info = data.describe(name, args.root)
        ds = data.load(name, args.root)
        row = {"name": name, "input": info["input"], "classes": info["classes"],
               "splits": info["splits"], "chance": round(1 / info["classes"], 4),
               "build_wall_seconds": wall, "builder_seconds": info.get("build_seconds"),
               "source": info["source"]}
        row.update(score_models(ds, models, args.train_limit or None, args.seed))
        results.append(row)
    print("| task | input | classes | train/valid/test | build s | chance | "
          + " | ".join(f"{m} test acc" for m in models) + " |")
    print("|---|---|---|---|---|---|" + "---|" * len(models))
    for r in results:
        if "error" in r:
            print(f"| {r['name']} | build failed: {r['error'][:80]} |")
            continue
        s = r["splits"]
        print(f"| {r['name']} | {r['input']} | {r['classes']} | {s['train']}/{s['valid']}/{s['test']} "
              f"| {r['build_wall_seconds']} | {r['chance']:.3f} | "
              + " | ".join(f"{r[m]['test_accuracy']:.3f}" for m in models) + " |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
