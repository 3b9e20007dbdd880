"""Hypothesis strategies for einspace, for the project's tests and for users' own.

* :func:`terminals` — any terminal of a symbol, including values outside the default choice sets;
* :func:`trees` — syntactically valid trees (not necessarily type-correct): round trips, printers;
* :func:`input_types` — im and col input types of assorted (odd, tiny, non-square) sizes;
* :func:`typed_trees` — (tree, input type) pairs that type-check, found by filtering :func:`trees`.

``architectures()`` (valid by construction, through the sampler) is added by the sampler module.
"""

from __future__ import annotations

from typing import Optional

from hypothesis import strategies as st  # einspace.testing says how to install it when missing

from ..errors import TypeCheckError
from ..language.ast import Branching, Computation, Module, Routing, Sequential
from ..language.ops import Choice, Ints, Operation, Positive
from ..types.tensor import TensorType

__all__ = ["terminals", "trees", "input_types", "typed_trees", "branching_fns", "aggregation_fns",
           "prerouting_fns", "postrouting_fns", "computation_fns", "operation_values"]

_CACHE: dict = {}


def _field_values(domain) -> st.SearchStrategy:
    """Values of one field, from its domain in the operation's definition."""
    if isinstance(domain, Ints):
        hi = domain.hi if domain.hi is not None else domain.lo + domain.spread
        ranged = st.integers(domain.lo, max(domain.lo, hi))
        return st.one_of(st.sampled_from(domain.examples), ranged) if domain.examples else ranged
    if isinstance(domain, Positive):
        values = domain.examples or (0.25, 0.5, 1.0, 2.0)
        return st.sampled_from(values + ((None,) if domain.optional else ()))
    if isinstance(domain, Choice):
        return st.sampled_from(domain.values)
    return st.sampled_from(tuple(getattr(domain, "examples", ())) or (None,))


def operation_values(cls: type[Operation]) -> st.SearchStrategy:
    """Instances of one operation: its fields drawn from their domains, invalid combinations dropped."""
    key = ("op", cls)
    if key not in _CACHE:
        if not cls.field_names:
            _CACHE[key] = st.just(cls())
        else:
            fields = {f: _field_values(cls.domains.get(f)) for f in cls.field_names}

            @st.composite
            def build(draw):
                values = {f: draw(s) for f, s in fields.items()}
                try:
                    return cls(**values)
                except (ValueError, TypeError):
                    from hypothesis import assume
                    assume(False)

            _CACHE[key] = build()
    return _CACHE[key]


def terminals(symbol: Optional[str] = None, *, grammar=None) -> st.SearchStrategy:
    """Terminals of one symbol (B, A, R1, R2, C), or of any symbol: every operation of that role the
    grammar (default: the packaged one) has a rule for, with argument values inside and outside the
    default choice sets."""
    from ..language.grammar import load_grammar
    ops = load_grammar(grammar).operations(symbol)
    return st.one_of(*(operation_values(c) for c in ops))


def branching_fns() -> st.SearchStrategy:
    return terminals("B")


def aggregation_fns() -> st.SearchStrategy:
    return terminals("A")


def prerouting_fns() -> st.SearchStrategy:
    return terminals("R1")


def postrouting_fns() -> st.SearchStrategy:
    return terminals("R2")


def computation_fns() -> st.SearchStrategy:
    return terminals("C")


def _aggregations(factor: int) -> st.SearchStrategy:
    """Aggregations that take ``factor`` branches."""
    return aggregation_fns().filter(lambda a: a.b == factor)


def _branching(children: st.SearchStrategy) -> st.SearchStrategy:
    @st.composite
    def build(draw):
        fn = draw(branching_fns())
        n = 2 if fn.b == 2 else 1
        inner = tuple(draw(children) for _ in range(n))
        agg = draw(_aggregations(fn.b))
        return Branching(fn, inner, agg)
    return build()


