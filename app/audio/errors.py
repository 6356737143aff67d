"""Errors of the audio layer.

::

    AudioError
    ├── NoAudioDevice       PortAudio missing, no device, or device refused
    ├── WavError            a WAV file could not be read or written
    │   └── FileExists      target exists and overwrite was not asked for
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


class FileExists(WavError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"{path} already exists; choose another name or allow overwriting")


class UnsupportedEncoding(AudioError):
    def __init__(self, encoding: str, known: tuple[str, ...]) -> None:
        self.encoding = encoding
        super().__init__(f"unknown audio encoding {encoding!r}; use one of {', '.join(known)}")
