"""Sentence retakes: a span of a take said again, auditioned in place, spliced in.

The designer selects words of a take (or a whole sentence). :meth:`Retakes.generate`
renders N variants with the take's own voice and settings, on the studio's
sockets, through the scheduler the lineup and the lab use
(:class:`~app.studio.lineup.ParallelRenders`: within the plan's concurrency,
backing off on ``concurrency_limited``). So that the span keeps the prosody of
its sentence, each variant says the *whole sentence* holding the span, in one
Cartesia context, sent as consecutive inputs (before the span, the span, after
it) with ``continue: true`` — Cartesia's input streaming; the server hears the
sentence whole before it speaks. The span's words are then found in the
variant by matching the sentence's written words: a variant that said other
words fails its row instead of being spliced wrong.

:meth:`Retakes.preview` splices a variant in memory (to play from a second
before the span to a second after, :meth:`Retakes.play_in_place`);
:meth:`Retakes.keep` splices it for good, saves it with its provenance and
announces :class:`Spliced`. :meth:`Retakes.undo` takes back the latest splice
(a stack): the take before it is current again (:class:`SpliceUndone`) and the
spliced take leaves the history — it was a step the designer took back, and the
history's own Undo can still bring it back until the app closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from app.cartesia.voices_types import Voice
from app.events import Emitter
from app.markup import plain_text
from app.studio.endpoints import Endpoints
from app.studio.errors import InvalidInput
from app.studio.history import HistoryService
from app.studio.lineup import (
    DEFAULT_PARALLEL,
    Backoff,
    LineupRow,
    ParallelRenders,
    RowState,
)
from app.studio.recorder import Recorder
from app.studio.transport import Transport
from app.takes.errors import HistoryError, SpliceError
from app.takes.splice import SpliceResult, splice
from app.takes.take import Take, TakeSettings, TakeStatus

DEFAULT_VARIANTS = 3
#: Heard before and after the span when a variant is played in place.
PRE_ROLL_SECONDS = 1.0
POST_ROLL_SECONDS = 1.0
#: Put before the name of a spliced take.
SPLICED_MARK = "✂ "

_SENTENCE_END = re.compile(r"[.!?…。！？]+[\"'”’)\]]*$")
_TAG = re.compile(r"<<[^<>]*>>|<[^<>]*>")
_LASTING_TAG = re.compile(r"<(speed|volume|emotion)\b[^<>]*/>")
_NOT_WORD = re.compile(r"[^\w]+")


# --- the span and its sentence ------------------------------------------------------


@dataclass(frozen=True)
class RetakeSpan:
    """Words ``first..last`` of ``take`` (inclusive) and the sentence(s) holding them:
    words ``sentence_first..sentence_last`` of the take, written as ``text`` (its
    markup kept), which every variant says."""

    take: Take
    first: int
    last: int
    sentence_first: int
    sentence_last: int
    text: str

    @property
    def words(self) -> list[str]:
        """The span's words as the take wrote them."""
        return [w.text for w in self.take.words[self.first:self.last + 1]]

    @property
    def sentence_words(self) -> list[str]:
        return [w.text for w in self.take.words[self.sentence_first:self.sentence_last + 1]]

    @property
    def in_sentence(self) -> tuple[int, int]:
        """The span's first and last word, counted within its sentence."""
        return self.first - self.sentence_first, self.last - self.sentence_first

    def on(self, take: Take) -> RetakeSpan:
        """The same words of another take of the same text (a spliced one)."""
        return replace(self, take=take)


def word_starts(text: str) -> list[int]:
    """Where each spoken word of ``text`` begins (as :func:`plain_text` splits it),
    never inside a markup tag; the length of ``text`` closes the list."""
    tags = [(m.start(), m.end()) for m in _TAG.finditer(text)]
    candidates = [0] + [i for i in range(1, len(text))
                        if text[i - 1].isspace() and not text[i].isspace()
                        and not any(a < i < b for a, b in tags)] + [len(text)]
    starts: list[int] = []
    for a, b in itertools.pairwise(candidates):
        starts.extend([a] * len(plain_text(text[a:b]).split()))
    return [*starts, len(text)]


