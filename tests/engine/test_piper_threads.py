"""Piper from several threads at once: each synthesis gets exactly its solo result.

The model is shared (loaded once); Piper's phonemizer (espeak inside) keeps global
state, so interleaving must not leak one request's text or settings into another.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.engine.synth.base import AudioOut, SynthEvent, SynthRequest, WordsOut
from app.engine.synth.piper_voice import VOICE_ID, PiperSynthesizer

RATE = 24000
HANG = 60.0  # a hang detector, not a speed limit


@pytest.fixture(scope="module")
def piper() -> PiperSynthesizer:
    synth = PiperSynthesizer(deterministic=True)
    synth.load()
    return synth


def summary(events: list[SynthEvent]) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    audio = np.concatenate([e.samples for e in events if isinstance(e, AudioOut)])
    words = [w for e in events if isinstance(e, WordsOut)
             for w in zip(e.words, e.start, e.end, strict=True)]
    return audio, words


REQUESTS = [
    SynthRequest("First things first. Then the second sentence.", VOICE_ID, RATE),
    SynthRequest("A different voice speed, a different text.", VOICE_ID, RATE, speed=1.3),
    SynthRequest('Quiet <break time="200ms"/> words here.', VOICE_ID, RATE, volume=0.5),
]


def test_two_threads_interleaved_get_their_solo_results(piper: PiperSynthesizer) -> None:
    solo = [summary(list(piper.synthesize(r))) for r in REQUESTS]
    got: dict[int, list[SynthEvent]] = {}
    start = threading.Barrier(len(REQUESTS))

    def run(k: int) -> None:
        start.wait()
        events = []
        for event in piper.synthesize(REQUESTS[k]):
            events.append(event)
        got[k] = events

    threads = [threading.Thread(target=run, args=(k,), name=f"piper-{k}")
               for k in range(len(REQUESTS))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG)
    assert not any(thread.is_alive() for thread in threads)
    for k, (audio, words) in enumerate(solo):
        other_audio, other_words = summary(got[k])
        assert np.array_equal(audio, other_audio)
        assert words == other_words


def test_one_thread_alternating_pulls(piper: PiperSynthesizer) -> None:
    solo = [summary(list(piper.synthesize(r))) for r in REQUESTS[:2]]
    events: list[list[SynthEvent]] = [[], []]
    live = {k: piper.synthesize(REQUESTS[k]) for k in range(2)}
    while live:
        for k in list(live):
            event = next(live[k], None)
            if event is None:
                del live[k]
            else:
                events[k].append(event)
    for (audio, words), mine in zip(solo, events, strict=True):
        other_audio, other_words = summary(mine)
        assert np.array_equal(audio, other_audio) and words == other_words
