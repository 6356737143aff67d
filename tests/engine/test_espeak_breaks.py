"""espeak-ng: a <break> at the edge of the input, or as the whole input, is exact.

espeak itself shortens a break at the start or end of what it is given and
drops one that is all it is given, which is what a client streaming a
"<break/>" between two flushes sends.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.synth.base import AudioOut, SynthRequest, WordsOut
from app.engine.synth.espeak import EspeakSynthesizer

RATE = 24000
#: espeak's own output for one text varies by a few samples from call to call (its
#: state carries over: "Hello there." measured 24,367-24,377 samples at 24 kHz in one
#: process), so "exact" here is within half a millisecond, far below what is heard.
EXACT = 12 / RATE
EN = "e5beac00-0000-4000-8000-00000000e001"


@pytest.fixture(scope="module")
def espeak() -> EspeakSynthesizer:
    return EspeakSynthesizer()


def say(espeak: EspeakSynthesizer, text: str) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    audio, words = [], []
    for event in espeak.synthesize(SynthRequest(text, EN, RATE)):
        if isinstance(event, AudioOut):
            audio.append(event.samples)
        elif isinstance(event, WordsOut):
            words += list(zip(event.words, event.start, event.end, strict=True))
    return (np.concatenate(audio) if audio else np.zeros(0, np.float32)), words


def seconds(audio: np.ndarray) -> float:
    return len(audio) / RATE


def test_leading_break_delays_everything_by_its_length(espeak: EspeakSynthesizer) -> None:
    plain, plain_words = say(espeak, "Hello there.")
    late, late_words = say(espeak, '<break time="500ms"/>Hello there.')
    assert seconds(late) == pytest.approx(seconds(plain) + 0.5, abs=EXACT)
    assert np.abs(late[: int(0.5 * RATE) - 32]).max() == 0  # silence (resampler edge aside)
    for (w1, s1, e1), (w2, s2, e2) in zip(plain_words, late_words, strict=True):
        assert w1 == w2
        assert s2 == pytest.approx(s1 + 0.5, abs=0.01)
        assert e2 == pytest.approx(e1 + 0.5, abs=0.01)


def test_trailing_break_adds_its_length(espeak: EspeakSynthesizer) -> None:
    plain, plain_words = say(espeak, "Hello there.")
    longer, longer_words = say(espeak, 'Hello there.<break time="700ms"/>')
    assert seconds(longer) == pytest.approx(seconds(plain) + 0.7, abs=EXACT)
    assert [w for w, _, _ in longer_words] == [w for w, _, _ in plain_words]


def test_a_break_alone_is_silence_of_its_length(espeak: EspeakSynthesizer) -> None:
    audio, words = say(espeak, '<break time="1.5s"/>')
    assert seconds(audio) == pytest.approx(1.5, abs=2 / RATE)
    assert words == [] and not audio.any()
    audio, words = say(espeak, "")
    assert len(audio) == 0 and words == []


def test_breaks_between_words_still_go_to_espeak(espeak: EspeakSynthesizer) -> None:
    _, words = say(espeak, 'One <break time="600ms"/> two.')
    (_, _, end_one), (_, start_two, _) = words
    assert start_two - end_one >= 0.6 - 0.02  # espeak's own pause units round it down
