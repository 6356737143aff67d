"""The transport on the virtual sound device: a growing take is heard as it grows;
pause, seek, A/B; and without a device, one clear reason."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from app.audio.loudness import match_gain, measure
from app.audio.player import PlayerState
from app.audio.resample import resample
from app.settings import MATCH_LOUDNESS, OUTPUT_DEVICE, Settings
from app.studio.errors import ABRefused
from app.studio.transport import (
    ABSwitched,
    CurrentTakeChanged,
    GainChanged,
    LoudnessMeasured,
    PlaybackProblem,
    Transport,
    TransportEvent,
)
from app.takes.take import Take, TakeSettings, TakeStatus
from app.takes.timings import Timing
from tests.audio.capture import RATE, locate, ncc, record_monitor
from tests.conftest import _our_audio_streams
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


def speechlike(seconds: float, level: float, seed: int) -> np.ndarray:
    """A voiced buzz (harmonics of a wandering pitch, below 5 kHz as speech's energy is)
    in syllable-rate bursts; ``level`` sets its loudness, as one voice is recorded hotter
    than another. Kept below the band edge so the sound server's resampler and ours
    agree on it (they differ near Nyquist)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    pitch = 120 + 30 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6))
    phase = 2 * np.pi * np.cumsum(pitch) / SR
    voice = sum(np.sin(k * phase + rng.uniform(0, 6)) / k for k in range(1, 40))
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)
    x = envelope * voice
    return (level * x / np.max(np.abs(x))).astype(np.float32)


def text_take(audio: np.ndarray, text: str) -> Take:
    take = Take(TakeSettings(text=text, voice_id="v", sample_rate=SR))
    take.append_audio(audio)
    take.finish(TakeStatus.DONE)
    return take


@pytest.mark.sound
def test_ab_is_heard_at_matched_loudness() -> None:
    """What reached the sink: a take ~22 LU hotter than the other is heard within 0.5 LU
    of it, both at the target (espeak near −0.6 dBFS against Joe near −4.5, only more so)."""
    import pyloudnorm

    from app.audio.loudness import MATCH_TARGET_LUFS

    loud_audio, quiet_audio = speechlike(2.0, 0.9, 1), speechlike(2.0, 0.07, 2)
    # One measured as it was saved, one kept before loudness was (measured on first play).
    loud = text_take(loud_audio, 'Hello <break time="1s"/> there.')
    loud.measure_loudness()
    quiet = text_take(quiet_audio, "Hello there.")
    assert quiet.loudness is None
    meter = pyloudnorm.Meter(SR)
    assert meter.integrated_loudness(loud_audio.astype(np.float64)) - \
        meter.integrated_loudness(quiet_audio.astype(np.float64)) > 20
    gains: list[GainChanged] = []
    measured: list[Take] = []

    async def scenario() -> None:
        transport = Transport(Settings(None))
        transport.events.connect(lambda e: gains.append(e) if isinstance(e, GainChanged)
                                 else measured.append(e.take)
                                 if isinstance(e, LoudnessMeasured) else None)
        try:
            transport.start_ab(loud, quiet)
            await transport.wait_played(1.0)
            transport.play_take(quiet)
            await transport.wait_played(1.0)
        finally:
            await transport.close()

    with record_monitor() as cap:
        run(scenario())
    captured = cap.audio()
    heard, expected = [], []
    meter48 = pyloudnorm.Meter(RATE)
    for take, audio in ((loud, loud_audio), (quiet, quiet_audio)):
        reference = resample(audio, SR, RATE)
        at = locate(captured, reference)
        # PulseAudio rewinds over a new stream's first ~20 ms (docs/testing.md): skip 50.
        skip = RATE // 20
        segment = captured[at + skip:at + len(reference)].astype(np.float64)
        assert ncc(segment, reference[skip:]) >= 0.98  # it is that take, gain aside
        heard.append(meter48.integrated_loudness(segment))
        expected.append(meter48.integrated_loudness(reference[skip:].astype(np.float64))
                        + match_gain(take.loudness).db)
    assert abs(heard[0] - heard[1]) < 0.5, heard
    assert heard == pytest.approx(expected, abs=0.1)  # exactly the gain that was shown
    assert all(abs(lufs - MATCH_TARGET_LUFS) < 0.5 for lufs in heard), heard
    assert measured == [quiet]  # to be stored in the history
    shown = [g.describe() for g in gains if g.gain is not None]
    assert shown and shown[0].startswith("−") and any(s.startswith("+") for s in shown)


