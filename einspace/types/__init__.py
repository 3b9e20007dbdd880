"""The types layer: tensor types, type rules, one evaluator for types and costs, dimension functions.

``tensor`` (TensorType, ``as_type``), ``rules`` (the rules of the module kinds, calling each
operation's own rule), ``evaluator`` (``infer``/``check``), ``dimension_functions`` (the pointwise
map input type ↦ output type, memoised), ``quasi``/``symbolic``/``decide`` (exact symbolic
dimension functions, NeuralArTS), ``equivalence``, ``normal_form`` and ``convgen``.
"""

from .tensor import TensorType, as_type

__all__ = ["TensorType", "as_type"]
