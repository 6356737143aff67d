"""The root of Voicebooth's exception hierarchy.

Every error we raise on purpose derives from :class:`VoiceboothError`, so the
CLI and the window can tell "a problem we explained" from "a bug"::

    VoiceboothError
    ├── app.cartesia.errors.CartesiaError      (API, network, protocol)
    ├── app.audio.errors.AudioError            (devices, WAV files)
    ├── app.markup.errors.MarkupError          (transcript markup)
    ├── app.credentials.CredentialsError       (keyring, missing key)
    └── app.takes.errors.TakeError             (history, export)

Messages are built from facts in ``__init__`` and say what the user can do.
"""

from __future__ import annotations


class VoiceboothError(Exception):
    """Base class of every error Voicebooth raises deliberately."""