def find_span(take: Take, first: int, last: int) -> RetakeSpan:
    """The words ``first..last`` of a finished take and the sentence(s) around them;
    :class:`InvalidInput` with the reason when they cannot be retaken."""
    if take.status is not TakeStatus.DONE:
        raise InvalidInput("only a finished take can be retaken: wait for it to end")
    if not take.words:
        raise InvalidInput("this take has no word timings, so no words can be retaken")
    if first > last:
        first, last = last, first
    if not 0 <= first <= last < len(take.words):
        raise InvalidInput(f"the take has {len(take.words)} words: words {first + 1} to "
                           f"{last + 1} are not all in it")
    text = take.settings.text
    written = plain_text(text).split()
    if len(written) != len(take.words) or any(
            _core(a) != _core(b.text) for a, b in zip(written, take.words, strict=False)):
        raise InvalidInput(f"the take's {len(take.words)} timed words do not line up with "
                           f"the {len(written)} words of its text, so a span of it cannot "
                           "be said again alone")
    s0 = first
    while s0 > 0 and not _SENTENCE_END.search(written[s0 - 1]):
        s0 -= 1
    s1 = last
    while s1 + 1 < len(written) and not _SENTENCE_END.search(written[s1]):
        s1 += 1
    starts = word_starts(text)
    sentence = text[starts[s0]:starts[s1 + 1]].strip()
    return RetakeSpan(take, first, last, s0, s1,
                      carried_tags(text[:starts[s0]]) + sentence)


def carried_tags(before: str) -> str:
    """The speed, volume and emotion tags still in effect after ``before`` (each holds
    "from here on"): a sentence said alone starts with them, as it did in the take."""
    last: dict[str, str] = {}
    for match in _LASTING_TAG.finditer(before):
        last[match.group(1)] = match.group(0)
    return "".join(last.values())


def sentence_of(take: Take, word: int) -> RetakeSpan:
    """The whole sentence holding ``word`` as the span (retake a sentence)."""
    around = find_span(take, word, word)
    return replace(around, first=around.sentence_first, last=around.sentence_last)


def words_between(take: Take, start: float, end: float) -> tuple[int, int]:
    """The words a selection of ``start..end`` seconds touches (a word counts when half
    of it or more is selected, or the selection lies within it)."""
    start, end = min(start, end), max(start, end)
    chosen = [i for i, w in enumerate(take.words)
              if min(end, w.end) - max(start, w.start) >= min(w.end - w.start,
                                                              end - start) / 2 > 0]
    if not chosen:
        raise InvalidInput("select at least one word of the take to retake")
    return chosen[0], chosen[-1]


def consecutive_inputs(text: str, boundaries: Sequence[int]) -> list[str]:
    """``text`` cut before its words number ``boundaries`` (counted as spoken words):
    consecutive inputs of one context that concatenate to ``text`` exactly, never
    splitting a markup tag. Cut points beyond the text are left out."""
    starts = word_starts(text)
    cuts = sorted({starts[b] for b in boundaries if 0 < b < len(starts) - 1})
    edges = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(edges) if b > a]


def _core(word: str) -> str:
    return _NOT_WORD.sub("", word).casefold()


# --- rendering the variants ---------------------------------------------------------


@dataclass(eq=False, kw_only=True)
class RetakeRow(LineupRow):
    """One variant: its number, and its take once one is rendering."""

    number: int
    #: The spliced take in memory (built by :meth:`Retakes.preview`).
    preview: SpliceResult | None = field(default=None, repr=False)


