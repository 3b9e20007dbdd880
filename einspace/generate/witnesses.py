"""Witnesses of a sampling pass: whether an option can still be completed within the budget.

A witness completion (see :mod:`.needs`) replaces every module not begun yet by the smallest module
of its kind and completes every open slot around it canonically; a *front* is a tuple of witness
costs ``(nodes, params, flops, memory)``, empty when there is none. :class:`Witnesses` holds a pass's
remaining budget, derives the needs of open slots (cached with the tables, or for one search), and
computes the fronts of computation modules, of the smallest module of each kind and of branchings,
memoised on the need.
"""

from __future__ import annotations

from ..types.codes import Code
from .decisions import Decisions
from .needs import NONE, Free, Need, child, first_fit
from .options import Options

__all__ = ["Witnesses", "Scope", "CACHE_LIMIT", "FRONTS_LIMIT"]

#: the persistent witness cache stops growing past this many needs (flat memory; later needs live
#: for one pass only)
CACHE_LIMIT = 2000
#: witnesses memoised per need (beyond this they are recomputed)
FRONTS_LIMIT = 256
#: nodes of the smallest sequential, routing or branching module (a routing: itself, two
#: routing functions and a computation of two nodes; a sequential: itself and two computations)
SMALLEST = 5


class Witnesses(Decisions):
    """A pass's remaining budget and the witness look-ups that test options against it."""

    __slots__ = ("t", "nodes", "params", "flops", "memory", "limit", "local")

    def ok(self, front: tuple, n: int, p: int, f: int, m: int) -> bool:
        """Some witness in ``front``, after pending costs (n, p, f, m), fits the remaining budget."""
        ln, lp, lf, lm = self.nodes - n, self.params - p, self.flops - f, self.memory - m
        for a, b, c, d in front:
            if a <= ln and b <= lp and c <= lf and d <= lm:
                return True
        return False

    # --- needs -------------------------------------------------------------------------------

    def free(self, k: int, kn: int) -> Need:
        """The need "nothing more" for a module with multipliers (k, kn) (cached with the tables)."""
        key = ("free", k, kn, self.limit)
        need = self.t.needs.get(key) or self.local.get(key)
        if need is None:
            need = Free(self.t, k, kn, self.limit)
            if len(self.t.needs) < CACHE_LIMIT:
                self.t.needs[key] = need
            else:  # lives for this search only: its witnesses must not spend the tables' memo room
                need.persistent = False
                self.local[key] = need
        return need

    def derive(self, need: Need, tag: str, arg=None) -> Need:
        if need.deep:  # a need cached with its :class:`Scope` computes its witnesses there, not in a pass
            return child(self.local, need, tag, arg, need.w or self)
        if need.persistent:
            got = self.t.needs.get((id(need), tag, arg))
            if got is not None:
                return got
            if len(self.t.needs) < CACHE_LIMIT:
                return child(self.t.needs, need, tag, arg)
            got = child(self.local, need, tag, arg)
            got.persistent = False  # lives for this search only (so do the needs derived from it)
            return got
        return child(self.local, need, tag, arg)

    # --- fronts ------------------------------------------------------------------------------

    def comp_front(self, t: Code, need: Need) -> tuple:
        """A witness for a computation module at ``t`` completing ``need`` (memoised on the need)."""
        k, kn = need.k, need.kn
        if 2 * kn + need.floor > need.limit[0]:  # no computation fits before the rest: nothing to search
            return NONE
        key = ("c", t)
        got = need.fronts.get(key)
        if got is not None:
            return got
        got = NONE
        if self.t.identity_comp:  # the identity computation first: free, and the usual witness
            rest = need.best(t)
            if rest:
                got = first_fit(rest, 2 * kn, 0, 0, 0, need.limit)
        if not got:
            opts = self.t.comp(t)
            outs, params, flops, memory = opts.outs, opts.params, opts.flops, opts.memory
            for i in opts.cheap:
                rest = need.best(outs[i])
                if rest:
                    got = first_fit(rest, 2 * kn, params[i] * k, flops[i] * k, memory[i] * k, need.limit)
                    if got:
                        break
        _remember(need, key, got)
        return got

    def kind_front(self, kind: str, t: Code, need: Need, shallow: bool = False) -> tuple:
        """A witness for the smallest module of ``kind`` at ``t`` completing ``need`` (``shallow``:
        its open slots completed canonically even under a caller's target)."""
        if kind == "computation":
            return self.comp_front(t, need)
        k, kn, lim = need.k, need.kn, need.limit
        if SMALLEST * kn + need.floor > lim[0]:  # too few nodes for this kind and the rest
            return NONE
        shallow = shallow or not need.deep
        key = (kind, t, shallow)
        got = need.fronts.get(key)
        if got is not None:
            return got
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
                opts = self.t.pre(t)
                for i in opts.cheap:
                    got = first_fit(front(opts.outs[i], inner), 2 * kn, 0, opts.flops[i] * k, opts.memory[i] * k, lim)
                    if got:
                        break
        else:
            opts = self.t.branch(t)
            for i in opts.cheap:
                got = first_fit(self.branch_front(opts, i, need, shallow), 2 * kn, 0, 0, opts.memory[i] * k, lim)
                if got:
                    break
        _remember(need, key, got)
        return got

    def small_front(self, t: Code, need: Need) -> tuple:
        """A witness for a small module at ``t``: a computation, or the smallest module of a kind."""
        got = self.comp_front(t, need)
        if not got:
            for kind in ("sequential", "routing", "branching"):
                got = self.kind_front(kind, t, need, shallow=True)
                if got:
                    break
        return got

    def branch_front(self, opts: Options, i: int, need: Need, shallow: bool = False) -> tuple:
        """A witness for a branching with branching function option ``i`` of ``opts`` (after the function)."""
        shallow = shallow or not need.deep
        fn, out = opts.term(i), opts.outs[i]
        key = ("b", fn, out, shallow)
        got = need.fronts.get(key)
        if got is None:
            if fn.b == 2:
                inner = self.derive(need, "first!" if shallow and need.deep else "first",
                                    out if need.deep and not shallow else None)
                got = self.comp_front(out, inner)
            else:
                inner = self.derive(need, "template!" if shallow and need.deep else "template", fn.b)
                got = (self.comp_front if shallow else self.small_front)(out, inner)
            _remember(need, key, got)
        return got


def _remember(need: Need, key: tuple, got: tuple) -> None:
    """Memoise a front on its need: up to :data:`FRONTS_LIMIT` per need, and for needs cached with
    the tables only while their shared room lasts (:meth:`.tables.Tables.spend`)."""
    if len(need.fronts) < FRONTS_LIMIT and (not need.persistent or need.tab.spend()):
        need.fronts[key] = got


class Scope(Witnesses):
    """The witness look-ups of the needs rooted at one caller's target and budget, without a pass.

    A mutation's fallback asks for the same exact output type under the same budget again and
    again; such a root need and everything derived from it (``local``) are cached across searches
    (see :func:`einspace.generate.engine.target_need`), so they must not point back to the pass,
    its chooser and its log, that first derived them."""

    __slots__ = ("kept",)

    def __init__(self, tables, limit: tuple, kept: bool) -> None:
        self.t = tables
        self.limit = limit
        self.local = {}
        #: whether the root need is cached with the tables (else its needs are dropped after the search)
        self.kept = kept
