"""Extra voices for the engine, so a library of Cartesia's size can be served on loopback.

Cartesia lists thousands of voices; a picker, a cache or a pager that works
with our dozen offline voices may still fail at that scale. ``serve
--extra-voices N`` (and :attr:`ServerConfig.extra_voices`) adds N voices that
look like Cartesia's (varied names, some very long, languages, genders,
accents, descriptions; UUID ids) and that really speak: each one is an alias of
an offline voice in its language, synthesized by that voice's engine.

The voices are the same in every run (ids from :func:`uuid.uuid5`), so a
client's cache, favourites and pasted ids stay valid across restarts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Final

from app.cartesia.models import catalog
from app.cartesia.voices_types import Locale, Voice
from app.engine.synth.base import Synthesizer, SynthEvent, SynthRequest

#: Ids of extra voices are derived from this namespace and the voice's number.
NAMESPACE: Final = uuid.UUID("5f0c1b0e-7d1a-4c3e-9a57-000000c47a10")

_FIRST: Final = ("Ada", "Bruno", "Clara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines",
                 "Jonah", "Keiko", "Luca", "Mara", "Nikolai", "Olga", "Pedro", "Quinn",
                 "Rosa", "Sven", "Tamsin", "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zara")
_ROLE: Final = ("Narrator", "Storyteller", "Newsreader", "Support Agent", "Tutor", "Announcer",
                "Podcaster", "Coach", "Receptionist", "Guide")
_STYLE: Final = ("calm", "warm", "energetic", "crisp", "gravelly", "bright", "soft-spoken",
                 "authoritative", "playful", "measured")
_USE: Final = ("audiobooks", "e-learning", "customer support", "trailers", "meditation apps",
               "news bulletins", "video games", "commercials", "IVR menus", "documentaries")
_GENDERS: Final = ("feminine", "masculine", "gender_neutral")
#: Accents by language; the first is the language's own.
_ACCENTS: Final = {"en": ("American", "British", "Australian", "Irish", "Scottish", "Indian"),
                   "de": ("German", "Austrian", "Swiss"), "fr": ("French", "Canadian", "Belgian"),
                   "es": ("Castilian", "Mexican", "Argentinian"), "pt": ("Brazilian",
                                                                          "European")}
#: A long name every so often: pickers must show it whole, or elide it with a tooltip.
_LONG_EVERY: Final = 7


@dataclass(frozen=True)
class Alias:
    """An extra voice and the offline voice that speaks for it."""

    voice: Voice
    base_id: str


def extra_voices(count: int, bases: Sequence[Voice]) -> list[Alias]:
    """``count`` voices, each an alias of one of ``bases`` (cycled, so every base and
    its language is used)."""
    if count <= 0 or not bases:
        return []
    languages = catalog().language_names
    out: list[Alias] = []
    for n in range(count):
        voice_id = uuid.uuid5(NAMESPACE, str(n))
        bits = voice_id.int  # independent choices per voice, the same in every run
        base = bases[n % len(bases)]
        first = _FIRST[n % len(_FIRST)]
        role = _ROLE[(n // len(_FIRST)) % len(_ROLE)]
        style = _STYLE[bits % len(_STYLE)]
        use = _USE[(bits >> 8) % len(_USE)]
        gender = _GENDERS[(bits >> 16) % len(_GENDERS)]
        accents = _ACCENTS.get(base.language, (languages.get(base.language, base.language),))
        accent = accents[(bits >> 24) % len(accents)]
        # Short names, as most of Cartesia's are, and now and then a very long one.
        name = f"{first} the {role}" if (n // 260) % 2 == 0 else f"{style.title()} {first}"
        if n % _LONG_EVERY == 3:
            name = (f"{first} — {style.title()} {accent} {role} for Long-Form {use.title()} "
                    f"(Studio Edition)")
        language = languages.get(base.language, base.language)
        voice = Voice(
            id=str(voice_id), name=name,
            description=(f"A {style} {accent} {role.lower()} voice in {language} for {use}. "
                         f"Spoken offline by {base.name}."),
            language=base.language, gender=gender, accent=accent,
            tagline=f"{style.title()} · {use}",
            locales=base.locales or (Locale(base.language, True),),
            created_at=f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T00:00:00Z")
        out.append(Alias(voice, base.id))
    return out


class AliasSynthesizer:
    """A synthesizer that also speaks aliases of its voices (one lane in the scheduler,
    like the synthesizer it wraps, since it is the only object the server holds)."""

    def __init__(self, synth: Synthesizer, aliases: Sequence[Alias]) -> None:
        self.synth = synth
        self.name = synth.name
        self._base_of = {alias.voice.id: alias.base_id for alias in aliases}
        self._aliases = [alias.voice for alias in aliases]

    def voices(self) -> list[Voice]:
        return [*self.synth.voices(), *self._aliases]

    def synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        base = self._base_of.get(request.voice_id)
        return self.synth.synthesize(request if base is None
                                     else replace(request, voice_id=base))


def with_extra_voices(synthesizers: Sequence[Synthesizer], count: int) -> list[Synthesizer]:
    """The synthesizers, wrapped so that they also speak ``count`` extra voices.

    Extra voices are aliases of the natural and espeak voices; the test tones only
    speak for them when there is nothing else (a server of tones in the tests).
    """
    if count <= 0:
        return list(synthesizers)
    speaking = [s for s in synthesizers if s.name != "tones"] or list(synthesizers)
    bases = [(voice, synth) for synth in speaking for voice in synth.voices()]
    aliases = extra_voices(count, [voice for voice, _ in bases])
    owner = {voice.id: synth for voice, synth in bases}
    return [AliasSynthesizer(synth, [a for a in aliases if owner[a.base_id] is synth])
            for synth in synthesizers]


#: What a voice's preview says, in its language (English when there is none here).
SAMPLE_SENTENCES: Final = {
    "en": "Hello! This is how I sound when I read your script.",
    "de": "Hallo! So klinge ich, wenn ich Ihren Text lese.",
    "fr": "Bonjour ! Voici ma voix quand je lis votre texte.",
    "es": "¡Hola! Así sueno cuando leo tu guion.",
    "it": "Ciao! Ecco come suono quando leggo il tuo testo.",
    "pt": "Olá! É assim que eu soo quando leio o seu texto.",
    "nl": "Hallo! Zo klink ik als ik je tekst voorlees.",
    "pl": "Cześć! Tak brzmię, kiedy czytam twój tekst.",
    "sv": "Hej! Så här låter jag när jag läser din text.",
}


def sample_sentence(language: str) -> str:
    return SAMPLE_SENTENCES.get(language, SAMPLE_SENTENCES["en"])
