"""einspace: the einspace neural architecture search space as a formal language.

Text → typed AST (``parse``) → types, parameters and costs (``infer``) → torch module (``build``);
the probabilistic grammar samples (``sample``) and varies (``mutate``, ``crossover``) architectures.
Heavy parts (torch, the sampler, search) load on first use, so ``import einspace`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from .ast import (Add, Branching, Cat, Clone, Col2Im, Computation, DotProduct, Group, Identity, Im2Col, Linear,
                  Module, Node, Norm, Perm, PosEnc, Relu, Routing, Sequential, Softmax, Terminal)
from .errors import EinspaceError, GrammarError, ParseError, RuleViolation, TypeCheckError, Violation
from .evaluator import NodeInfo, Typed, check, infer
from .grammar import Grammar, default_grammar, load_grammar
from .parser import parse, parse_terminal
from .printer import to_string
from .types import InputTypeError, TensorType, as_type

__version__ = "0.1.0"

#: public names provided by modules that load on first use: name -> module
_LAZY = {
    "build": "einspace.interpreter",
    "summary": "einspace.interpreter",
    "sample": "einspace.sampler",
    "mutate": "einspace.mutation",
    "crossover": "einspace.recombination",
    "normalize": "einspace.normal_form",
    "structural_hash": "einspace.normal_form",
    "type_equivalent": "einspace.equivalence",
    "instant_equivalent": "einspace.equivalence",
    "complete_equivalent": "einspace.equivalence",
    "forward_compatible": "einspace.equivalence",
    "complete_compatible": "einspace.equivalence",
    "seeds": "einspace.seeds",
    "strategies": "einspace.strategies",
    "data": "einspace.data",
    "analysis": "einspace.analysis",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'einspace' has no attribute {name!r}")
    mod = importlib.import_module(module)
    value = mod if module.rsplit(".", 1)[-1] == name else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "parse", "parse_terminal", "to_string", "infer", "check", "as_type", "load_grammar", "default_grammar",
    "Typed", "NodeInfo", "TensorType", "Grammar",
    "EinspaceError", "ParseError", "TypeCheckError", "GrammarError", "InputTypeError", "RuleViolation", "Violation",
    "Node", "Module", "Terminal", "Sequential", "Branching", "Routing", "Computation",
    "Clone", "Group", "DotProduct", "Add", "Cat", "Identity", "Perm", "Im2Col", "Col2Im",
    "Linear", "Norm", "Relu", "Softmax", "PosEnc",
    *_LAZY,
]
