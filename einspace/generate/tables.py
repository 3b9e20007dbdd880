"""The PCFG of a grammar compiled for sampling, with the valid options of every tensor type memoised.

The grammar's ``//@`` annotations are the only source: production probabilities per left-hand
symbol and the weighted choice sets. For a tensor type the valid options of each symbol are found
once with :mod:`einspace.types.rules` (the same rules the evaluator applies) and cached together with
their output types and costs, so a decision during sampling is a dictionary look-up plus a budget
comparison. Option lists keep the grammar file's order (the chooser sees a stable order; option 0
is the simplest, which is what Hypothesis shrinks towards).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

from ..language.ast import Computation, Terminal
from ..errors import RuleViolation
from ..language.grammar import Grammar
from ..types.rules import agg_flops, aggregate, apply, branch, op_flops, op_memory, op_params
from ..types.tensor import TensorType
from .options import EMPTY, Options, options

__all__ = ["Tables", "tables_for", "KIND_ORDER"]

#: kinds in the order the chooser sees them (simplest first, for shrinking)
KIND_ORDER = ("computation", "sequential", "routing", "branching")

#: per-type option memo size (entries per table). A full memo keeps what it has and stops adding:
#: memory stays flat, and no long-lived objects keep arriving for the cyclic garbage collector to
#: scan (the first types seen, those near the input, are also the most frequent). Every full
#: collection scans what the memos hold (about 26 objects per type over the six tables, most of
#: them the options' output types): 2,048 types keep a full collection near 40 ms (issue 15,
#: tests/benchmarks/README.md), 8,192 made it 0.3 s
MEMO_LIMIT = 1 << 11

#: witness memo entries (types and fronts, summed over every need cached with the tables, see
#: :mod:`.needs`) kept before those memos stop growing: one shared room, so memory stays flat however
#: many needs share it (a per-need limit alone allows thousands of needs times its limit)
NEEDS_MEMO_ROOM = 1 << 14

#: distinct output types kept for interning (equal types from different options share one object)
TYPES_LIMIT = 1 << 14


def _refused(op: Terminal, t: TensorType) -> bool:
    """Certain refusals of the type rules, decided cheaply by the operation itself (building a
    RuleViolation's message is costly, and most routing options are refused at most types)."""
    return op.refuses(t)  # type: ignore[attr-defined]


class _Memo(dict):
    """A dict that stops growing at ``MEMO_LIMIT`` entries (flat memory)."""

    def put(self, key, value):
        if len(self) < MEMO_LIMIT:
            self[key] = value
        return value


class Tables:
    """Sampling tables of one grammar."""

    def __init__(self, grammar: Grammar):
        self.grammar = grammar
        self.key = grammar.key
        self.kinds = {lhs: tuple((k, grammar.probability(lhs, k)) for k in KIND_ORDER
                                 if grammar.probability(lhs, k) > 0)
                      for lhs in ("S", "M")}
        self.kind_weights = {lhs: tuple(p for _, p in self.kinds[lhs]) for lhs in self.kinds}
        ch = grammar.choices
        self.c_choices = tuple((Computation(c.node), c.weight) for c in ch["C"] if c.weight > 0)
        self.r1_choices = tuple((c.node, c.weight) for c in ch["R1"] if c.weight > 0)
        self.r2_choices = tuple((c.node, c.weight) for c in ch["R2"] if c.weight > 0)
        self.b_choices = tuple((c.node, c.weight) for c in ch["B"] if c.weight > 0)
        self.a_choices = tuple((c.node, c.weight) for c in ch["A"] if c.weight > 0)
        # the terminals of each choice list, shared by every memoised :class:`.options.Options`
        self.c_terms, self.r1_terms, self.r2_terms, self.b_terms, self.a_terms = (
            tuple(node for node, _ in c) for c in (self.c_choices, self.r1_choices, self.r2_choices,
                                                   self.b_choices, self.a_choices))
        # every decision below reads a flag of the operations' definitions (einspace.language.ops)
        folds = [op for op, _ in self.r2_choices if op.folds]
        self.fold_op = folds[0] if folds else None
        self.has_col2im = self.fold_op is not None
        self.factors = tuple(sorted({fn.b for fn, _ in self.b_choices}))
        # direct witness steps (no option tables needed): a free type-preserving computation and
        # routing, a fold of the remembered grid, and a merge of identical copies for each factor
        self.identity_comp = any(c.op.identity for c, _ in self.c_choices)
        self.identity_post = any(op.identity for op, _ in self.r2_choices)
        self.identity_pre = any(op.identity for op, _ in self.r1_choices)
        self.adds = {}
        for a, _ in self.a_choices:
            if a.merges_copies:
                self.adds.setdefault(a.b, a)
        # identity computation/routing and a merge for every factor: then free witnesses always exist
        self.trivial = (self.identity_comp and self.identity_pre and self.identity_post
                        and all(f in self.adds for f in self.factors))
        self.joins = tuple(sorted((a for a, _ in self.a_choices if a.b == 2), key=lambda a: a.join_order))
        self.needs: dict = {}  # the sampler's witness caches for unconstrained contexts (see needs)
        self.targets: dict = {}  # needs of callers' targets, by (target, budget, deep) (see engine.target_need)
        self.join_kinds = tuple(dict.fromkeys(type(a) for a in self.joins))
        self._joins = (_Memo(), _Memo())  # by role: no (type, role) key tuple per entry
        self._types: dict = {}
        self.room = NEEDS_MEMO_ROOM
        self._comp = _Memo()
        self._pre = _Memo()
        self._post = _Memo()
        self._branch = _Memo()
        self._agg = _Memo()

    def spend(self) -> bool:
        """Take one entry of the needs' shared memo room (False when it is used up)."""
        if self.room > 0:
            self.room -= 1
            return True
        return False

    def canon(self, t: TensorType) -> TensorType:
        """The one kept object equal to ``t`` (interning, up to :data:`TYPES_LIMIT` types): memoised
        options then share their output types, so the caches hold fewer objects for the garbage
        collector to scan, and memo look-ups with them hit by identity."""
        types = self._types
        got = types.get(t)
        if got is None:
            if len(types) < TYPES_LIMIT:
                types[t] = t
            return t
        return got

    # --- per-type options ---------------------------------------------------------------------

    def comp(self, t: TensorType) -> Options:
        got = self._comp.get(t)
        if got is not None:
            return got
        rows, weights = [], []
        t = self.canon(t)
        for j, (node, w) in enumerate(self.c_choices):
            op = node.op
            try:
                out = self.canon(apply(op, t))
            except RuleViolation:
                continue
            rows.append((j, out, op_params(op, t, out), op_flops(op, t, out), op_memory(op, out)))
            weights.append(w)
        return self._comp.put(t, options(self.c_terms, rows, weights, t))

    def _route(self, memo: _Memo, choices, terms: tuple, t: TensorType) -> Options:
        got = memo.get(t)
        if got is not None:
            return got
        rows, weights = [], []
        t = self.canon(t)
        for j, (op, w) in enumerate(choices):
            if _refused(op, t):
                continue
            try:
                out = self.canon(apply(op, t))
            except RuleViolation:
                continue
            rows.append((j, out, 0, op_flops(op, t, out), op_memory(op, out)))
            weights.append(w)
        return memo.put(t, options(terms, rows, weights, t))

    def pre(self, t: TensorType) -> Options:
        return self._route(self._pre, self.r1_choices, self.r1_terms, t)

    def post(self, t: TensorType) -> Options:
        return self._route(self._post, self.r2_choices, self.r2_terms, t)

    def branch(self, t: TensorType) -> Options:
        got = self._branch.get(t)
        if got is not None:
            return got
        rows, weights = [], []
        t = self.canon(t)
        for j, (fn, w) in enumerate(self.b_choices):
            if _refused(fn, t):
                continue
            try:
                bt = self.canon(branch(fn, t))
            except RuleViolation:
                continue
            rows.append((j, bt, 0, 0, op_memory(fn, bt, fn.b)))  # out: the type every branch receives
            weights.append(w)
        return self._branch.put(t, options(self.b_terms, rows, weights))

    def agg(self, types: Sequence[TensorType], factor: int) -> Options:
        """Aggregations valid for the branch outputs (``types`` has one entry per distinct branch:
        two for factor 2, the template's output for 4 and 8)."""
        key = (*types, factor)  # one tuple (two types for factor 2, one for 4 and 8)
        got = self._agg.get(key)
        if got is not None:
            return got
        full = list(types) if factor == 2 else [types[0]] * factor
        if factor == 2 and types[0].mode != types[1].mode:  # every aggregation needs one mode
            return self._agg.put(key, EMPTY)
        rows, weights = [], []
        for j, (a, w) in enumerate(self.a_choices):
            if a.b != factor or not _may_aggregate(a, types):
                continue
            try:
                out = self.canon(aggregate(a, full, factor))
            except RuleViolation:
                continue
            rows.append((j, out, 0, agg_flops(a, full, out), op_memory(a, out)))
            weights.append(w)
        return self._agg.put(key, options(self.a_terms, rows, weights,
                                          types[0] if factor != 2 or types[0] == types[1] else None))

    def fold(self, t: TensorType):
        """The output of the grid-folding postrouting (col2im) on ``t``, if it is a choice and accepts ``t``."""
        op = self.fold_op
        if op is None or t.mode != "col" or _refused(op, t):
            return None
        try:
            return apply(op, t)
        except RuleViolation:
            return None

    def join_options(self, o1: TensorType, o2: TensorType):
        """The 2-way aggregations of (o1, o2), lazily, add first: (agg, out, flops, memory)."""
        pair = (o1, o2)
        for a in self.joins:
            if not _may_aggregate(a, pair):
                continue
            try:
                out = aggregate(a, pair, 2)
            except RuleViolation:
                continue
            yield a, out, agg_flops(a, pair, out), op_memory(a, out)

    def keys(self, t: TensorType, role: int):
        """:func:`join_keys` of ``t`` for this grammar's 2-way aggregations (memoised): a frozenset for
        ``role`` 0, a tuple for ``role`` 1."""
        memo = self._joins[role]
        got = memo.get(t)
        if got is None:
            keys = join_keys(t, role, self.join_kinds)
            # a second branch's keys only meet a first's set (``isdisjoint``): a tuple of plain
            # values, which the garbage collector stops tracking
            got = memo.put(t, keys if role == 0 else tuple(keys))
        return got

    def clear(self) -> None:
        for m in (self._comp, self._pre, self._post, self._branch, self._agg, *self._joins, self._types):
            m.clear()
        self.room = NEEDS_MEMO_ROOM
        self.needs.clear()
        for need in self.targets.values():
            need.w.local.clear()  # derived needs point back to their scope
        self.targets.clear()


#: the key every output has when some 2-way aggregation declares no join keys (no pruning then)
_ANY = ("any",)


def join_keys(t: TensorType, role: int, kinds: tuple) -> frozenset:
    """Keys under which ``t`` can meet a partner in a 2-way aggregation (``role`` 0: first branch,
    1: second branch). Two outputs can be joined only if they share a key; each aggregation's
    definition says its keys (add: equal shapes, cat: equal off one dimension, dot_product: the
    contracted sizes). A fast necessary condition for the witness search; ``aggregate`` decides."""
    keys: list = []
    for kind in kinds:
        got = kind.join_keys(t, role)
        if got is None:
            return frozenset((_ANY,))
        keys.extend(got)
    return frozenset(keys)


def _may_aggregate(a: Terminal, types: Sequence[TensorType]) -> bool:
    """A cheap necessary condition for :func:`einspace.types.rules.aggregate` to accept (it decides)."""
    return a.may_aggregate(types)  # type: ignore[attr-defined]


_TABLES: "OrderedDict[str, Tables]" = OrderedDict()


def tables_for(grammar: Grammar) -> Tables:
    """The (cached) tables of a grammar; a few grammars are kept (p(M -> C) sweeps reuse them)."""
    t = _TABLES.get(grammar.key)
    if t is None:
        t = Tables(grammar)
        _TABLES[grammar.key] = t
        if len(_TABLES) > 8:
            _TABLES.popitem(last=False)
    else:
        _TABLES.move_to_end(grammar.key)
    return t
