"""Search: strategies propose architectures, executors evaluate them, a journal records everything.

Filled in by the search layer's modules; see docs/search.md.
"""
