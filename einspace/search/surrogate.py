"""The surrogate model: a scikit-learn regressor from architecture features to scores.

Surrogate-filtered evolution (:mod:`.strategies.surrogate`) asks one question of it — which of
these untrained mutants will score best — so the model only needs to *rank*; it is refitted on
every trained trial each time it is asked and more results have come in since. The regressors are
scikit-learn's (a well-kept library, not ours), each behind a median imputer, since a zero-cost
proxy may be missing (not finite) for some trials. Fitting is seeded and single-threaded, so the
same trials give the same model in every process, and a resumed search ranks as the first did.
scikit-learn is imported on first use: reading journals never needs it.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence

from ..errors import SearchError

__all__ = ["Surrogate", "spearman", "MIN_FIT"]

#: trained trials the surrogate needs before it ranks anything (fewer: plain evolution goes on)
MIN_FIT = 5


def _regressor(kind: str, seed: int, n: int) -> Any:
    try:
        from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
        from sklearn.impute import SimpleImputer
        from sklearn.neighbors import KNeighborsRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
    except ImportError as err:  # a declared dependency; only a broken install lacks it
        raise SearchError(f"the surrogate needs scikit-learn (pip install 'scikit-learn>=1.3'): {err}") from None
    impute = SimpleImputer(strategy="median", keep_empty_features=True)
    if kind == "rf":
        model = RandomForestRegressor(n_estimators=100, random_state=seed, n_jobs=1)
    elif kind == "gbr":
        model = GradientBoostingRegressor(n_estimators=100, max_depth=3, random_state=seed)
    elif kind == "knn":   # distances need comparable scales
        return make_pipeline(impute, StandardScaler(), KNeighborsRegressor(n_neighbors=min(5, n), weights="distance"))
    else:
        raise SearchError(f"unknown surrogate {kind!r}")
    return make_pipeline(impute, model)


class Surrogate:
    """One regressor of ``kind`` (``rf``, ``gbr``, ``knn``), fitted on (features, score) pairs."""

    def __init__(self, kind: str, seed: int = 0) -> None:
        self.kind, self.seed = kind, seed
        self.model: Any = None
        self.fitted_on = 0

    def fit(self, rows: Sequence[Sequence[Optional[float]]], scores: Sequence[float]) -> "Surrogate":
        """Fit on ``rows`` (feature vectors; None or NaN where a value is missing) and their scores."""
        if len(rows) != len(scores) or not rows:
            raise SearchError(f"a surrogate fits on matching rows and scores, got {len(rows)} and {len(scores)}")
        import numpy as np
        self.model = _regressor(self.kind, self.seed, len(rows))
        self.model.fit(_matrix(rows), np.asarray(scores, dtype=float))
        self.fitted_on = len(rows)
        return self

    def predict(self, rows: Sequence[Sequence[Optional[float]]]) -> list[float]:
        """The predicted score of each row."""
        if self.model is None:
            raise SearchError("the surrogate is not fitted yet")
        return [float(v) for v in self.model.predict(_matrix(rows))]


def _matrix(rows: Sequence[Sequence[Optional[float]]]) -> Any:
    import numpy as np
    return np.asarray([[math.nan if v is None else float(v) for v in row] for row in rows], dtype=float)


def _ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties given their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> Optional[float]:
    """Spearman's rank correlation of two equal-length sequences; None with fewer than 3 pairs or
    when either is constant (the correlation is undefined).

    >>> spearman([1, 2, 3, 4], [10, 20, 30, 25])
    0.8
    """
    if len(xs) != len(ys):
        raise SearchError(f"spearman needs equal lengths, got {len(xs)} and {len(ys)}")
    if len(xs) < 3:
        return None
    rx, ry = _ranks(list(xs)), _ranks(list(ys))
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx, syy = sum((a - mx) ** 2 for a in rx), sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)
