"""The sampling engine: one depth-first pass over the grammar, in which every offered option can be completed.

Semantics. At every decision (a production, then each terminal) the sampler draws among the
options that fit the current tensor type and the remaining budget *and can still be completed*,
with the grammar's weights renormalised. "Can be completed" means: a witness completion exists
(see :mod:`._needs`) — every module not begun yet replaced by the smallest module of its kind
(the paper's max-depth rule is the case "past the depth limit only computation modules are left"),
every open slot around the module completed canonically. Witnesses are closed under taking their
next step, so a pass does not reach dead ends: the option a witness starts with is on offer at the
next decision.

Drawing is lazy: an option is drawn with the weights of those not yet rejected, tested, and redrawn
without it if it fails — the same distribution as filtering first, but only drawn options are tested.

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
from .needs import NONE, ZERO, Free, Need, UserNeed, child, first_fit
from .tables import Tables

__all__ = ["run", "Exhausted", "UserNeed", "INF"]

INF = 1 << 62

#: the persistent witness cache stops growing past this many needs (flat memory; later needs live
#: for one pass only)
CACHE_LIMIT = 5000
#: witnesses memoised per need (beyond this they are recomputed)
FRONTS_LIMIT = 256


class _Dead(Exception):
    """A decision's subtree cannot be completed (internal: drives backtracking)."""


_DEAD = _Dead()


