"""Decisions of one sampling pass: the lazy weighted draw, its log, replay and backtracking.

A pass records every decision with more than one option as ``(n, chosen, dead)``: how many options
there were, which was taken, and which were already known dead when it was taken. A dead end
(:class:`Dead`) pops the last decision whose options are not all dead, marks its choice dead, and
the next pass replays the recorded prefix up to it (:func:`backtrack`); the search over the
decision tree is exhaustive.

Drawing is lazy: an option is drawn with the weights of those not yet rejected, tested, and redrawn
without it if it fails — the same distribution as filtering first, but only drawn options are tested.
"""

from __future__ import annotations

from typing import Callable, Optional

__all__ = ["Dead", "DEAD", "Decisions", "backtrack"]


class Dead(Exception):
    """A decision's subtree cannot be completed (internal: drives backtracking)."""


#: the one instance raised (no per-raise allocation; its traceback is cleared at each raise)
DEAD = Dead()


class Decisions:
    """The decision state of a pass: its chooser, the prefix it replays and the log it records."""

    __slots__ = ("chooser", "prefix", "log")

    def pick(self, weights, fits: Optional[Callable[[int], bool]] = None) -> int:
        """The index of the chosen option, drawn with ``weights`` among those for which ``fits``
        holds (replayed from the prefix where it reaches; :class:`Dead` when nothing fits).

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
                    raise DEAD.with_traceback(None)
                chosen = alive[0] if len(alive) == 1 else alive[self.chooser.choose([weights[i] for i in alive])]
                if fits is None or fits(chosen):
                    break
                del log[pos + (n > 1):]  # forget what a rejected option decided
                alive.remove(chosen)
        if n > 1:
            log[pos] = (n, chosen, dead)
        return chosen


def backtrack(log: list) -> Optional[list]:
    """The prefix of the next pass after a dead end, or None when every option is exhausted."""
    while log:
        n, chosen, dead = log.pop()
        dead = frozenset(dead) | {chosen}
        if len(dead) < n:
            return [(c, d) for _, c, d in log] + [(None, dead)]
    return None
