"""The command line, one module per command; ``main`` is the ``einspace`` entry point."""

from .main import main

__all__ = ["main"]
