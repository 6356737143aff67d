"""espeak-ng under the server's threading: many contexts at once, interleaved pulls, long text.

The server pulls each context's events with ``next`` on a pool of four threads,
one pull outstanding per context. espeak itself runs one synthesis at a time
(global state behind a lock), so a synthesis waiting for the lock must never
hold up the one that has it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from app.engine.synth.base import AudioOut, SynthEvent, SynthRequest, WordsOut
from app.engine.synth.espeak import EspeakSynthesizer

RATE = 24000
EN, DE = "e5beac00-0000-4000-8000-00000000e001", "e5beac00-0000-4000-8000-00000000e003"
#: A hang detector, not a speed limit: each case needs well under a second.
HANG = 30.0


@pytest.fixture(scope="module")
def espeak() -> EspeakSynthesizer:
    return EspeakSynthesizer()


class PullPool:
    """Four daemon threads that run ``next`` on generators, as the server's executor
    does; daemon so that a deadlock fails the test instead of hanging the run."""

    def __init__(self, workers: int = 4) -> None:
        self._tasks: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._threads = [threading.Thread(target=self._work, name=f"pull-{k}", daemon=True)
                         for k in range(workers)]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while (task := self._tasks.get()) is not None:
            task()

    def close(self) -> None:
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join(1.0)  # a thread stuck in a deadlock has already failed the test

    def drain(self, generators: list[Iterator[SynthEvent]]) -> list[list[SynthEvent]]:
        """All events of every generator, each with one pull in flight at a time."""
        done: queue.Queue[tuple[int, SynthEvent | None]] = queue.Queue()
        out: list[list[SynthEvent]] = [[] for _ in generators]

        def pull(i: int) -> None:
            done.put((i, next(generators[i], None)))

        for i in range(len(generators)):
            self._tasks.put(lambda i=i: pull(i))  # type: ignore[misc]
        live = len(generators)
        while live:
            try:
                i, event = done.get(timeout=HANG)
            except queue.Empty:
                pytest.fail(f"no progress in {HANG:.0f} s: {live} syntheses stuck")
            if event is None:
                live -= 1
                continue
            out[i].append(event)
            self._tasks.put(lambda i=i: pull(i))  # type: ignore[misc]
        return out


def audio_of(events: list[SynthEvent]) -> np.ndarray:
    return np.concatenate([e.samples for e in events if isinstance(e, AudioOut)])


def words_of(events: list[SynthEvent]) -> list[tuple[str, float, float]]:
    return [w for e in events if isinstance(e, WordsOut)
            for w in zip(e.words, e.start, e.end, strict=True)]


def request(text: str, voice: str = EN, **kw: float) -> SynthRequest:
    return SynthRequest(text, voice, RATE, **kw)  # type: ignore[arg-type]


def test_more_contexts_than_pool_threads_all_finish(espeak: EspeakSynthesizer) -> None:
    texts = [f"Context number {i} says a few words and then stops." for i in range(7)]
    pool = PullPool(4)
    try:
        results = pool.drain([espeak.synthesize(request(t)) for t in texts])
    finally:
        pool.close()
    for text, events in zip(texts, results, strict=True):
        assert [w for w, _, _ in words_of(events)] == text.split()
        assert len(audio_of(events)) > RATE


def test_interleaved_syntheses_keep_their_own_voice_and_speed(
        espeak: EspeakSynthesizer) -> None:
    """espeak's voice and rate are global; each synthesis must still get its own.

    espeak is not sample-exact from run to run (a few samples of difference), so
    the comparison is of durations and word times, against the same request alone.
    """
    english = request("One two three four five six.", EN, speed=1.4)
    german = request("Eins zwei drei vier fünf sechs.", DE)
    alone = [list(espeak.synthesize(english)), list(espeak.synthesize(german))]
    slow_english = len(audio_of(list(espeak.synthesize(request(english.text, EN)))))
    together: list[list[SynthEvent]] = [[], []]

    def alternate() -> None:  # one thread, alternating pulls
        live = {0: espeak.synthesize(english), 1: espeak.synthesize(german)}
        while live:
            for k in list(live):
                event = next(live[k], None)
                if event is None:
                    del live[k]
                else:
                    together[k].append(event)

    puller = threading.Thread(target=alternate, name="alternate", daemon=True)
    puller.start()
    puller.join(HANG)
    assert not puller.is_alive(), f"interleaved syntheses made no progress in {HANG:.0f} s"
    for solo, mixed in zip(alone, together, strict=True):
        assert len(audio_of(mixed)) == pytest.approx(len(audio_of(solo)), rel=0.01)
        assert [w for w, _, _ in words_of(mixed)] == [w for w, _, _ in words_of(solo)]
        for (_, s1, e1), (_, s2, e2) in zip(words_of(solo), words_of(mixed), strict=True):
            assert abs(s1 - s2) < 0.02 and abs(e1 - e2) < 0.02
    assert len(audio_of(together[0])) < 0.8 * slow_english  # the speed was its own


def test_long_text_keeps_every_word_in_order(espeak: EspeakSynthesizer) -> None:
    words = ("the quick brown fox jumps over a lazy dog " * 50).split()  # 450 words
    events = list(espeak.synthesize(request(" ".join(words))))
    got = words_of(events)
    seconds = len(audio_of(events)) / RATE
    assert [w for w, _, _ in got] == words
    last = 0.0
    for _, start, end in got:
        assert last - 1e-9 <= start <= end <= seconds + 1e-9
        last = end
    assert got[-1][2] > 0.8 * seconds  # timings span the audio, not bunched at the start
