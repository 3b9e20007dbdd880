"""The sampling engine: a depth-first pass over the grammar in which every offered option has a completion.

Semantics. At every decision (a production, then each terminal) the sampler offers the options that
fit the current tensor type and the remaining budget *and can still be completed*, with the
grammar's weights renormalised. "Can be completed" is decided by exhibiting a completion — a
witness — in which every module not begun yet is small: a computation module, or (for the choice
of a production) the smallest module of that kind (``sequential(c, c)``, ``routing[r1, c, r2]``,
``branching{b, c, c, a}``). Witnesses are closed under taking their next step, so a pass does not
reach dead ends: the option a witness starts with is on offer at the next decision. (The paper's
max-depth rule is the special case "past the depth limit only computation modules are left".)
Compared with an unbounded exhaustive search, this withholds only options whose every completion
needs a larger repair inside a constrained spot: a first branch of a 2-way branching is offered
only if a single computation as second branch could join it.

Constraints ("needs") travel down the module that is being completed: the second branch of a 2-way
branching must aggregate with the first; the first branch must leave such a second branch
possible; a routing's inner module must leave its postrouting a valid choice; a 4/8-way template
must leave its aggregation within budget; a sequential's first module must leave a computation as
second module able to finish; a caller's target. For a tensor type a need knows (memoised) the
costs of its cheapest witness completions (a few Pareto champions over nodes, parameters, FLOPs and
memory), so a decision costs a few dictionary look-ups.

Budgets are enforced the same way: an option is offered only if its cost plus a witness completion
of everything still open fits. Costs inside a 4/8-way template count once per copy (``copies``).

Backtracking covers what witnesses do not (an ``exclude`` set; a budget where no single cheapest
witness fits although another would): a dead end pops the last decision, marks its choice dead, and
the pass is replayed with the recorded prefix. The search over the decision tree is exhaustive.
"""

from __future__ import annotations

from typing import Callable, Optional

from ..ast import Branching, Module, Routing, Sequential
from ..types import TensorType
from ._tables import Tables

INF = 1 << 62
ZERO = (0, 0, 0, 0)
NONE: tuple = ()


class _Dead(Exception):
    """A decision's subtree cannot be completed (internal: drives backtracking)."""


_DEAD = _Dead()


def champions(costs: list, limit: tuple) -> tuple:
    """A few non-dominated costs (nodes, params, flops, memory) within ``limit``: the cheapest in
    each component. Costs beyond the whole budget are dropped (they can never fit), which also
    keeps the witness search from wandering into ever larger tensor types."""
    ln, lp, lf, lm = limit
    costs = [c for c in costs if c[0] <= ln and c[1] <= lp and c[2] <= lf and c[3] <= lm]
    if len(costs) <= 1:
        return tuple(costs)
    best = []
    for i in range(4):
        c = min(costs, key=lambda v: (v[i], v[0] + v[3]))
        if c not in best:
            best.append(c)
    return tuple(best)


def shift(front: tuple, n: int, p: int, f: int, m: int) -> list:
    return [(n + a, p + b, f + c, m + d) for a, b, c, d in front]


def first_fit(front: tuple, n: int, p: int, f: int, m: int, limit: tuple) -> tuple:
    """``front`` after the costs (n, p, f, m), keeping only witnesses within ``limit``."""
    ln, lp, lf, lm = limit
    out = []
    for a, b, c, d in front:
        a, b, c, d = a + n, b + p, c + f, d + m
        if a <= ln and b <= lp and c <= lf and d <= lm:
            out.append((a, b, c, d))
    return tuple(out)


class Need:
    """A constraint on a module's output: ``best(t)`` gives the costs of the cheapest witness
    completions from output type ``t`` (empty when there is none). ``k`` is the copies multiplier
    of the frame the constrained module lives in."""

    __slots__ = ("tab", "limit", "memo", "k", "_then", "_post", "_kinds")

    def __init__(self, tab: Tables, k: int, limit: tuple):
        self.tab = tab
        self.k = k
        self.limit = limit
        self.memo: dict = {}
        self._then = self._post = None
        self._kinds: dict = {}

    def best(self, t: TensorType) -> tuple:
        got = self.memo.get(t)
        if got is None:
            got = self.memo[t] = self.compute(t)
        return got

    def compute(self, t: TensorType) -> tuple:  # pragma: no cover - abstract
        raise NotImplementedError


