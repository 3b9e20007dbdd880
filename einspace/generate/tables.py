"""The PCFG of a grammar compiled for sampling, with the valid options of every tensor type memoised.

The grammar's ``//@`` annotations are the only source: production probabilities per left-hand
symbol and the weighted choice sets. For a tensor type the valid options of each symbol are found
once with :mod:`einspace.types.rules` (the same rules the evaluator applies) and cached together with
their output types and costs, so a decision during sampling is a dictionary look-up plus a budget
comparison. Types are :mod:`einspace.types.codes` here (plain tuples the garbage collector does not scan); the
rules see TensorTypes, made from the codes on a memo miss only. Option lists keep the grammar
file's order (the chooser sees a stable order; option 0 is the simplest, which is what Hypothesis
shrinks towards).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

from ..language.ast import Computation, Terminal
from ..errors import RuleViolation
from ..language.grammar import Grammar
from ..types.rules import agg_flops, aggregate, apply, branch, op_flops, op_memory, op_params
from ..types.tensor import TensorType
from ..types.codes import Code, code, tensor
from .options import NONE, Options, columns

__all__ = ["Tables", "tables_for", "KIND_ORDER"]

#: kinds in the order the chooser sees them (simplest first, for shrinking)
KIND_ORDER = ("computation", "sequential", "routing", "branching")

#: per-type option memo size (entries per table). A full memo keeps what it has and stops adding:
#: memory stays flat (the first types seen, those near the input, are also the most frequent).
#: Types and option columns are plain tuples the cyclic garbage collector stops scanning, so what
#: a full collection scans is about one :class:`.options.Options` per memoised type (issue 15,
#: tests/benchmarks/README.md)
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


def _put(memo: dict, key, value):
    """Memoise up to ``MEMO_LIMIT`` entries (flat memory); ``value`` either way. The memos are plain
    dicts of plain tuples (a dict subclass is always tracked by the garbage collector)."""
    if len(memo) < MEMO_LIMIT:
        memo[key] = value
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
        self._joins: tuple[dict, dict] = ({}, {})  # by role: no (type, role) key tuple per entry
        self._types: dict = {}
        self.room = NEEDS_MEMO_ROOM
        # the columns of the options at each type (see .options), by decision
        self._comp: dict = {}
        self._pre: dict = {}
        self._post: dict = {}
        self._branch: dict = {}
        self._agg: dict = {}

    def spend(self) -> bool:
        """Take one entry of the needs' shared memo room (False when it is used up)."""
        if self.room > 0:
            self.room -= 1
            return True
        return False

    def canon(self, t: Code) -> Code:
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

    def comp(self, c: Code) -> Options:
        got = self._comp.get(c)
        if got is not None:
            return Options(self.c_terms, got)
        rows, weights = [], []
        c = self.canon(c)
        t = tensor(c)
        for j, (node, w) in enumerate(self.c_choices):
            op = node.op
            try:
                out = apply(op, t)
            except RuleViolation:
                continue
            rows.append((j, self.canon(code(out)), op_params(op, t, out), op_flops(op, t, out), op_memory(op, out)))
            weights.append(w)
        return Options(self.c_terms, _put(self._comp, c, columns(rows, weights, c)))

    def _route(self, memo: dict, choices, terms: tuple, c: Code) -> Options:
        got = memo.get(c)
        if got is not None:
            return Options(terms, got)
        rows, weights = [], []
        c = self.canon(c)
        t = tensor(c)
        for j, (op, w) in enumerate(choices):
            if _refused(op, t):
                continue
            try:
                out = apply(op, t)
            except RuleViolation:
                continue
            rows.append((j, self.canon(code(out)), 0, op_flops(op, t, out), op_memory(op, out)))
            weights.append(w)
        return Options(terms, _put(memo, c, columns(rows, weights, c)))

    def pre(self, c: Code) -> Options:
        return self._route(self._pre, self.r1_choices, self.r1_terms, c)

    def post(self, c: Code) -> Options:
        return self._route(self._post, self.r2_choices, self.r2_terms, c)

    def branch(self, c: Code) -> Options:
        got = self._branch.get(c)
        if got is not None:
            return Options(self.b_terms, got)
        rows, weights = [], []
        c = self.canon(c)
        t = tensor(c)
        for j, (fn, w) in enumerate(self.b_choices):
            if _refused(fn, t):
                continue
            try:
                bt = branch(fn, t)
            except RuleViolation:
                continue
            # out: the type every branch receives
            rows.append((j, self.canon(code(bt)), 0, 0, op_memory(fn, bt, fn.b)))
            weights.append(w)
        return Options(self.b_terms, _put(self._branch, c, columns(rows, weights)))

    def agg(self, codes: Sequence[Code], factor: int) -> Options:
        """Aggregations valid for the branch outputs (``types`` has one entry per distinct branch:
        two for factor 2, the template's output for 4 and 8)."""
        key = (*codes, factor)  # one tuple (two types for factor 2, one for 4 and 8)
        got = self._agg.get(key)
        if got is not None:
            return Options(self.a_terms, got)
        if factor == 2 and codes[0][0] != codes[1][0]:  # every aggregation needs one mode
            return Options(self.a_terms, _put(self._agg, key, NONE))
        types = [tensor(c) for c in codes]
        full = types if factor == 2 else [types[0]] * factor
        rows, weights = [], []
        for j, (a, w) in enumerate(self.a_choices):
            if a.b != factor or not _may_aggregate(a, types):
                continue
            try:
                out = aggregate(a, full, factor)
            except RuleViolation:
                continue
            rows.append((j, self.canon(code(out)), 0, agg_flops(a, full, out), op_memory(a, out)))
            weights.append(w)
        kept = codes[0] if factor != 2 or codes[0] == codes[1] else None
        return Options(self.a_terms, _put(self._agg, key, columns(rows, weights, kept)))

    def fold(self, c: Code):
        """The output of the grid-folding postrouting (col2im) on ``c``, if it is a choice and accepts ``c``."""
        op = self.fold_op
        if op is None or c[0] != "col":
            return None
        t = tensor(c)
        if _refused(op, t):
            return None
        try:
            return code(apply(op, t))
        except RuleViolation:
            return None

    def join_options(self, o1: Code, o2: Code):
        """The 2-way aggregations of (o1, o2), lazily, add first: (agg, out, flops, memory)."""
        pair = (tensor(o1), tensor(o2))
        for a in self.joins:
            if not _may_aggregate(a, pair):
                continue
            try:
                out = aggregate(a, pair, 2)
            except RuleViolation:
                continue
            yield a, code(out), agg_flops(a, pair, out), op_memory(a, out)

    def keys(self, c: Code, role: int) -> tuple:
        """:func:`join_keys` of ``c`` for this grammar's 2-way aggregations (memoised), as a tuple of
        plain values: the garbage collector stops tracking it, and the memo with it (a first branch's
        need makes the set it tests the second branch's keys against, :class:`.needs.Pairs`)."""
        memo = self._joins[role]
        got = memo.get(c)
        if got is None:
            got = _put(memo, c, tuple(join_keys(tensor(c), role, self.join_kinds)))
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
