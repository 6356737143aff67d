"""Errors of the offline synthesizers.

::

    SynthesizerError
    └── SynthesizerUnavailable   the engine or voice cannot be used here
"""

from __future__ import annotations

from app.errors import VoiceboothError


class SynthesizerError(VoiceboothError):
    """Base class of synthesizer errors."""


class SynthesizerUnavailable(SynthesizerError):
    """The engine cannot load, or the voice does not exist in it."""
