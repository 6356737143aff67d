"""The API key: read from the command line, ``CARTESIA_API_KEY`` or the OS keyring.

This is the only module that reads or stores the key. It never writes it to a
settings file, a log or a URL, and :class:`RedactingFilter` scrubs it from log
records that might quote it anyway (an exception text from a library, say).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from app.errors import VoiceboothError

SERVICE: Final = "voicebooth"
USERNAME: Final = "cartesia-api-key"
ENV_VAR: Final = "CARTESIA_API_KEY"

log = logging.getLogger(__name__)

Source = Literal["argument", "environment", "keyring"]


class CredentialsError(VoiceboothError):
    """The key could not be read or stored."""


class KeyringUnavailable(CredentialsError):
    def __init__(self, reason: str) -> None:
        super().__init__(
            f"no usable OS keyring ({reason}); set {ENV_VAR} instead, or install and unlock "
            "a Secret Service such as gnome-keyring")


@dataclass(frozen=True)
class ApiKey:
    value: str = field(repr=False)
    source: Source

    def __str__(self) -> str:
        return f"API key from the {self.source} ({mask(self.value)})"


def mask(value: str) -> str:
    """What may be shown of a key: its last four characters."""
    return "…" + value[-4:] if len(value) > 8 else "…"


def _keyring() -> Any:
    import keyring  # imported lazily: its backends probe D-Bus at import time

    return keyring


def read_keyring() -> str | None:
    """The stored key, ``None`` if none is stored; :class:`KeyringUnavailable` if no keyring."""
    keyring = _keyring()
    try:
        value = keyring.get_password(SERVICE, USERNAME)
    except Exception as exc:  # keyring raises many backend-specific types
        log.debug("keyring failed: %r", exc)
        raise KeyringUnavailable(type(exc).__name__) from None
    return value if isinstance(value, str) and value else None


def store_key(value: str) -> None:
    value = value.strip()
    if not value:
        raise CredentialsError("the API key is empty")
    try:
        _keyring().set_password(SERVICE, USERNAME, value)
    except Exception as exc:
        raise KeyringUnavailable(redact(f"{type(exc).__name__}: {exc}", [value])) from None


def delete_key() -> bool:
    """Remove the stored key; ``False`` if none was stored."""
    keyring = _keyring()
    try:
        keyring.delete_password(SERVICE, USERNAME)
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as exc:
        raise KeyringUnavailable(f"{type(exc).__name__}: {exc}") from None
    return True


@dataclass(frozen=True)
class KeyLookup:
    """The key found (if any), and why the keyring could not be asked (if it could not).

    Finding says nothing itself: the caller decides whether and how often to tell
    the user (once per run, and not at all when a key was given).
    """

    key: ApiKey | None
    keyring_problem: str | None = None


def find_key(explicit: str | None = None, env: Mapping[str, str] | None = None,
             *, use_keyring: bool = True) -> KeyLookup:
    """The key to use, in order: argument, environment, keyring.

    Blocking (the keyring is a D-Bus call): the window calls it off the loop.
    A keyring that cannot be used counts as empty, so a machine without a
    Secret Service still works with the environment variable.
    """
    if explicit and explicit.strip():
        return KeyLookup(ApiKey(explicit.strip(), "argument"))
    environ = os.environ if env is None else env
    if value := environ.get(ENV_VAR, "").strip():
        return KeyLookup(ApiKey(value, "environment"))
    if not use_keyring:
        return KeyLookup(None)
    try:
        stored = read_keyring()
    except KeyringUnavailable as exc:
        return KeyLookup(None, str(exc))
    return KeyLookup(ApiKey(stored, "keyring") if stored else None)


def without_key(environ: Mapping[str, str]) -> dict[str, str]:
    """An environment for a child process that must never see the key."""
    return {name: value for name, value in environ.items() if name != ENV_VAR}


def protect_logs(key: ApiKey) -> None:
    """Scrub the key from everything the root logger's handlers write from now on."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) and key.value in f.secrets
                   for f in handler.filters):
            handler.addFilter(RedactingFilter([key.value]))


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


class RedactingFilter(logging.Filter):
    """Scrubs the given secrets from every record passing through a handler."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = redact(record.getMessage(), self.secrets)
            record.args = None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info),
                                         self.secrets)
                record.exc_info = None
        return True
