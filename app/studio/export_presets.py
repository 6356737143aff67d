"""Export presets: named specs, built in ("IVR 8k μ-law") or saved by the user.

The built-ins are fixed (a user preset cannot take their name); the user's are
kept in the settings as JSON, by name. The spec last used, the naming template
and the folder are remembered too, so the next export starts where the last
one ended.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from app.settings import (
    EXPORT_FOLDER,
    EXPORT_FORMAT,
    EXPORT_JSON,
    EXPORT_PRESETS,
    EXPORT_SPEC,
    EXPORT_SRT,
    EXPORT_TEMPLATE,
    Settings,
)
from app.studio.errors import InvalidInput
from app.takes.errors import ExportError
from app.takes.export import ExportSpec, TimingsKind
from app.takes.naming import check_template


@dataclass(frozen=True)
class Preset:
    name: str
    spec: ExportSpec
    builtin: bool = False


#: What designers deliver most. Targets are integrated loudness with a -1 dBTP ceiling
#: (EBU R128 and the streaming services' advice) unless said; the louder targets use
#: the limiter, since speech peaks ~20 dB over its loudness and a plain gain stops short.
BUILTINS: tuple[Preset, ...] = (
    Preset("Raw WAV (sample-exact)", ExportSpec(wav_subtype="float32"), True),
    Preset("Game 48k −16 LUFS", ExportSpec(
        wav_subtype="pcm24", sample_rate=48000, normalize_lufs=-16.0, limiter=True,
        trim=True, pad_ms=50.0, fade_out_ms=5.0), True),
    Preset("Podcast −16 LUFS MP3", ExportSpec(
        format="mp3", sample_rate=44100, channels=2, normalize_lufs=-16.0, limiter=True),
           True),
    Preset("Broadcast −23 LUFS (EBU R128)", ExportSpec(
        wav_subtype="pcm24", sample_rate=48000, normalize_lufs=-23.0, limiter=True), True),
    Preset("Streaming −14 LUFS", ExportSpec(
        format="flac", wav_subtype="pcm24", sample_rate=44100, channels=2,
        normalize_lufs=-14.0, limiter=True), True),
    # Telephony: 8 kHz G.711 μ-law; headroom for the companding, short silences.
    Preset("IVR 8k μ-law", ExportSpec(
        wav_subtype="ulaw", sample_rate=8000, normalize_lufs=-18.0, true_peak_db=-3.0,
        limiter=True, trim=True, pad_ms=100.0, fade_out_ms=10.0), True),
)
_BUILTIN_NAMES = {p.name.casefold() for p in BUILTINS}
MAX_NAME = 60


class ExportPresets:
    """The presets in one place: built-ins first, then the user's by name."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        #: User presets that could not be read (a hand-edited settings file): name -> why.
        self.problems: dict[str, str] = {}

    def all(self) -> list[Preset]:
        users = []
        self.problems = {}
        for name, data in sorted(self.settings.get(EXPORT_PRESETS).items(),
                                 key=lambda item: item[0].casefold()):
            try:
                users.append(Preset(name, ExportSpec.from_json(data)))
            except ExportError as exc:
                self.problems[name] = str(exc)
        return [*BUILTINS, *users]

    def get(self, name: str) -> Preset:
        for preset in self.all():
            if preset.name == name:
                return preset
        if name in self.problems:
            raise InvalidInput(f"the export preset {name!r} cannot be used: "
                               f"{self.problems[name]}")
        raise InvalidInput(f"no export preset is called {name!r}; there are "
                           f"{', '.join(repr(p.name) for p in self.all())}")

    def find(self, spec: ExportSpec) -> Preset | None:
        """The preset whose audio settings ``spec`` has (timings aside), if any."""
        for preset in self.all():
            if replace(preset.spec, timings=spec.timings) == spec:
                return preset
        return None

    def save(self, name: str, spec: ExportSpec) -> Preset:
        """Keep ``spec`` under ``name`` (replacing the user's preset of that name)."""
        name = " ".join(name.split())
        if not name:
            raise InvalidInput("a preset needs a name")
        if len(name) > MAX_NAME:
            raise InvalidInput(f"a preset's name is at most {MAX_NAME} characters")
        if name.casefold() in _BUILTIN_NAMES:
            raise InvalidInput(f"{name!r} is a built-in preset and cannot be changed; save "
                               "yours under another name")
        spec.check()
        presets = self.settings.get(EXPORT_PRESETS)
        presets[name] = spec.to_json()
        self.settings.set(EXPORT_PRESETS, presets)
        return Preset(name, spec)

    def delete(self, name: str) -> None:
        if name.casefold() in _BUILTIN_NAMES:
            raise InvalidInput(f"{name!r} is a built-in preset and cannot be deleted")
        presets = self.settings.get(EXPORT_PRESETS)
        if name not in presets:
            raise InvalidInput(f"no saved export preset is called {name!r}")
        del presets[name]
        self.settings.set(EXPORT_PRESETS, presets)


def last_spec(settings: Settings) -> ExportSpec:
    """The spec of the last export; before any, the older WAV-only choices."""
    stored = settings.get(EXPORT_SPEC)
    if stored:
        try:
            return ExportSpec.from_json(stored)
        except ExportError:
            pass  # a hand-edited or newer file: start from the defaults
    timings: set[TimingsKind] = set()
    if settings.get(EXPORT_JSON):
        timings.add("json")
    if settings.get(EXPORT_SRT):
        timings.add("srt")
    fmt = settings.get(EXPORT_FORMAT)
    subtype: Any = fmt if fmt in ("pcm16", "pcm24", "float32") else "pcm16"
    return ExportSpec(wav_subtype=subtype, timings=frozenset(timings))


def remember(settings: Settings, spec: ExportSpec, *, folder: str | None = None,
             template: str | None = None) -> None:
    """Keep what an export used, for the next one."""
    settings.set(EXPORT_SPEC, spec.to_json())
    if folder is not None:
        settings.set(EXPORT_FOLDER, folder)
    if template is not None:
        check_template(template)
        settings.set(EXPORT_TEMPLATE, template)
