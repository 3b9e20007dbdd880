"""The sampling engine: one depth-first pass over the grammar, in which every offered option can be completed.

This module holds a pass's module rules (:class:`Pass`: a module, its kind and its terminals, drawn
among the options that fit) and the search that repeats passes until one completes (:func:`run`);
the decision log, replay and backtracking are in :mod:`.decisions`, the witness look-ups that test
an option in :mod:`.witnesses`.

Semantics. At every decision (a production, then each terminal) the sampler draws among the
options that fit the current tensor type and the remaining budget *and can still be completed*,
with the grammar's weights renormalised. "Can be completed" means: a witness completion exists
(see :mod:`.needs`) — every module not begun yet replaced by the smallest module of its kind
(the paper's max-depth rule is the case "past the depth limit only computation modules are left"),
every open slot around the module completed canonically. Witnesses are closed under taking their
next step, so a pass does not reach dead ends: the option a witness starts with is on offer at the
next decision.

2-way branchings: the first branch is sampled with its costs counted twice, which reserves room for
a copy of it; the second branch is then sampled under the need to be joined to the first by some
aggregation. If no option for the second branch has a witness (the first branch went where no small
module can follow), the second branch is a copy of the first — the reserved room pays for it.

Backtracking covers what witnesses do not (an ``exclude`` set, or a witness that no longer fits
after a cheaper one was spent): a dead end pops the last decision, marks its choice dead, and the
pass is replayed with the recorded prefix; the search over the decision tree is exhaustive.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional

from ..language.ast import Branching, Module, Routing, Sequential
from ..types.tensor import TensorType
from ..types.codes import Code, code, numel, tensor
from .decisions import DEAD, Dead, backtrack
from .needs import ZERO, Need, UserNeed
from .tables import Tables
from .targets import Exactly, Pattern
from .witnesses import CACHE_LIMIT, Scope, Witnesses

__all__ = ["run", "Exhausted", "UserNeed", "INF", "target_need", "TARGET_LIMIT"]

INF = 1 << 62

#: caller targets whose needs are kept with the tables (beyond this a target's needs live for one
#: search only): a mutation asks for at most one target per node of its parent and budget
TARGET_LIMIT = 1024


class Pass(Witnesses):
    """One deterministic attempt given a decision prefix; records its multi-option decisions
    (:class:`.decisions.Decisions`) and tests options by their witnesses (:class:`.witnesses.Witnesses`)."""

    __slots__ = ()

    def __init__(self, tables: Tables, chooser, prefix: list, budget: tuple, local: Optional[dict] = None):
        self.t = tables
        self.chooser = chooser
        self.prefix = prefix
        self.log: list = []
        self.nodes, self.params, self.flops, self.memory = budget
        self.limit = budget
        #: derived needs of a caller's target: pure functions of (need, type), so one search shares
        #: them across its passes (a dead end replays the prefix without recomputing witnesses)
        self.local: dict = {} if local is None else local

    # --- modules -----------------------------------------------------------------------------

    def module(self, lhs: str, t: Code, depth: int, need: Optional[Need], k: int, kn: int) -> tuple[Module, Code]:
        """Sample one module (``lhs`` "M", or "S" at the root) of at most ``depth`` levels from ``t``.

        ``need`` constrains what follows (None: nothing but what is already reserved in the
        counters); ``k``/``kn`` multiply its costs/nodes (copies it stands for)."""
        tab = self.t
        kinds = tab.kinds[lhs]
        size = numel(t)
        e = size * k
        if need is None:
            ample = tab.trivial and self.nodes >= 7 * kn and self.memory >= 9 * e and self.flops >= 8 * e
        else:  # a fixed type-preserving completion (template aggregations...) ending at "nothing more"
            fh = need.free_hop
            ample = fh is not None and tab.trivial and self.nodes >= 7 * kn + fh[0] \
                and self.memory >= 9 * e + fh[2] * size and self.flops >= 8 * e + fh[1] * size
        base = need if need is not None else self.free(k, kn)
        comp: list = []

        def kind_fits(i: int) -> bool:
            kind = kinds[i][0]
            if kind == "computation":
                if depth < 2:
                    return False
                comp.append(self.pick_op(t, need, base, k, kn))  # draws the operation now
                return comp[-1] is not None
            if depth < 3 or self.nodes < 5 * kn:
                return False
            return ample or self.ok(self.kind_front(kind, t, base), 0, 0, 0, 0)

        kind = kinds[self.pick(tab.kind_weights[lhs], kind_fits)][0]
        if kind == "computation":
            o = comp[-1] if comp else self.pick_op(t, need, base, k, kn)
            if o is None:  # replayed kind whose operations are all dead
                raise DEAD.with_traceback(None)
            self.nodes -= 2 * kn
            self.params -= o.params * k
            self.flops -= o.flops * k
            self.memory -= o.memory * k
            return o.term, o.out
        if kind == "sequential":
            return self.sequential(t, depth, need, base, k, kn)
        if kind == "routing":
            return self.routing(t, depth, need, base, k, kn, ample)
        return self.branching(t, depth, base, k, kn, ample)

    def pick_op(self, t: Code, need: Optional[Need], base: Need, k: int, kn: int):
        """Draw a computation operation that fits (None if none does)."""
        if self.nodes < 2 * kn:
            return None
        opts = self.t.comp(t)
        if not opts.outs:
            return None
        if need is None and opts.max_params * k <= self.params and opts.max_flops * k <= self.flops \
                and opts.max_memory * k <= self.memory:
            return opts.item(self.pick(opts.weights))
        outs, params, flops, memory = opts.outs, opts.params, opts.flops, opts.memory

        def op_fits(i: int) -> bool:
            return self.ok(base.best(outs[i]), 2 * kn, params[i] * k, flops[i] * k, memory[i] * k)

        try:
            return opts.item(self.pick(opts.weights, op_fits))
        except Dead:
            return None

    def sequential(self, t: Code, depth: int, need: Optional[Need], base: Need, k: int, kn: int):
        if need is None and self.t.trivial:
            self.nodes -= 3 * kn  # the sequential node, and the identity computation that can finish it
            first, mid = self.module("M", t, depth - 1, None, k, kn)
            self.nodes += 2 * kn
        else:
            self.nodes -= kn
            first, mid = self.module("M", t, depth - 1, self.derive(base, "then"), k, kn)
        second, out = self.module("M", mid, depth - 1, need, k, kn)
        return Sequential(first, second), out

    def routing(self, t: Code, depth: int, need: Optional[Need], base: Need, k: int, kn: int, ample: bool):
        opts = self.t.pre(t)
        trivial = need is None and self.t.trivial
        if ample and opts.max_flops * k <= self.flops and opts.max_memory * k <= self.memory:
            pre = opts.item(self.pick(opts.weights))
        else:
            inner = self.derive(base, "post")
            outs, flops, memory = opts.outs, opts.flops, opts.memory

            def pre_fits(i: int) -> bool:
                return self.ok(self.comp_front(outs[i], inner), 2 * kn, 0, flops[i] * k, memory[i] * k)

            pre = opts.item(self.pick(opts.weights, pre_fits))
        self.flops -= pre.flops * k
        self.memory -= pre.memory * k
        if trivial:
            self.nodes -= 3 * kn  # routing, prerouting, and the identity postrouting that can finish it
            inner_mod, mid = self.module("M", pre.out, depth - 1, None, k, kn)
            self.nodes += kn
        else:
            self.nodes -= 2 * kn
            inner_mod, mid = self.module("M", pre.out, depth - 1, self.derive(base, "post"), k, kn)
        opts = self.t.post(mid)
        outs, flops, memory = opts.outs, opts.flops, opts.memory

        def post_fits(i: int) -> bool:
            return self.ok((ZERO,) if need is None else need.best(outs[i]), kn, 0, flops[i] * k, memory[i] * k)

        r2 = opts.item(self.pick(opts.weights, post_fits))
        self.nodes -= kn
        self.flops -= r2.flops * k
        self.memory -= r2.memory * k
        return Routing(pre.term, inner_mod, r2.term), r2.out

    def branching(self, t: Code, depth: int, base: Need, k: int, kn: int, ample: bool):
        opts = self.t.branch(t)
        if ample:
            fn = opts.item(self.pick(opts.weights))
        else:
            memory = opts.memory

            def fn_fits(i: int) -> bool:
                return self.ok(self.branch_front(opts, i, base), 2 * kn, 0, 0, memory[i] * k)

            fn = opts.item(self.pick(opts.weights, fn_fits))
        b = fn.term.b
        self.nodes -= 2 * kn
        self.memory -= fn.memory * k
        bt = fn.out
        if b == 2 and base.deep:  # a small second branch can join the first: no copy needed
            m1, o1 = self.module("M", bt, depth - 1, self.derive(base, "first", bt), k, kn)
            m2, o2 = self.module("M", bt, depth - 1, self.derive(base, "pairs", o1), k, kn)
            opts = self.t.agg((o1, o2), 2)
            branches = (m1, m2)
        elif b == 2:
            before = (self.nodes, self.params, self.flops, self.memory)
            m1, o1 = self.module("M", bt, depth - 1, self.derive(base, "first"), 2 * k, 2 * kn)
            # the first branch was charged twice; give back one share (kept for its copy)
            used = (before[0] - self.nodes, before[1] - self.params, before[2] - self.flops, before[3] - self.memory)
            self.nodes += used[0] // 2
            self.params += used[1] // 2
            self.flops += used[2] // 2
            self.memory += used[3] // 2
            pairs = self.derive(base, "pairs", o1)
            if self.can_start("M", bt, depth - 1, pairs, k, kn):
                m2, o2 = self.module("M", bt, depth - 1, pairs, k, kn)
            else:  # no small module can join the first branch: repeat it (its room was reserved)
                m2, o2 = m1, o1
                self.nodes -= used[0] // 2
                self.params -= used[1] // 2
                self.flops -= used[2] // 2
                self.memory -= used[3] // 2
            opts = self.t.agg((o1, o2), 2)
            branches = (m1, m2)
        else:
            m, o = self.module("M", bt, depth - 1, self.derive(base, "template", b), k * b, kn * b)
            opts = self.t.agg((o,), b)
            branches = (m,)
        outs, flops, memory = opts.outs, opts.flops, opts.memory

        def agg_fits(i: int) -> bool:
            return self.ok(base.best(outs[i]), kn, 0, flops[i] * k, memory[i] * k)

        agg = opts.item(self.pick(opts.weights, agg_fits))
        self.nodes -= kn
        self.flops -= agg.flops * k
        self.memory -= agg.memory * k
        return Branching(fn.term, branches, agg.term), agg.out

    def can_start(self, lhs: str, t: Code, depth: int, need: Need, k: int, kn: int) -> bool:
        """Whether some production of ``lhs`` at ``t`` has a witness completing ``need``."""
        for kind, _ in self.t.kinds[lhs]:
            if kind == "computation":
                if depth >= 2 and self.ok(self.comp_front(t, need), 0, 0, 0, 0):
                    return True
            elif depth >= 3 and self.nodes >= 5 * kn and self.ok(self.kind_front(kind, t, need), 0, 0, 0, 0):
                return True
        return False


class Exhausted(NamedTuple):
    """A search that found nothing: ``limited`` when it stopped at ``max_passes`` rather than
    having tried every decision."""

    passes: int
    limited: bool


def run(tables: Tables, chooser, lhs: str, t: TensorType, depth: int, budget: tuple, target,
        exclude: Optional[Callable[[Module], bool]], max_passes: Optional[int] = None):
    """Search until a pass completes: (module, output type, passes), or :class:`Exhausted`.

    ``t`` is the input type and the output type found is a TensorType (inside, types are
    :mod:`einspace.types.codes`). ``budget`` is (nodes, params, flops, memory); ``target`` a predicate on the
    output type or None.
    With a target, a search that finds nothing is repeated with deeper witnesses next to the
    target (an open slot there may be filled by a small module, not only a computation).
    ``max_passes`` bounds the passes of both searches together (None: exhaustive)."""
    c = code(t)
    if target is None:
        return _search(tables, chooser, lhs, c, depth, budget, None, exclude, max_passes)
    found = _search(tables, chooser, lhs, c, depth, budget, target_need(tables, target, budget), exclude,
                    max_passes)
    if isinstance(found, Exhausted) and not found.limited:
        left = None if max_passes is None else max_passes - found.passes
        if left is None or left > 0:
            again = _search(tables, chooser, lhs, c, depth, budget, target_need(tables, target, budget, True),
                            exclude, left)
            if isinstance(again, Exhausted):
                return Exhausted(found.passes + again.passes, again.limited)
            return again[0], again[1], found.passes + again[2]
        return Exhausted(found.passes, True)
    return found


def target_need(tables: Tables, target, budget: tuple, deep: bool = False) -> UserNeed:
    """The need of a caller's ``target`` under ``budget``, with its :class:`.witnesses.Scope`.

    Its witnesses are pure functions of (target, budget, deep) and the tables, so for a target
    that compares by value (:class:`.targets.Exactly`, :class:`.targets.Pattern`) the need and
    everything derived from it are kept with the tables (up to :data:`TARGET_LIMIT` of them): a
    mutation's fallback then does not recompute the same witnesses on every call. Other targets
    (predicates, compared by identity) get a fresh need, dropped after the search."""
    cacheable = type(target) in (Exactly, Pattern)
    key = (target, budget, deep)
    if cacheable:
        need = tables.targets.get(key)
        if need is not None:
            if len(need.w.local) > CACHE_LIMIT:  # flat memory: start this target's derived needs anew
                need.w.local.clear()
            return need
    kept = cacheable and len(tables.targets) < TARGET_LIMIT
    need = UserNeed(tables, target, budget, deep=deep)
    need.w = Scope(tables, budget, kept)
    if kept:
        tables.targets[key] = need
    return need


def _search(tables: Tables, chooser, lhs: str, t: Code, depth: int, budget: tuple, need: Optional[Need],
            exclude: Optional[Callable[[Module], bool]], max_passes: Optional[int]):
    prefix: list = []
    passes = 0
    # a caller's target derives its needs in its scope (kept with a cached target), else per search
    local: dict = need.w.local if need is not None and need.w is not None else {}
    try:
        while True:
            passes += 1
            p = Pass(tables, chooser, prefix, budget, local)
            try:
                node, out = p.module(lhs, t, depth, need, 1, 1)
                if exclude is not None and exclude(node):
                    raise DEAD.with_traceback(None)
                return node, tensor(out), passes
            except Dead:
                prefix = backtrack(p.log)
                if prefix is None:
                    return Exhausted(passes, False)
                if max_passes is not None and passes >= max_passes:
                    return Exhausted(passes, True)
    finally:
        if need is None or need.w is None or not need.w.kept:
            local.clear()  # derived needs point back to their scope: break the cycle for the reference counter
