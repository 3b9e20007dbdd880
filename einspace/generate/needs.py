"""Needs: what the rest of an open architecture requires of a module's output, and what it costs.

While a module is sampled, the modules around it are still open: a sequential's second module, a
routing's postrouting, a branching's other branch and aggregation, and so on up to the root (and
a caller's target there). A *need* stands for all of that. ``need.best(t)`` answers "if this module
ends with output type ``t``, how can everything still open be completed?": it returns the cost
``(nodes, params, flops, memory)`` of one *witness* completion, or ``()`` when there is none. The
sampler offers an option only if its own cost plus such a witness fits the remaining budget.

Witnesses are small and canonical (so that ``best`` is a pure, memoised function of the type):

* a sequential's open second module is ``computation<identity>`` (free, type-preserving);
* a routing's open postrouting is ``identity``, or ``col2im`` if identity cannot complete;
* a 4/8-way template's open aggregation is ``add(b)`` of identical copies (type-preserving);
* the first branch of a 2-way branching is completed by a *copy* of itself as second branch and
  ``add(2)``; the first branch is sampled with its costs counted twice, so the copy always fits;
* the second branch of a 2-way branching must be joined to the first by an aggregation (tried
  cheapest first, at most :data:`WIDTH` of them), whose output must complete the rest.

Costs are absolute: a need carries the multipliers of the frame it constrains (``k`` copies for
parameters, FLOPs and memory inside 4/8-way templates and doubled first branches; ``kn`` for nodes,
doubled in first branches). Needs form chains towards the root; a need whose witness is a fixed
type-preserving step is a *hop* over its parent, so long chains cost one look-up.
"""

from __future__ import annotations

import abc
from typing import Optional

from ..types.codes import Code, numel, tensor
from .options import Options
from .tables import Tables

ZERO = (0, 0, 0, 0)
NONE: tuple = ()

#: how many aggregations a witness tries for a 2-way branching's second branch before giving up:
#: keeps witness searches linear in the nesting depth of 2-way branchings
WIDTH = 2

#: types memoised per need (beyond this ``best`` is recomputed): flat memory
MEMO_LIMIT = 256


def first_fit(front: tuple, n: int, p: int, f: int, m: int, limit: tuple) -> tuple:
    """``front`` after the costs (n, p, f, m), keeping only witnesses within ``limit``."""
    ln, lp, lf, lm = limit
    out = []
    for a, b, c, d in front:
        a, b, c, d = a + n, b + p, c + f, d + m
        if a <= ln and b <= lp and c <= lf and d <= lm:
            out.append((a, b, c, d))
    return tuple(out)


def step_witness(opts: Options, order: tuple, need: "Need", kn: int, k: int, limit: tuple) -> tuple:
    """The witness of the first parameter-free step (a postrouting, an aggregation) among the options
    ``order`` (indices of ``opts``) after which ``need`` can be completed: one node per outer copy,
    FLOPs and memory per copy."""
    outs, flops, memory = opts.outs, opts.flops, opts.memory
    for i in order:
        rest = need.best(outs[i])
        if rest:
            got = first_fit(rest, kn, 0, flops[i] * k, memory[i] * k, limit)
            if got:
                return got
    return NONE


