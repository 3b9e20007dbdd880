"""The zero-cost proxies on a built module and one batch, each as its paper defines it.

"Layers" are the modules Abdelfattah et al.'s code measures: every ``nn.Linear`` and ``nn.Conv1d/2d/
3d``, and of each only its ``weight`` (biases, normalisation and positional-encoding parameters
are left out). Every convolution of an einspace network is an ``nn.Linear`` used as one (see
:mod:`einspace.interpreter.lowering`), so this covers every weight matrix of the backbone and head.

* ``params`` — trainable parameters (``requires_grad``) of the whole module, every kind counted.
* ``grad_norm`` — Σ over layers of ‖∂L/∂W‖₂ (L: the loss, mean over the batch, of the network in
  training mode). Abdelfattah, Mehrotra, Dudziak, Lane, *Zero-Cost Proxies for Lightweight NAS*,
  ICLR 2021.
* ``snip`` — Σ over layers of Σ |W ⊙ ∂L/∂W|, the connection sensitivity of Lee, Ajanthan, Torr,
  *SNIP: Single-shot Network Pruning based on Connection Sensitivity*, ICLR 2019, summed over the
  network as Abdelfattah et al. do. The same backward pass as ``grad_norm``.
* ``synflow`` — Σ over layers of Σ W ⊙ ∂R/∂W on a copy of the network whose floating-point state
  (parameters and buffers) is replaced by its absolute value, in eval mode, in float64 (float32 if
  an operation refuses float64), with R = the sum of the outputs for one all-ones input. Tanaka,
  Kunin, Yamins, Ganguli, *Pruning neural networks without any data by iteratively conserving
  synaptic flow*, NeurIPS 2020. Eval-mode batch-norm with |running statistics| is, on a freshly
  built network (mean 0, variance 1), the affine map x·|γ|/√(1+ε) + |β|: batch-norm "removed" up to
  ε and its affine part, and independent of the batch.
* ``jacob_cov`` — the Jacobian covariance of Mellor, Turner, Storkey, Crowley, *Neural
  Architecture Search without Training*, ICML 2021 (arXiv v1), as Abdelfattah et al. compute it:
  g_i = ∂(Σ_j Σ_c f_c(x_j))/∂x_i for each sample of the batch (the network in training mode; for
  samples that do not interact this is the per-sample Jacobian summed over the outputs, J_iᵀ1), C the
  correlation matrix of the flattened g_i, and score = -Σ_λ [log(λ + k) + 1/(λ + k)] over the
  eigenvalues λ of C, k = 1e-5. Higher is better (less correlated inputs).

Non-finite results are values (NaN or inf), never errors: a zero-variance Jacobian row makes the
correlation undefined and ``jacob_cov`` NaN; a float32 ``synflow`` can overflow to inf. An error torch
raises while running or differentiating the network becomes a :class:`ProxyError` naming the proxy.

Gradients are taken with ``torch.autograd.grad``, so no ``.grad`` is written; the module's state
(parameters, buffers such as batch-norm running statistics) and its train/eval mode are as they
were afterwards.
"""

from __future__ import annotations

import copy
import math
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ProxyError
from .names import check_names

__all__ = ["score_module", "layer_weights", "count_params", "grad_norm_and_snip", "synflow", "jacob_cov",
           "JACOB_K", "LAYER_TYPES"]

#: the eigenvalue offset k of Mellor et al.'s score
JACOB_K = 1e-5
#: the modules whose ``weight`` the gradient proxies measure (Abdelfattah et al.'s layers)
LAYER_TYPES: tuple[type[nn.Module], ...] = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def layer_weights(model: nn.Module) -> list[torch.Tensor]:
    """The ``weight`` of every layer of :data:`LAYER_TYPES` that is trained, each once."""
    seen: set[int] = set()
    out = []
    for m in model.modules():
        w = getattr(m, "weight", None)
        if isinstance(m, LAYER_TYPES) and isinstance(w, torch.Tensor) and w.requires_grad and id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


def count_params(model: nn.Module) -> int:
    """Trainable parameters, each shared tensor once."""
    return sum({id(p): p.numel() for p in model.parameters() if p.requires_grad}.values())


def _grads(output: torch.Tensor, weights: Sequence[torch.Tensor], name: str) -> list[torch.Tensor]:
    """∂output/∂w for each weight (zeros for a weight the output does not use)."""
    if not weights:
        return []
    try:
        grads = torch.autograd.grad(output, list(weights), allow_unused=True)
    except RuntimeError as err:
        raise ProxyError(f"{name}: torch cannot differentiate this network: {err}") from None
    return [torch.zeros_like(w) if g is None else g for w, g in zip(weights, grads)]


def _forward(model: nn.Module, x: torch.Tensor, name: str) -> torch.Tensor:
    try:
        return model(x)
    except RuntimeError as err:
        raise ProxyError(f"{name}: the network's forward pass failed: {err}") from None


