"""The NeuralArTS relations between architectures (and single operations), on dimension functions.

NeuralArTS (Wong et al.) types a layer by its dimension function f: input shape ↦ output shape.
Here f is a subtree's partial map from input :class:`~einspace.types.tensor.TensorType` (mode, shape, im2col
grid) to output type, undefined where a rule refuses the input (:mod:`einspace.types.dimension_functions`). "Every input"
means every grid-free input of either mode — ``im[C,H,W]`` and ``col[S,D]`` with all sizes ≥ 1 —
the inputs an architecture can be given.

* **complete** (Def. 1, "all properties equal"): same operations with the same parameters — equal
  normal forms (:func:`einspace.normalize`) — *and* type-equivalent (the normal form may be defined
  on more inputs; the type check keeps complete ⇒ type). Sound, not complete: trees computing the
  same function by different arithmetic are not detected.
* **type** (Def. 2, f_a = f_b): same domain and same output type on it, over every input.
* **instant** at I (Def. 3, f_a(I) = f_b(I)): both defined at I with the same output type.
* **forward compatible** a → b (Def. 4, O_a ⊆ I_b): every output type of a is accepted by b,
  i.e. sequential(a, b) is defined wherever a is.
* **complete compatible** (Def. 5): forward compatible both ways.

Type equivalence and forward compatibility are decided exactly by symbolic evaluation where the
trees stay in the fragment of :mod:`einspace.types.symbolic` (convolutions, linear layers,
norms, groups, concatenations, attention in col mode, ...), and otherwise checked over a finite box
of inputs (:class:`~einspace.types.decide.InputBox`); ``decide_*`` say which (``Decision.exact``).

Operations are compared as one-operation modules: a computation op ``op`` as ``computation<op>``,
a prerouting op as ``routing[op, computation<identity>, identity]``, a postrouting op as
``routing[identity, computation<identity>, op]``. Branching and aggregation functions have several
outputs or inputs and no dimension function of this kind.
"""

from __future__ import annotations

from typing import Optional, Union

from ..language.ast import Computation, Module, Routing, Terminal
from ..language.ops import Identity
from .dimension_functions import try_output_type
from ..errors import NotTypeable
from .tensor import TensorType, as_type
from .decide import (DEFAULT_BOX, Decision, InputBox, decide_forward_compatibility,
                                decide_type_equivalence, describe_function)

__all__ = ["complete_equivalent", "type_equivalent", "instant_equivalent", "forward_compatible",
           "complete_compatible", "relations", "decide_type_equivalence", "decide_forward_compatibility",
           "decide_complete_equivalence", "decide_all", "describe_function", "as_module", "NotTypeable", "Decision",
           "InputBox", "DEFAULT_BOX"]

Typeable = Union[Module, Terminal, str]


def as_module(x: Typeable) -> Module:
    """A module for an architecture, an architecture string, or a single routing/computation op
    (an op object or its text)."""
    if isinstance(x, Module):
        return x
    if isinstance(x, str):
        from ..errors import ParseError
        from ..language.parser import as_tree, parse_terminal
        try:
            return as_tree(x)
        except ParseError:
            try:
                x = parse_terminal(x)  # a lone routing op such as col2im or im2col(3,1,1)
            except (ParseError, ValueError):
                raise  # the module parse error explains more
            return as_module(x)
    roles = getattr(x, "roles", ())
    if roles and set(roles) <= {"B", "A"}:
        from ..language.printer import terminal_text
        raise NotTypeable(f"{terminal_text(x)} is a branching or aggregation function: it has no single-input "
                          f"dimension function; compare whole branching modules instead")
    if "C" in roles:
        return Computation(x)  # type: ignore[arg-type]
    if "R1" in roles:
        return Routing(x, Computation(Identity()), Identity())  # type: ignore[arg-type]
    if "R2" in roles:
        return Routing(Identity(), Computation(Identity()), x)  # type: ignore[arg-type]
    raise NotTypeable(f"cannot type {x!r}")


def type_equivalent(a: Typeable, b: Typeable, *, box: InputBox = DEFAULT_BOX) -> bool:
    """f_a = f_b: same domain and same output type on every grid-free input."""
    return decide_type_equivalence(as_module(a), as_module(b), box).holds


def instant_equivalent(a: Typeable, b: Typeable, input: Union[str, TensorType, tuple, list]) -> bool:
    """f_a(I) = f_b(I): both defined at ``input`` with the same output type (grid included)."""
    t = as_type(input)
    oa = try_output_type(as_module(a), t)
    return oa is not None and oa == try_output_type(as_module(b), t)


def decide_complete_equivalence(a: Typeable, b: Typeable, *, box: InputBox = DEFAULT_BOX) -> Decision:
    from .normal_form import normalize
    ma, mb = as_module(a), as_module(b)
    if normalize(ma) != normalize(mb):
        return Decision(False, True, {}, None, "different normal forms (different operations or parameters)")
    return decide_type_equivalence(ma, mb, box)


def complete_equivalent(a: Typeable, b: Typeable, *, box: InputBox = DEFAULT_BOX) -> bool:
    """Same operations and parameters up to the rewrites of :func:`einspace.normalize`, and type-equivalent."""
    return decide_complete_equivalence(a, b, box=box).holds


def forward_compatible(a: Typeable, b: Typeable, *, box: InputBox = DEFAULT_BOX) -> bool:
    """O_a ⊆ I_b: b accepts every output type of a (sequential(a, b) is defined wherever a is)."""
    return decide_forward_compatibility(as_module(a), as_module(b), box).holds


def complete_compatible(a: Typeable, b: Typeable, *, box: InputBox = DEFAULT_BOX) -> bool:
    """a → b and b → a."""
    return forward_compatible(a, b, box=box) and forward_compatible(b, a, box=box)


def relations(a: Typeable, b: Typeable, input: Optional[Union[str, TensorType]] = None, *,
              box: InputBox = DEFAULT_BOX) -> dict:
    """All five relations, as the ``einspace equiv --json`` object (``instant`` is None without input)."""
    return {k: (v.holds if isinstance(v, Decision) else v) for k, v in decide_all(a, b, input, box=box).items()}


def decide_all(a: Typeable, b: Typeable, input: Optional[Union[str, TensorType]] = None, *,
               box: InputBox = DEFAULT_BOX) -> dict:
    """Like :func:`relations`, with a :class:`Decision` (how it was decided, a witness) per relation;
    a compatibility witness names ``a`` as A and ``b`` as B."""
    from .normal_form import normalize
    ma, mb = as_module(a), as_module(b)
    typed = decide_type_equivalence(ma, mb, box)
    same_form = normalize(ma) == normalize(mb)
    complete = typed if same_form else Decision(False, True, {}, None, "different normal forms")
    ab = decide_forward_compatibility(ma, mb, box, names=("A", "B"))
    ba = decide_forward_compatibility(mb, ma, box, names=("B", "A"))
    both = ab if not ab.holds else ba if not ba.holds else Decision(True, ab.exact and ba.exact,
                                                                    {"a→b": ab.methods, "b→a": ba.methods})
    return {
        "complete": complete,
        "type": typed,
        "instant": instant_equivalent(ma, mb, input) if input is not None else None,
        "forward_compatible": ab,
        "complete_compatible": both,
    }
