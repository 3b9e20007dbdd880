"""The interpreter: run any architecture as a ``torch.nn.Module``.

* :func:`build` — evaluated AST → module (one submodule per node), optional task head;
* :func:`summary` — the layer table (layer, output type, parameters) without torch.

Modules: ``registry`` (torch builders by operation name: :func:`register_builder`), ``ops`` (the
built-in operations' builders), ``modules`` (the four containers), ``lowering``
(patterns that run as fused PyTorch operations), ``flat`` (nested chains run as one loop),
``fused`` (the fused attention's concatenated weights, cached without autograd), ``heads`` /
``head_rules`` (task heads), ``builder``, ``guard`` (the size limits a build checks first, torch-free), ``stack`` (the recursion
limit of deep forward passes), ``summary``. torch is imported only when :func:`build` is first called.
"""

from __future__ import annotations

from typing import Any

from ..errors import MissingDependency
from .guard import DEFAULT_MAX_MEMORY, DEFAULT_MAX_NODES, DEFAULT_MAX_PARAMS, guard, over_limits
from .head_rules import HeadError, head_output, head_params
from .registry import register_builder
from .summary import Row, Summary, summary

__all__ = ["build", "summary", "Summary", "Row", "HeadError", "head_params", "head_output", "TORCH_HINT",
           "register_builder", "builders", "guard", "over_limits", "DEFAULT_MAX_PARAMS", "DEFAULT_MAX_MEMORY",
           "DEFAULT_MAX_NODES"]

#: how to get torch, which building (not summary) needs; the README's "GPU users" note says more
TORCH_HINT = ("building and running networks needs PyTorch, which is not installed: pip install torch "
              "(or pip install 'einspace[torch]'; `make setup` installs the CPU wheel torch==2.13.0). GPU users: "
              "install the build for your CUDA version first, e.g. pip install torch --index-url "
              "https://download.pytorch.org/whl/cu124 (see 'GPU users' in the README)")


def build(tree: Any, input: Any, classes: int | None = None, *, lower: bool = True, dense: Any = None,
          max_params: int | None = DEFAULT_MAX_PARAMS, max_memory: int | None = DEFAULT_MAX_MEMORY,
          max_nodes: int | None = DEFAULT_MAX_NODES):
    """Build architecture ``tree`` at input type ``input`` as a ``torch.nn.Module``.

    ``classes=K`` adds a classification head (returns ``Network(backbone, head)``),
    ``dense=(K, H, W)`` a dense-prediction head; with neither, the backbone alone. ``lower=False``
    runs every node as written (no fused convolution or attention); both paths have the same
    parameters and ``state_dict`` keys. Raises :class:`einspace.TypeCheckError` if ``tree`` does
    not type-check at ``input``, :class:`HeadError` for a bad head request, and
    :class:`einspace.errors.MissingDependency` (saying how to install it) without torch.

    The build guard refuses, with :class:`einspace.BuildRefused` and before allocating anything,
    a network of more than ``max_params`` parameters (head included), ``max_memory`` activation
    elements per sample or ``max_nodes`` instantiated nodes (defaults 200M, 500M and 100,000, sized
    for a 24 GiB machine; None: no limit).
    """
    from ..types.evaluator import infer
    typed = infer(tree, input)
    limits = {"max_params": max_params, "max_memory": max_memory, "max_nodes": max_nodes}
    guard(typed, classes, dense, **limits)  # before torch is imported: a refusal is instant
    try:
        from .builder import build_typed
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] != "torch":
            raise
        raise MissingDependency("torch", TORCH_HINT) from None
    return build_typed(typed, classes, lower=lower, dense=dense, **limits)


def builders() -> dict:
    """Every registered torch builder by operation name, the built-in ones included (loads torch)."""
    from . import ops  # noqa: F401  (registers the built-in builders)
    from .registry import builders as registered
    return registered()
