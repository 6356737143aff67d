"""The player on a real PortAudio device: a PulseAudio null sink whose monitor we record."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from app.audio.player import Player, PlayerState, play_blocking
from app.audio.resample import resample
from tests.audio.capture import RATE, locate, ncc, record_monitor

pytestmark = pytest.mark.sound


def signal(seconds: float, rate: int = RATE, seed: int = 3) -> np.ndarray:
    """A chirp with a gentle fade-in: unambiguous to locate, easy to compare."""
    t = np.arange(int(seconds * rate)) / rate
    chirp = np.sin(2 * np.pi * (200 * t + 400 * t * t / seconds))
    return (0.4 * chirp * np.minimum(1.0, t * 20)).astype(np.float32)


def test_what_is_played_is_what_was_fed() -> None:
    x = signal(1.0)
    with record_monitor() as cap:
        stats = play_blocking(x, RATE)
    got = cap.audio()
    at = locate(got, x)
    segment = got[at:at + len(x)]
    assert ncc(segment, x) >= 0.999
    # A float32 null sink passes samples unchanged, except that PulseAudio may
    # rewind over the first few milliseconds when a stream starts (testing.md).
    settle = RATE // 50
    np.testing.assert_allclose(segment[settle:], x[settle:], atol=1e-6)
    assert stats.underruns == 0 and stats.callback_errors == 0


def test_a_rate_the_sink_resamples_still_matches() -> None:
    x = signal(1.0, 24000)
    with record_monitor() as cap:
        play_blocking(x, 24000)
    got = cap.audio()
    reference = resample(x, 24000, RATE)
    at = locate(got, reference)
    assert ncc(got[at:at + len(reference)], reference) >= 0.99


def test_slow_chunks_underrun_then_recover_without_losing_audio() -> None:
    x = signal(1.5)
    chunk = RATE // 50  # 20 ms
    with record_monitor() as cap, Player(RATE, prebuffer=0.06) as player:
        player.play(0)
        # First 0.3 s arrive at half real time: the player must run dry.
        for begin in range(0, int(0.3 * RATE), chunk):
            player.feed(x[begin:begin + chunk])
            time.sleep(2 * chunk / RATE)
        player.feed(x[int(0.3 * RATE):])
        player.end_of_stream()
        assert player.wait_finished(5)
        time.sleep(player.latency + 0.05)
        underruns = player.underruns
    got = cap.audio()
    assert underruns >= 1
    # Every fed sample was played, in order: the pieces between silences line up.
    loud = np.flatnonzero(np.abs(got) > 1e-6)
    played = got[loud[0]:loud[-1] + 1]
    voiced = played[np.abs(played) > 0]
    assert len(voiced) >= int(0.95 * np.count_nonzero(x))
    tail = x[int(0.3 * RATE):]
    at = locate(got, tail)
    assert ncc(got[at:at + len(tail)], tail) >= 0.999


def test_pause_resume_seek_and_loop() -> None:
    x = signal(2.0)
    with Player(RATE) as player:
        player.feed(x)
        player.end_of_stream()
        player.play(0)
        time.sleep(0.4)
        player.pause()
        time.sleep(0.1)
        assert player.state is PlayerState.PAUSED
        paused_at = player.playhead()
        time.sleep(0.2)
        assert player.playhead() == paused_at  # frozen while paused
        assert 0.2 * RATE < paused_at < 0.6 * RATE
        player.seek(1.5 * RATE)
        time.sleep(0.05)
        assert player.playhead() == pytest.approx(1.5 * RATE, abs=2)
        player.resume()
        assert player.wait_finished(2)
        # Loop a selection: the playhead stays inside it.
        player.play(0.5 * RATE, 0.7 * RATE, loop=True)
        # What is at the DAC for the next `latency` seconds was sent before play().
        time.sleep(player.latency + 0.03)
        seen = []
        for _ in range(40):
            time.sleep(0.01)
            seen.append(player.playhead())
        assert not player.finished.is_set()
        assert min(seen) >= 0.5 * RATE - 1 and max(seen) <= 0.7 * RATE + 1
        assert max(seen) - min(seen) > 0.1 * RATE  # it wrapped around at least once
        player.stop()


def measure_playhead_error(clicks: int = 12) -> list[float]:
    """Seconds between when a click was really played and when the playhead said so."""
    spacing = int(0.15 * RATE)
    x = np.zeros(spacing * (clicks + 1), np.float32)
    positions = [spacing * (i + 1) for i in range(clicks)]
    for p in positions:
        x[p] = 0.9
    samples: list[tuple[float, float]] = []
    with record_monitor() as cap, Player(RATE) as player:
        player.feed(x)
        player.end_of_stream()
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                now = player.clock()  # one clock reading for both sides of the pair
                samples.append((now, player.playhead(now)))
                time.sleep(0.002)

        watcher = threading.Thread(target=watch)
        watcher.start()
        player.play(0)
        assert player.wait_finished(10)
        time.sleep(player.latency + 0.05)
        stop.set()
        watcher.join()
    got = cap.audio()
    heard = np.flatnonzero(got > 0.45)
    times = np.array([t for t, _ in samples])
    heads = np.array([h for _, h in samples])
    moving = np.flatnonzero(np.diff(heads) > 0)
    errors = []
    for p, idx in zip(positions, _group(heard), strict=False):
        # When did the playhead reach p? Interpolate the watcher's samples.
        k = moving[np.searchsorted(heads[moving], p)]
        t0, t1, h0, h1 = times[k], times[k + 1], heads[k], heads[k + 1]
        predicted = t0 + (p - h0) / (h1 - h0) * (t1 - t0)
        errors.append(cap.time_of(idx) - predicted)
    return errors


def _group(indices: np.ndarray) -> list[int]:
    """First index of each run of nearby indices (one click may span a few samples)."""
    out: list[int] = []
    for i in indices:
        if not out or i - out[-1] > 1000:
            out.append(int(i))
    return out


def test_playhead_follows_the_dac() -> None:
    errors = measure_playhead_error()
    assert len(errors) >= 10
    # Accuracy, not speed: where the playhead says we are vs. what was heard.
    assert np.percentile(np.abs(errors), 95) < 0.005, errors  # the target


def test_after_a_jump_the_playhead_is_at_the_new_place_at_once() -> None:
    """Silence queued at the DAC (a stopped or paused player's blocks, frame 0) must
    not pull the playhead back: an A/B switch or a click on a word shows the new
    place right away, not the old one for a latency's worth of time."""
    with Player(RATE, latency=0.2) as player:  # a long queue of silent blocks
        player.feed(signal(3.0))
        player.end_of_stream()
        time.sleep(0.3)  # the queue fills with silence from frame 0
        player.play(2 * RATE)
        seen = []
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            seen.append(player.playhead())
            time.sleep(0.002)
        player.stop()
    assert min(seen) >= 2 * RATE - 1
    assert max(seen) > 2 * RATE + 0.1 * RATE  # and it moves on from there
