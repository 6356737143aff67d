"""Export presets and remembered choices, through real settings files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.settings import EXPORT_PRESETS, EXPORT_SPEC, EXPORT_TEMPLATE, Settings
from app.studio.errors import InvalidInput
from app.studio.export_presets import BUILTINS, ExportPresets, last_spec, remember
from app.takes.export import ExportSpec
from app.takes.naming import NamingError


def test_user_presets_round_trip_through_the_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings(path)
    presets = ExportPresets(settings)
    spec = ExportSpec(format="opus", sample_rate=48000, normalize_lufs=-18.5, trim=True,
                      pad_ms=30, timings=frozenset({"vtt"}))
    presets.save("  Trailer   VO ", spec)
    settings.save()
    again = ExportPresets(Settings(path))
    assert [p.name for p in again.all()] == [p.name for p in BUILTINS] + ["Trailer VO"]
    assert again.get("Trailer VO").spec == spec and not again.get("Trailer VO").builtin
    assert again.find(spec.__class__(**{**spec.__dict__, "timings": frozenset()})) \
        == again.get("Trailer VO")
    presets.save("Trailer VO", ExportSpec())  # same name: replaced
    assert presets.get("Trailer VO").spec == ExportSpec()
    presets.delete("Trailer VO")
    assert [p.name for p in presets.all()] == [p.name for p in BUILTINS]


def test_the_built_ins_cannot_be_overwritten_or_deleted(tmp_path: Path) -> None:
    presets = ExportPresets(Settings(None))
    ivr = presets.get("IVR 8k μ-law").spec
    assert (ivr.wav_subtype, ivr.sample_rate, ivr.channels) == ("ulaw", 8000, 1)
    with pytest.raises(InvalidInput, match="built-in preset and cannot be changed"):
        presets.save("ivr 8K μ-LAW", ExportSpec())
    with pytest.raises(InvalidInput, match="built-in preset and cannot be deleted"):
        presets.delete("Raw WAV (sample-exact)")
    with pytest.raises(InvalidInput, match="no saved export preset is called 'x'"):
        presets.delete("x")
    with pytest.raises(InvalidInput, match="needs a name"):
        presets.save("   ", ExportSpec())
    assert presets.get("IVR 8k μ-law").spec == ivr
    for preset in BUILTINS:
        preset.spec.check()


def test_a_broken_stored_preset_is_reported_not_fatal() -> None:
    settings = Settings(None)
    settings.set(EXPORT_PRESETS, {"Mine": {"format": "aiff"}, "Ok": {"channels": 2}})
    presets = ExportPresets(settings)
    assert [p.name for p in presets.all()][-1] == "Ok"
    assert "unknown export format 'aiff'" in presets.problems["Mine"]
    with pytest.raises(InvalidInput, match="'Mine' cannot be used: unknown export format"):
        presets.get("Mine")


def test_the_last_spec_and_template_are_remembered(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings(path)
    # Before any export: the older WAV-only settings (JSON timings on by default).
    assert last_spec(settings) == ExportSpec(timings=frozenset({"json"}))
    spec = ExportSpec(format="flac", sample_rate=48000, normalize_lufs=-16.0, limiter=True)
    remember(settings, spec, folder=str(tmp_path), template="{n:03}_{id}")
    with pytest.raises(NamingError, match=r"unknown field \{nn\}"):
        remember(settings, spec, template="{nn}")
    settings.save()
    stored = json.loads(path.read_text())["values"]
    assert stored["export_template"] == "{n:03}_{id}"
    again = Settings(path)
    assert last_spec(again) == spec and again.get(EXPORT_TEMPLATE) == "{n:03}_{id}"
    again.set(EXPORT_SPEC, {"format": 3})
    assert last_spec(again) == ExportSpec(timings=frozenset({"json"}))
