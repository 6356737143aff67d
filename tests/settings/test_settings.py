"""Settings: defaults, types, round trip, a damaged file, and never the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.settings import DECLARED, Settings, default_path


def test_defaults_round_trip_and_types(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "settings.json"
    s = Settings(path)
    assert s.get("model") == "sonic-3" and s.get("favourites") == []
    s.set("speed", 1)  # an int is a fine float
    s.set("favourites", ["a", "b"])
    with pytest.raises(TypeError, match="setting prebuffer_ms takes int"):
        s.set("prebuffer_ms", "60")
    s.save()
    again = Settings(path)
    assert again.get("speed") == 1.0 and again.get("favourites") == ["a", "b"]
    raw = json.loads(path.read_text())
    assert raw["version"] == 1
    assert not any("key" in name for name in raw["values"])
    assert not any("key" in s.name for s in DECLARED)


def test_damaged_file_falls_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    s = Settings(path)
    assert s.recovered and "defaults are used" in s.recovered
    assert s.get("prebuffer_ms") == 60
    assert list(tmp_path.glob("settings.json.bad-*"))


def test_wrong_types_and_unknown_names_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "values": {"prebuffer_ms": True,
                                                         "future_thing": 3, "model": "x"}}))
    s = Settings(path)
    assert s.get("prebuffer_ms") == 60 and s.get("model") == "x"


def test_default_path_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_path() == tmp_path / "voicebooth" / "settings.json"
