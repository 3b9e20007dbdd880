"""Where the sampler's randomness comes from: one small interface, several sources.

The sampler never calls a random number generator itself. At every decision with more than one
option it asks a :class:`Chooser` for an index, given the options' (positive, unnormalised)
weights in a fixed order. So the same sampler code draws from

* :class:`RandomChooser` — a seeded :class:`random.Random`: the same seed gives the same
  architecture in every process (no hash salting, no set or dict-of-hash order is involved);
* :class:`HypothesisChooser` — Hypothesis's ``data.draw``: each decision is one drawn integer, so
  Hypothesis can shrink a failing architecture (shrinking drives draws to 0, and option 0 is the
  simplest: the computation module, the identity terminal);
* :class:`ScriptedChooser` — a fixed list of indices (tests, replays, hand-made walks);
* :class:`RecordingChooser` — wraps another chooser and keeps the indices it returned.
"""

from __future__ import annotations

import random
from typing import Callable, Iterable, Optional, Protocol, Sequence, Union, runtime_checkable

__all__ = ["Chooser", "RandomChooser", "HypothesisChooser", "ScriptedChooser", "RecordingChooser",
           "as_chooser", "pick_weighted"]


@runtime_checkable
class Chooser(Protocol):
    """Picks one option: returns an index ``i`` in ``range(len(weights))`` with ``weights[i] > 0``.

    A well-behaved random chooser returns ``i`` with probability ``weights[i] / sum(weights)``.
    ``weights`` has at least two entries (the sampler does not ask when only one option is left).
    """

    def choose(self, weights: Sequence[float]) -> int: ...


def pick_weighted(weights: Sequence[float], u: float) -> int:
    """The index whose cumulative-weight interval holds ``u * sum(weights)`` (``u`` in [0, 1)).

    ``u = 0`` gives the first option with a positive weight, so minimising ``u`` minimises the index.
    """
    total = 0.0
    for w in weights:
        total += w
    target = u * total
    acc = 0.0
    last = 0
    for i, w in enumerate(weights):
        if w > 0.0:
            acc += w
            last = i
            if target < acc:
                return i
    return last


class RandomChooser:
    """Draws from a :class:`random.Random` (seeded: reproducible across processes and platforms)."""

    __slots__ = ("rng",)

    def __init__(self, seed: Union[int, random.Random, None] = None):
        self.rng = seed if isinstance(seed, random.Random) else random.Random(seed)

    def choose(self, weights: Sequence[float]) -> int:
        return pick_weighted(weights, self.rng.random())

    def __repr__(self) -> str:
        return "RandomChooser()"


class HypothesisChooser:
    """Draws each decision from Hypothesis (``draw`` is the ``draw`` of ``@st.composite`` or ``data.draw``).

    One bounded integer per decision, mapped onto the cumulative weights; Hypothesis shrinks the
    integers towards 0, which picks the first (simplest) option, so a failing architecture shrinks
    towards ``sequential(computation<identity>, computation<identity>)``.
    """

    RESOLUTION = 1 << 16

    def __init__(self, draw: Callable):
        from hypothesis import strategies as st
        self._draw = draw
        self._ints = st.integers(0, self.RESOLUTION - 1)

    def choose(self, weights: Sequence[float]) -> int:
        return pick_weighted(weights, self._draw(self._ints) / self.RESOLUTION)


class ScriptedChooser:
    """Returns the given indices in order (clamped to the options available); then ``then`` (default 0)."""

    def __init__(self, indices: Iterable[int], then: Optional[Chooser] = None):
        self._it = iter(list(indices))
        self._then = then

    def choose(self, weights: Sequence[float]) -> int:
        try:
            i = next(self._it)
        except StopIteration:
            return self._then.choose(weights) if self._then is not None else _first_positive(weights)
        i = min(max(int(i), 0), len(weights) - 1)
        return i if weights[i] > 0 else _first_positive(weights)


class RecordingChooser:
    """Passes decisions through to ``inner`` and records ``(n_options, index)`` for each."""

    def __init__(self, inner: Chooser):
        self.inner = inner
        self.decisions: list[tuple[int, int]] = []

    def choose(self, weights: Sequence[float]) -> int:
        i = self.inner.choose(weights)
        self.decisions.append((len(weights), i))
        return i


def _first_positive(weights: Sequence[float]) -> int:
    for i, w in enumerate(weights):
        if w > 0:
            return i
    return 0


def as_chooser(seed: Union[int, random.Random, Chooser, None] = None) -> Chooser:
    """A chooser from a seed (int or None), a :class:`random.Random`, or a chooser (passed through)."""
    if seed is None or isinstance(seed, (int, random.Random)):
        if isinstance(seed, bool):
            raise TypeError("a seed must be an int, not a bool")
        return RandomChooser(seed)
    if hasattr(seed, "choose"):
        return seed  # type: ignore[return-value]
    raise TypeError(f"expected a seed (int), a random.Random or a Chooser, got {type(seed).__name__}")