class UserNeed(Need):
    """A caller's target: only the type matters."""

    __slots__ = ("target",)

    def __init__(self, tab: Tables, target, limit: tuple) -> None:
        super().__init__(tab, 1, limit)
        self.target = target

    def compute(self, t):
        return (ZERO,) if self.target(t) else NONE


class Pass:
    """One deterministic attempt given a decision prefix; records its multi-option decisions."""

    __slots__ = ("t", "chooser", "prefix", "log", "nodes", "params", "flops", "memory", "limit")

    def __init__(self, tables: Tables, chooser, prefix: list, nodes: int, params: int, flops: int, memory: int):
        self.t = tables
        self.chooser = chooser
        self.prefix = prefix
        self.log: list = []
        self.nodes = nodes
        self.params = params
        self.flops = flops
        self.memory = memory
        self.limit = (nodes, params, flops, memory)

    # --- decisions ---------------------------------------------------------------------------

    def pick(self, weights) -> int:
        """The index of the chosen option (replayed from the prefix where it reaches)."""
        n = len(weights)
        if n == 1:
            return 0
        log = self.log
        pos = len(log)
        if pos < len(self.prefix):
            chosen, dead = self.prefix[pos]
            if chosen is None:
                alive = [i for i in range(n) if i not in dead]
                if not alive:
                    raise _DEAD
                chosen = alive[0] if len(alive) == 1 else alive[self.chooser.choose([weights[i] for i in alive])]
            log.append((n, chosen, dead))
            return chosen
        chosen = self.chooser.choose(weights)
        log.append((n, chosen, ()))
        return chosen

    def ok(self, front: tuple, n: int, p: int, f: int, m: int) -> bool:
        """Some witness in ``front``, after pending costs (n, p, f, m), fits the remaining budget."""
        ln, lp, lf, lm = self.nodes - n, self.params - p, self.flops - f, self.memory - m
        for a, b, c, d in front:
            if a <= ln and b <= lp and c <= lf and d <= lm:
                return True
        return False

    # --- witnesses ---------------------------------------------------------------------------

    def unconstrained(self, k: int) -> "Need":
        """The need "anything" at copies ``k`` (kept with the tables: its witnesses are reusable)."""
        free = self.t.free_needs
        key = (k, self.limit)
        need = free.get(key)
        if need is None:
            if len(free) > 64:
                free.clear()
            need = free[key] = _Free(self.t, k, self.limit)
        return need

    def comp_front(self, t: TensorType, need: Need) -> tuple:
        """Cheapest witnesses of a computation module at ``t`` completing ``need`` (at its copies)."""
        k = need.k
        key = ("c", t)
        got = need._kinds.get(key)
        if got is not None:
            return got
        got = NONE
        for o in self.t.comp(t).cheap:
            rest = need.best(o.out)
            if rest:
                got = first_fit(rest, 2, o.params * k, o.flops * k, o.memory * k, need.limit)
                if got:
                    break
        need._kinds[key] = got
        return got

    def kind_front(self, kind: str, t: TensorType, need: Need) -> tuple:
        """Cheapest witnesses of the smallest module of ``kind`` at ``t`` completing ``need``."""
        if kind == "computation":
            return self.comp_front(t, need)
        k = need.k
        key = (kind, t)
        got = need._kinds.get(key)
        if got is not None:
            return got
        got = NONE
        lim = need.limit
        if kind == "sequential":
            got = first_fit(self.comp_front(t, then(need)), 1, 0, 0, 0, lim)
        elif kind == "routing":
            inner = post(need)
            for o in self.t.pre(t).cheap:
                got = first_fit(self.comp_front(o.out, inner), 2, 0, o.flops * k, o.memory * k, lim)
                if got:
                    break
        else:
            for o in self.t.branch(t).cheap:
                got = first_fit(self.branch_front(o, need), 2, 0, 0, o.memory * k, lim)
                if got:
                    break
        need._kinds[key] = got
        return got

    def branch_front(self, o, need: Need) -> tuple:
        """Witnesses of a branching with function option ``o`` (costs after the function)."""
        key = ("b", o.fn, o.out)
        got = need._kinds.get(key)
        if got is None:
            if o.factor == 2:
                got = self.comp_front(o.out, first_branch(need, o.out))
            else:
                got = self.comp_front(o.out, template(need, o.factor))
            need._kinds[key] = got
        return got

    # --- modules -----------------------------------------------------------------------------

    def module(self, lhs: str, t: TensorType, depth: int, need: Optional[Need], k: int) -> tuple[Module, TensorType]:
        """Sample one module (``lhs`` "M", or "S" at the root) of at most ``depth`` levels from ``t``.

        ``need`` constrains the output (None: anything, its completion costs reserved in the
        counters); ``k`` is the number of copies this module will have (4/8-way templates)."""
        tab = self.t
        kinds = []
        weights = []
        comp_items = comp_weights = None
        n = t.numel * k
        ample = need is None and tab.trivial and self.nodes >= 7 and self.memory >= 9 * n and self.flops >= 8 * n
        for kind, prob in tab.kinds[lhs]:
            if kind == "computation":
                if depth < 2:
                    continue
                comp_items, comp_weights = self.comp_options(t, need, k)
                if not comp_items:
                    continue
            else:
                if depth < 3 or self.nodes < 5:
                    continue
                if not ample and not self.ok(self.kind_front(kind, t, need if need is not None else self.unconstrained(k)),
                                             0, 0, 0, 0):
                    continue
            kinds.append(kind)
            weights.append(prob)
        if not kinds:
            raise _DEAD
        kind = kinds[self.pick(weights)]
        if kind == "computation":
            o = comp_items[self.pick(comp_weights)]
            self.nodes -= 2
            self.params -= o.params * k
            self.flops -= o.flops * k
            self.memory -= o.memory * k
            return o.node, o.out
        if kind == "sequential":
            return self.sequential(t, depth, need, k)
        if kind == "routing":
            return self.routing(t, depth, need, k, ample)
        return self.branching(t, depth, need, k, ample)

    def comp_options(self, t: TensorType, need: Optional[Need], k: int):
        opts = self.t.comp(t)
        if self.nodes < 2:
            return (), ()
        if need is None and opts.max_params * k <= self.params and opts.max_flops * k <= self.flops \
                and opts.max_memory * k <= self.memory:
            return opts.items, opts.weights
        items, weights = [], []
        lp, lf, lm = self.params, self.flops, self.memory
        for o, w in zip(opts.items, opts.weights):
            cp, cf, cm = o.params * k, o.flops * k, o.memory * k
            if cp <= lp and cf <= lf and cm <= lm and (need is None or self.ok(need.best(o.out), 2, cp, cf, cm)):
                items.append(o)
                weights.append(w)
        return items, weights

    def sequential(self, t: TensorType, depth: int, need: Optional[Need], k: int):
        if need is None and self.t.trivial:
            self.nodes -= 3  # the sequential node, and the identity computation that can finish it
            first, mid = self.module("M", t, depth - 1, None, k)
            self.nodes += 2
        else:
            self.nodes -= 1
            first, mid = self.module("M", t, depth - 1, then(need if need is not None else self.unconstrained(k)), k)
        second, out = self.module("M", mid, depth - 1, need, k)
        return Sequential(first, second), out

    def routing(self, t: TensorType, depth: int, need: Optional[Need], k: int, ample: bool):
        opts = self.t.pre(t)
        trivial = need is None and self.t.trivial
        if ample and opts.max_flops * k <= self.flops and opts.max_memory * k <= self.memory:
            items, weights = opts.items, opts.weights
        else:
            inner = post(need if need is not None else self.unconstrained(k))
            items, weights = [], []
            for o, w in zip(opts.items, opts.weights):
                if self.ok(self.comp_front(o.out, inner), 2, 0, o.flops * k, o.memory * k):
                    items.append(o)
                    weights.append(w)
            if not items:
                raise _DEAD
        pre = items[self.pick(weights)]
        self.flops -= pre.flops * k
        self.memory -= pre.memory * k
        if trivial:
            self.nodes -= 3  # routing, prerouting, and the identity postrouting that can finish it
            inner_mod, mid = self.module("M", pre.out, depth - 1, None, k)
            self.nodes += 1
        else:
            self.nodes -= 2
            inner_mod, mid = self.module("M", pre.out, depth - 1, post(need if need is not None else self.unconstrained(k)), k)
        opts = self.t.post(mid)
        items, weights = [], []
        for o, w in zip(opts.items, opts.weights):
            cf, cm = o.flops * k, o.memory * k
            if self.ok((ZERO,) if need is None else need.best(o.out), 1, 0, cf, cm):
                items.append(o)
                weights.append(w)
        if not items:
            raise _DEAD
        r2 = items[self.pick(weights)]
        self.nodes -= 1
        self.flops -= r2.flops * k
        self.memory -= r2.memory * k
        return Routing(pre.op, inner_mod, r2.op), r2.out

    def branching(self, t: TensorType, depth: int, need: Optional[Need], k: int, ample: bool):
        opts = self.t.branch(t)
        if ample:
            items, weights = opts.items, opts.weights
        else:
            base = need if need is not None else self.unconstrained(k)
            items, weights = [], []
            for o, w in zip(opts.items, opts.weights):
                if self.ok(self.branch_front(o, base), 2, 0, 0, o.memory * k):
                    items.append(o)
                    weights.append(w)
            if not items:
                raise _DEAD
        fn = items[self.pick(weights)]
        b = fn.factor
        self.nodes -= 2
        self.memory -= fn.memory * k
        base = need if need is not None else self.unconstrained(k)
        if b == 2:
            fb = first_branch(base, fn.out)
            m1, o1 = self.module("M", fn.out, depth - 1, fb, k)
            m2, o2 = self.module("M", fn.out, depth - 1, fb.pairs(o1), k)
            opts = self.t.agg((o1, o2), 2)
            branches = (m1, m2)
        else:
            m, o = self.module("M", fn.out, depth - 1, template(base, b), k * b)
            opts = self.t.agg((o,), b)
            branches = (m,)
        items, weights = [], []
        for o, w in zip(opts.items, opts.weights):
            if self.ok(base.best(o.out), 1, 0, o.flops * k, o.memory * k):
                items.append(o)
                weights.append(w)
        if not items:
            raise _DEAD
        agg = items[self.pick(weights)]
        self.nodes -= 1
        self.flops -= agg.flops * k
        self.memory -= agg.memory * k
        return Branching(fn.fn, branches, agg.agg), agg.out


