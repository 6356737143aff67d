"""One line in many voices against a server that enforces a plan's concurrency limit.

    .venv/bin/python bench/lineup.py [--voices 6] [--pace 1.0]

Our engine serves the test tones under several voice ids at real-time pace and refuses
contexts beyond its limit with Cartesia's ``concurrency_limited``; the lineup renders
the line in every voice over one socket. Prints, per (server limit, ``max_parallel``):
the wall time, the refusals the lineup absorbed, and the limit it ended on.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.catalog import with_extra_voices
from app.engine.server import EngineServer, ServerConfig
from app.engine.synth.tones import ToneSynthesizer
from app.settings import Settings
from app.studio.endpoints import Endpoints
from app.studio.lineup import Lineup
from app.studio.options import RunOptions
from app.takes.take import TakeSettings

KEY = "bench-key"
TEXT = "One two three four five."


async def one(limit: int, parallel: int, n_voices: int, pace: float) -> tuple[float, int, int]:
    server = EngineServer(with_extra_voices([ToneSynthesizer()], n_voices),
                          ServerConfig(api_key=KEY, pace=pace, max_contexts=limit))
    url = await server.start()
    endpoints = Endpoints(Settings(None), RunOptions(api_key=KEY, base_url=url), environ={})
    try:
        voices = [replace(v, offline=False) for v in server.voices()
                  if v.name != "Test Tones"][:n_voices]
        lineup = Lineup(endpoints, TakeSettings(text=TEXT, voice_id="", sample_rate=16000),
                        voices, max_parallel=parallel)
        t = time.perf_counter()
        rows = await lineup.start()
        took = time.perf_counter() - t
        assert all(r.take is not None and r.error is None for r in rows), \
            [str(r.error) for r in rows]
        return took, sum(r.refusals for r in rows), lineup.limit
    finally:
        await endpoints.close()
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", type=int, default=6)
    parser.add_argument("--pace", type=float, default=1.0)
    args = parser.parse_args()
    print(f"{args.voices} voices, pace {args.pace}×, text {TEXT!r}")
    print(f"{'server limit':>12} {'max_parallel':>12} {'time s':>8} {'refusals':>9} "
          f"{'limit at end':>12}")
    for limit, parallel in ((2, 1), (2, 2), (2, 5), (5, 5)):
        took, refused, end = asyncio.run(one(limit, parallel, args.voices, args.pace))
        print(f"{limit:>12} {parallel:>12} {took:>8.2f} {refused:>9} {end:>12}")


if __name__ == "__main__":
    main()
