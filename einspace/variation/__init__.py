"""The variation layer: ``mutation`` and ``crossover``, valid by construction.

The functions are ``einspace.mutate`` and ``einspace.crossover`` (or ``einspace.variation.mutation.mutate``
and ``einspace.variation.crossover.crossover``); this package exports no names of its own, so a
module and a function never share one. Both operators share ``sites`` (nodes addressed by path),
``downstream`` (re-typing the ancestors of a change) and ``budgets`` (the limits a child keeps).
"""