# --- needs -------------------------------------------------------------------------------------

class _Free(Need):
    """No constraint: the completion is free."""

    __slots__ = ()

    def compute(self, t):
        return (ZERO,)


class _Then(Need):
    """A sequential's first module: a computation as second module must complete ``need``."""

    __slots__ = ("need",)

    def __init__(self, need: Need):
        super().__init__(need.tab, need.k, need.limit)
        self.need = need

    def compute(self, t):
        k = self.k
        for o in self.tab.comp(t).keep:
            rest = self.need.best(o.out)
            if rest:
                got = first_fit(rest, 2, o.params * k, o.flops * k, o.memory * k, self.limit)
                if got:
                    return got
        return NONE


class _Post(Need):
    """A routing's inner module: some postrouting must complete ``need``."""

    __slots__ = ("need",)

    def __init__(self, need: Need):
        super().__init__(need.tab, need.k, need.limit)
        self.need = need

    def compute(self, t):
        k = self.k
        for o in self.tab.post(t).keep:
            rest = self.need.best(o.out)
            if rest:
                got = first_fit(rest, 1, 0, o.flops * k, o.memory * k, self.limit)
                if got:
                    return got
        return NONE


class _Pairs(Need):
    """The second branch of a 2-way branching: some aggregation must join it with the first."""

    __slots__ = ("need", "o1")

    def __init__(self, need: Need, o1: TensorType):
        super().__init__(need.tab, need.k, need.limit)
        self.need, self.o1 = need, o1

    def compute(self, t):
        k = self.k
        for o in self.tab.agg((self.o1, t), 2).cheap:
            rest = self.need.best(o.out)
            if rest:
                got = first_fit(rest, 1, 0, o.flops * k, o.memory * k, self.limit)
                if got:
                    return got
        return NONE


