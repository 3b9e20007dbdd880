"""Grammar analysis (``einspace.analysis``): consistency, expected sizes, Table 6 counts, and fitting.

The analysis of a grammar itself lives in :mod:`einspace.language.analysis` and the fitting of its
probabilities to derivations in :mod:`einspace.language.fitting` (both pure, on trees); this package
adds :func:`fit` from a search journal's best trials, which needs the search layer below it.
"""

from __future__ import annotations

from ..errors import FitError
from ..language.analysis import (SYMBOLS, Expectation, Summary, critical_p_computation, expectation, inner_modules,
                                 instantiated_size, matrix, pcfg_counts, spectral_radius, summarize, tree_counts)
from ..language.fitting import DEFAULT_MARGIN, DEFAULT_SMOOTHING, Counts, Fitted, count_draws, fit_counts, fit_trees
from .fitting import DEFAULT_TOP, fit, select_top

__all__ = ["SYMBOLS", "Expectation", "Summary", "critical_p_computation", "expectation", "inner_modules",
           "instantiated_size", "matrix", "pcfg_counts", "spectral_radius", "summarize", "tree_counts",
           "fit", "select_top", "Fitted", "Counts", "FitError", "count_draws", "fit_counts", "fit_trees",
           "DEFAULT_TOP", "DEFAULT_SMOOTHING", "DEFAULT_MARGIN"]
