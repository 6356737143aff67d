"""A batch run: a script of N lines rendered and exported at several concurrencies.

    .venv/bin/python bench/batch.py [--lines 20,50] [--concurrency 1,2,3,5] [--pace 1.0]

Our engine serves the test tones at ``--pace`` × real time (1.0: a line streams as
long as it lasts, as Cartesia's do) behind a plan's limit of 5 contexts; each run
renders every line through :class:`~app.studio.batch.BatchRun` into a fresh folder as
normalized FLAC (-16 LUFS, the first loudness measurement is made once before timing,
since pyloudnorm's import costs seconds), then runs again to time the skip. Prints,
per (lines, concurrency): the wall time, audio seconds per wall second, and the second
run's time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.audio.loudness import measure
from app.engine.server import EngineServer, ServerConfig
from app.engine.synth.tones import VOICE_ID, ToneSynthesizer
from app.settings import Settings
from app.studio.batch import BatchDefaults, BatchRun
from app.studio.endpoints import Endpoints
from app.studio.options import RunOptions
from app.studio.script_sources import read_script
from app.takes.export import ExportSpec

KEY = "bench-key"
SERVER_LIMIT = 5
SPEC = ExportSpec(format="flac", normalize_lufs=-16.0, timings=frozenset({"json"}))


def write_script(folder: Path, lines: int) -> Path:
    path = folder / "lines.csv"
    rows = [f"line{n:03d},Prompt number {n} is ready now." for n in range(1, lines + 1)]
    path.write_text("id,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


async def one(lines: int, concurrency: int, pace: float) -> tuple[float, float, float]:
    server = EngineServer([ToneSynthesizer()],
                          ServerConfig(api_key=KEY, pace=pace, max_contexts=SERVER_LIMIT))
    url = await server.start()
    endpoints = Endpoints(Settings(None), RunOptions(api_key=KEY, base_url=url), environ={})
    try:
        with tempfile.TemporaryDirectory() as tmp:
            script = await asyncio.get_running_loop().run_in_executor(
                None, read_script, write_script(Path(tmp), lines))
            timings = []
            audio = 0.0
            for _ in range(2):  # the second run finds everything done
                run = BatchRun(endpoints, script, Path(tmp) / "out",
                               defaults=BatchDefaults(voice_id=VOICE_ID), spec=SPEC,
                               concurrency=concurrency)
                started = time.perf_counter()
                summary = await run.run(await run.plan())
                timings.append(time.perf_counter() - started)
                assert not summary.failed, [f.error for f in summary.failed]
                audio = audio or summary.audio_seconds
            return timings[0], audio, timings[1]
    finally:
        await endpoints.close()
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", default="20,50")
    parser.add_argument("--concurrency", default="1,2,3,5")
    parser.add_argument("--pace", type=float, default=1.0)
    args = parser.parse_args()
    measure(np.zeros(48000, np.float32), 48000)  # pyloudnorm's import, outside the timing
    print(f"tone voice at {args.pace}× real time, server limit {SERVER_LIMIT}, "
          "FLAC at -16 LUFS with JSON timings")
    print(f"{'lines':>5} {'concurrency':>11} {'wall s':>7} {'audio s':>8} "
          f"{'audio s / wall s':>16} {'second run s':>12}")
    for lines in map(int, args.lines.split(",")):
        for concurrency in map(int, args.concurrency.split(",")):
            wall, audio, again = asyncio.run(one(lines, concurrency, args.pace))
            print(f"{lines:>5} {concurrency:>11} {wall:>7.2f} {audio:>8.1f} "
                  f"{audio / wall:>16.2f} {again:>12.3f}")


if __name__ == "__main__":
    main()