class _FirstBranch(Need):
    """The first branch of a 2-way branching: a computation as second branch must be able to join it."""

    __slots__ = ("need", "bt", "_pairs")

    def __init__(self, need: Need, bt: TensorType):
        super().__init__(need.tab, need.k, need.limit)
        self.need, self.bt = need, bt
        self._pairs: dict = {}

    def pairs(self, o1: TensorType) -> _Pairs:
        got = self._pairs.get(o1)
        if got is None:
            got = self._pairs[o1] = _Pairs(self.need, o1)
        return got

    def compute(self, t):
        pairs = self.pairs(t)
        k = self.k
        for o in self.tab.comp(self.bt).cheap:
            rest = pairs.best(o.out)
            if rest:
                got = first_fit(rest, 2, o.params * k, o.flops * k, o.memory * k, self.limit)
                if got:
                    return got
        return NONE


class _Template(Need):
    """The template of a 4/8-way branching: the aggregation of its copies must complete ``need``.

    The template's own costs count ``b`` times (its ``k`` is the outer ``k`` times ``b``); the
    aggregation counts once per outer copy."""

    __slots__ = ("need", "b")

    def __init__(self, need: Need, b: int):
        super().__init__(need.tab, need.k * b, need.limit)
        self.need, self.b = need, b

    def compute(self, t):
        k = self.need.k
        for o in self.tab.agg((t,), self.b).keep:
            rest = self.need.best(o.out)
            if rest:
                got = first_fit(rest, 1, 0, o.flops * k, o.memory * k, self.limit)
                if got:
                    return got
        return NONE


