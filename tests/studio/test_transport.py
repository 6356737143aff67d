"""The transport on the virtual sound device: a growing take is heard as it grows;
pause, seek, A/B; and without a device, one clear reason."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from app.audio.player import PlayerState
from app.audio.resample import resample
from app.settings import OUTPUT_DEVICE, Settings
from app.studio.transport import (
    ABSwitched,
    CurrentTakeChanged,
    PlaybackProblem,
    Transport,
    TransportEvent,
)
from app.takes.take import Take, TakeSettings, TakeStatus
from app.takes.timings import Timing
from tests.audio.capture import RATE, locate, ncc, record_monitor
from tests.studio.conftest import run, until

SR = 24000


def assert_heard(captured: np.ndarray, audio: np.ndarray) -> None:
    """``audio`` (at SR) is in what the sink's monitor captured (at its own rate)."""
    reference = resample(audio, SR, RATE)
    at = locate(captured, reference)
    assert ncc(captured[at:at + len(reference)], reference) >= 0.99


def tone_take(seconds: float, words: list[Timing] | None = None) -> Take:
    take = Take(TakeSettings(text="a b c", voice_id="v", sample_rate=SR))
    t = np.arange(int(seconds * SR)) / SR
    take.append_audio((0.4 * np.sin(2 * np.pi * 330 * t)).astype(np.float32))
    take.add_words(words or [])
    take.finish(TakeStatus.DONE)
    return take



@pytest.mark.sound
def test_a_streaming_take_is_heard_while_it_grows() -> None:
    rng = np.random.default_rng(7)
    audio = (0.3 * rng.standard_normal(int(1.2 * SR))).astype(np.float32)

    async def scenario(transport: Transport, take: Take) -> None:
        transport.follow(take)
        for part in np.array_split(audio, 30):  # chunks arriving over about 0.6 s
            take.append_audio(part)
            await asyncio.sleep(0.02)
        take.finish(TakeStatus.DONE)
        # The device runs at the take's rate: it plays the take's own buffer, so a
        # long take is held in memory once, not twice.
        assert transport.player is not None and transport.player.shared
        await transport.wait_played()
        await transport.close()

    take = Take(TakeSettings(text="noise", voice_id="v", sample_rate=SR))
    with record_monitor() as cap:
        run(scenario(Transport(Settings(None)), take))
    assert_heard(cap.audio(), audio)


@pytest.mark.sound
def test_a_take_that_keeps_no_audio_is_heard_whole() -> None:
    """``say --play``: the take passes its audio on; what arrives while the device
    opens is kept by the transport, not lost."""
    audio = (0.3 * np.random.default_rng(3).standard_normal(int(0.8 * SR))).astype(np.float32)

    async def scenario(transport: Transport, take: Take) -> None:
        transport.follow(take)
        for part in np.array_split(audio, 20):
            take.append_audio(part)  # the first parts before the device is open
            await asyncio.sleep(0.01)
        take.finish(TakeStatus.DONE)
        await transport.wait_played()
        assert transport.player is not None and not transport.player.shared
        await transport.close()

    take = Take(TakeSettings(text="noise", voice_id="v", sample_rate=SR), keep_audio=False)
    with record_monitor() as cap:
        run(scenario(Transport(Settings(None)), take))
    assert_heard(cap.audio(), audio)


@pytest.mark.sound
def test_pause_seek_and_the_spoken_word() -> None:
    take = tone_take(3.0, [Timing("a", 0.0, 1.0), Timing("b", 1.0, 2.0), Timing("c", 2.0, 3.0)])

    async def scenario() -> None:
        transport = Transport(Settings(None))
        try:
            transport.play_take(take)
            await until(lambda: transport.playing and (transport.playhead() or 0) > 0.2 * SR)
            assert transport.playing_word() == 0
            transport.pause()
            await until(lambda: transport.player is not None
                        and transport.player.state is PlayerState.PAUSED)
            held = transport.playhead()
            await asyncio.sleep(0.2)
            assert transport.playhead() == held and transport.playing_word() is None
            transport.seek(int(2.5 * SR))
            await asyncio.sleep(0.05)
            transport.toggle()  # resume from the new place
            await until(lambda: transport.playing_word() == 2)
            transport.stop()
        finally:
            await transport.close()

    run(scenario())


@pytest.mark.sound
def test_ab_continues_at_the_same_word() -> None:
    a = tone_take(2.0, [Timing("one", 0.0, 1.0), Timing("two", 1.0, 2.0)])
    b = tone_take(4.0, [Timing("one", 0.0, 2.0), Timing("two", 2.0, 4.0)])

    async def scenario() -> list[TransportEvent]:
        transport = Transport(Settings(None))
        events: list[TransportEvent] = []
        transport.events.connect(events.append)
        try:
            transport.start_ab(a, b)
            await until(lambda: transport.playing and (transport.playhead() or 0) > 1.2 * SR)
            assert transport.switch_ab()
            assert transport.take is b
            await until(lambda: transport.playing)
            assert transport.playing_word() == 1  # "two" in B, as in A
            assert transport.switch_ab() and transport.take is a
            return events
        finally:
            await transport.close()

    events = run(scenario())
    switches = [e for e in events if isinstance(e, ABSwitched)]
    assert [s.label for s in switches] == ["A", "B", "A"]
    assert 2.0 < switches[1].seconds < 4.0  # half-way through "two" in A: 2.4-3.0 s in B
    assert [e.take for e in events if isinstance(e, CurrentTakeChanged)] == [a, b, a]


def test_without_a_device_the_reason_is_given_once() -> None:
    settings = Settings(None)
    settings.set(OUTPUT_DEVICE, "no-such-device-anywhere")

    async def scenario() -> list[TransportEvent]:
        transport = Transport(settings)
        events: list[TransportEvent] = []
        transport.events.connect(events.append)
        try:
            for _ in range(2):
                transport.play_take(tone_take(0.2))
                await until(lambda: transport.problem is not None)
                await asyncio.sleep(0.1)
        finally:
            await transport.close()
        return events

    problems = [e for e in run(scenario()) if isinstance(e, PlaybackProblem)]
    assert len(problems) == 1
    assert "no-such-device-anywhere" in problems[0].message or \
        "no sound output device" in problems[0].message
