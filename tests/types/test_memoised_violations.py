"""Memoised type errors keep no frames: each hit raises a fresh violation (issue 15: the raised
memo objects collected every frame they passed, thousands of frames and tracebacks in a search)."""

from __future__ import annotations

import pytest

from einspace import parse
from einspace.errors import RuleViolation
from einspace.types import dimension_functions as dims
from einspace.types.tensor import as_type

BAD = "sequential(computation<linear(8)>, routing[im2col(3,1,1), computation<relu>, col2im])"


def test_every_hit_raises_a_new_violation_and_the_memo_keeps_none_with_a_traceback():
    tree, t = parse(BAD), as_type("col:16x32")
    raised = []
    for _ in range(3):
        with pytest.raises(RuleViolation) as info:
            dims.output_type(tree, t)
        raised.append(info.value)
    assert len({id(e) for e in raised}) == 3  # not the memoised object itself
    assert len({(e.rule, e.message, e.types) for e in raised}) == 1  # the same violation
    memoised = [v for v in dims._cache.values() if isinstance(v, RuleViolation)]
    assert memoised and all(v.__traceback__ is None for v in memoised)


def test_a_fresh_violation_is_equal_and_has_no_traceback():
    try:
        raise RuleViolation("shape", "no", (as_type("3x8x8"),))
    except RuleViolation as caught:
        err = caught
    assert err.__traceback__ is not None
    got = err.fresh()
    assert got is not err and got.__traceback__ is None
    assert (got.rule, got.message, got.types, str(got)) == (err.rule, err.message, err.types, str(err))