class RetakeRenders(ParallelRenders):
    """``count`` renderings of the span's sentence, with the take's own settings."""

    def __init__(self, endpoints: Endpoints, span: RetakeSpan, count: int = DEFAULT_VARIANTS,
                 *, max_parallel: int = DEFAULT_PARALLEL, backoff: Backoff | None = None,
                 rng: random.Random | None = None) -> None:
        if count < 1:
            raise InvalidInput(f"{count} variants: ask for at least one")
        settings = span.take.settings
        voice = Voice(id=settings.voice_id, name=settings.voice_name,
                      offline=settings.offline)
        # Not kept in the history: only the variant kept is, with the take it made.
        super().__init__(endpoints, replace(settings, text=span.text),
                         [RetakeRow(voice, number=i + 1) for i in range(count)],
                         max_parallel=max_parallel, history=None, backoff=backoff, rng=rng)
        self.span = span

    @property
    def variants(self) -> list[RetakeRow]:
        return [row for row in self.rows if isinstance(row, RetakeRow)]

    def settings_for(self, row: LineupRow) -> TakeSettings:
        return self.settings

    def recorder_for(self, row: LineupRow) -> Recorder:
        first, last = self.span.in_sentence
        # Before the span, the span, after it: one context, so one sentence's prosody.
        return Recorder(self.endpoints, inputs=lambda text: consecutive_inputs(
            text, (first, last + 1)))

    def variant_span(self, row: RetakeRow) -> tuple[int, int]:
        """The span's words in the variant's take; :class:`SpliceError` when the variant
        did not say the sentence's words."""
        take = row.take
        said = [w.text for w in take.words] if take is not None else []
        expected = self.span.sentence_words
        if [_core(w) for w in said] != [_core(w) for w in expected]:
            raise SpliceError(f"the variant said {' '.join(said)!r}, not "
                              f"{' '.join(expected)!r}: its words cannot be matched")
        return self.span.in_sentence

    def _set(self, row: LineupRow, state: RowState) -> None:
        if state is RowState.DONE and isinstance(row, RetakeRow):
            try:
                self.variant_span(row)
            except SpliceError as exc:
                row.error, state = exc, RowState.FAILED
        super()._set(row, state)


# --- keeping one --------------------------------------------------------------------


@dataclass(frozen=True)
class Spliced:
    """A variant was kept: ``take`` (spliced) replaces ``previous``."""

    previous: Take
    take: Take


@dataclass(frozen=True)
class SpliceUndone:
    """The latest splice was taken back: ``previous`` is current again."""

    take: Take
    previous: Take


@dataclass(frozen=True)
class VariantsStarted:
    renders: RetakeRenders


RetakesEvent = Spliced | SpliceUndone | VariantsStarted


@dataclass(frozen=True)
class InPlace:
    """What "play in place" plays: ``take`` from ``start`` to ``end`` seconds, the new
    words between ``span_start`` and ``span_end``."""

    take: Take
    start: float
    end: float
    span_start: float
    span_end: float


