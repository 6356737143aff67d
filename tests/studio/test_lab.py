"""The pronunciation lab against our loopback server: one sentence per candidate, all
rendered within a plan's concurrency limit; the sentence and the replaced word found in
the line; candidates checked before anything is sent; the engine's own IPA for a word;
A/B allowed between candidates of one sentence."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace

import pytest

from app.cartesia.voices_types import Voice
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.espeak import EspeakSynthesizer
from app.markup import MarkupInvalid
from app.settings import Settings
from app.studio.errors import ABRefused, InvalidInput
from app.studio.lab import (
    Candidate,
    EarlierPronunciations,
    Kept,
    PronunciationLab,
    candidate,
    default_candidates,
    engine_pronunciation,
    keep_inline,
    word_in_line,
)
from app.studio.lineup import Backoff, RowState
from app.studio.transport import Transport
from app.takes.take import TakeSettings
from tests.engine.conftest import ManyTones
from tests.studio.conftest import (
    KEY,
    ListeningServer,
    PeakRendering,
    listening,
    online,
    run,
    until,
)

LINE = "Welcome to the show.\nTry Cartesia, the fastest voices. Goodbye!"
PLAN = 2
QUICK = Backoff(first=0.01, cap=0.05)


@pytest.fixture
def plan_server() -> Iterator[ThreadedServer]:
    """A Free plan's two contexts at a time, audio at 4× real time so contexts overlap."""
    srv = ThreadedServer([ManyTones(1)], ServerConfig(api_key=KEY, pace=4.0,
                                                      max_contexts=PLAN),
                         server_class=ListeningServer)
    srv.start()
    yield srv
    srv.stop()


def voice_of(server: ThreadedServer) -> Voice:
    return replace(server.server.voices()[0], offline=False)


def settings() -> TakeSettings:
    return TakeSettings(text="", voice_id="", sample_rate=16000, encoding="pcm_f32le")


def cartesia() -> tuple[int, int]:
    start = LINE.index("Cartesia")
    return start, start + len("Cartesia,")  # a double-click takes the comma too


def test_the_word_its_sentence_and_keeping_one_occurrence() -> None:
    word = word_in_line(LINE, *cartesia())
    assert word.word == "Cartesia"  # the comma is not part of the word
    assert word.written_sentence() == "Try Cartesia, the fastest voices."
    assert word.index_in_sentence() == 1
    said = candidate("k|ɑɹ|ˈt|i|ʒ|ə")
    assert said.pronunciation == "<<k|ɑɹ|ˈt|i|ʒ|ə>>" and said.is_ipa
    assert word.sentence_with(said) == "Try <<k|ɑɹ|ˈt|i|ʒ|ə>>, the fastest voices."
    assert keep_inline(word, said) == LINE.replace("Cartesia", "<<k|ɑɹ|ˈt|i|ʒ|ə>>")
    spelled = candidate("kar-TEE-zhuh")
    assert not spelled.is_ipa and spelled.source == "sounds like"
    assert word.sentence_with(spelled) == "Try kar-TEE-zhuh, the fastest voices."
    first = word_in_line("Cartesia speaks.", 0, 8)
    assert first.written_sentence() == "Cartesia speaks." and first.index_in_sentence() == 0


def test_bad_candidates_and_selections_are_refused_with_where_and_why() -> None:
    with pytest.raises(InvalidInput, match=r"column 3: 'Q' is not an IPA symbol"):
        candidate("k|Q|r")
    with pytest.raises(InvalidInput, match=r"column 5: 'Q'"):
        candidate("<<kɑQ>>")
    with pytest.raises(InvalidInput, match="type a pronunciation"):
        candidate("  ")
    with pytest.raises(InvalidInput, match="select a word"):
        word_in_line(LINE, 3, 3)
    with pytest.raises(InvalidInput, match="one line"):
        word_in_line(LINE, 10, 25)


def test_candidates_start_typed_then_the_engine_then_earlier_without_repeats() -> None:
    earlier = EarlierPronunciations()
    earlier.remember("Cartesia", "<<k|ɑ|ɹ>>")
    earlier.remember("cartesia", "<<k|ɑ|t>>")
    earlier.remember("Cartesia", "<<k|ɑ|ɹ>>")  # used again: the newest
    assert [c.pronunciation for c in earlier.for_word("CARTESIA")] == ["<<k|ɑ|ɹ>>",
                                                                       "<<k|ɑ|t>>"]
    found = default_candidates(earlier.for_word("Cartesia"),
                               Candidate("<<k|ɑ|ɹ>>", "engine"), ["kar-TEE-zhuh"])
    assert [(c.pronunciation, c.source) for c in found] == [
        ("kar-TEE-zhuh", "sounds like"), ("<<k|ɑ|ɹ>>", "engine"), ("<<k|ɑ|t>>", "earlier")]


