"""The take view's display tick (issue 14: less work per frame): the playhead is read
from the clock once per tick and that one reading draws the waveform's playhead, the
highlighted word and the bar's time; the bar sets its buttons only when a take comes
or goes, and they still follow it."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
import qasync

from app.audio.timefmt import format_time
from app.settings import MATCH_LOUDNESS, Settings
from app.studio.transport import Transport
from app.takes.take import Take, TakeSettings, TakeStatus
from app.takes.timings import Timing
from app.ui.take_view import TakeView
from tests.ui.conftest import run, until

RATE = 48000
#: Six words of 0.4 s with 0.1 s between them: long enough that no tick misses one,
#: even on a loaded machine.
WORDS = [Timing(f"w{i}", 0.1 + 0.5 * i, 0.5 + 0.5 * i) for i in range(6)]


def worded_take() -> Take:
    take = Take(TakeSettings(text=" ".join(w.text for w in WORDS), voice_id="v",
                             sample_rate=RATE))
    t = np.arange(int(3.2 * RATE)) / RATE
    take.append_audio((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))
    take.add_words(WORDS)
    take.finish(TakeStatus.DONE)
    return take


def unmatched() -> Transport:
    settings = Settings(None)
    settings.set(MATCH_LOUDNESS, False)
    return Transport(settings)


def test_the_bar_enables_its_buttons_only_with_a_take(qtbot: Any) -> None:
    transport = unmatched()
    view = TakeView(transport)
    qtbot.addWidget(view)
    bar = view.bar
    buttons = (bar.play_button, bar.stop_button, bar.export_button)
    try:
        view.tick()
        assert not any(b.isEnabled() for b in buttons)
        transport.show(worded_take())
        view.tick()
        assert all(b.isEnabled() for b in buttons)
        view.tick()  # nothing changed: still enabled
        assert all(b.isEnabled() for b in buttons)
        transport.show(None)
        view.tick()
        assert not any(b.isEnabled() for b in buttons)
    finally:
        view.close_view()


@pytest.mark.sound
def test_one_clock_reading_draws_the_playhead_the_word_and_the_time(
        qtbot: Any, loop: qasync.QEventLoop) -> None:
    transport = unmatched()
    view = TakeView(transport)
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.show()
    view.timer.stop()  # the test ticks, so each tick's drawing can be read after it
    take = worded_take()
    ticks: list[tuple[int, int | None, int | None, str]] = []

    async def scenario() -> None:
        transport.play_take(take)
        await until(lambda: transport.playing)
        while transport.playing:
            view.tick()
            ticks.append((view.waveform.playhead, view.transcript.current,
                          view.waveform.current_word, view.bar.time_label.text()))
            await asyncio.sleep(0.016)
        await transport.close()

    try:
        run(loop, scenario())
    finally:
        view.close_view()
    assert len(ticks) > 20  # 3.2 s at display rate, however loaded the machine
    heard = []
    for frame, word, wave_word, time_text in ticks:
        # Everything drawn in a tick is the word and time at the frame drawn.
        assert word == wave_word == take.word_at(frame / RATE), (frame, word, wave_word)
        position = min(frame / RATE, take.duration)
        assert time_text == f"{format_time(position)} / {format_time(take.duration)}"
        if word is not None and (not heard or heard[-1] != word):
            heard.append(word)
    assert heard == list(range(len(WORDS)))  # every word highlighted, in order