class Retakes:
    """The window's retakes: the variants being rendered, and the splices kept (undoable
    in order)."""

    def __init__(self, endpoints: Endpoints, history: HistoryService | None = None, *,
                 max_parallel: int = DEFAULT_PARALLEL, backoff: Backoff | None = None,
                 rng: random.Random | None = None) -> None:
        self.endpoints = endpoints
        self.history = history
        self.max_parallel = max_parallel
        self.backoff = backoff
        self._rng = rng
        self.renders: RetakeRenders | None = None
        self.events: Emitter[RetakesEvent] = Emitter()
        #: (previous, spliced), newest last: what Undo takes back.
        self._stack: list[Spliced] = []
        self._closing: set[asyncio.Future[None]] = set()

    # --- variants -------------------------------------------------------------------

    def generate(self, take: Take, first: int, last: int, count: int = DEFAULT_VARIANTS
                 ) -> RetakeRenders:
        """Render ``count`` variants of words ``first..last`` of ``take`` (stopping those
        of an earlier span still rendering)."""
        renders = RetakeRenders(self.endpoints, find_span(take, first, last), count,
                                max_parallel=self.max_parallel, backoff=self.backoff,
                                rng=self._rng)
        self._replace(renders)
        renders.start()
        self.events.emit(VariantsStarted(renders))
        return renders

    def _replace(self, renders: RetakeRenders | None) -> None:
        old, self.renders = self.renders, renders
        if old is not None and not old.finished:
            closing = asyncio.ensure_future(old.close())
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)

    def _result(self, row: RetakeRow) -> SpliceResult:
        renders = self.renders
        if renders is None or row not in renders.rows:
            raise InvalidInput("this variant belongs to a retake that was closed")
        if row.take is None or row.state is not RowState.DONE:
            raise InvalidInput(f"variant {row.number} has not finished rendering"
                               if row.error is None else
                               f"variant {row.number} failed: {row.error}")
        span = renders.span
        if row.preview is None:
            v_first, v_last = renders.variant_span(row)
            row.preview = splice(span.take, span.first, span.last, row.take,
                                 v_first, v_last)
        return row.preview

    def preview(self, row: RetakeRow) -> Take:
        """The take with this variant spliced in, in memory (not kept)."""
        return self._result(row).take

    def in_place(self, row: RetakeRow) -> InPlace:
        """Where to hear the variant in its take: from a second before the span to a
        second after it."""
        result = self._result(row)
        return InPlace(result.take, max(0.0, result.span_start - PRE_ROLL_SECONDS),
                       min(result.take.duration, result.span_end + POST_ROLL_SECONDS),
                       result.span_start, result.span_end)

    def play_in_place(self, transport: Transport, row: RetakeRow) -> InPlace:
        where = self.in_place(row)
        transport.play_take(where.take, where.start, where.end)
        return where

    # --- keeping and undoing --------------------------------------------------------

    async def keep(self, row: RetakeRow) -> Take:
        """Splice the variant into the take for good: measured and saved to the history
        with its parent and parts (the variant too, so its parts can be found), and
        announced (:class:`Spliced`). The retake then goes on from the spliced take."""
        renders = self.renders
        result = self._result(row)
        assert renders is not None and row.take is not None
        previous, take = renders.span.take, result.take
        # Told apart from the take it was made from, in the history's narrow column.
        take.name = previous.name if previous.name.startswith(SPLICED_MARK) \
            else SPLICED_MARK + previous.name
        await asyncio.get_running_loop().run_in_executor(None, take.measure_loudness)
        if self.history is not None:
            try:
                await self.history.save(row.take)
                await self.history.save(take)
            except HistoryError as exc:
                raise HistoryError(f"the splice was not kept: {exc}") from None
        renders.span = renders.span.on(take)
        for variant in renders.variants:
            variant.preview = None  # previews were of the take before this splice
        done = Spliced(previous, take)
        self._stack.append(done)
        self.events.emit(done)
        return take

    @property
    def can_undo(self) -> bool:
        return bool(self._stack)

    @property
    def splices(self) -> list[Spliced]:
        """The splices that Undo can take back, oldest first."""
        return list(self._stack)

    async def undo(self) -> Take | None:
        """Take back the latest splice; the take before it (None: nothing to undo)."""
        if not self._stack:
            return None
        done = self._stack.pop()
        if self.history is not None:
            # No history: the take was never kept there either.
            with contextlib.suppress(HistoryError):
                await self.history.delete(done.take.id)
        renders = self.renders
        if renders is not None and renders.span.take is done.take:
            renders.span = renders.span.on(done.previous)
            for variant in renders.variants:
                variant.preview = None
        self.events.emit(SpliceUndone(done.take, done.previous))
        return done.previous

    async def close(self) -> None:
        """Stop rendering (the variants made so far stay); wait for every context to be
        cancelled."""
        if self.renders is not None:
            await self.renders.close()
        while self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
