"""Task heads (paper appendix B.1; the original code's network.py) and their parameter counts.

Classification: im features are averaged over H, W and a Linear(C, K) follows; col features are
averaged over the feature dimension D and a Linear(S, K) classifies over token positions (the
paper's choice, which ties the head to the number of tokens). Dense prediction of a K x H x W map:
adaptive average pooling of the last two dimensions to H x W (col features [S, D] are pooled as
a one-channel S x D map), then a 1x1 convolution maps the channels to K.
"""

from __future__ import annotations

import torch
from torch import nn

from ..types.tensor import TensorType
from .head_rules import HeadError, class_count, check_request, dense_target, head_output, head_params

__all__ = ["HeadError", "ClassificationHead", "DenseHead", "Network", "make_head", "head_params", "head_output",
           "dense_target"]


class ClassificationHead(nn.Module):
    """Mean over ``dims`` then a linear layer to the classes."""

    def __init__(self, features: TensorType, classes: int):
        super().__init__()
        self.dims = (2, 3) if features.mode == "im" else (2,)
        width = features.shape[0]  # C (im) or S (col)
        self.fc = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.mean(self.dims))

    def extra_repr(self) -> str:
        return f"mean over dims {self.dims}"


class DenseHead(nn.Module):
    """Adaptive average pooling to the target H x W, then a 1x1 convolution to K channels."""

    def __init__(self, features: TensorType, target: tuple[int, int, int]):
        super().__init__()
        k, h, w = target
        self.unsqueeze = features.mode == "col"
        channels = 1 if self.unsqueeze else features.shape[0]
        self.pool = nn.AdaptiveAvgPool2d((h, w))
        self.proj = nn.Conv2d(channels, k, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.unsqueeze:
            x = x.unsqueeze(1)
        return self.proj(self.pool(x))


class Network(nn.Module):
    """backbone → head."""

    def __init__(self, backbone: nn.Module, head: nn.Module):
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def make_head(features: TensorType, classes=None, dense=None) -> nn.Module | None:
    """The head for backbone output ``features``, or None when neither classes nor dense is given."""
    check_request(classes, dense)
    if classes is not None:
        return ClassificationHead(features, class_count(classes))
    if dense is not None:
        return DenseHead(features, dense_target(dense))
    return None