def test_ab_of_different_lines_is_refused_with_the_reason() -> None:
    settings = Settings(None)
    settings.set(OUTPUT_DEVICE, "no-such-device-anywhere")
    one = text_take(speechlike(0.5, 0.5, 1), "Welcome to Voicebooth.")
    other = text_take(speechlike(0.5, 0.5, 2), "Goodbye from Voicebooth.")
    same = text_take(speechlike(0.5, 0.5, 3), 'Welcome <break time="200ms"/> to  Voicebooth.')

    async def scenario() -> None:
        transport = Transport(settings)
        try:
            with pytest.raises(ABRefused, match="say different things") as refused:
                transport.start_ab(one, other)
            assert "Welcome to Voicebooth." in str(refused.value)
            assert "Goodbye from Voicebooth." in str(refused.value)
            assert transport.ab is None and transport.take is None  # nothing started
            transport.start_ab(one, same)  # the same words, other markup: a fair A/B
            assert transport.ab == (one, same)
        finally:
            await transport.close()

    run(scenario())


def test_the_gain_follows_the_toggle_and_the_measurement() -> None:
    settings = Settings(None)
    settings.set(OUTPUT_DEVICE, "no-such-device-anywhere")
    take = text_take(speechlike(1.0, 0.9, 4), "Loud.")
    events: list[TransportEvent] = []

    async def scenario() -> None:
        transport = Transport(settings)
        transport.events.connect(events.append)
        try:
            assert transport.gain(take).describe() == "not measured"
            transport.play_take(take)  # measured off the loop, even with no device
            await until(lambda: any(isinstance(e, LoudnessMeasured) for e in events))
            assert take.loudness is not None
            on = transport.gain()
            assert on.gain == match_gain(take.loudness) and on.gain.db < -5
            transport.set_match_loudness(False)
            assert settings.get(MATCH_LOUDNESS) is False
            assert events[-1] == GainChanged(take, False, None)
            assert events[-1].describe() == "matched off"
            transport.set_match_loudness(True)
            assert events[-1] == on
        finally:
            await transport.close()

    run(scenario())


@pytest.mark.sound
def test_a_gain_measured_while_playing_applies_from_the_next_play() -> None:
    # A take is measured as it is kept, often while its last second still plays:
    # the level must not jump mid-take, and the window must say when it applies.
    take = Take(TakeSettings(text="Loud.", voice_id="v", sample_rate=SR))
    audio = speechlike(3.0, 0.9, 5)
    loudness = measure(audio, SR)  # beforehand: the first measurement loads scipy (~1.5 s)
    events: list[TransportEvent] = []

    async def scenario() -> None:
        transport = Transport(Settings(None))
        transport.events.connect(events.append)
        try:
            transport.follow(take)  # a new recording, heard as it streams
            take.append_audio(audio)
            await until(lambda: transport.playing)
            take.finish(TakeStatus.DONE)
            take.loudness = loudness  # as the history measures it when keeping the take
            transport.refresh_gain(defer=True)
            later = events[-1]
            assert isinstance(later, GainChanged) and not later.now
            assert later.describe().endswith("dB from the next play")
            assert transport.player is not None and transport.player.gain == 1.0
            transport.set_match_loudness(False)  # the toggle is heard at once
            transport.set_match_loudness(True)
            assert transport.player.gain == pytest.approx(match_gain(take.loudness).factor)
            await transport.wait_played()
            transport.refresh_gain(defer=True)  # not playing: applies now
            assert isinstance(events[-1], GainChanged) and events[-1].now
        finally:
            await transport.close()

    run(scenario())


@pytest.mark.sound
def test_close_also_closes_a_device_opened_for_a_take_replaced_meanwhile() -> None:
    """Two takes in a row (an A/B switched at once) while the first one's device is
    still opening (measuring its loudness first, the slow part): close() waits for
    that opening too and closes its stream, instead of leaving it playing on."""
    first = tone_take(120.0)  # unmeasured: its device opens once it is measured (slow)
    second = tone_take(1.0)
    second.measure_loudness()  # measured already: its device opens at once

    async def scenario() -> None:
        transport = Transport(Settings(None))  # matched loudness on (the default)
        transport.play_take(first)
        await asyncio.sleep(0)  # the first opening has started in the executor
        transport.play_take(second)
        await transport.close()
        assert first.loudness is not None  # its opening ran to the end...
        opening = [t for t in asyncio.all_tasks()
                   if getattr(t.get_coro(), "__qualname__", "") == "Transport._open"]
        assert opening == []  # ...before close() returned: nothing is still opening
        # And no stream of ours stays on the sound server (it lists one that was just
        # closed for a moment).
        await until(lambda: _our_audio_streams() == [], 3)

    run(scenario())
