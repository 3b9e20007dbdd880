"""The proxies against values computed by hand (closed forms in numpy) on tiny networks with fixed
weights, and the promises about the module: state, mode and grads as they were; NaN and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from einspace.errors import EinspaceError, ProxyError
from einspace.proxies import NAMES, score_module
from einspace.proxies.measures import JACOB_K

W1 = np.array([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.25]])      # hidden 3 x input 2
B1 = np.array([0.1, -0.2, 0.3])
W2 = np.array([[1.0, -1.0, 2.0], [-0.5, 0.5, 1.0]])          # classes 2 x hidden 3
B2 = np.array([0.05, -0.05])
X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.5, -1.5]])
Y = np.array([0, 1, 1])


def _linear(w: np.ndarray, b: np.ndarray) -> nn.Linear:
    layer = nn.Linear(w.shape[1], w.shape[0]).double()
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w))
        layer.bias.copy_(torch.from_numpy(b))
    return layer


def two_layer() -> nn.Module:
    return nn.Sequential(_linear(W1, B1), nn.ReLU(), _linear(W2, B2))


def batch() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(X.copy()), torch.from_numpy(Y.copy())


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _jacob_score(eigenvalues: np.ndarray) -> float:
    return float(-np.sum(np.log(eigenvalues + JACOB_K) + 1 / (eigenvalues + JACOB_K)))


def test_one_linear_layer_by_hand():
    w, b = W2[:, :2], B2
    net = _linear(w, b)
    x, y = batch()
    got = score_module(net, x, y, ["params", "grad_norm", "snip", "synflow", "jacob_cov"])
    # cross-entropy, mean over N: dL/dW = (softmax(XWᵀ + b) - onehot(Y))ᵀ X / N
    p = _softmax(X @ w.T + b)
    dw = (p - np.eye(2)[Y]).T @ X / len(X)
    assert got["params"] == 6
    assert got["grad_norm"] == pytest.approx(np.sqrt((dw ** 2).sum()), rel=1e-12)
    assert got["snip"] == pytest.approx(np.abs(w * dw).sum(), rel=1e-12)
    # R = Σ_c (Σ_j |W_cj| + |b_c|) for an all-ones input, so ∂R/∂W = 1 and synflow = Σ|W|
    assert got["synflow"] == pytest.approx(np.abs(w).sum(), rel=1e-12)
    # every input gradient is Wᵀ1: all rows equal, correlation all ones, eigenvalues N, 0, ..., 0
    assert got["jacob_cov"] == pytest.approx(_jacob_score(np.array([3.0, 0.0, 0.0])), rel=1e-9)


def test_by_default_every_proxy_a_module_has():
    got = score_module(two_layer(), *batch())
    assert list(got) == [n for n in NAMES if n != "flops"]
    assert list(score_module(two_layer(), *batch(), flops=5)) == list(NAMES)


def test_two_layer_gradient_proxies_by_hand():
    x, y = batch()
    got = score_module(two_layer(), x, y, "grad_norm,snip,synflow,jacob_cov,params")
    pre = X @ W1.T + B1
    on = (pre > 0).astype(float)
    h = pre * on
    delta2 = (_softmax(h @ W2.T + B2) - np.eye(2)[Y]) / len(X)   # dL/dlogits
    dw2 = delta2.T @ h
    delta1 = (delta2 @ W2) * on
    dw1 = delta1.T @ X
    assert got["params"] == W1.size + B1.size + W2.size + B2.size
    assert got["grad_norm"] == pytest.approx(np.linalg.norm(dw1) + np.linalg.norm(dw2), rel=1e-12)
    assert got["snip"] == pytest.approx(np.abs(W1 * dw1).sum() + np.abs(W2 * dw2).sum(), rel=1e-12)
    # synflow: with |θ| and input 1 every unit is active; a_i = Σ_j |W1_ij|, s_i = Σ_c |W2_ci|
    a, s = np.abs(W1).sum(1), np.abs(W2).sum(0)
    assert got["synflow"] == pytest.approx(np.sum(s * a) + np.sum(s * (a + np.abs(B1))), rel=1e-12)
    # jacob_cov: g_n = W1ᵀ (relu'(pre_n) ⊙ W2ᵀ1); Pearson correlation of the rows, its eigenvalues
    g = (on * (W2.sum(0))) @ W1
    c = g - g.mean(1, keepdims=True)
    corr = (c @ c.T) / np.sqrt(np.outer((c ** 2).sum(1), (c ** 2).sum(1)))
    assert got["jacob_cov"] == pytest.approx(_jacob_score(np.linalg.eigvalsh(corr)), rel=1e-9)


def test_two_samples_correlation_closed_form():
    """For two samples C = [[1, r], [r, 1]], eigenvalues 1 ± r, with r the Pearson correlation."""
    x = torch.from_numpy(X[:2].copy())
    got = score_module(two_layer(), x, None, ["jacob_cov"])["jacob_cov"]
    pre = X[:2] @ W1.T + B1
    g = ((pre > 0) * W2.sum(0)) @ W1
    r = np.corrcoef(g[0], g[1])[0, 1]
    assert got == pytest.approx(_jacob_score(np.array([1 - r, 1 + r])), rel=1e-9)


def test_the_module_is_left_as_it_was():
    net = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3)).eval()
    net[0].weight.grad = torch.full_like(net[0].weight, 7.0)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x, y = torch.randn(8, 4, generator=torch.Generator().manual_seed(0)), torch.arange(8) % 3
    score_module(net, x, y)
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # synflow's |θ|, BN statistics undone
    assert not net.training and not any(m.training for m in net.modules())
    assert torch.equal(net[0].weight.grad, torch.full_like(net[0].weight, 7.0))
    assert all(p.grad is None for name, p in net.named_parameters() if name != "0.weight")
    assert all(p.dtype == torch.float32 for p in net.parameters())


def test_batch_norm_is_eval_mode_in_synflow():
    """Eval-mode BN with |running stats| (0, 1) is x·|γ|/√(1+ε) + |β|: one factor on Σ|W|."""
    net = nn.Sequential(nn.Linear(2, 2, bias=False), nn.BatchNorm1d(2), nn.Linear(2, 1, bias=False))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, -2.0], [3.0, 0.5]]))
        net[1].weight.copy_(torch.tensor([2.0, -1.0]))
        net[1].bias.zero_()
        net[2].weight.copy_(torch.tensor([[-1.0, 4.0]]))
    got = score_module(net, torch.randn(5, 2), None, ["synflow"])["synflow"]
    a = np.array([3.0, 3.5])                # row sums of |W1|
    gamma = np.array([2.0, 1.0]) / np.sqrt(1 + 1e-5)
    s = np.array([1.0, 4.0])                # |W2|
    assert got == pytest.approx(2 * np.sum(s * gamma * a), rel=1e-9)  # both layers give Σ s·γ·a


def test_an_input_independent_network_has_nan_jacob_cov():
    net = _linear(np.zeros((2, 2)), np.array([1.0, -1.0]))
    x, y = batch()
    got = score_module(net, x[:, :2], y, ["jacob_cov", "grad_norm"])
    assert math.isnan(got["jacob_cov"]) and math.isfinite(got["grad_norm"])


class Detached(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x).detach()


class Broken(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x) @ torch.ones(3, 3)


@pytest.mark.parametrize("name", ["grad_norm", "snip", "synflow", "jacob_cov"])
def test_a_network_torch_cannot_differentiate_is_a_proxy_error(name):
    with pytest.raises(ProxyError, match=f"{name}.*differentiate"):
        score_module(Detached(), torch.randn(3, 2), torch.tensor([0, 1, 0]), [name])


def test_a_failing_forward_pass_is_a_proxy_error():
    with pytest.raises(ProxyError, match="forward pass failed"):
        score_module(Broken(), torch.randn(3, 2), torch.tensor([0, 1, 0]), ["snip"])


@pytest.mark.parametrize("names", [["nope"], [], "grad_norm,nope", 3])
def test_unknown_or_no_names_are_refused(names):
    with pytest.raises(ProxyError) as err:
        score_module(two_layer(), *batch(), names)
    assert isinstance(err.value, EinspaceError) and "params" in str(err.value)


def test_flops_needs_the_cost_model_or_a_value():
    with pytest.raises(ProxyError, match="cost model"):
        score_module(two_layer(), *batch(), ["flops"])
    assert score_module(two_layer(), *batch(), ["flops", "params"], flops=123) == {"flops": 123.0, "params": 17.0}


def test_bad_batches_are_refused():
    with pytest.raises(ProxyError, match="floating point"):
        score_module(two_layer(), torch.ones(3, 2, dtype=torch.long), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ProxyError, match="targets"):
        score_module(two_layer(), torch.from_numpy(X), None, ["snip"])


class Float32Only(nn.Module):
    """Multiplies by a float32 constant that ``.double()`` does not convert (not a buffer)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.scale = torch.full((2, 2), 1.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x) @ self.scale


def test_synflow_falls_back_to_float32_where_float64_fails():
    net = Float32Only()
    with torch.no_grad():
        net.fc.weight.copy_(torch.tensor([[1.0, -2.0], [0.5, 3.0]]))
    got = score_module(net, torch.randn(4, 2), None, ["synflow"])["synflow"]
    # R = Σ_k Σ_c (|W|1 + |b|)_c · 1.5, so ∂R/∂W_cj = 2 · 1.5 and synflow = 3 Σ|W|
    assert got == pytest.approx(3 * 6.5, rel=1e-6)
