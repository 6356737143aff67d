"""Errors of takes and their history.

::

    TakeError
    ├── HistoryError     the history database or its audio could not be used
    └── ExportError      a take could not be exported
"""

from __future__ import annotations

from app.errors import VoiceboothError


class TakeError(VoiceboothError):
    """Base class of take errors."""


class HistoryError(TakeError):
    """The history could not be read or written."""


class ExportError(TakeError):
    """An export could not be written."""
