"""einspace: the einspace neural architecture search space as a formal language.

Text → typed AST (``parse``) → types, parameters and costs (``infer``) → torch module (``build``);
the probabilistic grammar samples (``sample``) and varies (``mutate``, ``crossover``) architectures.
Heavy parts (torch, the sampler, search) load on first use, so ``import einspace`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from .language.ast import Branching, Computation, Module, Node, Routing, Sequential, Terminal
from .language.ops import (Operation, Add, Cat, Clone, Col2Im, DotProduct, Group, Identity, Im2Col, Linear, Norm, Perm,
                           PosEnc, Relu, Softmax)
from .errors import (BudgetError, CrossoverError, DataError, EinspaceError, GrammarError, InputTypeError,
                     MissingDependency, MutationError, OperationError, ParseError, RuleViolation, SamplingError,
                     TypeCheckError, UsageError, Violation, TrainingError, SearchError, JournalError,
                     ExecutorError, BuildRefused)
from .types.evaluator import NodeInfo, Typed, check, infer
from .language.grammar import Grammar, default_grammar, load_grammar
from .language.parser import parse, parse_terminal
from .types.display import to_string
from .types.tensor import TensorType, as_type

__version__ = "0.1.0"

#: public names provided by modules that load on first use: name -> (module, attribute or None for the module)
_LAZY = {
    "build": ("einspace.interpreter", "build"),
    "register_builder": ("einspace.interpreter", "register_builder"),
    "summary": ("einspace.interpreter", "summary"),
    "sample": ("einspace.generate.sampler", "sample"),
    "mutate": ("einspace.variation.mutation", "mutate"),
    "crossover": ("einspace.variation.crossover", "crossover"),
    "normalize": ("einspace.types.normal_form", "normalize"),
    "structural_hash": ("einspace.types.normal_form", "structural_hash"),
    "type_equivalent": ("einspace.types.equivalence", "type_equivalent"),
    "instant_equivalent": ("einspace.types.equivalence", "instant_equivalent"),
    "complete_equivalent": ("einspace.types.equivalence", "complete_equivalent"),
    "forward_compatible": ("einspace.types.equivalence", "forward_compatible"),
    "complete_compatible": ("einspace.types.equivalence", "complete_compatible"),
    "seeds": ("einspace.seeds", None),
    "strategies": ("einspace.testing.strategies", None),
    "data": ("einspace.data", None),
    "analysis": ("einspace.analysis", None),
    "search": ("einspace.search", None),
    "train": ("einspace.training", "train"),
    "load_trained": ("einspace.training", "load_trained"),
}


def __getattr__(name: str) -> Any:
    entry = _LAZY.get(name)
    if entry is None:
        raise AttributeError(f"module 'einspace' has no attribute {name!r}")
    module, attr = entry
    mod = importlib.import_module(module)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "parse", "parse_terminal", "to_string", "infer", "check", "as_type", "load_grammar", "default_grammar",
    "Typed", "NodeInfo", "TensorType", "Grammar",
    "EinspaceError", "ParseError", "TypeCheckError", "GrammarError", "InputTypeError", "RuleViolation", "Violation",
    "OperationError", "MissingDependency", "BudgetError", "SamplingError", "MutationError", "CrossoverError", "DataError", "UsageError",
    "TrainingError", "SearchError", "JournalError", "ExecutorError", "BuildRefused",
    "Node", "Module", "Terminal", "Sequential", "Branching", "Routing", "Computation",
    "Clone", "Group", "DotProduct", "Add", "Cat", "Identity", "Perm", "Im2Col", "Col2Im",
    "Linear", "Norm", "Relu", "Softmax", "PosEnc", "Operation",
    *_LAZY,
]
