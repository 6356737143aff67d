"""The pronunciation lab: one word of a line said several ways, each in its sentence.

The designer selects a word; each candidate pronunciation (typed IPA, a
sounds-like spelling, the IPA our engine gives for the word, the ones used
before) becomes the sentence that holds the word with only that word replaced,
and every sentence is rendered as a context of its own by the scheduler the
voice lineup uses (:class:`~app.studio.lineup.ParallelRenders`: within the
plan's concurrency, backing off on ``concurrency_limited``). The candidates
differ only in how one word is said, so they are compared by the sentence as
written (:meth:`PronunciationLab.start_ab`).

Keeping one announces :class:`Kept` (word, pronunciation, scope): "occurrence"
is written into the line as inline markup by the window (:func:`keep_inline`);
"everywhere" is a lexicon entry, stored by whoever keeps the lexicons.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from app.cartesia.voices_types import Voice
from app.errors import VoiceboothError
from app.events import Emitter
from app.markup import ipa
from app.markup.render import plain_text
from app.studio.checks import check_settings
from app.studio.endpoints import Endpoints
from app.studio.errors import InvalidInput
from app.studio.history import HistoryService
from app.studio.lineup import DEFAULT_PARALLEL, Backoff, LineupRow, ParallelRenders
from app.studio.transport import Transport
from app.takes.take import Take, TakeSettings
from app.takes.timings import Timing

Scope = Literal["occurrence", "everywhere"]
#: Where a candidate came from, as the lab's rows say it.
Source = Literal["typed", "sounds like", "engine", "earlier", "lexicon", "as written"]

_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)|\n")
_WORD_EDGE = re.compile(r"^[^\w<>|]+|[^\w<>|]+$")


@dataclass(frozen=True)
class Candidate:
    """One way to say the word: ``<<k|ɑ|ɹ>>`` markup, or a spelling to read aloud."""

    pronunciation: str
    source: Source

    @property
    def is_ipa(self) -> bool:
        return self.pronunciation.startswith("<<")

    @property
    def phonemes(self) -> tuple[str, ...]:
        if not self.is_ipa:
            return ()
        return tuple(p for p in self.pronunciation[2:-2].split("|") if p)


def candidate(typed: str, source: Source = "typed") -> Candidate:
    """A candidate from what the user typed: ``<<k|ɑ|ɹ>>`` or ``k|ɑ|ɹ`` is IPA (checked,
    with the position of a symbol outside IPA), anything else a sounds-like spelling."""
    text = typed.strip()
    if not text:
        raise InvalidInput("type a pronunciation first: IPA like k|ɑ|ɹ, or a spelling")
    body = text[2:-2] if text.startswith("<<") and text.endswith(">>") else text
    if body is text and "|" not in text and not any(
            not c.isascii() and ipa.is_ipa_char(c) for c in text):
        if any(c in "<>" for c in text):
            raise InvalidInput(f"{text!r}: a pronunciation is IPA between << and >>, "
                               "phonemes separated by |")
        return Candidate(text, "sounds like" if source == "typed" else source)
    phonemes = [p for p in body.split("|") if p]
    if not phonemes:
        raise InvalidInput("empty pronunciation: put phonemes between << and >>")
    column = 1 + (len(text) - len(body)) // 2  # in what was typed, << included
    for part in body.split("|"):
        if (at := ipa.first_non_ipa(part)) is not None:
            raise InvalidInput(f"column {column + at}: {part[at]!r} is not an IPA symbol "
                               f"(in {part!r})")
        column += len(part) + 1
    return Candidate(ipa.markup(phonemes), source)


# --- the word and its sentence ------------------------------------------------------


@dataclass(frozen=True)
class WordInLine:
    """The selected word of ``text`` (its span without surrounding punctuation)."""

    text: str
    start: int
    end: int

    @property
    def word(self) -> str:
        return self.text[self.start:self.end]

    def sentence(self) -> tuple[int, int]:
        """The span of the sentence that holds the word (up to its final punctuation)."""
        start = 0
        for match in _SENTENCE_END.finditer(self.text, 0, self.start):
            start = match.end()
        after = _SENTENCE_END.search(self.text, self.end)
        end = after.end() if after is not None else len(self.text)
        while start < self.start and self.text[start].isspace():
            start += 1
        return start, end

    def written_sentence(self) -> str:
        a, b = self.sentence()
        return self.text[a:b].strip()

    def sentence_with(self, said: Candidate) -> str:
        """The sentence with only this word replaced by the candidate."""
        a, b = self.sentence()
        return (self.text[a:self.start] + said.pronunciation + self.text[self.end:b]).strip()

    def index_in_sentence(self) -> int:
        """Which word of the sentence it is, counted as timestamps count them."""
        a, _ = self.sentence()
        return len(plain_text(self.text[a:self.start]).split())


def word_in_line(text: str, start: int, end: int) -> WordInLine:
    """The word a selection covers, punctuation around it left out (``Cartesia,`` →
    ``Cartesia``); :class:`InvalidInput` when it covers no word or several lines."""
    chosen = text[start:end]
    if not chosen.strip():
        raise InvalidInput("select a word first")
    stripped = _WORD_EDGE.sub("", chosen)
    if not stripped or "\n" in stripped:
        raise InvalidInput(f"select one word or phrase on one line, not {chosen!r}")
    first = start + chosen.index(stripped)
    if "<" in stripped or ">" in stripped:
        raise InvalidInput(f"{stripped!r} holds markup: select the plain word to tune")
    return WordInLine(text, first, first + len(stripped))


def keep_inline(word: WordInLine, said: Candidate) -> str:
    """The whole text with this one occurrence said as ``said`` ("Keep this occurrence")."""
    return word.text[:word.start] + said.pronunciation + word.text[word.end:]


# --- rendering the candidates -------------------------------------------------------


@dataclass(eq=False, kw_only=True)
class LabRow(LineupRow):
    """One candidate: its sentence as sent, and its take once one is rendering."""

    candidate: Candidate
    sent_text: str


@dataclass(frozen=True)
class Kept:
    """The user kept ``pronunciation`` for ``word``: in this occurrence, or everywhere
    (a lexicon entry)."""

    word: str
    pronunciation: str
    scope: Scope


class PronunciationLab(ParallelRenders):
    """The sentence holding ``word`` rendered once per candidate (repeats dropped)."""

    def __init__(self, endpoints: Endpoints, settings: TakeSettings, voice: Voice,
                 word: WordInLine, candidates: Iterable[Candidate], *,
                 max_parallel: int = DEFAULT_PARALLEL, history: HistoryService | None = None,
                 backoff: Backoff | None = None, rng: random.Random | None = None) -> None:
        unique = list({c.pronunciation: c for c in reversed(list(candidates))}.values())[::-1]
        if not unique:
            raise InvalidInput(f"give at least one way to say {word.word!r}")
        rows = [LabRow(voice, candidate=c, sent_text=word.sentence_with(c)) for c in unique]
        base = replace(settings, voice_id=voice.id, voice_name=voice.name)
        for row in rows:  # a bad candidate must not cost the others a generation
            check_settings(replace(base, text=row.sent_text))
        super().__init__(endpoints, replace(base, text=word.written_sentence()), rows,
                         max_parallel=max_parallel, history=history, backoff=backoff, rng=rng)
        self.word = word
        self.kept: Emitter[Kept] = Emitter()

    @property
    def candidates(self) -> list[LabRow]:
        return [row for row in self.rows if isinstance(row, LabRow)]

    def settings_for(self, row: LineupRow) -> TakeSettings:
        assert isinstance(row, LabRow)
        return replace(self.settings, text=row.sent_text)

    def start_ab(self, transport: Transport, a: LabRow, b: LabRow) -> None:
        """A/B two candidates: they say the same written sentence, one word apart."""
        if a.take is None or b.take is None:
            raise InvalidInput("render both candidates before comparing them")
        written = self.word.written_sentence()
        transport.start_ab(a.take, b.take, written=(written, written))

    def keep(self, row: LabRow, scope: Scope) -> Kept:
        kept = Kept(self.word.word, row.candidate.pronunciation, scope)
        self.kept.emit(kept)
        return kept

    def word_phonemes(self, row: LabRow) -> list[Timing]:
        """The phoneme timestamps of the replaced word in ``row``'s take (the labels
        under its waveform); empty until its word and phonemes have arrived."""
        return word_phonemes(self.word, row.take)


def word_phonemes(word: WordInLine, take: Take | None) -> list[Timing]:
    """The phonemes of ``word`` in a take of its sentence, by their timestamps."""
    index = word.index_in_sentence()
    if take is None or index >= len(take.words):
        return []
    start = take.words[index].start
    # Up to the next word, not to this one's end: engines end a word where its
    # sound fades, which may be before its last phoneme's middle.
    end = take.words[index + 1].start if index + 1 < len(take.words) else float("inf")
    return [p for p in take.phonemes if start <= (p.start + p.end) / 2 < end]


# --- what the engine says, and what was said before ---------------------------------


def _espeak_phonemes(word: str, language: str) -> tuple[str, ...]:
    # Imported here, in the executor: the window's first paint does not wait for them.
    from app.engine.synth.base import PhonemesOut, SynthRequest
    from app.engine.synth.espeak import EspeakSynthesizer

    synth = EspeakSynthesizer()
    voices = [v for v in synth.voices() if v.language == language] or \
        [v for v in synth.voices() if v.language == "en"]
    request = SynthRequest(text=word, voice_id=voices[0].id, sample_rate=16000,
                           language=language, want_phonemes=True)
    found: list[str] = []
    for event in synth.synthesize(request):
        if isinstance(event, PhonemesOut):
            found.extend(event.phonemes)
    return tuple(p for p in found if p.strip())


async def engine_pronunciation(word: str, language: str = "en") -> Candidate:
    """The IPA espeak-ng gives for ``word`` (what the offline engine says for it),
    computed off the loop; :class:`InvalidInput` when it gives none."""
    if not word.strip():
        raise InvalidInput("select a word first")
    try:
        phonemes = await asyncio.get_running_loop().run_in_executor(
            None, _espeak_phonemes, word, language)
    except VoiceboothError as exc:
        raise InvalidInput(f"the engine cannot say {word!r}: {exc}") from exc
    if not phonemes:
        raise InvalidInput(f"the engine has no pronunciation for {word!r}")
    return Candidate(ipa.markup(phonemes), "engine")


@dataclass
class EarlierPronunciations:
    """Pronunciations used this session, per word (the palette's and the lab's
    history): offered again as candidates, the newest first."""

    limit: int = 8
    _by_word: dict[str, list[str]] = field(default_factory=dict)

    def remember(self, word: str, pronunciation: str) -> None:
        said = self._by_word.setdefault(word.casefold(), [])
        if pronunciation in said:
            said.remove(pronunciation)
        said.insert(0, pronunciation)
        del said[self.limit:]

    def for_word(self, word: str) -> list[Candidate]:
        return [Candidate(p, "earlier") for p in self._by_word.get(word.casefold(), [])]


def default_candidates(earlier: Sequence[Candidate], engine: Candidate | None,
                       typed: Sequence[str] = ()) -> list[Candidate]:
    """What the lab starts with: the typed ones, the engine's, then earlier ones."""
    found = [candidate(t) for t in typed if t.strip()]
    if engine is not None:
        found.append(engine)
    found.extend(earlier)
    return list({c.pronunciation: c for c in reversed(found)}.values())[::-1]
