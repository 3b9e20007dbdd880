"""Printing with types: every printer style, and the tree style with each node's types and params.

>>> from einspace.types.display import to_string
>>> print(to_string("sequential(linear(8), relu)", "tree", input="col:4x2"))
sequential  col[4,2] → col[4,8]  24 params
  computation<linear(8)>  col[4,2] → col[4,8]  24 params
    linear(8)  col[4,2] → col[4,8]  24 params
  computation<relu>  col[4,8] → col[4,8]
    relu  col[4,8] → col[4,8]
"""

from __future__ import annotations

from typing import Any, Union

from ..language.ast import Node
from ..language.parser import as_tree
from ..language.printer import to_string as _print
from .evaluator import infer
from .tensor import TensorType, as_type

__all__ = ["to_string"]


def to_string(node: Union[Node, str], style: str = "canonical", *, input: Any = None, width: int = 80,
              grammar: Any = None) -> str:
    """Print an architecture (a tree or its text) in ``style``: ``canonical``, ``compact``,
    ``brackets`` or ``tree``; with ``input`` the tree style shows each node's input → output type
    and parameter count (and raises :class:`~einspace.errors.TypeCheckError` where types do not fit)."""
    tree = node if isinstance(node, Node) else as_tree(node, grammar=grammar)
    if style != "tree" or input is None:
        return _print(tree, style, width=width)
    typed = infer(tree, as_type(input))

    def annotate(path: str, n: Node) -> str:
        info = typed.at(path)
        if isinstance(info.input, TensorType):
            src = str(info.input)
        elif len(set(info.input)) == 1:
            src = f"{len(info.input)}×{info.input[0]}"
        else:
            src = " ⊕ ".join(str(t) for t in info.input)
        return f"  {src} → {info.output}" + (f"  {info.params:,} params" if info.params else "")

    return _print(tree, "tree", width=width, annotate=annotate)
