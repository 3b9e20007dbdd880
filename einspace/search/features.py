"""A fixed-length numeric description of an architecture at a task's input type, for surrogates.

A surrogate model ranks untrained architectures by what the typed tree says about them, so the
vector holds what the type evaluator knows without building anything: how many operations of each
colour group and of each kind (by the slot they fill, as the paper's figures colour them), the
tree's size and depth, how it branches, and the cost model's parameters (head included), FLOPs and
activation memory — the figures :func:`einspace.train` reports and its ``max_memory`` limit checks.

The names are fixed by the grammar (its operations, by role), so every architecture of one search
gives a vector of the same length, in the same order::

    >>> from einspace.search.features import feature_names, features
    >>> names = feature_names()
    >>> len(features("sequential(routing[im2col(4,4,0), linear(16), col2im], relu)", "1x28x28",
    ...              classes=10)) == len(names)
    True

Counts are plain numbers; the three costs and the output width are ``log10(1 + x)``, so distances
(for ``knn``) are not dominated by the largest networks. Pure Python: no torch.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Optional

from ..interpreter.guard import instantiated_nodes
from ..interpreter.head_rules import head_params
from ..language.ast import SLOT_SYMBOLS, Branching, Module, Terminal
from ..language.grammar import MODULE_KINDS, TERMINAL_SYMBOLS, load_grammar
from ..language.ops.base import GROUPS
from ..language.parser import as_tree
from ..types.evaluator import infer

__all__ = ["feature_names", "features", "FACTORS", "SHAPE_FEATURES"]

#: the branching factors the grammar's branching functions take
FACTORS = (2, 4, 8)
#: the features that do not depend on the grammar's operations, in order
SHAPE_FEATURES = (
    ("size", "nodes of the derivation tree (modules and operations)"),
    ("depth", "depth of the derivation tree"),
    *((f"module.{kind}", f"{kind} modules") for kind in MODULE_KINDS),
    *((f"group.{group}", f"operations of the {group} colour group")
      for group in ("branching", "aggregation", "routing", "computation")),
    *((f"branching.x{b}", f"{b}-way branchings") for b in FACTORS),
    ("copies.max", "the most copies of any node (product of the enclosing 4/8-way factors)"),
    ("nodes.built", "nodes of the network as built, a 4/8-way template once per copy"),
    ("log.params", "log10(1 + parameters), the classification head included"),
    ("log.flops", "log10(1 + FLOPs of one sample), the cost model's"),
    ("log.memory", "log10(1 + activation elements of one sample), what max_memory bounds"),
    ("log.width", "log10(1 + the output's first dimension), what the head sees"),
)


@lru_cache(maxsize=8)
def _operation_names(grammar: Any) -> tuple[str, ...]:
    names = []
    for role in TERMINAL_SYMBOLS:
        names += [f"op.{role}.{op.name}" for op in grammar.operations(role)]
        names.append(f"op.{role}.other")   # an operation the grammar has no rule for (an extension)
    return tuple(names)


def feature_names(grammar: Any = None) -> tuple[str, ...]:
    """The names of :func:`features`' entries, in order, for ``grammar`` (None: the default).

    :data:`SHAPE_FEATURES`, then one count per operation of each role (``op.C.linear``,
    ``op.R1.identity``, ... and ``op.<role>.other``): ``identity`` as a prerouting and as a
    computation are different features, as they are different choices of the sampler.
    """
    g = load_grammar(grammar)
    return tuple(name for name, _ in SHAPE_FEATURES) + _operation_names(g)


def features(arch: Any, input: Any, *, classes: Optional[int] = None, grammar: Any = None) -> tuple[float, ...]:
    """The feature vector of ``arch`` (text or tree) at input type ``input`` (names: :func:`feature_names`).

    ``classes`` adds the classification head's parameters to ``log.params``, as training counts them.
    Raises TypeCheckError (an EinspaceError) when ``arch`` does not type-check at ``input``.
    """
    g = load_grammar(grammar)
    tree = as_tree(arch, grammar=g)
    typed = infer(tree, input)
    names = feature_names(g)
    index = {name: i for i, name in enumerate(names)}
    vec = [0.0] * len(names)
    vec[index["size"]] = float(tree.size)
    vec[index["depth"]] = float(tree.depth)
    copies = 1
    for info in typed.nodes:
        node = info.node
        copies = max(copies, info.copies)
        if isinstance(node, Module):
            vec[index[f"module.{node.kind}"]] += 1
            if isinstance(node, Branching) and node.factor in FACTORS:
                vec[index[f"branching.x{node.factor}"]] += 1
        elif isinstance(node, Terminal):
            role = SLOT_SYMBOLS[info.path.rsplit(".", 1)[-1]]
            vec[index[f"group.{GROUPS[role]}"]] += 1
            slot = index.get(f"op.{role}.{node.name}", index[f"op.{role}.other"])
            vec[slot] += 1
    params = typed.params + (head_params(typed.output, classes) if classes else 0)
    vec[index["copies.max"]] = float(copies)
    vec[index["nodes.built"]] = float(instantiated_nodes(typed))
    vec[index["log.params"]] = math.log10(1 + params)
    vec[index["log.flops"]] = math.log10(1 + typed.flops)
    vec[index["log.memory"]] = math.log10(1 + typed.memory)
    vec[index["log.width"]] = math.log10(1 + (typed.output.shape[0] if typed.output.shape else 0))
    return tuple(vec)
