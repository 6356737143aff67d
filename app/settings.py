"""User settings: declared once, stored as versioned JSON in the user's config folder.

Each setting has a type, a default and a description (qutebrowser's
configdata idea). The file is written atomically and never holds the API key
(that lives in the keyring, see :mod:`app.credentials`). An unreadable file
is kept aside and defaults are used, with a message for the window.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from app.atomic import WriteError, write_bytes
from app.errors import VoiceboothError

log = logging.getLogger(__name__)

VERSION: Final = 1


class SettingsError(VoiceboothError):
    """Settings could not be saved."""


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    description: str


DECLARED: Final = (
    Setting("base_url", str, "", "API base URL; empty means https://api.cartesia.ai"),
    Setting("api_version", str, "2026-03-01", "Cartesia-Version header sent"),
    Setting("offline_only", bool, False, "use only the built-in offline engine"),
    Setting("output_device", str, "", "sound output device name; empty: the default"),
    Setting("prebuffer_ms", int, 60, "audio buffered before playback starts"),
    Setting("model", str, "sonic-3", "model of the next take"),
    Setting("language", str, "en", "language of the next take"),
    Setting("voice_id", str, "", "voice of the next take"),
    Setting("speed", float, 1.0, "generation speed (sonic-3)"),
    Setting("volume", float, 1.0, "generation volume (sonic-3)"),
    Setting("emotion", str, "", "generation emotion; empty: none"),
    Setting("encoding", str, "pcm_f32le", "output encoding requested"),
    Setting("sample_rate", int, 44100, "output sample rate requested"),
    Setting("favourites", list, [], "favourite voice ids"),
    Setting("export_folder", str, "", "where the export dialog opens"),
    Setting("export_format", str, "pcm16", "WAV format of exports"),
    Setting("export_json", bool, True, "write timings JSON beside exports"),
    Setting("export_srt", bool, False, "write SRT subtitles beside exports"),
    Setting("text", str, "", "the transcript being edited"),
    Setting("window_geometry", str, "", "main window geometry (base64)"),
    Setting("window_state", str, "", "main window layout (base64)"),
)
_BY_NAME: Final = {s.name: s for s in DECLARED}

#: Upgrades from version N to N+1, applied in order (none yet beyond creating v1).
_UPGRADES: Final[dict[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {}


class Settings:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.recovered: str | None = None
        self._values: dict[str, Any] = {s.name: _copy(s.default) for s in DECLARED}
        self._load()

    def _load(self) -> None:
        try:
            raw = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            aside = self.path.with_name(f"{self.path.name}.bad-{stamp}")
            with contextlib.suppress(OSError):
                self.path.replace(aside)
            self.recovered = f"Settings could not be read ({exc}); defaults are used."
            return
        if not isinstance(raw, dict):
            self.recovered = "Settings file was not an object; defaults are used."
            return
        version = raw.get("version", 1)
        values = raw.get("values", {})
        while isinstance(version, int) and version < VERSION:
            values = _UPGRADES[version](values)
            version += 1
        for name, value in (values.items() if isinstance(values, dict) else ()):
            setting = _BY_NAME.get(name)
            if setting is None:
                continue  # a setting of a newer or older version: ignore it
            if setting.type is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if isinstance(value, setting.type) and not (setting.type is int
                                                        and isinstance(value, bool)):
                self._values[name] = value
            else:
                log.warning("setting %s has a value of the wrong type; using the default",
                            name)

    def get(self, name: str) -> Any:
        return _copy(self._values[_BY_NAME[name].name])

    def set(self, name: str, value: Any) -> None:
        setting = _BY_NAME[name]
        if setting.type is float and isinstance(value, int):
            value = float(value)
        if not isinstance(value, setting.type):
            raise TypeError(f"setting {name} takes {setting.type.__name__}, not "
                            f"{type(value).__name__}")
        self._values[name] = _copy(value)

    def save(self) -> None:
        data = json.dumps({"version": VERSION, "values": self._values}, indent=1,
                          ensure_ascii=False).encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes(self.path, data)
        except (OSError, WriteError) as exc:
            raise SettingsError(f"settings were not saved: {exc}") from None


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def default_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("voicebooth", appauthor=False)) / "settings.json"
