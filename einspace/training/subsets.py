"""Class-balanced subsets: the ``train_limit`` / ``valid_limit`` of a fidelity.

A subset keeps the class proportions as even as the data allows (counts differ by at most one
where every class has enough samples) and is a pure function of the labels, the size and the seed,
so the same fidelity always trains on the same images.
"""

from __future__ import annotations

import numpy as np

__all__ = ["balanced_subset"]


def balanced_subset(labels: np.ndarray, limit: int | None, seed: int) -> np.ndarray:
    """Sorted indices of at most ``limit`` samples, spread evenly over the classes in ``labels``.

    ``None`` or a limit at least the number of samples keeps everything. Classes with fewer samples
    than their share give the rest to the others, so the subset always has ``min(limit, n)`` items.
    """
    n = len(labels)
    if limit is None or limit >= n:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    classes, inverse = np.unique(labels, return_inverse=True)
    pools = [rng.permutation(np.flatnonzero(inverse == c)) for c in range(len(classes))]
    take = np.zeros(len(pools), dtype=np.int64)
    remaining = limit
    open_ = [c for c in range(len(pools))]
    while remaining > 0 and open_:
        share, extra = divmod(remaining, len(open_))
        # the classes that get one more than the share are drawn from the seed, not the label order
        lucky = set(rng.permutation(open_)[:extra].tolist())
        for c in open_:
            want = share + (1 if c in lucky else 0)
            got = min(want, len(pools[c]) - int(take[c]))
            take[c] += got
            remaining -= got
        open_ = [c for c in open_ if take[c] < len(pools[c])]
    chosen = np.concatenate([pool[:k] for pool, k in zip(pools, take)])
    return np.sort(chosen)
