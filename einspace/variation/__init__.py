"""The variation layer: ``mutation`` and ``crossover``, valid by construction.

The functions are ``einspace.mutate`` and ``einspace.crossover`` (or ``einspace.variation.mutation.mutate``
and ``einspace.variation.crossover.crossover``); this package exports no names of its own, so a
module and a function never share one.
"""
