"""The sampler's caches stay bounded, hold few objects for the garbage collector, and sampling
leaves no reference cycles (issue 15: full collections of growing caches were the slowest samples;
tests/benchmarks/bench_sampler_memory.py measures the pauses and the memory)."""

from __future__ import annotations

import gc
from typing import Iterator

import pytest

from einspace.generate import tables as tables_mod
from einspace.generate import witnesses
from einspace.generate.chooser import RandomChooser
from einspace.types.codes import code
from einspace.generate.options import Options
from einspace.generate.sampler import sample, sample_module
from einspace.generate.tables import Tables, tables_for
from einspace.language.grammar import load_grammar
from einspace.types.tensor import as_type

INPUT = as_type("3x28x28")


@pytest.fixture
def small_tables(monkeypatch) -> Iterator[Tables]:
    """The default grammar's tables, emptied, with small limits (restored and emptied afterwards)."""
    monkeypatch.setattr(tables_mod, "MEMO_LIMIT", 64)
    monkeypatch.setattr(tables_mod, "NEEDS_MEMO_ROOM", 300)
    monkeypatch.setattr(tables_mod, "TYPES_LIMIT", 200)
    monkeypatch.setattr(witnesses, "CACHE_LIMIT", 40)
    tab = tables_for(load_grammar(None))
    tab.clear()
    yield tab
    monkeypatch.undo()
    tab.clear()


def test_every_cache_stays_within_its_limit(small_tables):
    chooser = RandomChooser(3)
    for _ in range(400):
        sample(INPUT, chooser=chooser)
    tab = small_tables
    for memo in (tab._comp, tab._pre, tab._post, tab._branch, tab._agg, *tab._joins):
        assert len(memo) <= 64
    assert len(tab._types) <= 200
    assert len(tab.needs) <= 40
    # the witness memos of every cached need share one room (a per-need limit alone does not
    # bound their sum: thousands of needs times the per-need limit)
    assert sum(len(n.memo) + len(n.fronts) for n in tab.needs.values()) <= 300
    assert tab.room == 0  # the run was long enough to fill it


def test_memoised_options_are_untracked_by_the_collector():
    chooser = RandomChooser(4)
    for _ in range(200):
        sample(INPUT, chooser=chooser)
    for _ in range(4):  # a tuple is untracked once everything in it is: nested tuples (the options'
        gc.collect()    # columns of codes of shapes) may need a pass per level
    tab = tables_for(load_grammar(None))
    memos = (tab._comp, tab._pre, tab._post, tab._branch, tab._agg)
    seen = 0
    for memo in memos:
        for cols in memo.values():
            opts = Options((), cols)
            if not len(opts):
                continue
            seen += 1
            # costs, weights, choice indices and output types (einspace.types.codes): plain
            # tuples the collector no longer scans, all in one
            for column in (opts.idx, opts.params, opts.flops, opts.memory, opts.weights, opts.outs, cols):
                assert not gc.is_tracked(column)
    assert seen > 50
    # so the memos themselves are dicts the collector does not scan (until their next new entry),
    # and so is the table of interned types
    for memo in (*memos, *tab._joins, tab._types):
        assert not gc.is_tracked(memo)
    # a look-up is a view of the memoised columns with the decision's terminals (one shared tuple)
    t = code(INPUT)
    assert tab.comp(t).cols is tab._comp[t] and tab.comp(t).terms is tab.c_terms


def test_sampling_leaves_no_reference_cycles():
    chooser = RandomChooser(5)
    for _ in range(50):
        sample(INPUT, chooser=chooser)
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(300):
            sample(INPUT, chooser=chooser)
        for _ in range(100):
            sample_module("16x8x8", chooser=chooser, accept="32x8x8")
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()
