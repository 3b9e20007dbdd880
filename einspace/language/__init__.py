"""The language layer: text ⇄ tree.

``ast`` (the typed derivation tree), ``ops`` (one definition per operation), ``source`` (where a
grammar's text comes from), ``parser`` (text → tree, with ``let``; its callbacks in ``builder``), ``printer`` (tree → text),
``grammar`` (the PCFG tables read from a grammar file's annotations) and ``analysis`` (the PCFG's
consistency, expected sizes, instantiated sizes). Imports nothing above itself.
"""
