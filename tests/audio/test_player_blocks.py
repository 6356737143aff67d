"""The player plays a take's own blocks, on the null sink: every frame, in order, across
block edges (blocks far smaller than the device's, so every callback straddles some)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.audio.buffer import BlockBuffer
from app.audio.player import Player
from app.takes.take import Take, TakeSettings, TakeStatus
from tests.audio.capture import RATE, locate, ncc, record_monitor
from tests.audio.test_player_device import signal

pytestmark = pytest.mark.sound


def test_a_take_of_many_blocks_plays_exactly() -> None:
    x = signal(1.0)
    blocks = BlockBuffer(block_frames=997)  # ~49 edges in one second, none aligned
    for at in range(0, len(x), 1764):
        blocks.append(x[at:at + 1764])
    with record_monitor() as cap, Player(RATE) as player:
        assert player.share(blocks)  # no copy of its own
        player.end_of_stream()
        player.play(0)
        assert player.wait_finished(5)
        time.sleep(player.latency + 0.05)
        stats = player.stats()
    got = cap.audio()
    at = locate(got, x)
    segment = got[at:at + len(x)]
    assert ncc(segment, x) >= 0.999
    settle = RATE // 50  # PulseAudio may rewind over a stream's first ms (testing.md)
    np.testing.assert_allclose(segment[settle:], x[settle:], atol=1e-6)
    assert stats.underruns == 0 and stats.callback_errors == 0


def test_a_take_streaming_into_its_blocks_plays_as_it_arrives() -> None:
    x = signal(1.5)
    take = Take(TakeSettings(text="x", voice_id="v", sample_rate=RATE))
    take.append_audio(x[:RATE // 4])
    with record_monitor() as cap, Player(RATE) as player:
        assert player.share(take.audio)
        player.play(0)
        for at in range(RATE // 4, len(x), 1920):  # 40 ms chunks, twice real time
            take.append_audio(x[at:at + 1920])
            time.sleep(0.02)
        take.finish(TakeStatus.DONE)
        player.end_of_stream()
        assert player.wait_finished(5)
        time.sleep(player.latency + 0.05)
    got = cap.audio()
    at = locate(got, x)
    assert ncc(got[at:at + len(x)], x) >= 0.999
