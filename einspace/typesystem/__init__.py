"""The NeuralArTS type system for einspace: exact symbolic dimension functions and their comparison.

The public relations are in :mod:`einspace.equivalence`; generated convolutions in
:mod:`einspace.convgen`; pointwise dimension functions in :mod:`einspace.dimfn`.
"""

from .decide import DEFAULT_BOX, Decision, InputBox, decide_forward_compatibility, decide_type_equivalence
from .quasi import QA, PSet
from .symbolic import Sym, SymbolicFunction, SymType, Unsupported, symbolic_function

__all__ = ["QA", "PSet", "Sym", "SymType", "SymbolicFunction", "Unsupported", "symbolic_function",
           "InputBox", "Decision", "DEFAULT_BOX", "decide_type_equivalence", "decide_forward_compatibility"]
