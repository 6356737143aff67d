"""What is checked before a request is sent: a typo must not cost a generation.

Everything here is known without the network: the model and its languages
(from the catalog), the controls each model honours and their ranges, the
emotion names the API accepts, the transcript's markup for that model, and
that there is something to say at all. The server checks again; these checks
only make the common mistakes fast and specific (line and column, "did you
mean").
"""

from __future__ import annotations

import difflib

from app.audio.codecs import ENCODINGS, SAMPLE_RATES
from app.cartesia.client import check_text
from app.cartesia.errors import ConfigError
from app.cartesia.models import Model, catalog
from app.markup import Lexicon, check
from app.markup.lexicon import Rewrite, entry_problems
from app.studio.errors import InvalidInput
from app.takes.take import TakeSettings


def model_for(model_id: str) -> Model:
    try:
        return catalog().get(model_id)
    except ConfigError as exc:
        raise InvalidInput(str(exc)) from None


def check_settings(settings: TakeSettings) -> Model:
    """Raise :class:`InvalidInput` (or :class:`~app.markup.MarkupInvalid`) for the first
    problem; the model when there is none."""
    return checked(settings)[0]


def checked(settings: TakeSettings) -> tuple[Model, Rewrite]:
    """:func:`check_settings`, with the text to send (the lexicon applied once: for a
    long script the rewrite is what costs)."""
    if not settings.text.strip():
        raise InvalidInput("there is nothing to say: the text is empty")
    check_text(settings.text)  # InvalidText: what the socket could not carry
    if not settings.voice_id.strip():
        raise InvalidInput("choose a voice first")
    model = model_for(settings.model_id)
    language = settings.language or "en"
    if language not in model.languages:
        close = difflib.get_close_matches(language, model.languages, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InvalidInput(f"{model.id} does not speak {language!r}; {hint}it speaks "
                           f"{', '.join(model.languages)}")
    ranges = catalog().ranges
    for name, value in (("speed", settings.speed), ("volume", settings.volume)):
        if value is None:
            continue
        if not model.supports(name):
            why = f" ({model.note})" if model.note else ""
            raise InvalidInput(f"{model.id} has no {name} control{why}")
        low, high = ranges[name]
        if not low <= value <= high:
            raise InvalidInput(f"{name} {value:g} is outside {low:g}–{high:g} on {model.id}")
    if settings.emotion is not None:
        if not model.supports("emotion"):
            raise InvalidInput(f"{model.id} has no emotion control")
        if settings.emotion not in catalog().emotions:
            close = difflib.get_close_matches(settings.emotion, catalog().emotions, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InvalidInput(f"unknown emotion {settings.emotion!r}{hint}")
    if settings.encoding not in ENCODINGS:
        raise InvalidInput(f"unknown encoding {settings.encoding!r}; use one of "
                           f"{', '.join(ENCODINGS)}")
    if settings.sample_rate not in SAMPLE_RATES:
        raise InvalidInput(f"unsupported sample rate {settings.sample_rate}; use one of "
                           f"{', '.join(map(str, SAMPLE_RATES))}")
    dialect = model.dialect(language)
    check(settings.text, dialect)
    rewrite = rewrite_for(settings)
    for entry in rewrite.entries:
        # An entry's mistake would otherwise be reported at a column of a text the
        # user never wrote.
        for _, problem in entry_problems(entry, dialect)[:1]:
            source = f" (from {entry.source})" if entry.source else ""
            raise InvalidInput(f"the lexicon entry for {entry.text!r}{source}: {problem}")
    if rewrite.replacements:
        check_text(rewrite.text)
        check(rewrite.text, dialect)
    return model, rewrite


def rewrite_for(settings: TakeSettings) -> Rewrite:
    """The text to send: the written text with the settings' lexicon applied, when the
    lexicon goes as markup (a dictionary's id leaves the text to the server)."""
    if not settings.lexicon or settings.lexicon_via != "markup":
        return Rewrite(settings.text, settings.text)
    lexicon = Lexicon(settings.lexicon).for_language(settings.language or "en")
    return lexicon.rewrite(settings.text)
