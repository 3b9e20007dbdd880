"""Several linear layers on the same input as one: their weights and biases concatenated.

The fused multi-head attention projects Q, K and V of every head with one ``F.linear``; its
weight is the concatenation of the heads' own linear weights, which stay the parameters (and the
``state_dict``). While autograd records, the concatenation is made on every call, so gradients
reach each head's parameters. Without autograd (``torch.no_grad`` or ``torch.inference_mode``,
the usual inference) it is cached and made again only when a source parameter changed:

* a write in place (an optimizer step, ``load_state_dict``, ``p.add_`` under ``no_grad``) moves
  the parameter's version counter;
* new data (``net.to(...)``, ``net.double()``, ``p.data = ...``) moves its storage; the cache keeps
  the old data alive while it is held, so a new tensor cannot reuse its address;
* ``net.train()`` / ``net.eval()`` drop the cache (:meth:`FusedLinears.clear`), which covers a
  write through ``p.data`` (``.data`` has a version counter of its own, so the first two checks
  cannot see it).

Tracing (``torch.fx``) and compiling (``torch.compile``) always take the concatenating path.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

__all__ = ["FusedLinears"]


def _cacheable(first: Any) -> bool:
    return (not torch.is_grad_enabled() and isinstance(first, torch.Tensor)
            and not torch.compiler.is_compiling() and not first.is_inference())


class FusedLinears:
    """The concatenated weight and bias of ``linears`` (same input width), for one ``F.linear``.

    A plain object, not a module: the linears stay children of their own containers.
    """

    def __init__(self, linears: Sequence[nn.Linear]):
        self.linears = tuple(linears)
        self._cache: tuple[tuple[torch.Tensor, ...], tuple[int, ...], torch.Tensor, torch.Tensor] | None = None

    def params(self) -> list[torch.Tensor]:
        return [m.weight for m in self.linears] + [m.bias for m in self.linears]

    def weight_bias(self) -> tuple[torch.Tensor, torch.Tensor]:
        params = self.params()
        if not _cacheable(params[0]):
            return self._concat(params)
        versions = tuple(p._version for p in params)
        cache = self._cache
        if (cache is not None and cache[1] == versions
                and all(p.data_ptr() == held.data_ptr() for p, held in zip(params, cache[0]))):
            return cache[2], cache[3]
        weight, bias = self._concat(params)
        self._cache = (tuple(p.detach() for p in params), versions, weight, bias)
        return weight, bias

    def _concat(self, params: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self.linears)
        return torch.cat(params[:n], 0), torch.cat(params[n:], 0)

    def clear(self) -> None:
        """Forget the cached concatenation (the next call without autograd makes it again)."""
        self._cache = None

    def __getstate__(self) -> dict:
        # a copy or a pickle starts without the cache: it refers to the source's tensors
        return {"linears": self.linears, "_cache": None}
