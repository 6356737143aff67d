"""The API key: from the command line, ``CARTESIA_API_KEY``, the OS keyring or a ``.env`` file.

This is the only module that reads or stores the key. It never writes it to a
settings file, a log or a URL, and :class:`RedactingFilter` scrubs it from log
records that might quote it anyway (an exception text from a library, say).

Cartesia's users keep ``CARTESIA_API_KEY`` in a ``.env`` file (the LiveKit guide
does), so one in the working folder, else in the config folder, is read last.
It is read with ``dotenv_values``, never ``load_dotenv``: the file must not
leak into ``os.environ`` (the offline engine's child would inherit it), and we
never write it.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from app.errors import VoiceboothError

SERVICE: Final = "voicebooth"
USERNAME: Final = "cartesia-api-key"
ENV_VAR: Final = "CARTESIA_API_KEY"

log = logging.getLogger(__name__)

Source = Literal["argument", "environment", "keyring", "dotenv"]

#: Plain words for "no keyring": the dialog and the command line say this, never
#: a class name such as ``NoKeyringError``.
NO_KEYRING: Final = ("No keyring on this system: Voicebooth cannot store a key. "
                     f"Set {ENV_VAR} or put it in a .env file.")


class CredentialsError(VoiceboothError):
    """The key could not be read or stored."""


class KeyringUnavailable(CredentialsError):
    """No keyring could be used; the message is for the user, in words."""

    def __init__(self, reason: str | None = None) -> None:
        if reason is None:
            super().__init__(NO_KEYRING)
        else:
            super().__init__(f"The keyring could not be used ({reason}). Set {ENV_VAR} or "
                             "put it in a .env file, or unlock the keyring and try again.")


@dataclass(frozen=True)
class ApiKey:
    value: str = field(repr=False)
    source: Source
    #: The ``.env`` file the key was read from (``source == "dotenv"``), for display.
    path: Path | None = None

    @property
    def origin(self) -> str:
        """Where the key came from, in words: "from the keyring", "from /p/.env"…"""
        if self.source == "argument":
            return "from --api-key"
        if self.source == "environment":
            return f"from {ENV_VAR} in the environment"
        if self.source == "dotenv":
            return f"from {self.path}"
        return "from the keyring"

    def __str__(self) -> str:
        return f"API key {self.origin} ({mask(self.value)})"


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
        raise _unavailable(keyring, exc) from None
    return value if isinstance(value, str) and value else None


def _unavailable(keyring: Any, exc: Exception, secrets: Sequence[str] = ()) -> KeyringUnavailable:
    """The user's words for a keyring failure (the class name goes to the debug log only)."""
    log.debug("keyring failed: %s", redact(repr(exc), list(secrets)))
    if isinstance(exc, keyring.errors.NoKeyringError):
        return KeyringUnavailable()
    reason = redact(str(exc).strip().rstrip("."), list(secrets)) or "it did not answer"
    return KeyringUnavailable(reason)


def store_key(value: str) -> None:
    value = value.strip()
    if not value:
        raise CredentialsError("the API key is empty")
    keyring = _keyring()
    try:
        keyring.set_password(SERVICE, USERNAME, value)
    except Exception as exc:
        raise _unavailable(keyring, exc, [value]) from None


def delete_key() -> bool:
    """Remove the stored key; ``False`` if none was stored."""
    keyring = _keyring()
    try:
        keyring.delete_password(SERVICE, USERNAME)
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as exc:
        raise _unavailable(keyring, exc) from None
    return True


@dataclass(frozen=True)
class KeyLookup:
    """The key found (if any), why the keyring could not be asked (if it could not), and
    what was wrong in the ``.env`` files read (file:line, for the user).

    Finding says nothing itself: the caller decides whether and how often to tell
    the user (once per run, and not at all when a key was given).
    """

    key: ApiKey | None
    keyring_problem: str | None = None
    file_problems: tuple[str, ...] = ()


