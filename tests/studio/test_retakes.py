"""Sentence retakes against our loopback server: the span and its sentence found in the
text, each variant one context of the whole sentence sent as consecutive inputs, the
variants rendered within a plan's concurrency, a variant that said other words
refused, keep → the history holds the spliced take with its parts and timings that
match its audio, undo (a stack) brings the takes back in order."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from app.cartesia.voices_types import Voice
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.base import SynthEvent, SynthRequest, WordsOut
from app.engine.synth.tones import ToneSynthesizer, word_frequency
from app.markup import plain_text
from app.studio.errors import InvalidInput
from app.studio.history import HistoryService
from app.studio.lineup import Backoff, RowState
from app.studio.recorder import Recorder
from app.studio.retakes import (
    PRE_ROLL_SECONDS,
    Retakes,
    RetakesEvent,
    Spliced,
    SpliceUndone,
    consecutive_inputs,
    find_span,
    sentence_of,
    words_between,
)
from app.takes.history import History
from app.takes.take import Take, TakeSettings
from app.takes.timings import Timing
from tests.studio.conftest import KEY, ListeningServer, PeakRendering, listening, online, run

TEXT = "Welcome to the show. Try the fastest voices, then keep the best one. Goodbye!"
SENTENCE = "Try the fastest voices, then keep the best one."
FASTEST, VOICES = 6, 7  # "fastest voices," in the take
RATE = 16000
PLAN = 2
QUICK = Backoff(first=0.01, cap=0.05)


class Mumbler:
    """The tone voice, which after its first text swallows every "the" (no audio, no
    timestamp): a retake that does not say the sentence's words."""

    name = "mumbler"

    def __init__(self) -> None:
        self._tones = ToneSynthesizer()
        self.calls = 0

    def voices(self) -> list[Voice]:
        return self._tones.voices()

    def synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        self.calls += 1
        if self.calls > 1:
            request = replace(request, text=" ".join(
                w for w in request.text.split() if w.casefold() != "the"))
        return self._tones.synthesize(request)


def start(synth: object = None) -> ThreadedServer:
    srv = ThreadedServer([synth or ToneSynthesizer()],
                         ServerConfig(api_key=KEY, pace=4.0, max_contexts=PLAN),
                         server_class=ListeningServer)
    srv.start()
    return srv


@pytest.fixture
def plan_server() -> Iterator[ThreadedServer]:
    """A Free plan's two contexts at a time, audio at 4× real time so contexts overlap."""
    srv = start()
    yield srv
    srv.stop()


def voice_of(server: ThreadedServer) -> Voice:
    return replace(server.server.voices()[0], offline=False)


async def record(server: ThreadedServer, endpoints: object, text: str = TEXT) -> Take:
    voice = voice_of(server)
    settings = TakeSettings(text=text, voice_id=voice.id, voice_name=voice.name,
                            sample_rate=RATE, encoding="pcm_f32le")
    return await Recorder(endpoints).record(settings, voice)  # type: ignore[arg-type]


def tone(take: Take, word: Timing) -> float:
    """The frequency of the tone between a word's timestamps."""
    x = take.selection(word.start + 0.005, word.end - 0.005).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), 1 << 16))
    return float(np.argmax(spectrum)) * RATE / (1 << 16)


