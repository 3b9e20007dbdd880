"""Helpers shared by several test folders: plain functions, constants and Hypothesis strategies.

(Fixtures live in ``conftest.py``.) A top-down generator of type-correct trees (``typed_modules``),
``typed_or_reject`` for properties over trees that may not type-check, and shared architectures.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, reject
from hypothesis import strategies as st

import einspace
from einspace.language.ast import Branching, Computation, Routing, Sequential
from einspace.language.ops import (Add, Cat, Clone, Col2Im, DotProduct, Group, Identity, Im2Col, Linear,
                                   Norm, Perm, PosEnc, Relu, Softmax, COL_PERMS, IM_PERMS)
from einspace.language.ast import Module
from einspace.errors import RuleViolation, TypeCheckError
from einspace.types.rules import aggregate, apply, branch
from einspace.testing.strategies import input_types
from einspace.types.tensor import TensorType

MAX_PARAMS = 300_000
MAX_MEMORY = 300_000
MAX_FLOPS = 20_000_000

FAST = dict(deadline=None, database=None, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
            suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow, HealthCheck.data_too_large])

SMALL_INPUTS = input_types(max_side=10)

#: a small ResNet (two residual blocks), valid at 3x16x16
RESNETISH = einspace.parse("""
let conv(c) = routing[im2col(3,1,1), computation<linear(c)>, col2im]
let block(c) = sequential(branching(2){clone(2), sequential(conv(c), norm, relu, conv(c), norm), identity, add(2)},
                          relu)
