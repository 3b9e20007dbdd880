"""Head rules without torch: what head a request means, its parameters and its output shape.

Shared by the builder (heads.py) and by :func:`einspace.summary`, which must not need torch.
"""

from __future__ import annotations

from ..errors import HeadError
from ..types.tensor import TensorType

__all__ = ["HeadError", "dense_target", "head_params", "head_output", "describe_head", "check_request", "class_count"]


def dense_target(dense) -> tuple[int, int, int]:
    """Read a dense target: ``(K, H, W)``, ``"KxHxW"`` or an im TensorType."""
    if isinstance(dense, TensorType):
        if dense.mode != "im":
            raise HeadError("head.dense", f"a dense target is K x H x W, got {dense}")
        return dense.shape  # type: ignore[return-value]
    if isinstance(dense, str):
        from ..types.tensor import InputTypeError, as_type
        try:
            return dense_target(as_type(dense))
        except InputTypeError as err:
            raise HeadError("head.dense", str(err)) from None
    try:
        k, h, w = (int(v) for v in dense)
    except (TypeError, ValueError):
        raise HeadError("head.dense", f"a dense target is (K, H, W), got {dense!r}") from None
    if min(k, h, w) < 1:
        raise HeadError("head.dense", f"a dense target needs positive sizes, got {(k, h, w)}")
    return k, h, w


def class_count(classes) -> int:
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 1:
        raise HeadError("head.classes", f"classes must be a positive integer, got {classes!r}")
    return classes


def check_request(classes=None, dense=None) -> None:
    if classes is not None and dense is not None:
        raise HeadError("head.kind", "give either classes (classification) or dense (dense prediction), not both")


def head_params(features: TensorType, classes=None, dense=None) -> int:
    """Exact parameter count of the head :func:`make_head` builds (0 without a head)."""
    check_request(classes, dense)
    if classes is not None:
        return features.shape[0] * class_count(classes) + classes
    if dense is not None:
        k = dense_target(dense)[0]
        channels = 1 if features.mode == "col" else features.shape[0]
        return channels * k + k
    return 0


def head_output(features: TensorType, classes=None, dense=None) -> tuple[int, ...]:
    """Output shape (batch excluded) of the network with this head."""
    if classes is not None:
        return (class_count(classes),)
    if dense is not None:
        return dense_target(dense)
    return features.shape


def describe_head(features: TensorType, classes=None, dense=None) -> tuple[str, int, tuple[int, ...]]:
    """(label, parameters, output shape) of the head."""
    check_request(classes, dense)
    if classes is not None:
        dims = "H,W" if features.mode == "im" else "D"
        label = f"head: mean over {dims}, linear({class_count(classes)})"
    else:
        k, h, w = dense_target(dense)
        label = f"head: adaptive pool to {h}x{w}, 1x1 conv to {k}"
    return label, head_params(features, classes, dense), head_output(features, classes, dense)
