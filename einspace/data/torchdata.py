"""Optional torch view of a loaded dataset; torch is imported only when this is called."""

from __future__ import annotations

from typing import Any

from .loaders import Dataset


def torch_loaders(dataset: Dataset, batch_size: int | None = None, device: str | None = None,
                  seed: int = 0) -> dict[str, Any]:
    """``DataLoader`` per split, as the original trainer uses them: the train loader shuffles
    and drops the last incomplete batch, valid and test keep order. ``batch_size`` defaults to
    the task's Table 4 value; ``device`` moves the whole tensors there first (the original's
    ``load_in_gpu``)."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    size = batch_size or dataset.task.hyper.batch_size
    generator = torch.Generator().manual_seed(seed)
    out: dict[str, Any] = {}
    for name, split in dataset.splits.items():
        x, y = torch.from_numpy(split.x), torch.from_numpy(split.y)
        if device is not None:
            x, y = x.to(device), y.to(device)
        train = name == "train"
        out[name] = DataLoader(TensorDataset(x, y), batch_size=size, shuffle=train,
                               drop_last=train and len(split) > size,
                               generator=generator if train else None)
    return out
