"""Hypothesis strategies for users' own property tests: ``einspace.testing.strategies``.

Needs Hypothesis (``pip install 'einspace[test]'`` or ``pip install hypothesis``); without it,
importing this package raises :class:`einspace.errors.MissingDependency` saying so.
"""

from ..errors import MissingDependency

HYPOTHESIS_HINT = ("einspace.testing needs Hypothesis, which only the test extra installs: "
                   "pip install hypothesis (or pip install 'einspace[test]')")

try:
    import hypothesis  # noqa: F401  (strategies.py is built on it)
except ModuleNotFoundError as err:
    if err.name != "hypothesis":
        raise
    raise MissingDependency("hypothesis", HYPOTHESIS_HINT) from None
