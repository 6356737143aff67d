"""Errors of takes and their history.

::

    TakeError
    ├── HistoryError     the history database or its audio could not be used
    │   └── HistoryLocked    another program (another Voicebooth) holds the database
    ├── SpliceError      a retake cannot be spliced into its take
    └── ExportError      a take could not be exported
"""

from __future__ import annotations

from app.errors import VoiceboothError


class TakeError(VoiceboothError):
    """Base class of take errors."""


class HistoryError(TakeError):
    """The history could not be read or written."""


class HistoryLocked(HistoryError):
    def __init__(self, path: object) -> None:
        self.path = path
        super().__init__(f"the take history ({path}) is in use by another program, most "
                         "likely another Voicebooth window: takes are not kept in this one "
                         "until that one is closed (nothing was changed)")


class SpliceError(TakeError):
    """A retake cannot be spliced into its take (other rate, words out of range)."""


class ExportError(TakeError):
    """An export could not be written."""