def then(need: Need) -> _Then:
    got = need._then
    if got is None:
        got = need._then = _Then(need)
    return got


def post(need: Need) -> _Post:
    got = need._post
    if got is None:
        got = need._post = _Post(need)
    return got


def first_branch(need: Need, bt: TensorType) -> _FirstBranch:
    key = ("fb", bt)
    got = need._kinds.get(key)
    if got is None:
        got = need._kinds[key] = _FirstBranch(need, bt)
    return got


def template(need: Need, b: int) -> _Template:
    key = ("tp", b)
    got = need._kinds.get(key)
    if got is None:
        got = need._kinds[key] = _Template(need, b)
    return got


def backtrack(log: list) -> Optional[list]:
    """The prefix of the next pass after a dead end, or None when every option is exhausted."""
    while log:
        n, chosen, dead = log.pop()
        dead = frozenset(dead) | {chosen}
        if len(dead) < n:
            return [(c, d) for _, c, d in log] + [(None, dead)]
    return None


def run(tables: Tables, chooser, lhs: str, t: TensorType, depth: int, nodes: int, params: int, flops: int,
        memory: int, need: Optional[Need], exclude: Optional[Callable[[Module], bool]],
        max_passes: Optional[int] = None):
    """Search until a pass completes; returns (module, output type, passes) or None if none exists."""
    prefix: list = []
    passes = 0
    while True:
        passes += 1
        p = Pass(tables, chooser, prefix, nodes, params, flops, memory)
        try:
            node, out = p.module(lhs, t, depth, need, 1)
            if exclude is not None and exclude(node):
                raise _DEAD
            return node, out, passes
        except _Dead:
            prefix = backtrack(p.log)
            if prefix is None or (max_passes is not None and passes >= max_passes):
                return None