class Need(abc.ABC):
    """A constraint on a module's output type, with the costs of completing the rest.

    ``persistent``: rooted at "no constraint", so it may be cached across samples. ``deep``: rooted
    at a caller's target, where witnesses may use small modules for the open slots (see
    :class:`Then`); ``w`` is then the pass that computes module witnesses."""

    __slots__ = ("tab", "limit", "k", "kn", "memo", "fronts", "hop", "persistent", "free_hop", "deep", "w", "floor")

    def __init__(self, tab: Tables, k: int, kn: int, limit: tuple, persistent: bool, deep: bool = False, w=None):
        self.deep = deep
        self.w = w
        self.tab = tab
        self.k = k
        self.kn = kn
        self.limit = limit
        self.persistent = persistent
        self.memo: dict = {}
        self.fronts: dict = {}  # the sampler's witness memo for modules under this need
        #: the fewest nodes any completion of this need adds (a lower bound): a module whose own
        #: smallest size plus this exceeds the node limit has no witness, found without a search
        self.floor = 0
        #: (R, nodes, flops per element, memory per element) when this need only adds a fixed,
        #: type-preserving step in front of the need ``R``
        self.hop: Optional[tuple] = None
        #: (nodes, flops per element, memory per element) when the hop ends at "no constraint":
        #: then every type is accepted at that cost
        self.free_hop: Optional[tuple] = None

    def best(self, t: Code) -> tuple:
        hop = self.hop
        if hop is not None:
            r, n, fe, me = hop
            rest = r.best(t)
            if not rest:
                return NONE
            e = numel(t)
            return first_fit(rest, n, 0, fe * e, me * e, self.limit)
        memo = self.memo
        got = memo.get(t)
        if got is None:
            got = self.compute(t)
            if len(memo) < MEMO_LIMIT and (not self.persistent or self.tab.spend()):
                memo[t] = got
        return got

    def hop_over(self, need: "Need", n: int, fe: int, me: int) -> None:
        """Make this need a fixed type-preserving step (n nodes, fe/me per element) before ``need``."""
        if need.hop is not None:
            r, n0, f0, m0 = need.hop
            self.hop = (r, n0 + n, f0 + fe, m0 + me)
        else:
            self.hop = (need, n, fe, me)
        if isinstance(self.hop[0], Free):
            self.free_hop = self.hop[1:]

    @abc.abstractmethod
    def compute(self, t: Code) -> tuple:
        """The witness front for output type ``t`` (``best`` memoises it)."""


class Free(Need):
    """No constraint: nothing left to complete."""

    __slots__ = ()

    def __init__(self, tab: Tables, k: int, kn: int, limit: tuple):
        super().__init__(tab, k, kn, limit, True)

    def compute(self, t):
        return (ZERO,)


class UserNeed(Need):
    """A caller's target on the final output (only the type matters)."""

    __slots__ = ("target",)

    def __init__(self, tab: Tables, target, limit: tuple, deep: bool = False) -> None:
        super().__init__(tab, 1, 1, limit, False, deep=deep)
        self.target = target

    def compute(self, t):
        return (ZERO,) if self.target(tensor(t)) else NONE


class Then(Need):
    """A sequential's first module: the second module (a computation; under a caller's target also
    the smallest module of any kind) must complete ``need``."""

    __slots__ = ("need",)

    def __init__(self, need: Need, w=None, shallow: bool = False):
        super().__init__(need.tab, need.k, need.kn, need.limit, need.persistent, _deep(need, shallow), w)
        self.need = need
        self.floor = need.floor + 2 * need.kn  # the second module: a computation at least
        if need.tab.identity_comp and not self.deep:
            self.hop_over(need, 2 * need.kn, 0, 0)

    def compute(self, t):
        if self.deep:
            return self.w.small_front(t, self.need)
        k, kn = self.k, self.kn
        opts = self.tab.comp(t)
        outs, params, flops, memory = opts.outs, opts.params, opts.flops, opts.memory
        for i in opts.keep:
            rest = self.need.best(outs[i])
            if rest:
                got = first_fit(rest, 2 * kn, params[i] * k, flops[i] * k, memory[i] * k, self.limit)
                if got:
                    return got
        return NONE


class Post(Need):
    """A routing's inner module: its postrouting must complete ``need``."""

    __slots__ = ("need", "wide")

    def __init__(self, need: Need, w=None, shallow: bool = False):
        super().__init__(need.tab, need.k, need.kn, need.limit, need.persistent, _deep(need, shallow), w)
        self.need = need
        self.floor = need.floor + need.kn  # the postrouting
        self.wide = isinstance(need, UserNeed) and need.deep  # every postrouting next to a caller's target
        if need.tab.identity_post and not self.deep and not self.wide:  # identity accepts what its parent does
            base = (0, 0, 0) if isinstance(need, Free) else need.free_hop
            if base is not None:
                self.free_hop = (base[0] + need.kn, base[1], base[2])

    def best(self, t: Code) -> tuple:
        if self.tab.identity_post and not self.deep and not self.wide and (t[2] is None or not self.tab.has_col2im):
            rest = self.need.best(t)  # only the identity postrouting: a fixed step, no memo
            return first_fit(rest, self.kn, 0, 0, 0, self.limit) if rest else NONE
        return Need.best(self, t)

    def compute(self, t):
        tab = self.tab
        kn = self.kn
        if tab.identity_post and not self.deep and not self.wide:  # identity, else col2im: views (free)
            rest = self.need.best(t)
            got = first_fit(rest, kn, 0, 0, 0, self.limit) if rest else NONE
            if not got:
                u = tab.fold(t)
                if u is not None:
                    rest = self.need.best(u)
                    got = first_fit(rest, kn, 0, 0, 0, self.limit) if rest else NONE
            return got
        opts = tab.post(t)
        return step_witness(opts, opts.cheap if self.deep or self.wide else opts.keep, self.need, kn, self.k,
                            self.limit)