def made(text: str) -> Take:
    """A finished take of ``text`` (its words timed one after another), no server."""
    words = plain_text(text).split()
    take = Take(TakeSettings(text=text, voice_id="v", sample_rate=RATE))
    take.append_audio(np.zeros(RATE * len(words) // 4, np.float32))
    take.add_words([Timing(w, i / 4, i / 4 + 0.2) for i, w in enumerate(words)])
    take.finish(take.status.DONE)
    return take


def test_the_span_its_sentence_and_the_inputs_that_say_it() -> None:
    take = made(TEXT)
    span = find_span(take, FASTEST, VOICES)
    assert span.text == SENTENCE
    assert span.words == ["fastest", "voices,"]
    assert span.in_sentence == (2, 3)
    assert consecutive_inputs(span.text, (2, 4)) == [
        "Try the ", "fastest voices, ", "then keep the best one."]
    # A whole sentence from one of its words; the first and the last of the take.
    assert sentence_of(take, 9).words == SENTENCE.split()
    assert find_span(take, 0, 0).text == "Welcome to the show."
    assert find_span(take, 13, 13).text == "Goodbye!"
    # A span across two sentences takes both.
    assert find_span(take, 3, 4).text == "Welcome to the show. " + SENTENCE
    # Markup stays with its words and a tag is never cut in two.
    marked = made("Say <break time=\"300ms\"/> it <speed ratio=\"1.2\"/> now. Then go.")
    assert find_span(marked, 1, 1).text == "Say <break time=\"300ms\"/> it <speed " \
                                           "ratio=\"1.2\"/> now."
    assert consecutive_inputs(find_span(marked, 1, 1).text, (1, 2)) == [
        "Say <break time=\"300ms\"/> ", "it <speed ratio=\"1.2\"/> ", "now."]
    # A speed set in an earlier sentence still holds: the retaken sentence starts with it.
    assert find_span(marked, 4, 4).text == "<speed ratio=\"1.2\"/>Then go."
    # A selection in seconds gives the words it covers (half a word or more).
    assert words_between(take, 1.5, 2.0) == (6, 7)
    assert words_between(take, 1.55, 1.6) == (6, 6)


def test_spans_that_cannot_be_retaken_say_why() -> None:
    take = made(TEXT)
    with pytest.raises(InvalidInput, match="14 words: words 14 to 16"):
        find_span(take, 13, 15)
    other = made(TEXT)
    other.settings = replace(other.settings, text="Something else entirely.")
    with pytest.raises(InvalidInput, match="do not line up with the 3 words of its text"):
        find_span(other, 0, 1)
    with pytest.raises(InvalidInput, match="select at least one word"):
        words_between(take, 100.0, 101.0)


def test_variants_render_side_by_side_within_the_plan_each_one_sentence_in_one_context(
        plan_server: ThreadedServer, tmp_path: Path) -> None:
    async def scenario() -> tuple[Retakes, Take, int]:
        endpoints = online(plan_server)
        try:
            take = await record(plan_server, endpoints)
            retakes = Retakes(endpoints, max_parallel=PLAN, backoff=QUICK,
                              rng=random.Random(1))
            renders = retakes.generate(take, FASTEST, VOICES, count=4)
            peak = PeakRendering()
            renders.events.connect(peak)
            assert renders.task is not None
            await renders.task
            await retakes.close()
            return retakes, take, peak.most
        finally:
            await endpoints.close()

    retakes, take, most = run(scenario(), timeout=60)
    renders = retakes.renders
    assert renders is not None
    assert [v.state for v in renders.variants] == [RowState.DONE] * 4
    assert most >= 2  # side by side, not one after another
    # The server saw no more contexts at once than the plan allows, and refused none.
    assert listening(plan_server).peak_contexts == PLAN
    assert all(v.refusals == 0 for v in renders.variants)
    # Each variant: one context, the sentence in three inputs, the span alone in the middle.
    frames = [f for f in listening(plan_server).frames if "transcript" in f]
    by_context: dict[str, list[dict[str, object]]] = {}
    for frame in frames:
        by_context.setdefault(str(frame["context_id"]), []).append(frame)
    variants = [fs for fs in by_context.values() if len(fs) > 1]
    assert len(variants) == 4
    for inputs in variants:
        assert [f["transcript"] for f in inputs] == [
            "Try the ", "fastest voices, ", "then keep the best one."]
        assert [f["continue"] for f in inputs] == [True, True, False]
        assert {f["voice"]["id"] for f in inputs} == {take.settings.voice_id}  # type: ignore[index]
        assert {f["output_format"]["sample_rate"] for f in inputs} == {RATE}  # type: ignore[index]
    # The server heard the sentence whole: its words are timed as one sentence.
    variant = renders.variants[0].take
    assert variant is not None
    assert [w.text for w in variant.words] == SENTENCE.split()
    assert tone(variant, variant.words[2]) == pytest.approx(word_frequency(2), abs=3)


def test_keep_splices_saves_with_provenance_and_undo_goes_back_in_order(
        plan_server: ThreadedServer, tmp_path: Path) -> None:
    history = HistoryService(History(tmp_path))
    heard: list[RetakesEvent] = []

    async def scenario() -> tuple[Take, list[Take], list[Take | None], list[str]]:
        endpoints = online(plan_server)
        try:
            take = await record(plan_server, endpoints)
            await history.save(take)
            retakes = Retakes(endpoints, history, max_parallel=PLAN, backoff=QUICK)
            retakes.events.connect(heard.append)
            renders = retakes.generate(take, FASTEST, VOICES, count=2)
            assert renders.task is not None
            await renders.task
            first, second = renders.variants
            where = retakes.in_place(first)
            assert where.start == pytest.approx(where.span_start - PRE_ROLL_SECONDS)
            assert where.take.origin is not None and where.take.origin.parent_id == take.id
            assert history.store is not None
            assert len(history.store.list()) == 1  # a preview is not kept
            once = await retakes.keep(first)
            twice = await retakes.keep(second)  # changed my mind: over the first one
            listed = [r.id for r in history.store.list()]
            loaded = [await history.load(t.id) for t in (once, twice)]
            back = [await retakes.undo(), await retakes.undo(), await retakes.undo()]
            after = [r.id for r in history.store.list()]
            await retakes.close()
            assert all(i in listed for i in (take.id, once.id, twice.id))
            assert once.id not in after and twice.id not in after and take.id in after
            return take, loaded, back, after
        finally:
            await endpoints.close()

    try:
        take, (once, twice), back, _ = run(scenario(), timeout=60)
    finally:
        history.close()
    assert once.origin is not None and once.origin.parent_id == take.id
    assert once.name == twice.name == "✂ " + take.name
    assert twice.origin is not None and twice.origin.parent_id == once.id
    sources = [s.source_take_id for s in once.origin.segments]
    assert sources[0] == sources[2] == take.id and sources[1] != take.id
    # The words of the kept take are where its audio says them: the span's two words
    # carry the variant's tones (words 2 and 3 of a sentence said whole), the others
    # the take's own (word i of the text).
    for loaded in (once, twice):
        assert [w.text for w in loaded.words] == TEXT.split()
        for i, word in enumerate(loaded.words):
            expected = word_frequency(i - 4) if i in (FASTEST, VOICES) else word_frequency(i)
            assert tone(loaded, word) == pytest.approx(expected, abs=3), (i, word)
        assert loaded.words[-1].end <= loaded.duration
    # Undo, newest first: the first splice, then the take; then nothing.
    assert back[0] is not None and back[0].id == once.id
    assert back[1] is take and back[2] is None
    assert [type(e).__name__ for e in heard if not type(e).__name__.startswith("Var")] == [
        "Spliced", "Spliced", "SpliceUndone", "SpliceUndone"]
    spliced = [e for e in heard if isinstance(e, Spliced)]
    undone = [e for e in heard if isinstance(e, SpliceUndone)]
    assert spliced[0].previous is take and spliced[1].previous is spliced[0].take
    assert undone[0].take is spliced[1].take and undone[0].previous is spliced[0].take
    assert undone[1].previous is take


def test_a_variant_that_said_other_words_fails_instead_of_splicing_wrong() -> None:
    srv = start(Mumbler())

    async def scenario() -> Retakes:
        endpoints = online(srv)
        try:
            take = await record(srv, endpoints)  # the first text: said whole
            retakes = Retakes(endpoints, backoff=QUICK)
            renders = retakes.generate(take, FASTEST, VOICES, count=1)
            assert renders.task is not None
            await renders.task
            await retakes.close()
            return retakes
        finally:
            await endpoints.close()

    try:
        retakes = run(scenario(), timeout=60)
    finally:
        srv.stop()
    assert retakes.renders is not None
    (variant,) = retakes.renders.variants
    assert variant.state is RowState.FAILED
    assert "not 'Try the fastest voices" in str(variant.error)
    with pytest.raises(InvalidInput, match="variant 1 failed"):
        retakes.preview(variant)


def test_timings_of_the_tone_voice_are_exact() -> None:
    """The oracle the tests above rely on: word i of one input at its own frequency."""
    tones = ToneSynthesizer()
    events = list(tones.synthesize(SynthRequest(text="a b c", voice_id="v",
                                                sample_rate=RATE, language="en")))
    words = [e for e in events if isinstance(e, WordsOut)]
    assert len(words) == 3 and math.isclose(words[1].start[0], 0.1 + 0.05)


def test_asking_for_more_at_once_than_the_plan_backs_off_and_renders_them_all(
        plan_server: ThreadedServer) -> None:
    async def scenario() -> Retakes:
        endpoints = online(plan_server)
        try:
            take = await record(plan_server, endpoints)
            retakes = Retakes(endpoints, max_parallel=4, backoff=QUICK,
                              rng=random.Random(3))
            renders = retakes.generate(take, FASTEST, VOICES, count=4)
            assert renders.task is not None
            await renders.task
            await retakes.close()
            return retakes
        finally:
            await endpoints.close()

    retakes = run(scenario(), timeout=60)
    renders = retakes.renders
    assert renders is not None
    assert [v.state for v in renders.variants] == [RowState.DONE] * 4
    assert sum(v.refusals for v in renders.variants) >= 1  # concurrency_limited, answered
    assert renders.limit == PLAN  # lowered to what the server allows
    assert listening(plan_server).peak_contexts == PLAN
