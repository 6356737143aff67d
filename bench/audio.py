"""Audio benchmark: callback cost, playhead accuracy, first chunk to sound.

Needs the virtual sound device:
    source scripts/pulse.sh && pulse_start && .venv/bin/python bench/audio.py; pulse_stop
Prints a table; results go in docs/benchmarks.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.audio.player import Player
from tests.audio.capture import RATE, locate, record_monitor
from tests.audio.test_player_device import measure_playhead_error, signal


def callback_cost(seconds: float = 5.0) -> np.ndarray:
    x = signal(seconds)
    with Player(RATE) as player:
        player.feed(x)
        player.end_of_stream()
        player.play(0)
        player.wait_finished(seconds + 5)
        return player.callback_times_ns() / 1e3  # microseconds


def first_chunk_to_sound(runs: int = 8) -> list[float]:
    """Seconds from feeding the first chunk to hearing it in the monitor capture."""
    out = []
    chunk = signal(0.2)
    for _ in range(runs):
        with record_monitor() as cap, Player(RATE, prebuffer=0.06) as player:
            time.sleep(0.1)
            fed_at = player._stream.time
            player.play(0)
            player.feed(chunk[: RATE // 10])  # 100 ms: more than the prebuffer
            player.feed(chunk[RATE // 10:])
            player.end_of_stream()
            player.wait_finished(3)
            time.sleep(player.latency + 0.05)
        got = cap.audio()
        out.append(cap.time_of(locate(got, chunk)) - fed_at)
    return out


def main() -> None:
    cost = callback_cost()
    errors = np.abs(np.concatenate([measure_playhead_error(16) for _ in range(3)])) * 1000
    first = np.array(first_chunk_to_sound()) * 1000
    rows = [
        ("callback CPU per block (µs)", np.percentile(cost, 50), np.percentile(cost, 99),
         len(cost)),
        ("playhead error vs captured audio (ms)", np.percentile(errors, 50),
         np.percentile(errors, 95), len(errors)),
        ("first chunk fed → heard (ms)", np.percentile(first, 50), np.percentile(first, 95),
         len(first)),
    ]
    print(f"{'measure':<40} {'p50':>9} {'p95/p99':>9} {'n':>6}")
    for name, p50, p9x, n in rows:
        print(f"{name:<40} {p50:>9.2f} {p9x:>9.2f} {n:>6}")
    print("(callback row: p99; other rows: p95)")


if __name__ == "__main__":
    main()
