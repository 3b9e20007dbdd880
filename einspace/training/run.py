"""``train(arch, task, **overrides) -> Evaluation``: one evaluation of one architecture.

The order of a run: read the architecture and the data (bad input raises an EinspaceError);
predict its size with the cost model and refuse it *before* building if it is over a limit;
then, inside a session that leaves the caller's torch state as it found it, build, move the data
to the device, and run the epoch loop. Whatever goes wrong from building on is a status of the
returned record, never an exception.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any, Callable, Iterator

import numpy as np
import torch

from .. import __version__
from ..data.loaders import Dataset, load
from ..errors import TrainingError
from ..interpreter.builder import build_typed
from ..interpreter.head_rules import head_params
from ..language.grammar import load_grammar
from ..language.parser import as_tree
from ..language.printer import to_string
from ..types.evaluator import infer
from .evaluation import EpochResult, Evaluation
from .loop import CallbackFailed, FitResult, batch_count, fit
from .progress import make_progress
from .recipe import Fidelity, Recipe, resolve
from .refusal import too_big
from .storage import save as save_run
from .subsets import balanced_subset

__all__ = ["train", "resolve_device", "classify_failure"]


def resolve_device(name: str | None) -> torch.device:
    """The torch device for a fidelity's ``device``: None means cuda when available, else cpu."""
    if name is None:
        return torch.device("cuda", torch.cuda.current_device()) if torch.cuda.is_available() else torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise TrainingError(f"device {name!r} asked for, but torch sees no CUDA device")
        index = device.index if device.index is not None else torch.cuda.current_device()
        if index >= torch.cuda.device_count():
            raise TrainingError(f"device {name!r}: only {torch.cuda.device_count()} CUDA device(s)")
        return torch.device("cuda", index)
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise TrainingError("device 'mps' asked for, but it is not available")
    return device


def classify_failure(err: BaseException) -> str:
    """``oom`` for any out-of-memory (CUDA, host: torch reports host failures as RuntimeError),
    else ``error``."""
    if isinstance(err, (torch.OutOfMemoryError, MemoryError)):
        return "oom"
    text = str(err).lower()
    if isinstance(err, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text):
        return "oom"
    return "error"


@contextlib.contextmanager
def _session(device: torch.device, seed: int, threads: int | None) -> Iterator[None]:
    """Seeded CPU RNG, thread count and cuDNN determinism for the run; all restored after.

    Weights are initialised on the CPU from torch's default generator, seeded here inside
    ``fork_rng`` so the caller's generator state is put back untouched. CUDA generators are not
    used (the loop draws its permutations from its own CPU generator). The CPU kernels a network
    of this space runs are deterministic for a given thread count, so a CPU run repeats exactly;
    ``torch.use_deterministic_algorithms`` is not switched on (it imports the compiler stack, 5+
    seconds, and changes nothing on the CPU). On CUDA, cuDNN is made deterministic; cuBLAS may
    still differ in the last bits between runs.
    """
    old_threads = torch.get_num_threads()
    old_cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    with torch.random.fork_rng(devices=[]):
        try:
            torch.default_generator.manual_seed(seed)
            if threads is not None:
                torch.set_num_threads(threads)
            if device.type == "cuda":
                torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
            yield
        finally:
            torch.set_num_threads(old_threads)
            torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = old_cudnn


