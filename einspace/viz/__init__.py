"""Pictures: derivation trees, data-flow graphs, Graphviz text; search plots and run reports.

Names are loaded on first use: ``import einspace.viz`` imports neither matplotlib nor networkx;
:func:`dataflow` needs networkx, the drawing functions matplotlib (the Agg canvas, no display).

>>> from einspace.viz import COLOURS, group_of
>>> COLOURS["branching"]
'#f7d44c'
"""

from __future__ import annotations

import importlib
from typing import Any

from .colours import COLOURS, GROUP_ORDER, TEXT_COLOURS, group_of

__all__ = ["draw_tree", "layout_tree", "draw_graph", "dataflow", "to_dot", "COLOURS", "TEXT_COLOURS",
           "GROUP_ORDER", "group_of", "best_so_far", "score_vs_params", "op_frequency", "plot_all",
           "write_report"]

_LAZY = {"draw_tree": ".tree", "layout_tree": ".tree", "draw_graph": ".graph", "dataflow": ".dataflow",
         "to_dot": ".dot", "best_so_far": ".plots", "score_vs_params": ".plots", "op_frequency": ".plots",
         "plot_all": ".plots", "write_report": ".report"}
# (the lineage plot is einspace.viz.lineage.lineage: a name equal to its module's is not re-exported)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