def dotenv_files(cwd: Path | None = None, config_dir: Path | None = None) -> list[Path]:
    """The ``.env`` files asked, in order: the working folder's, then the config folder's."""
    if config_dir is None:
        import platformdirs

        config_dir = Path(platformdirs.user_config_dir("voicebooth", appauthor=False))
    return [(cwd or Path.cwd()) / ".env", config_dir / ".env"]


@dataclass(frozen=True)
class DotenvKey:
    """What one ``.env`` file says: its key (if it has one) and its unreadable lines."""

    value: str | None
    problems: tuple[str, ...] = ()


def read_dotenv(path: Path) -> DotenvKey:
    """``CARTESIA_API_KEY`` from a ``.env`` file; a missing file has none.

    A line python-dotenv cannot parse is named (``path:line``) and skipped: the
    rest of the file still counts, as with ``dotenv_values`` itself, and nothing
    is raised, so a bad file never stops the app.
    """
    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return DotenvKey(None)
    except UnicodeDecodeError:
        return DotenvKey(None, (f"{path}: not a text file in UTF-8, so it was not read",))
    except OSError as exc:
        return DotenvKey(None, (f"{path}: could not be read ({exc.strerror or exc})",))
    good: list[str] = []
    problems: list[str] = []
    for binding in parse_stream(io.StringIO(text)):
        # A line is named by number, never quoted: it may be a key pasted without a
        # name (python-dotenv takes a bare word for a name without a value).
        if binding.error or (binding.key is not None and binding.value is None):
            problems.append(f"{path}:{binding.original.line}: this line is not NAME=value, "
                            "so it was skipped")
        else:
            good.append(binding.original.string)
    # Only the statements that parse go to dotenv_values, so it has nothing to warn about.
    values = dotenv_values(stream=io.StringIO("".join(good)))
    value = (values.get(ENV_VAR) or "").strip()
    return DotenvKey(value or None, tuple(problems))


def find_key(explicit: str | None = None, env: Mapping[str, str] | None = None,
             *, use_keyring: bool = True,
             files: Sequence[Path] | None = None) -> KeyLookup:
    """The key to use, in order: argument, environment, keyring, ``.env`` files.

    Blocking (the keyring is a D-Bus call, the files are read): the window calls
    it off the loop. A keyring that cannot be used counts as empty, so a machine
    without a Secret Service still works with the environment variable or a
    ``.env`` file. ``files`` defaults to :func:`dotenv_files`; ``use_keyring=False``
    asks only the argument and the environment.
    """
    if explicit and explicit.strip():
        return KeyLookup(ApiKey(explicit.strip(), "argument"))
    environ = os.environ if env is None else env
    if value := environ.get(ENV_VAR, "").strip():
        return KeyLookup(ApiKey(value, "environment"))
    if not use_keyring:
        return KeyLookup(None)
    keyring_problem = None
    try:
        stored = read_keyring()
    except KeyringUnavailable as exc:
        stored, keyring_problem = None, str(exc)
    if stored:
        return KeyLookup(ApiKey(stored, "keyring"))
    problems: list[str] = []
    for path in dotenv_files() if files is None else files:
        found = read_dotenv(path)
        problems.extend(found.problems)
        if found.value:
            return KeyLookup(ApiKey(found.value, "dotenv", path.resolve()), keyring_problem,
                             tuple(problems))
    return KeyLookup(None, keyring_problem, tuple(problems))


@dataclass(frozen=True)
class KeyReport:
    """For the settings dialog: the key in use, what the keyring holds (or why it cannot
    be asked) and what was wrong in the ``.env`` files read."""

    in_use: ApiKey | None
    stored: str | None = field(default=None, repr=False)
    keyring_problem: str | None = None
    file_problems: tuple[str, ...] = ()


def key_report(explicit: str | None = None, env: Mapping[str, str] | None = None,
               files: Sequence[Path] | None = None) -> KeyReport:
    """Blocking, like :func:`find_key`: the keyring is asked even when the key in use
    comes from elsewhere, so the dialog can say what it holds."""
    try:
        stored, problem = read_keyring(), None
    except KeyringUnavailable as exc:
        stored, problem = None, str(exc)
    lookup = find_key(explicit, env, files=files)
    return KeyReport(lookup.key, stored, problem, lookup.file_problems)


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