sequential(conv(16), norm, relu, block(16), routing[im2col(3,2,1), linear(32), col2im], block(32))
""")


def typed_or_reject(tree, t):
    """``infer(tree, t)``; in a Hypothesis test, rejects the example when the tree does not type-check at ``t``
    (Hypothesis fails the test as unsatisfiable when no example type-checks)."""
    try:
        return einspace.infer(tree, t)
    except TypeCheckError:
        reject()


# --- a top-down generator of type-correct trees -----------------------------------------------

def _fits(op, t: TensorType) -> bool:
    try:
        apply(op, t)
    except RuleViolation:
        return False
    return True


_C = [Identity(), Norm(), Relu(), Softmax(), PosEnc()] + [Linear(width=w) for w in (1, 3, 8, 16)] + \
     [Linear(factor=f) for f in (0.5, 1.0, 2.0)]
_PERMS = [Perm(o) for o in COL_PERMS + IM_PERMS]
_IM2COL = [Im2Col(k, s, p, d) for k, s, p, d in ((1, 1, 0, 1), (1, 2, 0, 1), (2, 2, 0, 1), (3, 1, 1, 1), (3, 2, 1, 1),
                                                (2, 1, 0, 1), (3, 1, 2, 2), (4, 4, 0, 1))]
_R1 = [Identity()] + _PERMS + _IM2COL
_R2 = [Identity(), Col2Im()] + _PERMS
_B = [Clone(b) for b in (2, 4, 8)] + [Group(b, d) for b in (2, 4) for d in (1, 2, 3)]


def _aggs(b: int) -> list:
    out = [Add(b)] + [Cat(b, d) for d in (1, 2, 3)]
    return out + [DotProduct(False), DotProduct(True)] if b == 2 else out


def _swap(t: TensorType) -> Perm:
    return Perm((0, 2, 1) if t.mode == "col" else (0, 1, 3, 2))


def _head(t: TensorType, e: int, v: Module, scaled: bool, outer: bool) -> Branching:
    """An attention head softmax(Q K^T) V with linear Q, K of width ``e`` and value module ``v``."""
    lin = Computation(Linear(width=e))
    scores = Sequential(Branching(Clone(2), (lin, Routing(Identity(), lin, _swap(t))), DotProduct(scaled)),
                        Computation(Softmax()))
    return Branching(Clone(2), (scores, v), DotProduct(outer))


@st.composite
def _motif(draw, t: TensorType, budget: int):
    """A pattern the interpreter lowers (convolution, residual, attention...), with random parts."""
    kinds = ["residual", "attention"] + (["conv", "along"] if t.mode == "im" else ["along", "multihead"])
    kind = draw(st.sampled_from(kinds))
    lin = Computation(Linear(width=draw(st.sampled_from([2, 3, 5]))))
    if kind == "conv":
        pre = draw(st.sampled_from([op for op in _IM2COL if _fits(op, t)]))
        post = draw(st.sampled_from([Col2Im(), Identity(), Perm((0, 2, 1))]))
        tree = Routing(pre, lin, post)
    elif kind == "along":
        pairs = [((0, 2, 1), (0, 2, 1))] if t.mode == "col" else \
            [((0, 2, 3, 1), (0, 3, 1, 2)), ((0, 1, 3, 2), (0, 1, 3, 2)), ((0, 3, 1, 2), (0, 2, 3, 1))]
        pre, post = draw(st.sampled_from(pairs))
        tree = Routing(Perm(pre), lin, Perm(post))
    elif kind == "residual":
        body, out = draw(_module(t, budget - 1))
        if out != t:
            body = Sequential(Computation(Norm()), Computation(Relu()))
        tree = Branching(Clone(2), (body, Computation(Identity())) if draw(st.booleans())
                         else (Computation(Identity()), body), Add(2))
    else:
        e = draw(st.sampled_from([1, 2, 4]))
        scaled, outer = draw(st.booleans()), draw(st.booleans())
        if kind == "attention":
            v, _ = draw(_module(t, budget - 1))
            tree = _head(t, e, v, scaled, outer)
        else:
            b = draw(st.sampled_from([2, 4]))
            head = _head(t, e, Computation(Linear(width=draw(st.sampled_from([1, 3])))), scaled, outer)
            tree = Branching(Clone(b), (head,) * (2 if b == 2 else 1), Cat(b, draw(st.sampled_from([1, 2]))))
    try:
        return tree, einspace.infer(tree, t).output
    except TypeCheckError:
        return Computation(Identity()), t


@st.composite
def _module(draw, t: TensorType, budget: int):
    """(tree, output type) for input ``t``, with at most about ``budget`` computation leaves."""
    kinds = ["computation"] if budget <= 1 else \
        ["computation", "sequential", "routing", "branching", "branching", "motif"]
    kind = draw(st.sampled_from(kinds))
    if kind == "motif":
        return draw(_motif(t, budget))
    if kind == "sequential":
        first, mid = draw(_module(t, budget // 2))
        second, out = draw(_module(mid, budget - budget // 2))
        return Sequential(first, second), out
    if kind == "routing":
        pre = draw(st.sampled_from([op for op in _R1 if _fits(op, t)]))
        inner, mid = draw(_module(apply(pre, t), budget - 1))
        post = draw(st.sampled_from([op for op in _R2 if _fits(op, mid)]))
        return Routing(pre, inner, post), apply(post, mid)
    if kind == "branching":
        fns = []
        for fn in _B:
            try:
                branch(fn, t)
                fns.append(fn)
            except RuleViolation:
                pass
        fn = draw(st.sampled_from(fns))
        bt = branch(fn, t)
        n = 2 if fn.b == 2 else 1
        parts = [draw(_module(bt, max(1, (budget - 1) // n))) for _ in range(n)]
        types = [p[1] for p in parts] if n == 2 else [parts[0][1]] * fn.b
        aggs = []
        for agg in _aggs(fn.b):
            try:
                aggs.append((agg, aggregate(agg, types, fn.b)))
            except RuleViolation:
                pass
        if aggs:
            agg, out = draw(st.sampled_from(aggs))
            return Branching(fn, tuple(p[0] for p in parts), agg), out
        # no aggregation fits these branches: fall back to a leaf
    op = draw(st.sampled_from([op for op in _C if _fits(op, t)]))
    return Computation(op), apply(op, t)


@st.composite
def typed_modules(draw, max_leaves: int = 16, inputs=SMALL_INPUTS):
    """(tree, input type) pairs, type-correct by construction (checked again by ``infer``)."""
    t = draw(inputs)
    tree, out = draw(_module(t, draw(st.integers(2, max_leaves))))
    if not isinstance(tree, (Sequential, Routing, Branching)):
        tree = Sequential(tree, Computation(Identity()))  # the root is never a bare computation
    return tree, t


def small(typed) -> bool:
    """Whether an evaluated tree is cheap enough to build and run in a test."""
    return typed.params <= MAX_PARAMS and typed.memory <= MAX_MEMORY and typed.flops <= MAX_FLOPS