class Pairs(Need):
    """The second branch of a 2-way branching: an aggregation must join it with the first (``o1``)."""

    __slots__ = ("need", "o1", "keys")

    def __init__(self, need: Need, o1: Code, w=None):
        super().__init__(need.tab, need.k, need.kn, need.limit, need.persistent, _deep(need, False), w)
        self.need, self.o1 = need, o1
        self.floor = need.floor + need.kn  # the aggregation
        self.keys = frozenset(need.tab.keys(o1, 0))

    def compute(self, t):
        tab = self.tab
        if self.keys.isdisjoint(tab.keys(t, 1)):
            return NONE
        k, kn = self.k, self.kn
        tries = WIDTH
        for _, out, flops, memory in tab.join_options(self.o1, t):
            rest = self.need.best(out)
            if rest:
                got = first_fit(rest, kn, 0, flops * k, memory * k, self.limit)
                if got:
                    return got
            tries -= 1
            if not tries:
                break
        return NONE


class Template(Need):
    """A 4/8-way template (``b`` copies, and the doubled first branch of a 2-way branching with
    ``b = 2``): the aggregation of identical copies must complete ``need``.

    The template's own costs and nodes count ``b`` times (its ``k`` and ``kn`` are ``need.k * b`` and
    ``need.kn * b``: the network instantiates every copy); the aggregation counts once per outer copy."""

    __slots__ = ("need", "b", "wide")

    def __init__(self, need: Need, b: int, w=None, shallow: bool = False):
        super().__init__(need.tab, need.k * b, need.kn * b, need.limit, need.persistent,
                         _deep(need, shallow), w)
        self.need, self.b = need, b
        self.floor = need.floor + need.kn  # the aggregation
        self.wide = isinstance(need, UserNeed) and need.deep  # every aggregation next to a caller's target
        if b in need.tab.adds and not self.deep and not self.wide:
            self.hop_over(need, need.kn, (b - 1) * need.k, need.k)

    def compute(self, t):
        k, kn = self.need.k, self.need.kn
        opts = self.tab.agg((t, t) if self.b == 2 else (t,), self.b)  # b = 2: a first branch and its copy
        return step_witness(opts, opts.cheap if self.deep or self.wide else opts.keep, self.need, kn, k, self.limit)


class First(Need):
    """Under a caller's target, the first branch of a 2-way branching (input ``bt``): a small
    second branch (a computation or the smallest module of a kind) must be able to join it."""

    __slots__ = ("need", "bt")

    def __init__(self, need: Need, bt: Code, w=None):
        super().__init__(need.tab, need.k, need.kn, need.limit, need.persistent, _deep(need, False), w)
        self.need, self.bt = need, bt
        self.floor = need.floor + 3 * need.kn  # a second branch (a computation at least) and the aggregation

    def compute(self, t):
        return self.w.small_front(self.bt, self.w.derive(self.need, "pairs", t))


def _deep(parent: Need, shallow: bool) -> bool:
    """Deep witnesses (a small module for an open slot) only next to a caller's target: deeper down
    they would multiply (each level searching all small modules of the level above)."""
    return isinstance(parent, UserNeed) and parent.deep and not shallow


def child(cache: dict, parent: Need, tag: str, arg=None, w=None) -> Need:
    """The need derived from ``parent`` (cached in ``cache``; children point to parents only, so
    dropping the cache frees everything without the cyclic garbage collector)."""
    key = (id(parent), tag, arg)
    got = cache.get(key)
    if got is None:
        shallow = tag.endswith("!")  # the canonical completion even under a caller's target
        base = tag.rstrip("!")
        if base == "then":
            got = Then(parent, w, shallow)
        elif base == "post":
            got = Post(parent, w, shallow)
        elif base == "pairs":
            got = Pairs(parent, arg, w)
        elif base == "first":
            got = First(parent, arg, w) if parent.deep and not shallow else \
                Template(parent, 2, w=w, shallow=True)
        else:
            got = Template(parent, arg, w=w, shallow=shallow)
        cache[key] = got
    return got