def grad_norm_and_snip(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                       loss: Loss = F.cross_entropy) -> tuple[float, float]:
    """(grad_norm, snip) from one forward and backward pass of ``loss`` in the module's current mode."""
    weights = layer_weights(model)
    value = loss(_forward(model, inputs, "grad_norm/snip"), targets)
    grads = _grads(value, weights, "grad_norm/snip")
    norm = sum(float(torch.linalg.vector_norm(g.double())) for g in grads)
    snip = sum(float((w.detach().double() * g.double()).abs().sum()) for w, g in zip(weights, grads))
    return norm, snip


def _synflow_in(model: nn.Module, sample: torch.Tensor, dtype: torch.dtype) -> float:
    net = copy.deepcopy(model).to(dtype).eval()
    with torch.no_grad():
        for tensor in net.state_dict().values():
            if tensor.is_floating_point():
                tensor.abs_()
    weights = layer_weights(net)
    total = _forward(net, torch.ones_like(sample, dtype=dtype), "synflow").sum()
    grads = _grads(total, weights, "synflow")
    return sum(float((w.detach().double() * g.double()).sum()) for w, g in zip(weights, grads))


def synflow(model: nn.Module, inputs: torch.Tensor) -> float:
    """SynFlow on a copy of ``model`` (the module itself is never changed): float64, else float32."""
    sample = inputs[:1]
    try:
        return _synflow_in(model, sample, torch.float64)
    except ProxyError:
        return _synflow_in(model, sample, torch.float32)  # an operation without a float64 kernel


def jacob_cov(model: nn.Module, inputs: torch.Tensor) -> float:
    """Mellor et al.'s v1 score of the input gradients g_i (see the module docstring); NaN when the
    correlation matrix is undefined (a constant row)."""
    x = inputs.detach().clone().requires_grad_(True)
    out = _forward(model, x, "jacob_cov")
    (g,) = _grads(out.sum(), [x], "jacob_cov")
    g = g.reshape(len(x), -1).double()
    corr = torch.corrcoef(g) if len(x) > 1 else torch.ones((1, 1), dtype=torch.float64, device=g.device)
    if not bool(torch.isfinite(corr).all()):
        return math.nan
    eig = torch.linalg.eigvalsh(corr)
    return float(-(torch.log(eig + JACOB_K) + 1.0 / (eig + JACOB_K)).sum())


class _Kept:
    """The module's state (every parameter and buffer, cloned), mode and grads, put back on exit."""

    def __init__(self, model: nn.Module):
        self.model = model

    def __enter__(self) -> "_Kept":
        self.state = {k: v.detach().clone() for k, v in self.model.state_dict(keep_vars=True).items()}
        self.modes = [(m, m.training) for m in self.model.modules()]
        self.grads = [(p, p.grad) for p in self.model.parameters()]
        return self

    def __exit__(self, *exc: object) -> None:
        with torch.no_grad():
            self.model.load_state_dict(self.state)
        for m, training in self.modes:
            m.training = training
        for p, g in self.grads:
            p.grad = g


def _check_batch(inputs: torch.Tensor, targets: torch.Tensor | None) -> None:
    if not isinstance(inputs, torch.Tensor) or inputs.ndim < 1 or len(inputs) == 0:
        raise ProxyError("inputs must be a non-empty torch tensor whose first dimension is the batch")
    if not inputs.is_floating_point():
        raise ProxyError(f"inputs must be floating point (the proxies differentiate them), got {inputs.dtype}")
    if targets is not None and (not isinstance(targets, torch.Tensor) or len(targets) != len(inputs)):
        raise ProxyError("targets must be a torch tensor with one entry per input")


def score_module(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None,
                 names: Sequence[str] | str | None = None, *, loss: Loss = F.cross_entropy,
                 flops: int | None = None) -> dict[str, float]:
    """The requested proxies (by default all, flops only when given) of ``model`` on the batch ``inputs`` / ``targets``.

    The gradient proxies run the module in training mode, as a network is before its first step;
    ``loss(outputs, targets)`` is the training loss (cross-entropy by default). ``flops`` comes
    from an architecture's cost model, which a bare module does not have: pass it to have it
    reported, or use :func:`einspace.proxies.score`. ``targets`` may be None when neither
    ``grad_norm`` nor ``snip`` is asked for. Returns ``{name: float}`` in :data:`NAMES` order.
    """
    wanted = check_names(names)
    if names is None and flops is None:
        wanted = tuple(n for n in wanted if n != "flops")
    if "flops" in wanted and flops is None:
        raise ProxyError("flops comes from an architecture's cost model: pass flops= or use einspace.proxies.score")
    needs_loss = not {"grad_norm", "snip"}.isdisjoint(wanted)
    if needs_loss and targets is None:
        raise ProxyError("grad_norm and snip need targets for the loss")
    _check_batch(inputs, targets if needs_loss else None)
    found: dict[str, float] = {}
    with _Kept(model):
        model.train()
        for name in (n for n in wanted if n != "flops"):
            if name in found:
                continue
            if name == "params":
                found[name] = float(count_params(model))
            elif name in ("grad_norm", "snip"):
                found["grad_norm"], found["snip"] = grad_norm_and_snip(model, inputs, targets, loss)
            elif name == "synflow":
                found[name] = synflow(model, inputs)
            else:
                found[name] = jacob_cov(model, inputs)
    if flops is not None:
        found["flops"] = float(flops)
    return {n: found[n] for n in wanted}
