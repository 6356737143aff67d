"""The real offline voices: Piper (joe) and espeak-ng, with their timings and markup."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from app.engine.synth.base import AudioOut, PhonemesOut, SynthRequest, WordsOut
from app.engine.synth.espeak import EspeakSynthesizer
from app.engine.synth.piper_voice import VOICE_ID as PIPER
from app.engine.synth.piper_voice import PiperSynthesizer

RATE = 24000
EN, DE, FR, ES = (f"e5beac00-0000-4000-8000-00000000e00{i}" for i in (1, 3, 4, 5))


class Result:
    def __init__(self, events: Iterator[object]) -> None:
        audio, self.words, self.phonemes = [], [], []
        for event in events:
            if isinstance(event, AudioOut):
                audio.append(event.samples)
            elif isinstance(event, WordsOut):
                self.words += list(zip(event.words, event.start, event.end, strict=True))
            elif isinstance(event, PhonemesOut):
                self.phonemes += list(zip(event.phonemes, event.start, event.end, strict=True))
        self.audio = np.concatenate(audio) if audio else np.zeros(0, np.float32)

    @property
    def seconds(self) -> float:
        return len(self.audio) / RATE

    def longest_silence(self, threshold: float = 0.003) -> float:
        """Seconds of the longest run of 10 ms windows below ``threshold`` RMS."""
        window = RATE // 100
        frames = len(self.audio) // window
        blocks = self.audio[:frames * window].astype(np.float64).reshape(frames, window)
        quiet = np.sqrt(np.mean(blocks ** 2, axis=1)) < threshold
        best = run = 0
        for q in quiet:
            run = run + 1 if q else 0
            best = max(best, run)
        return best / 100

    def rms(self) -> float:
        return float(np.sqrt(np.mean(self.audio.astype(np.float64) ** 2)))


@pytest.fixture(scope="module")
def piper() -> PiperSynthesizer:
    synth = PiperSynthesizer(deterministic=True)
    synth.load()
    return synth


@pytest.fixture(scope="module")
def espeak() -> EspeakSynthesizer:
    return EspeakSynthesizer()


def say(synth: PiperSynthesizer | EspeakSynthesizer, text: str, voice: str = PIPER,
        **kw: object) -> Result:
    return Result(synth.synthesize(SynthRequest(text, voice, RATE, want_phonemes=True,
                                                **kw)))  # type: ignore[arg-type]


def check_timings(result: Result, expected_words: list[str]) -> None:
    assert [w for w, _, _ in result.words] == expected_words
    last_end = 0.0
    for _, start, end in result.words:
        assert last_end - 1e-9 <= start <= end <= result.seconds + 1e-9
        last_end = end
    starts = [s for _, s, _ in result.phonemes]
    assert starts == sorted(starts)


def heard_edges(audio: np.ndarray, words: list[tuple[str, float, float]],
                threshold: float = 0.01) -> list[tuple[float, float]]:
    """Where sound really starts and stops around each word (10 ms RMS windows).

    Each word is searched between the midpoints of the gaps around it, so the
    result does not depend on what the aligner said inside that region.
    """
    window = RATE // 100
    frames = len(audio) // window
    env = np.sqrt(np.mean(audio[:frames * window].reshape(frames, window) ** 2, axis=1))
    out = []
    for k, (_, start, end) in enumerate(words):
        lo = 0.0 if k == 0 else (words[k - 1][2] + start) / 2
        hi = frames * 0.01 if k == len(words) - 1 else (end + words[k + 1][1]) / 2
        region = np.arange(int(lo * 100), min(frames, int(hi * 100)))
        loud = region[env[region] > threshold]
        out.append((loud[0] * 0.01, (loud[-1] + 1) * 0.01) if len(loud) else (start, end))
    return out


def test_piper_word_edges_match_the_audio(piper: PiperSynthesizer) -> None:
    words = ["One.", "Two.", "Three.", "Four.", "Five.", "Six.", "Seven.", "Eight.", "Nine.",
             "Ten.", "Then", "a", "sentence,", "with", "running", "words", "in", "it."]
    result = say(piper, " ".join(words))
    check_timings(result, words)
    errors = []
    for (_, start, end), (heard_start, heard_end) in zip(
            result.words, heard_edges(result.audio, result.words), strict=True):
        errors += [abs(start - heard_start), abs(end - heard_end)]
    assert np.percentile(errors, 90) <= 0.060, errors


def test_piper_is_deterministic_with_noise_off(piper: PiperSynthesizer) -> None:
    a = say(piper, "The same words, twice.")
    b = say(piper, "The same words, twice.")
    assert np.array_equal(a.audio, b.audio) and a.words == b.words


def test_piper_merged_and_expanded_words(piper: PiperSynthesizer) -> None:
    words = ["Dr.", "Smith", "paid", "$12.50", "in", "the", "end."]
    result = say(piper, " ".join(words))
    check_timings(result, words)
    durations = {w: e - s for w, s, e in result.words}
    assert durations["$12.50"] > 3 * durations["paid"]  # "twelve dollars fifty"


def test_piper_tags(piper: PiperSynthesizer) -> None:
    plain = say(piper, "We pause here and go on.")
    paused = say(piper, 'We pause here <break time="800ms"/> and go on.')
    # The break is silence of its own length, plus the natural pause around it.
    assert plain.longest_silence() < 0.3
    assert 0.8 <= paused.longest_silence() <= 0.8 + 0.4
    check_timings(paused, ["We", "pause", "here", "and", "go", "on."])
    fast = say(piper, '<speed ratio="1.5"/>We pause here and go on.')
    assert fast.seconds < 0.8 * plain.seconds
    quiet = say(piper, '<volume ratio="0.5"/>We pause here and go on.')
    assert quiet.rms() == pytest.approx(0.5 * plain.rms(), rel=0.05)
    spelled = say(piper, "Code <spell>AB7</spell> now.")
    check_timings(spelled, ["Code", "A", "B", "7", "now."])
    ipa = say(piper, "Say <<t|ˈ|oʊ|m|ɑ|t|oʊ>> please.")
    assert [w for w, _, _ in ipa.words] == ["Say", "tˈoʊmɑtoʊ", "please."]
    sounds = "".join(p for p, _, _ in ipa.phonemes)
    assert "toʊmɑtoʊ" in sounds
    assert "<" not in "".join(w for w, _, _ in say(piper, "Hi <bogus/> there.").words)


def test_piper_long_text_without_punctuation(piper: PiperSynthesizer) -> None:
    words = ["word"] * 150
    result = say(piper, " ".join(words))
    check_timings(result, words)
    assert result.seconds > 20


@pytest.mark.parametrize(("voice", "text"), [
    (EN, "Hello world, I paid $12.50 in the end."),
    (DE, "Guten Morgen, wie geht es Ihnen?"),
    (FR, "Bonjour, comment allez-vous?"),
    (ES, "Buenos días, ¿cómo estás?"),
])
def test_espeak_languages(espeak: EspeakSynthesizer, voice: str, text: str) -> None:
    result = say(espeak, text, voice)
    check_timings(result, text.split())
    assert result.seconds > 0.5 and result.rms() > 0.01
    assert all(e > s for w, s, e in result.words if w not in ("in", "the"))


@pytest.mark.parametrize("voice", [v.id for v in EspeakSynthesizer().voices()])
def test_every_espeak_voice_speaks(espeak: EspeakSynthesizer, voice: str) -> None:
    result = say(espeak, "Voicebooth 1 2 3", voice)
    assert result.seconds > 0.5 and len(result.words) == 4


def test_espeak_tags(espeak: EspeakSynthesizer) -> None:
    plain = say(espeak, "We pause here and go on.", EN)
    paused = say(espeak, 'We pause here <break time="700ms"/> and go on.', EN)
    # espeak ends every utterance with about 0.3 s of silence of its own.
    assert plain.longest_silence() <= 0.35
    assert 0.7 - 0.05 <= paused.longest_silence() <= 0.7 + 0.35
    fast = say(espeak, '<speed ratio="1.5"/>We pause here and go on.', EN)
    assert fast.seconds < 0.8 * plain.seconds
    spelled = say(espeak, "Code <spell>AB7</spell> now.", EN)
    check_timings(spelled, ["Code", "A", "B", "7", "now."])
    ipa = say(espeak, "Say <<t|ə|m|ˈ|eɪ|t|oʊ>> please.", EN)
    assert [w for w, _, _ in ipa.words] == ["Say", "təmˈeɪtoʊ", "please."]
    assert "t" in [p for p, _, _ in ipa.phonemes]


def test_espeak_two_threads_at_once(espeak: EspeakSynthesizer) -> None:
    results: dict[str, Result] = {}

    def run(name: str, text: str, voice: str) -> None:
        results[name] = say(espeak, text, voice)

    threads = [threading.Thread(target=run, args=("en", "One two three four five.", EN)),
               threading.Thread(target=run, args=("de", "Eins zwei drei vier fünf.", DE))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    check_timings(results["en"], ["One", "two", "three", "four", "five."])
    check_timings(results["de"], ["Eins", "zwei", "drei", "vier", "fünf."])


def test_espeak_abandoned_generation_releases_the_engine(espeak: EspeakSynthesizer) -> None:
    events = espeak.synthesize(SynthRequest(" ".join(["long"] * 200), EN, RATE))
    next(events)
    events.close()  # the consumer went away mid-stream
    check_timings(say(espeak, "Still working.", EN), ["Still", "working."])
