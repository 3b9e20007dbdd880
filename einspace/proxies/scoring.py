"""``score(arch, task) -> {name: value}``: the zero-cost proxies of an architecture on a task.

The network is the one :func:`einspace.train` would train for the same seed: the architecture's
backbone with the task's head, built inside the training session (seeded weights, thread count,
the caller's torch state restored after), so a proxy describes exactly the initial network of
that run. The batch is one class-balanced subset of the training split drawn from the seed, with
the training code's own subset rule. ``params`` and ``flops`` come from the cost model (the same
numbers ``einspace train`` reports); when only they are asked for, nothing is built or loaded.
"""

from __future__ import annotations

import os
from typing import Any, Iterable

import numpy as np
import torch

from ..data.loaders import Dataset, load
from ..data.tasks import get_task
from ..errors import ProxyError, TrainingError
from ..interpreter.builder import build_typed
from ..interpreter.head_rules import head_params
from ..language.parser import as_tree
from ..training.run import _session, _tensors, resolve_device
from ..training.subsets import balanced_subset
from ..types.evaluator import infer
from .measures import score_module
from .names import CHEAP, check_names

__all__ = ["score", "training_batch"]


def _check_int(name: str, value: Any, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ProxyError(f"{name} must be an integer >= {least}, got {value!r}")


def training_batch(dataset: Dataset, batch_size: int, seed: int,
                   device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` training samples (all, if fewer), spread evenly over the classes, from ``seed``."""
    keep = balanced_subset(dataset.train.y, batch_size, seed)
    return _tensors((dataset.train.x[keep], np.asarray(dataset.train.y)[keep]), device)


def score(arch: Any, task: str | Dataset, names: Iterable[str] | str | None = None, *, batch_size: int = 64,
          seed: int = 0, root: str | os.PathLike[str] | None = None, grammar: Any = None,
          device: str | None = None, threads: int | None = None) -> dict[str, float]:
    """The requested proxies (all of :data:`~einspace.proxies.NAMES` by default) of ``arch`` on ``task``.

    ``arch`` is a tree or its text; ``task`` a task name (loaded from ``root``) or a loaded
    :class:`einspace.data.Dataset`. ``seed`` draws the initial weights and the batch, so a fixed seed
    gives the same values (on one device and thread count). ``device``: ``cpu``, ``cuda``, ...; None
    picks cuda when available. ``threads``: torch CPU threads during the call (restored after).

    Returns ``{name: float}`` in NAMES order; a proxy that computes to NaN or inf is returned as
    such. Raises :class:`ProxyError` for bad names or settings and for a network torch cannot run
    or differentiate, and the usual errors for bad input (``ParseError``, ``TypeCheckError``,
    ``DataError``, ``BuildRefused`` for a network over the build guard's limits).
    """
    wanted = check_names(names)
    _check_int("batch_size", batch_size, 1)
    _check_int("seed", seed, 0)
    if threads is not None:
        _check_int("threads", threads, 1)
    tree = as_tree(arch, grammar=grammar)
    cheap = set(wanted) <= CHEAP
    if isinstance(task, Dataset):
        dataset: Dataset | None = task
        input_type, classes, name = task.input, task.classes, task.name
    else:
        info = get_task(task)
        dataset = None if cheap else load(task, root)
        input_type = dataset.input if dataset is not None else info.input
        classes = dataset.classes if dataset is not None else info.classes
        name = info.name
    if classes is None:
        raise ProxyError(f"task {name!r} is a dense-prediction task; the proxies use a classification loss")
    typed = infer(tree, input_type)
    model_cost = {"params": float(typed.params + head_params(typed.output, classes)), "flops": float(typed.flops)}
    if cheap:
        return {n: model_cost[n] for n in wanted}
    assert dataset is not None
    try:
        where = resolve_device(device)
    except (TrainingError, RuntimeError) as err:  # torch.device('bogus') is a RuntimeError
        raise ProxyError(f"device {device!r}: {err}") from None
    with _session(where, seed, threads):
        net = build_typed(typed, classes).to(where)
        x, y = training_batch(dataset, batch_size, seed, where)
        measured = score_module(net, x, y, [n for n in wanted if n != "flops"])
    return {n: measured[n] if n in measured else model_cost[n] for n in wanted}