def _splits(dataset: Dataset, fidelity: Fidelity, seed: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(train x, y), (scored x, y): train (+ valid when final) and valid (test when final), limited."""
    if fidelity.final:
        tx = np.concatenate([dataset.train.x, dataset.valid.x])
        ty = np.concatenate([dataset.train.y, dataset.valid.y])
        scored = dataset.test
    else:
        tx, ty, scored = dataset.train.x, dataset.train.y, dataset.valid
    sx, sy = scored.x, scored.y
    if len(ty) == 0 or len(sy) == 0:
        raise TrainingError(f"task {dataset.name!r} has an empty split to train or score on")
    if fidelity.train_limit is not None and fidelity.train_limit < len(ty):
        keep = balanced_subset(ty, fidelity.train_limit, seed)
        tx, ty = tx[keep], ty[keep]
    if fidelity.valid_limit is not None and fidelity.valid_limit < len(sy):
        keep = balanced_subset(sy, fidelity.valid_limit, seed + 1)
        sx, sy = sx[keep], sy[keep]
    return (tx, ty), (sx, sy)


def _tensors(pair: tuple[np.ndarray, np.ndarray], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.from_numpy(np.ascontiguousarray(pair[0], dtype=np.float32)).to(device)
    y = torch.from_numpy(np.ascontiguousarray(pair[1])).to(device=device, dtype=torch.long)
    return x, y


def train(arch: Any, task: str | Dataset, *, seed: int = 0, recipe: Recipe | None = None,
          fidelity: Fidelity | None = None, root: str | os.PathLike[str] | None = None,
          save: str | os.PathLike[str] | None = None, callback: Callable[[EpochResult], object] | None = None,
          progress: bool | None = None, grammar: Any = None, **overrides: Any) -> Evaluation:
    """Train architecture ``arch`` (a tree or its text) on ``task`` and score it.

    ``task`` is a task name (loaded from ``root``) or an already loaded :class:`einspace.data.Dataset`.
    By default the paper's recipe and search fidelity for the task (SGD, momentum 0.9, the task's lr,
    weight decay and batch size, cosine over 8 epochs; train on train, score on valid); ``recipe=`` /
    ``fidelity=`` replace them and keyword ``overrides`` change single fields of either (``epochs=1``,
    ``train_limit=2000``, ``final=True``, ``lr=0.1``, ``score="best"``, ``device="cuda:1"``, ...).
    ``save=DIR`` writes the architecture, weights and record (see :func:`load_trained`);
    ``callback(EpochResult)`` is called after every epoch (its exceptions propagate);
    ``progress``: a bar on standard error (None: only on a terminal).

    Raises an :class:`einspace.EinspaceError` only for bad input (unreadable or ill-typed
    architecture, unknown task or setting, missing data, unavailable device); every failure of
    the run itself is the returned record's ``status``.
    """
    started = time.perf_counter()
    key = load_grammar(grammar).key
    tree = as_tree(arch, grammar=grammar)
    dataset = task if isinstance(task, Dataset) else load(task, root)
    if dataset.classes is None:
        raise TrainingError(f"task {dataset.name!r} is a dense-prediction task; training covers classification")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise TrainingError(f"seed must be an integer >= 0, got {seed!r}")
    recipe, fidelity = resolve(dataset.task, recipe, fidelity, overrides)
    typed = infer(tree, dataset.input)
    params = typed.params + head_params(typed.output, dataset.classes)
    device = resolve_device(fidelity.device)
    threads = fidelity.threads or torch.get_num_threads()
    fidelity = Fidelity.from_json({**fidelity.to_json(), "device": str(device), "threads": threads})
    text = to_string(tree)
    record = dict(arch=text, task=dataset.name, input=dataset.input, classes=dataset.classes, seed=seed,
                  recipe=recipe, fidelity=fidelity, params=params, flops=typed.flops, memory=typed.memory,
                  score_split=fidelity.score_split, device=str(device), threads=threads, version=__version__,
                  grammar=key)

    refusal = too_big(typed, params, fidelity)
    if refusal:
        evaluation = Evaluation("too_big", None, message=refusal,
                                total_seconds=time.perf_counter() - started, **record)
        if save is not None:
            save_run(save, text, None, evaluation)
        return evaluation

    (tx, ty), (sx, sy) = _splits(dataset, fidelity, seed)
    size, count = batch_count(len(ty), recipe.batch_size)
    record.update(train_samples=size * count, score_samples=len(sy))
    net = train_t = score_t = None
    outcome = FitResult()
    build_s = 0.0
    status, message = "ok", ""
    with _session(device, seed, fidelity.threads):
        try:
            t0 = time.perf_counter()
            net = build_typed(typed, dataset.classes, max_params=fidelity.max_params,  # too_big checked them
                              max_memory=fidelity.max_memory).to(device)
            train_t, score_t = _tensors((tx, ty), device), _tensors((sx, sy), device)
            build_s = time.perf_counter() - t0
            deadline = None if fidelity.time_limit is None else time.perf_counter() + fidelity.time_limit
            generator = torch.Generator().manual_seed(seed)
            with make_progress(progress, fidelity.epochs, count, label=dataset.name) as bar:
                fit(net, train_t, score_t, recipe, fidelity.epochs, generator, deadline=deadline,
                    callback=callback, progress=bar, result=outcome)
            status, message = outcome.status, outcome.message
        except CallbackFailed as failed:
            raise failed.__cause__ from None  # type: ignore[misc]
        except Exception as err:  # a failure of the run, reported as a value (the module's contract)
            status, message = classify_failure(err), f"{type(err).__name__}: {err}"[:2000]
            if status == "oom":
                net = train_t = score_t = None  # give the allocator its memory back at once
                if device.type == "cuda":
                    torch.cuda.empty_cache()

    epochs = outcome.epochs
    ok = status == "ok" and outcome.best_epoch is not None
    score = epochs[outcome.best_epoch - 1].score if ok else None  # type: ignore[operator]
    evaluation = Evaluation(
        status, score, message=message,
        train_loss=tuple(e.loss for e in epochs), epoch_scores=tuple(e.score for e in epochs),
        best_epoch=outcome.best_epoch if ok else None, recalibrated=outcome.recalibrated,
        build_seconds=build_s, train_seconds=outcome.train_seconds, score_seconds=outcome.score_seconds,
        total_seconds=time.perf_counter() - started, **record)
    if save is not None:
        keep = net if status in ("ok", "timeout") else None
        save_run(save, text, keep, evaluation)
    return evaluation

