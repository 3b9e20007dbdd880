"""The proxies' names and the checking of a request for them (torch-free, so a search or a journal
can validate ``--proxies`` without importing torch)."""

from __future__ import annotations

from typing import Iterable

from ..errors import ProxyError

__all__ = ["NAMES", "CHEAP", "check_names"]

#: every zero-cost proxy, in the order results are reported
NAMES: tuple[str, ...] = ("params", "flops", "grad_norm", "snip", "synflow", "jacob_cov")
#: the proxies read off the cost model: no network is built and no data is loaded for them
CHEAP: frozenset[str] = frozenset({"params", "flops"})


def check_names(names: Iterable[str] | str | None) -> tuple[str, ...]:
    """The requested proxies in :data:`NAMES` order, without repeats; ``None`` means all of them.

    A string is read as a comma-separated list (``"grad_norm,snip"``), so the CLI and the Python
    API accept the same spelling. Unknown or no names raise :class:`ProxyError`.
    """
    if names is None:
        return NAMES
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    try:
        wanted = list(names)
    except TypeError:
        raise ProxyError(f"proxy names must be a list of strings (of {', '.join(NAMES)}), got {names!r}") from None
    bad = [n for n in wanted if not isinstance(n, str) or n not in NAMES]
    if bad:
        raise ProxyError(f"unknown proxy name(s) {', '.join(map(repr, bad))}; known: {', '.join(NAMES)}")
    if not wanted:
        raise ProxyError(f"no proxy asked for; known: {', '.join(NAMES)}")
    return tuple(n for n in NAMES if n in wanted)
