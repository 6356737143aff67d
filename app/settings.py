"""User settings: declared once, typed, evented, stored as versioned JSON.

Each setting is a :class:`Setting` constant with a type, a default and a
description (qutebrowser's ``configdata``): ``settings.get(MODEL)`` is a
``str`` to mypy and at run time. Changes are announced on
:attr:`Settings.changed`, so the services that depend on a setting (where to
connect, which device to play on) follow it without the window telling them.

The file is written atomically and never holds the API key (that lives in the
keyring, see :mod:`app.credentials`), nor anything given for one run only
(``--offline``, ``--base-url``: see :class:`app.studio.options.RunOptions`).
Older files are upgraded by named migrations, one version at a time (Picard's
``config_upgrade``); an unreadable file is kept aside and defaults are used,
with a message for the window.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Generic, TypeVar

from app.atomic import WriteError, write_bytes
from app.errors import VoiceboothError
from app.events import Emitter

log = logging.getLogger(__name__)

T = TypeVar("T")


class SettingsError(VoiceboothError):
    """Settings could not be saved."""


@dataclass(frozen=True)
class Setting(Generic[T]):
    name: str
    #: The types a stored value may have (``float | None`` is ``(float, NoneType)``).
    types: tuple[type, ...]
    default: T
    description: str

    def accepts(self, value: object) -> bool:
        if isinstance(value, bool) and bool not in self.types:
            return False  # JSON true is not a number here
        return isinstance(value, self.types)

    def coerce(self, value: object) -> object:
        """JSON has one number type: an int where a float is declared becomes a float."""
        if float in self.types and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value


_NONE = type(None)

BASE_URL: Final = Setting[str]("base_url", (str,), "",
                               "API base URL; empty means https://api.cartesia.ai")
API_VERSION: Final = Setting[str]("api_version", (str,), "2026-03-01",
                                  "Cartesia-Version header sent")
OFFLINE_ONLY: Final = Setting[bool]("offline_only", (bool,), False,
                                    "use only the built-in offline engine")
OUTPUT_DEVICE: Final = Setting[str]("output_device", (str,), "",
                                    "sound output device name; empty: the default")
PREBUFFER_MS: Final = Setting[int]("prebuffer_ms", (int,), 60,
                                   "audio buffered before playback starts")
MODEL: Final = Setting[str]("model", (str,), "sonic-3", "model of the next take")
LANGUAGE: Final = Setting[str]("language", (str,), "en", "language of the next take")
VOICE_ID: Final = Setting[str]("voice_id", (str,), "", "voice of the next take")
SPEED: Final = Setting[float | None]("speed", (float, _NONE), None,
                                     "generation speed (sonic-3); null: the model's default")
VOLUME: Final = Setting[float | None]("volume", (float, _NONE), None,
                                      "generation volume (sonic-3); null: the model's default")
EMOTION: Final = Setting[str | None]("emotion", (str, _NONE), None,
                                     "generation emotion; null: none")
ENCODING: Final = Setting[str]("encoding", (str,), "pcm_f32le", "output encoding requested")
SAMPLE_RATE: Final = Setting[int]("sample_rate", (int,), 44100, "output sample rate requested")
FAVOURITES: Final = Setting[list[str]]("favourites", (list,), [], "favourite voice ids")
RECENT_VOICES: Final = Setting[list[str]]("recent_voices", (list,), [],
                                          "ids of the voices last recorded with, newest first")
PASTED_VOICES: Final = Setting[list[dict[str, Any]]](
    "pasted_voices", (list,), [], "voices looked up by a pasted id (their JSON), newest first")
EXPORT_FOLDER: Final = Setting[str]("export_folder", (str,), "",
                                    "where the export dialog opens")
EXPORT_FORMAT: Final = Setting[str]("export_format", (str,), "pcm16", "WAV format of exports")
EXPORT_JSON: Final = Setting[bool]("export_json", (bool,), True,
                                   "write timings JSON beside exports")
EXPORT_SRT: Final = Setting[bool]("export_srt", (bool,), False,
                                  "write SRT subtitles beside exports")
TEXT: Final = Setting[str]("text", (str,), "", "the transcript being edited")
WINDOW_GEOMETRY: Final = Setting[str]("window_geometry", (str,), "",
                                      "main window geometry (base64)")
WINDOW_STATE: Final = Setting[str]("window_state", (str,), "", "main window layout (base64)")
VOICE_SETS: Final = Setting[dict[str, list[str]]](
    "voice_sets", (dict,), {}, "saved voice sets for comparing: name -> voice ids")
LINEUP_PARALLEL: Final = Setting[int](
    "lineup_parallel", (int,), 2, "voices rendered at once when comparing (the plan's "
    "concurrency: Free 2, Pro 3, Startup 5, Scale 15)")
MATCH_LOUDNESS: Final = Setting[bool]("match_loudness", (bool,), True,
                                      "play takes at one loudness (A/B, the history)")
LEXICON_VIA: Final = Setting[str](
    "lexicon_via", (str,), "markup", "how lexicons reach the model: 'markup' (the text is "
    "rewritten here) or 'dictionary' (a Cartesia pronunciation dictionary's id is sent)")
PRONUNCIATION_DICT_ID: Final = Setting[str](
    "pronunciation_dict_id", (str,), "", "the Cartesia pronunciation dictionary sent in "
    "'dictionary' mode; empty: none")

USE_LEXICONS: Final = Setting[bool](
    "use_lexicons", (bool,), True, "say lines with the project's lexicons (off: as written, "
    "to hear the difference)")

SCRIPT_PATH: Final = Setting[str](
    "script_path", (str,), "", "the script open in the window when it closed (reopened at "
    "the next start); empty: none")
RECENT_SCRIPTS: Final = Setting[list[str]](
    "recent_scripts", (list,), [], "scripts opened or saved lately, newest first")
EXPORT_PRESETS: Final = Setting[dict[str, dict[str, Any]]](
    "export_presets", (dict,), {}, "the user's export presets: name -> export spec (JSON)")
EXPORT_SPEC: Final = Setting[dict[str, Any]](
    "export_spec", (dict,), {}, "the export spec last used (JSON); empty: from "
    "export_format, export_json and export_srt")
EXPORT_TEMPLATE: Final = Setting[str](
    "export_template", (str,), "{n}_{id}", "how exports of many takes are named: {n}, {id}, "
    "{voice}, {text}, {date}")

APPEARANCE: Final = Setting[str](
    "appearance", (str,), "system", "colours of the window: 'system' (follow the desktop's "
    "light or dark), 'light' or 'dark'")

DECLARED: Final[tuple[Setting[Any], ...]] = (
    BASE_URL, API_VERSION, OFFLINE_ONLY, OUTPUT_DEVICE, PREBUFFER_MS, MODEL, LANGUAGE,
    VOICE_ID, SPEED, VOLUME, EMOTION, ENCODING, SAMPLE_RATE, FAVOURITES, EXPORT_FOLDER,
    EXPORT_FORMAT, EXPORT_JSON, EXPORT_SRT, TEXT, WINDOW_GEOMETRY, WINDOW_STATE,
    VOICE_SETS, LINEUP_PARALLEL, MATCH_LOUDNESS, RECENT_VOICES, PASTED_VOICES,
    LEXICON_VIA, PRONUNCIATION_DICT_ID, USE_LEXICONS, EXPORT_PRESETS, EXPORT_SPEC,
    EXPORT_TEMPLATE, SCRIPT_PATH, RECENT_SCRIPTS, APPEARANCE,
)
_BY_NAME: Final = {s.name: s for s in DECLARED}

Values = dict[str, Any]


@dataclass(frozen=True)
class Migration:
    """Upgrades the stored values of version ``version - 1`` to ``version``."""

    version: int
    name: str
    upgrade: Callable[[Values], Values]


def _controls_at_default_are_null(values: Values) -> Values:
    # Version 1 stored 1.0 (and "") for "not set": the window left those out of the
    # request. Version 2 says so with null, and a stored 1.0 is a choice.
    out = dict(values)
    for name, unset in (("speed", 1.0), ("volume", 1.0), ("emotion", "")):
        if name in out and out[name] == unset:
            out[name] = None
    return out


MIGRATIONS: Final = (
    Migration(2, "controls at their default are null", _controls_at_default_are_null),
)
VERSION: Final = MIGRATIONS[-1].version


@dataclass(frozen=True)
class SettingChanged:
    name: str
    value: Any


class Settings:
    """The user's settings; ``path=None`` keeps them in memory (the command line)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.recovered: str | None = None
        self.changed: Emitter[SettingChanged] = Emitter()
        self._values: Values = {s.name: _copy(s.default) for s in DECLARED}
        if path is not None:
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            raw = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            aside = path.with_name(f"{path.name}.bad-{stamp}")
            with contextlib.suppress(OSError):
                path.replace(aside)
            self.recovered = (f"Settings could not be read ({exc}); they were kept as "
                              f"{aside.name} and defaults are used.")
            return
        if not isinstance(raw, dict) or not isinstance(raw.get("values", {}), dict):
            self.recovered = "The settings file was not understood; defaults are used."
            return
        version = raw.get("version", 1)
        values: Values = raw.get("values", {})
        if not isinstance(version, int) or version < 1:
            version = 1
        for migration in MIGRATIONS:
            if migration.version > version:
                log.info("settings: migrating to version %d (%s)", migration.version,
                         migration.name)
                values = migration.upgrade(values)
        for name, value in values.items():
            setting = _BY_NAME.get(name)
            if setting is None:
                continue  # a setting of a newer or older version: ignore it
            value = setting.coerce(value)
            if setting.accepts(value):
                self._values[name] = value
            else:
                log.warning("setting %s has a value of the wrong type; using the default",
                            name)

    def get(self, setting: Setting[T]) -> T:
        value: T = _copy(self._values[setting.name])
        return value

    def set(self, setting: Setting[T], value: T) -> None:
        """Change a setting (in memory; :meth:`save` writes them) and announce it."""
        if _BY_NAME.get(setting.name) is not setting:
            raise KeyError(f"{setting.name} is not a declared setting")
        value = setting.coerce(value)  # type: ignore[assignment]
        if not setting.accepts(value):
            raise TypeError(f"setting {setting.name} takes {_names(setting.types)}, not "
                            f"{type(value).__name__}")
        if self._values[setting.name] == value:
            return
        self._values[setting.name] = _copy(value)
        self.changed.emit(SettingChanged(setting.name, _copy(value)))

    def save(self) -> None:
        self.write(self.encode())

    def encode(self) -> bytes:
        """The file's bytes as the settings are now: taken on the loop, so :meth:`write`
        can run in an executor while the settings go on changing."""
        return json.dumps({"version": VERSION, "values": self._values}, indent=1,
                          ensure_ascii=False).encode("utf-8")

    def write(self, data: bytes) -> None:
        """Write bytes from :meth:`encode` (blocking: atomic, with fsync)."""
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes(self.path, data)
        except (OSError, WriteError) as exc:
            raise SettingsError(f"settings were not saved: {exc}") from None


def _copy(value: Any) -> Any:
    # Deep for the containers a setting holds: a caller must never change a default
    # or the stored value through what get() returned.
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return list(value) if isinstance(value, list) else value


def _names(types: tuple[type, ...]) -> str:
    return " or ".join("null" if t is _NONE else t.__name__ for t in types)


def default_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("voicebooth", appauthor=False)) / "settings.json"