def trees(max_leaves: int = 12) -> st.SearchStrategy:
    """Syntactically valid modules (any terminals, consistent branching factors), not type-checked."""
    leaves = computation_fns().map(Computation)

    def extend(children: st.SearchStrategy) -> st.SearchStrategy:
        return st.one_of(
            st.builds(Sequential, children, children),
            st.builds(Routing, prerouting_fns(), children, postrouting_fns()),
            _branching(children),
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves)


def input_types(modes: tuple[str, ...] = ("im", "col"), max_side: int = 64) -> st.SearchStrategy:
    """Input types: im [C,H,W] and col [S,D], including odd, tiny and non-square sizes."""
    im = st.builds(lambda c, h, w: TensorType("im", (c, h, w)), st.sampled_from([1, 2, 3, 4, 8, 12]),
                   st.integers(1, max_side), st.integers(1, max_side))
    col = st.builds(lambda s, d: TensorType("col", (s, d)), st.integers(1, 2 * max_side), st.integers(1, 2 * max_side))
    options = [s for m, s in (("im", im), ("col", col)) if m in modes]
    return st.one_of(*options)


def typed_trees(max_leaves: int = 12, inputs: Optional[st.SearchStrategy] = None) -> st.SearchStrategy:
    """(tree, input type) pairs that type-check. Uses ``assume``: keep trees small for a good hit rate."""
    from hypothesis import assume
    from ..types.evaluator import infer

    # build the strategies once: Hypothesis re-inspects a strategy each time one is constructed
    tree_strategy = trees(max_leaves)
    input_strategy = inputs if inputs is not None else input_types()

    @st.composite
    def build(draw):
        t = draw(input_strategy)
        tree: Module = draw(tree_strategy)
        try:
            infer(tree, t)
        except TypeCheckError:
            assume(False)
        return tree, t

    return build()


# --- architectures through the sampler (valid by construction; shrink to small ones) --------------

def _hypothesis_budget():
    from ..generate.budget import Budget
    return Budget(max_nodes=64, max_depth=16, max_params=1_000_000, max_flops=100_000_000, max_memory=1_000_000)


def architectures(input="3x28x28", *, grammar=None, p_computation: Optional[float] = None, budget=None,
                  **limits) -> st.SearchStrategy:
    """Architectures drawn by the sampler (every one type-checks at ``input`` within the budget).

    ``input`` is a type (``"3x28x28"``, ``"col:64x512"``, a TensorType) or a strategy of types
    (then use :func:`sampled_architectures` to get the type as well). Every sampler decision is
    one Hypothesis draw, so a failing architecture shrinks towards
    ``sequential(computation<identity>, computation<identity>)``. The default budget is small
    (64 nodes, depth 16, 1M parameters, 1e8 FLOPs, 1M activation elements) so examples stay quick;
    ``budget`` or keyword limits (``max_nodes=...``) change it.
    """
    return sampled_architectures(input, grammar=grammar, p_computation=p_computation, budget=budget,
                                 **limits).map(lambda pair: pair[0])


def sampled_architectures(inputs=None, *, grammar=None, p_computation: Optional[float] = None, budget=None,
                          **limits) -> st.SearchStrategy:
    """(architecture, input type) pairs: ``inputs`` is a type, a strategy of types, or None for
    :func:`input_types`; the architecture is sampled for the drawn type (see :func:`architectures`)."""
    from ..generate.budget import Budget
    from ..generate.chooser import HypothesisChooser
    from ..language.grammar import load_grammar
    from ..generate.sampler import sample, with_p_computation
    from ..types.tensor import as_type

    g = load_grammar(grammar)
    if p_computation is not None:
        g = with_p_computation(g, p_computation)
    b = Budget.of(budget if budget is not None else _hypothesis_budget(), **limits)
    if inputs is None:
        input_strategy = input_types()
    elif isinstance(inputs, st.SearchStrategy):
        input_strategy = inputs
    else:
        input_strategy = st.just(as_type(inputs))

    @st.composite
    def build(draw):
        t = as_type(draw(input_strategy))
        return sample(t, chooser=HypothesisChooser(draw), grammar=g, budget=b), t

    return build()


__all__ += ["architectures", "sampled_architectures"]
