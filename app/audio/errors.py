"""Errors of the audio layer.

::

    AudioError
    ├── NoAudioDevice       PortAudio missing, no device, or device refused
    │   └── UnknownDevice   the device asked for by name or number is not there
    ├── WavError            a WAV file could not be read or written
    └── UnsupportedEncoding an encoding name we do not know
"""

from __future__ import annotations

from app.errors import VoiceboothError


class AudioError(VoiceboothError):
    """Base class of audio errors."""


class NoAudioDevice(AudioError):
    """No usable output device: playback is off, everything else still works."""


class WavError(AudioError):
    """A WAV file could not be read or written."""


class UnknownDevice(NoAudioDevice):
    """The device asked for does not exist (a typo, or it was unplugged): bad input."""


class UnsupportedEncoding(AudioError):
    def __init__(self, encoding: str, known: tuple[str, ...]) -> None:
        self.encoding = encoding
        super().__init__(f"unknown audio encoding {encoding!r}; use one of {', '.join(known)}")
