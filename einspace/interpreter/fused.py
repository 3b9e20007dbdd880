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

Tracing (``torch.fx``), compiling (``torch.compile``), a network built under ``inference_mode``
(no version counters) and parametrized weights (``torch.nn.utils.parametrize``) always take the
concatenating path.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

__all__ = ["FusedLinears"]


def _cacheable(x: Any) -> bool:
    """Whether a call on input ``x`` may use the cache: no autograd, no fx proxy, no compiling."""
    return not torch.is_grad_enabled() and isinstance(x, torch.Tensor) and not torch.compiler.is_compiling()


class FusedLinears:
    """The concatenated weight and bias of ``linears`` (same input width), for one ``F.linear``.

    A plain object, not a module: the linears stay children of their own containers.
    """

    def __init__(self, linears: Sequence[nn.Linear]):
        self.linears = tuple(linears)
        self._cache: tuple[tuple[torch.Tensor, ...], list[int], torch.Tensor, torch.Tensor] | None = None

    def params(self) -> list[torch.Tensor]:
        return [m.weight for m in self.linears] + [m.bias for m in self.linears]

    def weight_bias(self, x: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The fused weight and bias for a call on ``x`` (cached when ``x`` is a tensor and autograd is off)."""
        if not _cacheable(x):
            return self._concat(self.params())
        try:  # the parameters themselves, without nn.Module.__getattr__'s miss
            params = [m._parameters["weight"] for m in self.linears] + [m._parameters["bias"] for m in self.linears]
        except KeyError:  # a parametrized weight (torch.nn.utils.parametrize) is made anew on every access
            return self._concat(self.params())
        if params[0].is_inference():  # made under inference_mode: no version counters to check
            return self._concat(params)
        key = [p._version for p in params] + [p.data_ptr() for p in params]
        cache = self._cache
        if cache is not None and cache[1] == key:
            return cache[2], cache[3]
        weight, bias = self._concat(params)
        # the detached views keep the old storage alive, so no new tensor can take its address
        self._cache = (tuple(p.detach() for p in params), key, weight, bias)
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
