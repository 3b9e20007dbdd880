"""How well the search's surrogate ranks architectures it has not seen, on the study's journals.

    python scripts/surrogate_holdout.py [--out docs/results] [--kind rf] [--folds 5]

For each task, the distinct scored architectures of all its journals are split into ``--folds``
folds (seeded); the surrogate (``einspace.search.surrogate``, the regressor ``--surrogate`` uses,
over ``einspace.search.features``) is fitted on the other folds and predicts the held-out one, and
the Spearman correlation of all held-out predictions with the validation scores is printed. The
"other tasks" column fits on every other task's trials instead (does a surrogate transfer?).
Nothing is trained: a few seconds.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from study_report import read_cells


def rows_of(cells: list, task: str) -> tuple[list, list[float]]:
    from einspace.data.tasks import get_task
    from einspace.search.features import features
    meta = get_task(task)
    seen: dict[str, float] = {}
    for cell in cells:
        if cell.task == task:
            for t in cell.scored():
                seen.setdefault(t.hash, (t.arch, t.score))
    pairs = sorted(seen.values())
    return [features(a, meta.input, classes=meta.classes) for a, _ in pairs], [s for _, s in pairs]


def holdout(x: list, y: list[float], kind: str, folds: int, seed: int) -> float | None:
    from einspace.search.surrogate import Surrogate, spearman
    order = list(range(len(y)))
    random.Random(seed).shuffle(order)
    predicted = [0.0] * len(y)
    for k in range(folds):
        test = set(order[k::folds])
        train = [i for i in order if i not in test]
        model = Surrogate(kind, seed=seed).fit([x[i] for i in train], [y[i] for i in train])
        for i, p in zip(sorted(test), model.predict([x[i] for i in sorted(test)])):
            predicted[i] = p
    return spearman(predicted, y)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="docs/results", help="folder of the study's journals")
    parser.add_argument("--kind", default="rf", choices=("rf", "gbr", "knn"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from einspace.search.surrogate import Surrogate, spearman
    cells = read_cells(Path(args.out))
    tasks = list(dict.fromkeys(c.task for c in cells))
    data = {t: rows_of(cells, t) for t in tasks}
    print(f"| task | architectures | Spearman, {args.folds}-fold held out | Spearman, fitted on the other tasks |")
    print("|---|---|---|---|")
    for task in tasks:
        x, y = data[task]
        inner = holdout(x, y, args.kind, args.folds, args.seed)
        others = [(r, s) for t in tasks if t != task for r, s in zip(*data[t])]
        transfer = None
        if others:   # features differ in length only with another grammar; the study uses one
            model = Surrogate(args.kind, seed=args.seed).fit([r for r, _ in others], [s for _, s in others])
            transfer = spearman(model.predict(x), y)
        show = ["—" if v is None else f"{v:.2f}" for v in (inner, transfer)]
        print(f"| {task} | {len(y)} | {show[0]} | {show[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
