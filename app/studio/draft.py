"""The line being edited and its controls: what the window shows, what the next take uses.

The rules live here once: a control the model does not honour is left out of
the request; 1.0 (speed, volume) is the API's own default, so it is sent as
"not set" (``None``) and the stored setting is ``null``; a voice and a language
that disagree are worth a warning, not a refusal (Cartesia's voices often speak
more than their listed language).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.cartesia.models import catalog
from app.cartesia.voices_types import Voice
from app.markup import Lexicon
from app.settings import (
    EMOTION,
    ENCODING,
    LANGUAGE,
    LEXICON_VIA,
    MODEL,
    PRONUNCIATION_DICT_ID,
    SAMPLE_RATE,
    SPEED,
    TEXT,
    VOLUME,
    Settings,
)
from app.takes.take import LexiconVia, TakeSettings

#: The generation_config value the API uses when a control is left out.
NEUTRAL = 1.0


def control(value: float) -> float | None:
    """A control's value as the request carries it: ``None`` at the API's default."""
    return None if abs(value - NEUTRAL) < 1e-9 else round(value, 3)


@dataclass(frozen=True)
class Draft:
    text: str = ""
    model_id: str = "sonic-3"
    language: str = "en"
    speed: float | None = None
    volume: float | None = None
    emotion: str | None = None
    encoding: str = "pcm_f32le"
    sample_rate: int = 44100
    #: A Cartesia pronunciation dictionary to send by id (``None``: none).
    pronunciation_dict_id: str | None = None
    #: How the lexicons reach the model: rewritten here ("markup") or left to the
    #: server's dictionary ``pronunciation_dict_id`` ("dictionary").
    lexicon_via: LexiconVia = "markup"

    @classmethod
    def from_settings(cls, settings: Settings) -> Draft:
        return cls(text=settings.get(TEXT), model_id=settings.get(MODEL),
                   language=settings.get(LANGUAGE), speed=settings.get(SPEED),
                   volume=settings.get(VOLUME), emotion=settings.get(EMOTION),
                   encoding=settings.get(ENCODING),
                   sample_rate=settings.get(SAMPLE_RATE)).with_lexicon_choice(settings)

    def with_lexicon_choice(self, settings: Settings) -> Draft:
        """This draft applying the lexicons as the user chose (the settings' mode and
        dictionary id); the window's controls do not hold that choice."""
        if settings.get(LEXICON_VIA) == "dictionary":
            return replace(self, lexicon_via="dictionary",
                           pronunciation_dict_id=settings.get(PRONUNCIATION_DICT_ID) or None)
        return replace(self, lexicon_via="markup", pronunciation_dict_id=None)

    def dictionary_problem(self) -> str:
        """Why "dictionary" mode cannot be used for this draft, so the lexicons go as
        markup instead ("" when it can, or in "markup" mode)."""
        if self.lexicon_via != "dictionary":
            return ""
        if not self.pronunciation_dict_id:
            return ("no Cartesia pronunciation dictionary is chosen (Voices ▸ "
                    "Pronunciations…); the lexicons are applied as markup")
        model = catalog().get(self.model_id)
        if model.family != "sonic-3":
            return (f"{model.id} does not use pronunciation dictionaries (only the "
                    "sonic-3 family does); the lexicons are applied as markup")
        return ""

    def save_to(self, settings: Settings) -> None:
        settings.set(TEXT, self.text)
        settings.set(MODEL, self.model_id)
        settings.set(LANGUAGE, self.language)
        settings.set(SPEED, self.speed)
        settings.set(VOLUME, self.volume)
        settings.set(EMOTION, self.emotion)
        settings.set(ENCODING, self.encoding)
        settings.set(SAMPLE_RATE, self.sample_rate)

    @classmethod
    def from_take(cls, settings: TakeSettings) -> Draft:
        """The draft that made a take (to open it in the editor again)."""
        return cls(text=settings.text, model_id=settings.model_id,
                   language=settings.language or "en", speed=settings.speed,
                   volume=settings.volume, emotion=settings.emotion,
                   encoding=settings.encoding, sample_rate=settings.sample_rate,
                   pronunciation_dict_id=settings.pronunciation_dict_id,
                   lexicon_via=settings.lexicon_via)

    def take_settings(self, voice: Voice, text: str | None = None,
                      lexicon: Lexicon | None = None) -> TakeSettings:
        """What to record with ``voice``: controls the model ignores are left out; the
        lexicon's entries go along (the recorder keeps those the text uses). In
        "dictionary" mode the text is left alone and the dictionary's id is sent, where
        the model can use one (:meth:`dictionary_problem`)."""
        model = catalog().get(self.model_id)
        via: LexiconVia = self.lexicon_via
        dict_id = self.pronunciation_dict_id
        if self.dictionary_problem():
            via, dict_id = "markup", None
        return TakeSettings(
            text=self.text if text is None else text, voice_id=voice.id,
            voice_name=voice.name, model_id=self.model_id, language=self.language,
            speed=self.speed if model.supports("speed") else None,
            volume=self.volume if model.supports("volume") else None,
            emotion=self.emotion if model.supports("emotion") else None,
            encoding=self.encoding, sample_rate=self.sample_rate, offline=voice.offline,
            pronunciation_dict_id=dict_id, lexicon_via=via,
            lexicon=tuple(lexicon.entries) if lexicon is not None else ())



def language_warning(voice: Voice | None, language: str | None) -> str:
    """What to tell when the voice is not known to speak the language ("" when it is)."""
    if voice is None or not language or not voice.languages or voice.speaks(language):
        return ""
    return f"{voice.name} speaks {', '.join(sorted(voice.languages))}, not {language}"
