"""Options given for one run (command-line flags): they win over settings and never persist."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RunOptions:
    """``voicebooth --offline``, ``--api-key``, ``--base-url``, ``--api-version``.

    The window and the commands read these before the settings, and nothing
    ever writes them to the settings file: ``voicebooth --offline`` once must
    not make every later start offline.
    """

    offline: bool = False
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    api_version: str | None = None
