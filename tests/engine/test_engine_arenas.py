"""The served engine's threads share one malloc arena, and all run at the lowest
priority. glibc gives each new thread that allocates an arena of its own, and what stays
in use there after a take is out of ``malloc_trim``'s reach: in the app the engine grew
+3 to +31 MB per 45-word take, from run to run, as the scheduler's worker threads
happened to allocate. With one arena it grows by nothing. At nice 19 (onnxruntime's
threads included, which inherit it) its bursts of inference stop taking the window's
thread off a core (``docs/benchmarks.md``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.credentials import without_key
from app.engine.local import SERVE_ARGS, engine_command
from app.engine.voice_table import JOE_VOICE_ID
from tests.engine.test_engine_launch import KEY, ROOT, request

#: glibc's per-thread heaps on 64-bit Linux: 64 MiB reserved, aligned to their size.
HEAP_SIZE = 64 << 20


def thread_heaps(pid: int) -> int:
    """How many per-thread malloc heaps ``pid`` has mapped: anonymous spans that start
    at a multiple of 64 MiB and are 64 MiB long (the part in use, then the rest kept
    unreadable)."""
    spans: list[tuple[int, int]] = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        if len(fields) > 5 or fields[4] != "0":
            continue  # a file, or named ([stack], [heap], ...)
        start, end = (int(x, 16) for x in fields[0].split("-"))
        if spans and spans[-1][1] == start and spans[-1][1] - spans[-1][0] < HEAP_SIZE:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return sum(1 for start, end in spans if start % HEAP_SIZE == 0 and end - start == HEAP_SIZE)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's arenas")
@pytest.mark.timeout(600)  # a hang detector: a cold Piper load on a loaded machine
def test_the_engine_s_threads_allocate_from_one_arena_at_the_lowest_priority() -> None:
    env = without_key(os.environ) | {"PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(engine_command(SERVE_ARGS), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             env=env, cwd=ROOT)
    assert child.stdin is not None and child.stdout is not None
    try:
        child.stdin.write(KEY + "\n")
        child.stdin.close()
        url = child.stdout.readline().split("listening on ", 1)[1].strip()
        for text in ("A first take, spoken by Joe.", "And a second one, a little longer, "
                     "so that the workers have something to hold.", "A third."):
            status, audio = request(url, "/tts/bytes", {
                "model_id": "sonic-3", "transcript": text,
                "voice": {"mode": "id", "id": JOE_VOICE_ID},
                "output_format": {"container": "raw", "encoding": "pcm_f32le",
                                  "sample_rate": 44100}})
            assert status == 200 and len(audio) > 44100
        assert thread_heaps(child.pid) == 0
        tasks = list(Path(f"/proc/{child.pid}/task").iterdir())
        assert len(tasks) > 2  # the loop, the scheduler's workers, onnxruntime's pool
        for task in tasks:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            assert int(fields[16]) == 19, (task.name, (task / "comm").read_text())
    finally:
        child.terminate()
        child.wait(timeout=30)
        child.stdout.close()