class Pass:
    """One deterministic attempt given a decision prefix; records its multi-option decisions."""

    __slots__ = ("t", "chooser", "prefix", "log", "nodes", "params", "flops", "memory", "limit", "local")

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

    # --- decisions ---------------------------------------------------------------------------

    def pick(self, weights, fits: Optional[Callable[[int], bool]] = None) -> int:
        """The index of the chosen option, drawn with ``weights`` among those for which ``fits``
        holds (replayed from the prefix where it reaches; :class:`_Dead` when nothing fits).

        The decision's log slot is reserved before ``fits`` runs, so decisions taken inside it
        (the operation of a computation module) are logged after it, in replay order."""
        n = len(weights)
        log = self.log
        pos = len(log)
        dead = ()
        if n > 1:
            if pos < len(self.prefix):
                chosen, dead = self.prefix[pos]
                if chosen is not None:
                    log.append((n, chosen, dead))
                    return chosen
            log.append(None)
        if fits is None and not dead:
            chosen = 0 if n == 1 else self.chooser.choose(weights)
        else:
            alive = [i for i in range(n) if i not in dead]
            while True:
                if not alive:
                    del log[pos:]
                    raise _DEAD.with_traceback(None)
                chosen = alive[0] if len(alive) == 1 else alive[self.chooser.choose([weights[i] for i in alive])]
                if fits is None or fits(chosen):
                    break
                del log[pos + (n > 1):]  # forget what a rejected option decided
                alive.remove(chosen)
        if n > 1:
            log[pos] = (n, chosen, dead)
        return chosen

    def ok(self, front: tuple, n: int, p: int, f: int, m: int) -> bool:
        """Some witness in ``front``, after pending costs (n, p, f, m), fits the remaining budget."""
        ln, lp, lf, lm = self.nodes - n, self.params - p, self.flops - f, self.memory - m
        for a, b, c, d in front:
            if a <= ln and b <= lp and c <= lf and d <= lm:
                return True
        return False

    # --- needs and witnesses -----------------------------------------------------------------

    def free(self, k: int, kn: int) -> Need:
        """The need "nothing more" for a module with multipliers (k, kn) (cached with the tables)."""
        key = ("free", k, kn, self.limit)
        need = self.t.needs.get(key) or self.local.get(key)
        if need is None:
            cache = self.t.needs if len(self.t.needs) < CACHE_LIMIT else self.local
            need = cache[key] = Free(self.t, k, kn, self.limit)
        return need

    def derive(self, need: Need, tag: str, arg=None) -> Need:
        if need.deep:
            return child(self.local, need, tag, arg, self)
        if need.persistent:
            got = self.t.needs.get((id(need), tag, arg))
            if got is not None:
                return got
            if len(self.t.needs) < CACHE_LIMIT:
                return child(self.t.needs, need, tag, arg)
        return child(self.local, need, tag, arg)

    def comp_front(self, t: TensorType, need: Need) -> tuple:
        """A witness for a computation module at ``t`` completing ``need`` (memoised on the need)."""
        key = ("c", t)
        got = need.fronts.get(key)
        if got is not None:
            return got
        k, kn = need.k, need.kn
        got = NONE
        if self.t.identity_comp:  # the identity computation first: free, and the usual witness
            rest = need.best(t)
            if rest:
                got = first_fit(rest, 2 * kn, 0, 0, 0, need.limit)
        if not got:
            for o in self.t.comp(t).cheap:
                rest = need.best(o.out)
                if rest:
                    got = first_fit(rest, 2 * kn, o.params * k, o.flops * k, o.memory * k, need.limit)
                    if got:
                        break
        if len(need.fronts) < FRONTS_LIMIT:
            need.fronts[key] = got
        return got

    def kind_front(self, kind: str, t: TensorType, need: Need, shallow: bool = False) -> tuple:
        """A witness for the smallest module of ``kind`` at ``t`` completing ``need`` (``shallow``:
        its open slots completed canonically even under a caller's target)."""
        if kind == "computation":
            return self.comp_front(t, need)
        shallow = shallow or not need.deep
        key = (kind, t, shallow)
        got = need.fronts.get(key)
        if got is not None:
            return got
        k, kn, lim = need.k, need.kn, need.limit
        bang = "!" if shallow and need.deep else ""
        got = NONE
        if kind == "sequential":
            got = first_fit(self.comp_front(t, self.derive(need, "then" + bang)), kn, 0, 0, 0, lim)
        elif kind == "routing":
            inner = self.derive(need, "post" + bang)
            # next to a caller's target the inner module may be a small module too
            front = self.comp_front if shallow else self.small_front
            if self.t.identity_pre:  # the identity prerouting first: free
                got = first_fit(front(t, inner), 2 * kn, 0, 0, 0, lim)
            if not got:
                for o in self.t.pre(t).cheap:
                    got = first_fit(front(o.out, inner), 2 * kn, 0, o.flops * k, o.memory * k, lim)
                    if got:
                        break
        else:
            for o in self.t.branch(t).cheap:
                got = first_fit(self.branch_front(o, need, shallow), 2 * kn, 0, 0, o.memory * k, lim)
                if got:
                    break
        if len(need.fronts) < FRONTS_LIMIT:
            need.fronts[key] = got
        return got

    def small_front(self, t: TensorType, need: Need) -> tuple:
        """A witness for a small module at ``t``: a computation, or the smallest module of a kind."""
        got = self.comp_front(t, need)
        if not got:
            for kind in ("sequential", "routing", "branching"):
                got = self.kind_front(kind, t, need, shallow=True)
                if got:
                    break
        return got

    def branch_front(self, o, need: Need, shallow: bool = False) -> tuple:
        """A witness for a branching with branching function option ``o`` (after the function)."""
        shallow = shallow or not need.deep
        key = ("b", o.fn, o.out, shallow)
        got = need.fronts.get(key)
        if got is None:
            if o.factor == 2:
                inner = self.derive(need, "first!" if shallow and need.deep else "first",
                                    o.out if need.deep and not shallow else None)
                got = self.comp_front(o.out, inner)
            else:
                inner = self.derive(need, "template!" if shallow and need.deep else "template", o.factor)
                got = (self.comp_front if shallow else self.small_front)(o.out, inner)
            if len(need.fronts) < FRONTS_LIMIT:
                need.fronts[key] = got
        return got

    # --- modules -----------------------------------------------------------------------------

    def module(self, lhs: str, t: TensorType, depth: int, need: Optional[Need], k: int, kn: int) -> tuple[Module, TensorType]:
        """Sample one module (``lhs`` "M", or "S" at the root) of at most ``depth`` levels from ``t``.

        ``need`` constrains what follows (None: nothing but what is already reserved in the
        counters); ``k``/``kn`` multiply its costs/nodes (copies it stands for)."""
        tab = self.t
        kinds = tab.kinds[lhs]
        e = t.numel * k
        if need is None:
            ample = tab.trivial and self.nodes >= 7 * kn and self.memory >= 9 * e and self.flops >= 8 * e
        else:  # a fixed type-preserving completion (template aggregations...) ending at "nothing more"
            fh = need.free_hop
            ample = fh is not None and tab.trivial and self.nodes >= 7 * kn + fh[0] \
                and self.memory >= 9 * e + fh[2] * t.numel and self.flops >= 8 * e + fh[1] * t.numel
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
                raise _DEAD.with_traceback(None)
            self.nodes -= 2 * kn
            self.params -= o.params * k
            self.flops -= o.flops * k
            self.memory -= o.memory * k
            return o.node, o.out
        if kind == "sequential":
            return self.sequential(t, depth, need, base, k, kn)
        if kind == "routing":
            return self.routing(t, depth, need, base, k, kn, ample)
        return self.branching(t, depth, base, k, kn, ample)

    def pick_op(self, t: TensorType, need: Optional[Need], base: Need, k: int, kn: int):
        """Draw a computation operation that fits (None if none does)."""
        if self.nodes < 2 * kn:
            return None
        opts = self.t.comp(t)
        items = opts.items
        if not items:
            return None
        if need is None and opts.max_params * k <= self.params and opts.max_flops * k <= self.flops \
                and opts.max_memory * k <= self.memory:
            return items[self.pick(opts.weights)]

        def op_fits(i: int) -> bool:
            o = items[i]
            return self.ok(base.best(o.out), 2 * kn, o.params * k, o.flops * k, o.memory * k)

        try:
            return items[self.pick(opts.weights, op_fits)]
        except _Dead:
            return None

    def sequential(self, t: TensorType, depth: int, need: Optional[Need], base: Need, k: int, kn: int):
        if need is None and self.t.trivial:
            self.nodes -= 3 * kn  # the sequential node, and the identity computation that can finish it
            first, mid = self.module("M", t, depth - 1, None, k, kn)
            self.nodes += 2 * kn
        else:
            self.nodes -= kn
            first, mid = self.module("M", t, depth - 1, self.derive(base, "then"), k, kn)
        second, out = self.module("M", mid, depth - 1, need, k, kn)
        return Sequential(first, second), out

    def routing(self, t: TensorType, depth: int, need: Optional[Need], base: Need, k: int, kn: int, ample: bool):
        opts = self.t.pre(t)
        items = opts.items
        trivial = need is None and self.t.trivial
        if ample and opts.max_flops * k <= self.flops and opts.max_memory * k <= self.memory:
            pre = items[self.pick(opts.weights)]
        else:
            inner = self.derive(base, "post")

            def pre_fits(i: int) -> bool:
                o = items[i]
                return self.ok(self.comp_front(o.out, inner), 2 * kn, 0, o.flops * k, o.memory * k)

            pre = items[self.pick(opts.weights, pre_fits)]
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
        items = opts.items

        def post_fits(i: int) -> bool:
            o = items[i]
            return self.ok((ZERO,) if need is None else need.best(o.out), kn, 0, o.flops * k, o.memory * k)

        r2 = items[self.pick(opts.weights, post_fits)]
        self.nodes -= kn
        self.flops -= r2.flops * k
        self.memory -= r2.memory * k
        return Routing(pre.op, inner_mod, r2.op), r2.out

    def branching(self, t: TensorType, depth: int, base: Need, k: int, kn: int, ample: bool):
        opts = self.t.branch(t)
        items = opts.items
        if ample:
            fn = items[self.pick(opts.weights)]
        else:
            def fn_fits(i: int) -> bool:
                o = items[i]
                return self.ok(self.branch_front(o, base), 2 * kn, 0, 0, o.memory * k)

            fn = items[self.pick(opts.weights, fn_fits)]
        b = fn.factor
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
        items = opts.items

        def agg_fits(i: int) -> bool:
            o = items[i]
            return self.ok(base.best(o.out), kn, 0, o.flops * k, o.memory * k)

        agg = items[self.pick(opts.weights, agg_fits)]
        self.nodes -= kn
        self.flops -= agg.flops * k
        self.memory -= agg.memory * k
        return Branching(fn.fn, branches, agg.agg), agg.out

    def can_start(self, lhs: str, t: TensorType, depth: int, need: Need, k: int, kn: int) -> bool:
        """Whether some production of ``lhs`` at ``t`` has a witness completing ``need``."""
        for kind, _ in self.t.kinds[lhs]:
            if kind == "computation":
                if depth >= 2 and self.ok(self.comp_front(t, need), 0, 0, 0, 0):
                    return True
            elif depth >= 3 and self.nodes >= 5 * kn and self.ok(self.kind_front(kind, t, need), 0, 0, 0, 0):
                return True
        return False


