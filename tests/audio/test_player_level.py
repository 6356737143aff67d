"""The output level a meter reads: the block at the DAC, measured as it was sent.

A known tone played on the null sink (its monitor recorded, so the tone really
went out): the level read while it plays is the tone's, within 1 dB; silence
(0, −inf dBFS) when nothing plays; the matched gain is in it.
"""

from __future__ import annotations

import asyncio
import math
import threading

import numpy as np
import pytest

from app.audio.level import SILENCE, Level, to_dbfs
from app.audio.player import Player
from app.settings import MATCH_LOUDNESS, Settings
from app.studio.transport import Transport
from app.takes.take import Take, TakeSettings, TakeStatus
from tests.audio.capture import RATE, record_monitor
from tests.studio.conftest import run, until

AMPLITUDE = 0.5
TONE_PEAK_DB = to_dbfs(AMPLITUDE)               # −6.0 dBFS
TONE_RMS_DB = to_dbfs(AMPLITUDE / math.sqrt(2))  # −9.0 dBFS


def tone(seconds: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (AMPLITUDE * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)


def levels_while_playing(read: object, count: int = 10) -> list[Level]:
    """``count`` readings spread over a tenth of a second each."""
    readings = []
    for _ in range(count):
        threading.Event().wait(0.03)
        readings.append(read())  # type: ignore[operator]
    return readings


def test_silence_is_zero_and_minus_infinity() -> None:
    assert SILENCE.peak == 0.0 and SILENCE.peak_dbfs == -math.inf
    assert SILENCE.rms_dbfs == -math.inf
    assert Level(1.0, 0.5).peak_dbfs == 0.0
    assert Level(1.0, 0.5).rms_dbfs == pytest.approx(-6.02, abs=0.01)


@pytest.mark.sound
def test_the_level_read_during_play_is_the_tones() -> None:
    x = tone(1.5)
    with record_monitor() as cap, Player(RATE) as player:
        assert player.level() == SILENCE  # open, nothing played yet
        player.feed(x)
        player.end_of_stream()
        player.play(0)
        threading.Event().wait(0.3)  # past the prebuffer and the device's latency
        readings = levels_while_playing(player.level)
        assert player.wait_finished(5.0)
        threading.Event().wait(player.latency + 0.1)
        assert player.level() == SILENCE  # the silent blocks after the end are at the DAC
        player.stop()
        threading.Event().wait(0.05)
        assert player.level() == SILENCE
    for level in readings:
        assert abs(level.peak_dbfs - TONE_PEAK_DB) <= 1.0, readings
        assert abs(level.rms_dbfs - TONE_RMS_DB) <= 1.0, readings
    # The tone really went out at that level (the monitor of the float sink).
    heard = cap.audio()
    assert to_dbfs(float(np.abs(heard).max())) == pytest.approx(TONE_PEAK_DB, abs=1.0)


@pytest.mark.sound
def test_the_level_is_what_was_sent_after_the_gain() -> None:
    x = tone(1.0)
    with Player(RATE) as player:
        player.set_gain(0.5)  # −6 dB
        player.feed(x)
        player.end_of_stream()
        player.play(0)
        threading.Event().wait(0.3)
        readings = levels_while_playing(player.level, 5)
        player.stop()
    for level in readings:
        assert abs(level.peak_dbfs - (TONE_PEAK_DB - 6.02)) <= 1.0, readings


@pytest.mark.sound
def test_the_transport_passes_the_level_of_the_current_take_on() -> None:
    settings = Settings(None)
    settings.set(MATCH_LOUDNESS, False)  # the tone as recorded
    take = Take(TakeSettings(text="tone", voice_id="v", sample_rate=RATE))
    take.append_audio(tone(1.5))
    take.finish(TakeStatus.DONE)
    readings: list[Level] = []

    async def scenario() -> None:
        transport = Transport(settings)
        assert transport.level() == SILENCE  # nothing loaded
        transport.play_take(take)
        await until(lambda: transport.playing)
        await until(lambda: transport.level().peak > 0)
        for _ in range(5):
            readings.append(transport.level())
            await asyncio.sleep(0.03)
        transport.stop()
        await until(lambda: transport.level() == SILENCE)
        await transport.close()
        assert transport.level() == SILENCE

    run(scenario())
    assert readings
    for level in readings:
        assert abs(level.peak_dbfs - TONE_PEAK_DB) <= 1.0, readings
        assert abs(level.rms_dbfs - TONE_RMS_DB) <= 1.0, readings