def test_the_engine_gives_the_word_s_ipa() -> None:
    said = run(engine_pronunciation("ship"))
    assert said.source == "engine" and said.is_ipa
    assert [p.strip("ˈˌ") for p in said.phonemes] == ["ʃ", "ɪ", "p"]
    with pytest.raises(InvalidInput, match="select a word"):
        run(engine_pronunciation(" "))


def test_every_candidate_renders_within_the_plan_limit(plan_server: ThreadedServer) -> None:
    voice = voice_of(plan_server)
    word = word_in_line(LINE, *cartesia())
    candidates = [candidate("k|ɑ|ɹ|ˈt|i|ʒ|ə"), candidate("kar-TEE-zhuh"),
                  candidate("k|ɑ|ɹ|t|ˈiː|s|i|ə"), candidate("car-tay-see-uh"),
                  candidate("k|ɑ|ɹ|t|e")]

    async def scenario() -> tuple[PronunciationLab, int]:
        lab = PronunciationLab(online(plan_server), settings(), voice, word, candidates,
                               max_parallel=4, backoff=QUICK, rng=random.Random(2))
        peak = PeakRendering()
        lab.events.connect(peak)
        try:
            await lab.start()
        finally:
            await lab.endpoints.close()
        return lab, peak.most

    lab, most = run(scenario(), timeout=60)
    rows = lab.candidates
    assert [r.state for r in rows] == [RowState.DONE] * 5
    assert most >= 2  # side by side, not one after another
    sent = [f["transcript"] for f in listening(plan_server).frames if f.get("transcript")]
    for row, said in zip(rows, candidates, strict=True):
        assert row.take is not None and row.take.n_frames > 0
        assert row.take.settings.text == word.sentence_with(said)
        assert said.pronunciation in "".join(sent)
    assert lab.settings.text == "Try Cartesia, the fastest voices."


def test_the_labels_under_a_candidate_are_its_word_s_phonemes() -> None:
    """espeak-ng says the candidate's IPA; the phoneme timestamps of the replaced word
    (and of it alone) are the labels the lab shows under the row's waveform."""
    srv = ThreadedServer([EspeakSynthesizer()], ServerConfig(api_key=KEY))
    srv.start()
    word = word_in_line(LINE, *cartesia())
    voice = replace(srv.server.voices()[0], offline=False)

    async def scenario() -> PronunciationLab:
        endpoints = online(srv)
        try:
            lab = PronunciationLab(endpoints, settings(), voice, word,
                                   [candidate("k|ɑ|ɹ|ˈt|i|ʒ|ə"), candidate("ʃ|ɪ|p")])
            await lab.start()
            return lab
        finally:
            await endpoints.close()

    try:
        lab = run(scenario())
    finally:
        srv.stop()
    first, second = ([p.text.strip("ˈˌː") for p in lab.word_phonemes(row)]
                     for row in lab.candidates)
    assert first[0] == "k" and "ʒ" in first and "ʃ" not in first
    assert second == ["ʃ", "ɪ", "p"]
    assert not {"t", "ɹ", "aɪ", "ð"} & set(second)  # not "Try", not "the"


def test_a_bad_candidate_stops_the_lab_before_anything_is_sent(
        plan_server: ThreadedServer) -> None:
    word = word_in_line(LINE, *cartesia())
    bad = Candidate("<<k|Q>>", "typed")  # not from candidate(): as a stale entry could be

    async def scenario() -> None:
        endpoints = online(plan_server)
        with pytest.raises(MarkupInvalid, match="not an IPA phoneme"):
            PronunciationLab(endpoints, settings(), voice_of(plan_server), word,
                             [candidate("kar-TEE-zhuh"), bad])
        await endpoints.close()
    run(scenario())
    assert not listening(plan_server).frames


def test_candidates_of_one_sentence_can_be_compared_a_b(plan_server: ThreadedServer) -> None:
    word = word_in_line(LINE, *cartesia())

    async def scenario() -> list[Kept]:
        lab = PronunciationLab(online(plan_server), settings(), voice_of(plan_server), word,
                               [candidate("k|ɑ|ɹ"), candidate("kar-TEE-zhuh")],
                               backoff=QUICK)
        kept: list[Kept] = []
        lab.kept.connect(kept.append)
        await lab.start()
        a, b = lab.candidates
        assert a.take is not None and b.take is not None
        transport = Transport(Settings(None))
        try:
            with pytest.raises(ABRefused):  # by what was sent, they say different things
                transport.start_ab(a.take, b.take)
            lab.start_ab(transport, a, b)
            assert transport.ab == (a.take, b.take)
            await until(lambda: transport.holds_current or transport.problem is not None)
            lab.keep(b, "everywhere")
            lab.keep(a, "occurrence")
            return kept
        finally:
            await transport.close()
            await lab.endpoints.close()

    assert run(scenario()) == [Kept("Cartesia", "kar-TEE-zhuh", "everywhere"),
                               Kept("Cartesia", "<<k|ɑ|ɹ>>", "occurrence")]