def backtrack(log: list) -> Optional[list]:
    """The prefix of the next pass after a dead end, or None when every option is exhausted."""
    while log:
        n, chosen, dead = log.pop()
        dead = frozenset(dead) | {chosen}
        if len(dead) < n:
            return [(c, d) for _, c, d in log] + [(None, dead)]
    return None


class Exhausted(NamedTuple):
    """A search that found nothing: ``limited`` when it stopped at ``max_passes`` rather than
    having tried every decision."""

    passes: int
    limited: bool


def run(tables: Tables, chooser, lhs: str, t: TensorType, depth: int, budget: tuple, target,
        exclude: Optional[Callable[[Module], bool]], max_passes: Optional[int] = None):
    """Search until a pass completes: (module, output type, passes), or :class:`Exhausted`.

    ``budget`` is (nodes, params, flops, memory); ``target`` a predicate on the output type or None.
    With a target, a search that finds nothing is repeated with deeper witnesses next to the
    target (an open slot there may be filled by a small module, not only a computation).
    ``max_passes`` bounds the passes of both searches together (None: exhaustive)."""
    if target is None:
        return _search(tables, chooser, lhs, t, depth, budget, None, exclude, max_passes)
    found = _search(tables, chooser, lhs, t, depth, budget, UserNeed(tables, target, budget), exclude, max_passes)
    if isinstance(found, Exhausted) and not found.limited:
        left = None if max_passes is None else max_passes - found.passes
        if left is None or left > 0:
            again = _search(tables, chooser, lhs, t, depth, budget, UserNeed(tables, target, budget, deep=True),
                            exclude, left)
            if isinstance(again, Exhausted):
                return Exhausted(found.passes + again.passes, again.limited)
            return again[0], again[1], found.passes + again[2]
        return Exhausted(found.passes, True)
    return found


def _search(tables: Tables, chooser, lhs: str, t: TensorType, depth: int, budget: tuple, need: Optional[Need],
            exclude: Optional[Callable[[Module], bool]], max_passes: Optional[int]):
    prefix: list = []
    passes = 0
    local: dict = {}
    try:
        while True:
            passes += 1
            p = Pass(tables, chooser, prefix, budget, local)
            try:
                node, out = p.module(lhs, t, depth, need, 1, 1)
                if exclude is not None and exclude(node):
                    raise _DEAD.with_traceback(None)
                return node, out, passes
            except _Dead:
                prefix = backtrack(p.log)
                if prefix is None:
                    return Exhausted(passes, False)
                if max_passes is not None and passes >= max_passes:
                    return Exhausted(passes, True)
    finally:
        local.clear()  # deep needs point back to a pass: break the cycle for the reference counter
