"""Exceptions of the data package.

Every failure a user can fix (a missing file, a wrong shape, a source that cannot be fetched)
is raised as a :class:`DataError`, so callers can catch one type and print its message.
"""

from __future__ import annotations


class DataError(ValueError):
    """Data missing, malformed, or not loadable; the message says what and where."""


class SourceError(DataError):
    """A builder's raw source (a pip or Debian package) could not be obtained.

    The message names the package and the command that would fetch it.
    """
