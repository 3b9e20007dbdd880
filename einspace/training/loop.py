"""The epoch loop: SGD over in-memory tensors, batches by a seeded index permutation.

Written to cost nothing over the loop a person would write by hand: the whole data set already
sits on the device, a batch is an ``index_select`` of a permutation drawn from the run's own
generator (no DataLoader, no worker processes, no collation), and the loss is summed on the
device and read once per epoch. The two extra things per batch are a clock read (the time limit)
and, every few batches, one finiteness test of the summed loss (so a diverged run stops early).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import nn

from .evaluation import EpochResult
from .progress import NoProgress, Progress
from .recipe import Recipe

__all__ = ["fit", "accuracy", "recalibrate", "needs_recalibration", "FitResult", "TimeUp", "NAN_CHECK_EVERY",
           "RECALIBRATION_SAMPLES"]

#: batches between two tests of the running loss for NaN/inf (each is one device synchronisation)
NAN_CHECK_EVERY = 16
#: training samples whose batch statistics replace the running ones when recalibrating
RECALIBRATION_SAMPLES = 2048
#: ``auto`` recalibrates while the running statistics keep more than this share of their initial values
REMEMBERED_INIT = 0.01

Callback = Callable[[EpochResult], object]


class TimeUp(Exception):
    """Internal: the deadline passed (turned into status ``timeout`` by :func:`fit`)."""


class CallbackFailed(Exception):
    """Internal: the caller's callback raised; the caller's exception is ``__cause__``."""


@dataclass
class FitResult:
    """What :func:`fit` ran: status ``ok``, ``nan`` or ``timeout``, and the finished epochs."""

    status: str = "ok"
    epochs: list[EpochResult] = field(default_factory=list)
    best_epoch: Optional[int] = None
    recalibrated: bool = False   # the last scoring used recomputed batch-norm statistics
    message: str = ""
    train_seconds: float = 0.0   # unfinished epochs included
    score_seconds: float = 0.0


def batch_count(n: int, batch_size: int) -> tuple[int, int]:
    """(batch size, batches per epoch): full batches only, as the original's ``drop_last``; a data
    set smaller than one batch is one batch."""
    size = min(batch_size, n)
    return size, n // size


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.perf_counter() > deadline:
        raise TimeUp


@torch.no_grad()
def accuracy(net: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int,
             deadline: float | None = None) -> float:
    """Fraction of ``x`` whose arg-max prediction is ``y``, in eval mode, in order, one sync."""
    net.eval()
    correct = torch.zeros((), dtype=torch.long, device=y.device)
    for start in range(0, len(y), batch_size):
        logits = net(x[start:start + batch_size])
        correct += (logits.argmax(1) == y[start:start + batch_size]).sum()
        _check_deadline(deadline)
    return int(correct) / max(1, len(y))


def _norms(net: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]


def needs_recalibration(net: nn.Module, mode: str, steps: int) -> bool:
    """Whether to recompute batch-norm statistics before scoring, after ``steps`` SGD steps.

    A running average with momentum m keeps (1 - m)^steps of its initial (0 mean, unit variance)
    values; after a handful of steps eval-mode outputs are dominated by them and the score is
    chance whatever the weights learned. ``auto`` recalibrates only then.
    """
    norms = _norms(net)
    if mode == "never" or not norms:
        return False
    if mode == "always":
        return True
    kept = max((1 - (m.momentum if m.momentum is not None else 1.0)) ** steps for m in norms)
    return kept > REMEMBERED_INIT


@torch.no_grad()
def recalibrate(net: nn.Module, x: torch.Tensor, order: torch.Tensor, batch_size: int) -> None:
    """Replace batch-norm running statistics by the average over up to RECALIBRATION_SAMPLES
    training samples (taken in ``order``), in training-mode forward passes without gradients."""
    norms = _norms(net)
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the batches below
    net.train()
    try:
        chosen = order[:RECALIBRATION_SAMPLES]
        for start in range(0, len(chosen), batch_size):
            net(x.index_select(0, chosen[start:start + batch_size]))
    finally:
        for m, momentum in zip(norms, saved):
            m.momentum = momentum


def _train_epoch(net: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
                 batches: list[torch.Tensor], deadline: float | None, bar: Progress) -> float:
    """One pass over ``batches``; the mean loss (NaN or inf as soon as it is seen)."""
    net.train()
    total = torch.zeros((), dtype=torch.float32, device=x.device)
    for b, idx in enumerate(batches, 1):
        loss = F.cross_entropy(net(x.index_select(0, idx)), y.index_select(0, idx))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.detach()
        if b % NAN_CHECK_EVERY == 0 and not torch.isfinite(total):
            return float("nan")
        _check_deadline(deadline)
        bar.batch(b, total)
    return float(total) / len(batches)


def fit(net: nn.Module, train: tuple[torch.Tensor, torch.Tensor], score: tuple[torch.Tensor, torch.Tensor],
        recipe: Recipe, epochs: int, generator: torch.Generator, *, deadline: float | None = None,
        callback: Callback | None = None, progress: Progress | None = None,
        result: FitResult | None = None) -> FitResult:
    """Train ``net`` for ``epochs`` on ``train`` with ``recipe``, scoring ``score`` after each epoch.

    Tensors are already on the device; ``generator`` (a CPU generator) draws each epoch's
    permutation, so the order of batches is independent of the device and of torch's global RNG.
    With ``recipe.score == "best"`` the best epoch's weights are put back into ``net`` at the end.
    Out-of-memory and other errors propagate (the caller turns them into statuses); pass
    ``result`` to keep the epochs and seconds that finished before such an error.
    """
    x, y = train
    sx, sy = score
    bar = progress or NoProgress()
    size, count = batch_count(len(y), recipe.batch_size)
    opt = torch.optim.SGD(net.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                          weight_decay=recipe.weight_decay, nesterov=recipe.nesterov)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs) if recipe.schedule == "cosine" else None
    result = result if result is not None else FitResult()
    best_state: dict[str, torch.Tensor] | None = None
    best_recalibrated = False
    best_score = -1.0
    for epoch in range(1, epochs + 1):
        bar.epoch(epoch)
        start = time.perf_counter()
        trained: float | None = None
        try:
            order = torch.randperm(len(y), generator=generator).to(x.device)
            loss = _train_epoch(net, opt, x, y, list(order[:size * count].split(size)), deadline, bar)
            trained = time.perf_counter()
            if not math.isfinite(loss):
                result.status, result.message = "nan", f"the training loss became {loss} in epoch {epoch}"
                break
            if sched is not None:
                sched.step()
            result.recalibrated = needs_recalibration(net, recipe.recalibrate, epoch * count)
            if result.recalibrated:
                recalibrate(net, x, order, size)
            value = accuracy(net, sx, sy, recipe.batch_size, deadline)
        except TimeUp:
            result.status, result.message = "timeout", f"time limit reached in epoch {epoch}"
            break
        finally:  # unfinished epochs count too: the record's seconds are the time really spent
            now = time.perf_counter()
            mid = now if trained is None else trained
            result.train_seconds += mid - start
            result.score_seconds += now - mid
        done = EpochResult(epoch, loss, value, mid - start, now - mid)
        result.epochs.append(done)
        bar.scored(epoch, loss, value)
        if recipe.score == "best" and value > best_score:
            best_score, result.best_epoch = value, epoch
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            best_recalibrated = result.recalibrated
        if callback is not None:
            try:
                callback(done)
            except Exception as err:  # the caller's own error: re-raised by train() as it was
                raise CallbackFailed() from err
    if result.status == "ok":
        if best_state is not None:
            net.load_state_dict(best_state)
            result.recalibrated = best_recalibrated
        else:
            result.best_epoch = epochs
    return result
