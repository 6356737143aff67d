"""Settings: typed, evented, migrated by name, a damaged file, and never the key."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from app.settings import (
    DECLARED,
    EMOTION,
    FAVOURITES,
    MIGRATIONS,
    MODEL,
    PREBUFFER_MS,
    SPEED,
    VERSION,
    VOLUME,
    SettingChanged,
    Settings,
    default_path,
)


def test_defaults_round_trip_and_types(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "settings.json"
    s = Settings(path)
    assert s.get(MODEL) == "sonic-3" and s.get(FAVOURITES) == [] and s.get(SPEED) is None
    s.set(SPEED, 1)  # an int is a fine float
    s.set(FAVOURITES, ["a", "b"])
    with pytest.raises(TypeError, match="setting prebuffer_ms takes int"):
        s.set(PREBUFFER_MS, "60")  # type: ignore[arg-type]
    s.save()
    again = Settings(path)
    assert again.get(SPEED) == 1.0 and isinstance(again.get(SPEED), float)
    assert again.get(FAVOURITES) == ["a", "b"]
    raw = json.loads(path.read_text())
    assert raw["version"] == VERSION
    assert not any("key" in name for name in raw["values"])
    assert not any("key" in s.name for s in DECLARED)


def test_changes_are_announced_once(tmp_path: Path) -> None:
    s = Settings(tmp_path / "settings.json")
    seen: list[SettingChanged] = []
    s.changed.connect(seen.append)
    s.set(MODEL, "sonic-2")
    s.set(MODEL, "sonic-2")  # no change: no event
    s.set(FAVOURITES, ["x"])
    favourites = s.get(FAVOURITES)
    favourites.append("y")  # a copy: the setting is not changed behind its back
    assert seen == [SettingChanged("model", "sonic-2"), SettingChanged("favourites", ["x"])]
    assert s.get(FAVOURITES) == ["x"]


def test_in_memory_settings_never_touch_a_file(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = Settings(None)
    s.set(MODEL, "sonic-2")
    s.save()
    assert list(tmp_path.iterdir()) == []


def test_version_1_is_migrated_by_name(tmp_path: Path, caplog: pytest.LogCaptureFixture
                                       ) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "values": {
        "speed": 1.0, "volume": 1.3, "emotion": "", "model": "sonic-2"}}))
    with caplog.at_level(logging.INFO):
        s = Settings(path)
    # Version 1 wrote 1.0 and "" for "not set"; version 2 says null. A real value stays.
    assert s.get(SPEED) is None and s.get(VOLUME) == 1.3 and s.get(EMOTION) is None
    assert s.get(MODEL) == "sonic-2"
    assert MIGRATIONS[0].name in caplog.text
    s.save()
    assert json.loads(path.read_text())["values"]["speed"] is None
    # A file already at the current version is not migrated again: 1.0 is a choice now.
    s.set(SPEED, 1.0)
    s.save()
    assert Settings(path).get(SPEED) == 1.0


def test_damaged_file_falls_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    s = Settings(path)
    assert s.recovered and "defaults are used" in s.recovered
    assert s.get(PREBUFFER_MS) == 60
    assert list(tmp_path.glob("settings.json.bad-*"))


def test_wrong_types_and_unknown_names_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 2, "values": {"prebuffer_ms": True,
                                                         "future_thing": 3, "model": "x"}}))
    s = Settings(path)
    assert s.get(PREBUFFER_MS) == 60 and s.get(MODEL) == "x"


def test_default_path_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_path() == tmp_path / "voicebooth" / "settings.json"
