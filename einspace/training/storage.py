"""Saving a trained network as text and tensors, and rebuilding it.

A saved run is a folder of three files, none of them a pickle:

    arch.txt              the architecture (canonical text)
    weights.safetensors   the state_dict (safetensors: tensors only, nothing executed on load)
    evaluation.json       the Evaluation record (input type, classes, grammar key, score, ...)

:func:`load_trained` parses the text with the grammar whose key the record names, builds the
network from it, and loads the tensors, so a saved run is exactly as portable as its text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import ParseError, TrainingError
from ..interpreter import build
from ..language.ast import Module
from ..language.grammar import load_grammar
from ..language.parser import parse
from .evaluation import Evaluation

__all__ = ["Trained", "save", "load_trained", "ARCH_FILE", "WEIGHTS_FILE", "EVALUATION_FILE"]

ARCH_FILE = "arch.txt"
WEIGHTS_FILE = "weights.safetensors"
EVALUATION_FILE = "evaluation.json"
FORMAT = "einspace-trained-1"


@dataclass(frozen=True, eq=False)
class Trained:
    """A rebuilt network (in eval mode), its architecture and the record of its training."""

    module: nn.Module
    tree: Module
    evaluation: Evaluation

    @torch.no_grad()
    def predict(self, x: Any, batch_size: int = 256) -> torch.Tensor:
        """Class indices for a batch of inputs (a tensor or array of shape ``(N, *input)``)."""
        self.module.eval()
        device = next(self.module.parameters()).device
        x = torch.as_tensor(x, dtype=torch.float32)
        out = [self.module(x[i:i + batch_size].to(device)).argmax(1).cpu() for i in range(0, len(x), batch_size)]
        return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)


def save(directory: str | os.PathLike[str], arch: str, net: nn.Module | None, evaluation: Evaluation) -> Path:
    """Write a run into ``directory`` (created if needed); ``net=None`` writes no weights."""
    from safetensors.torch import save_file
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ARCH_FILE).write_text(arch + "\n", encoding="utf-8")
        weights = folder / WEIGHTS_FILE
        if net is not None:
            state = {k: v.detach().to("cpu").contiguous() for k, v in net.state_dict().items()}
            save_file(state, str(weights), metadata={"format": FORMAT, "grammar": evaluation.grammar})
        elif weights.exists():  # a stale file from an earlier run must not pass for this one's
            weights.unlink()
        (folder / EVALUATION_FILE).write_text(evaluation.dumps(indent=2) + "\n", encoding="utf-8")
    except OSError as err:
        raise TrainingError(f"cannot save the run into {str(folder)!r}: {err.strerror or err}") from None
    return folder


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise TrainingError(f"not a saved run: cannot read {str(path)!r}: {err.strerror}") from None


def load_trained(directory: str | os.PathLike[str], *, device: str = "cpu", grammar: Any = None) -> Trained:
    """Rebuild the network saved in ``directory`` with its weights, in eval mode, on ``device``.

    The architecture is parsed with ``grammar`` (default: the packaged one), whose key must equal
    the key recorded at training time; a different grammar could read the same text differently.
    Raises :class:`TrainingError` for a missing or inconsistent folder.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    folder = Path(directory)
    evaluation = Evaluation.loads(_read(folder / EVALUATION_FILE))
    key = load_grammar(grammar).key
    if evaluation.grammar and evaluation.grammar != key:
        raise TrainingError(f"{folder} was trained with grammar {evaluation.grammar[:12]}…, not the "
                            f"grammar given ({key[:12]}…): pass grammar= the file it was trained with")
    weights = folder / WEIGHTS_FILE
    if not weights.exists():
        raise TrainingError(f"{folder} holds no weights (the run ended with status {evaluation.status!r})")
    try:
        tree = parse(_read(folder / ARCH_FILE), grammar=grammar)
    except ParseError as err:
        raise TrainingError(f"{folder / ARCH_FILE}: {err}") from None
    net = build(tree, evaluation.input, classes=evaluation.classes)
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as err:
        raise TrainingError(f"cannot read {weights}: {err}") from None
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise TrainingError(f"{weights} does not fit the architecture in {ARCH_FILE}: {err}") from None
    return Trained(net.to(device).eval(), tree, evaluation)
