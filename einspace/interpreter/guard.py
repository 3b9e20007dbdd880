"""The build guard: refuse, from the cost model alone, a network too big to allocate.

One rule serves :func:`einspace.build` (with default limits that fit a 24 GiB machine) and the
training status ``too_big`` (with the fidelity's limits), so what ``train`` refuses and what
``build`` refuses agree. Torch-free: a refusal costs an ``infer``, never an allocation.

Defaults: ``DEFAULT_MAX_PARAMS`` = 200M parameters is 0.8 GB of float32 weights, about 3.2 GB
with gradients and two optimiser moments; ``DEFAULT_MAX_MEMORY`` = 500M activation elements is
2 GB for the batch-1 forward pass ``einspace build`` runs. Both leave room on a 24 GiB machine
and sit far above the paper's networks (ResNet-18: 11M parameters). ``DEFAULT_MAX_NODES`` = 100,000
nodes of the instantiated network (a 4/8-way template once per copy, the unit of the sampler's
``max_nodes``): each becomes a torch module of about 2.5 KB that takes about 50 µs to make, so
nested 8-way branches of tiny tensors, within both other limits, would still take gigabytes and
minutes; 100,000 is about 5 seconds and 250 MB.
"""

from __future__ import annotations

from typing import Any, Optional

from ..errors import ArgumentError, BuildRefused
from ..language.ast import is_int
from ..types.evaluator import Typed
from ..types.rules import MAX_SIZE
from .head_rules import dense_target, head_params

__all__ = ["DEFAULT_MAX_PARAMS", "DEFAULT_MAX_MEMORY", "DEFAULT_MAX_NODES", "over_limits", "guard",
           "instantiated_nodes"]

#: parameters (head included) above which :func:`einspace.build` refuses by default
DEFAULT_MAX_PARAMS = 200_000_000
#: activation elements of one sample (``infer(...).memory``) above which it refuses by default
DEFAULT_MAX_MEMORY = 500_000_000
#: nodes of the instantiated network (each a torch module) above which it refuses by default
DEFAULT_MAX_NODES = 100_000


def instantiated_nodes(typed: Typed) -> int:
    """AST nodes of the network as built, terminals included, a 4/8-way template once per copy."""
    return sum(info.copies for info in typed.nodes)


def over_limits(typed: Typed, params: int, max_params: Optional[int], max_memory: Optional[int],
                max_nodes: Optional[int] = DEFAULT_MAX_NODES) -> Optional[BuildRefused]:
    """The refusal of ``typed`` (with ``params`` counting the head) under the limits, None within
    them; a limit of None is not checked."""
    for name, limit in (("max_params", max_params), ("max_memory", max_memory), ("max_nodes", max_nodes)):
        _check_limit(name, limit)
    if max_params is not None and params > max_params:
        return BuildRefused("params", params, max_params,
                            f"{params:,} parameters predicted, over max_params {max_params:,}")
    if max_memory is not None and typed.memory > max_memory:
        return BuildRefused("memory", typed.memory, max_memory,
                            f"{typed.memory:,} activation elements per sample predicted, "
                            f"over max_memory {max_memory:,}")
    if max_nodes is not None:
        nodes = instantiated_nodes(typed)
        if nodes > max_nodes:
            return BuildRefused("nodes", nodes, max_nodes, f"{nodes:,} nodes in the instantiated network (a 4/8-way "
                                                           f"template once per copy), over max_nodes {max_nodes:,}")
    return None


def guard(typed: Typed, classes: Any = None, dense: Any = None, *, max_params: Optional[int] = DEFAULT_MAX_PARAMS,
          max_memory: Optional[int] = DEFAULT_MAX_MEMORY, max_nodes: Optional[int] = DEFAULT_MAX_NODES) -> int:
    """The parameter count with the head, or :class:`BuildRefused` if a size is beyond what torch
    takes or a figure over its limit (HeadError for a malformed head request, ArgumentError for a
    malformed limit)."""
    sizes = [("input", "an input dimension", s) for s in typed.input.shape]
    if classes is not None:
        sizes.append(("classes", "the class count", classes))
    if dense is not None:
        sizes += [("dense", "a dense target size", s) for s in dense_target(dense)]
    for figure, what, size in sizes:
        if is_int(size) and size > MAX_SIZE:
            raise BuildRefused(figure, size, MAX_SIZE, f"{what}, {size:,}, is over the largest size torch "
                                                       f"takes, {MAX_SIZE:,}")
    params = typed.params + head_params(typed.output, classes, dense)
    refused = over_limits(typed, params, max_params, max_memory, max_nodes)
    if refused is not None:
        raise refused
    return params


def _check_limit(name: str, limit: Optional[int]) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ArgumentError(f"{name} must be a non-negative integer or None, got {limit!r}")
