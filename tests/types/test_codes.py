"""The sampler's plain-tuple types stand for TensorTypes exactly (einspace.types.codes)."""

from __future__ import annotations

import gc

from hypothesis import given
from hypothesis import strategies as st

from einspace.types.codes import code, numel, tensor
from einspace.types.tensor import TensorType

sizes = st.integers(min_value=1, max_value=4096)
types = st.one_of(
    st.builds(lambda s: TensorType("im", s), st.tuples(sizes, sizes, sizes)),
    st.builds(lambda s, g: TensorType("col", s, g), st.tuples(sizes, sizes), st.none() | st.tuples(sizes, sizes)),
)


@given(types)
def test_a_code_round_trips_to_an_equal_type(t):
    u = tensor(code(t))
    assert u == t and hash(u) == hash(t) and str(u) == str(t) and u.spec() == t.spec()
    assert numel(code(t)) == t.numel and u.numel == t.numel


@given(types, types)
def test_codes_are_equal_exactly_when_the_types_are(t, u):
    assert (code(t) == code(u)) == (t == u)


def test_a_code_is_untracked_by_the_collector_after_a_collection():
    c = code(TensorType("col", (16, 32), (4, 4)))
    gc.collect()
    gc.collect()
    assert not gc.is_tracked(c)
