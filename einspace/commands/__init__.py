"""Subcommands of the ``einspace`` command line, one module each (see ``einspace.cli``)."""
