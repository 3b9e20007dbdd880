"""Hypothesis strategies for users' own property tests: ``einspace.testing.strategies``.

Needs Hypothesis (``pip install 'einspace[test]'`` or ``pip install hypothesis``).
"""
