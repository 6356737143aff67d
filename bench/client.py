"""Time to first audio and client CPU per second of audio: our TTSClient, the SDK, a bare loop.

Usage::

    .venv/bin/python bench/client.py [-n 20] [--pace 4.0] [--encoding pcm_f32le]
                                     [--rate 44100] [--chunk-ms 40] [--profile ours]

The server (our engine with the deterministic tone voice) runs in a child process,
so its CPU never counts in this process's ``time.process_time()``; it paces audio at
``--pace`` times real time so every client sees the same message rate. Each client
keeps one WebSocket open for all its runs (as a real app does); the clients take
turns run by run, so drift in machine load spreads evenly over them. The first run of
each is a warm-up and is not counted.

Time to first audio: from just before the request is sent to the moment the first
chunk's audio is usable by the caller (our client: decoded float32 samples; the SDK:
``event.audio`` bytes; the bare loop: ``json.loads`` plus base64 decode). CPU: process
CPU time from the send to ``done``, divided by the seconds of audio received.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import gc
import io
import json
import pstats
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.audio.codecs import bytes_per_sample  # noqa: E402
from app.cartesia import messages as m  # noqa: E402
from app.cartesia.client import Audio, TTSClient  # noqa: E402
from app.cartesia.config import ClientConfig  # noqa: E402
from app.engine.synth.tones import VOICE_ID  # noqa: E402

KEY = "sk_bench_0123456789"
MODEL = "sonic-3"
#: About 4.4 s of the tone voice: long enough for CPU per audio second to settle.
TEXT = ("The quick brown fox jumps over the lazy dog while seven wizards quietly "
        "judge the boxing match near the old river bank.")

# The engine on its own process: equivalent to `main.py serve --pace P --chunk-ms C`
# without depending on the command line (and its imports) being importable.
SERVER = """
import asyncio, sys
from app.engine.server import EngineServer, ServerConfig
from app.engine.synth.tones import ToneSynthesizer

async def main() -> None:
    config = ServerConfig(api_key=sys.argv[1], pace=float(sys.argv[2]),
                          chunk_ms=int(sys.argv[3]))
    server = EngineServer([ToneSynthesizer()], config)
    print(await server.start(), flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


@dataclass
class Run:
    ttfa: float  # seconds
    cpu: float  # seconds of process CPU from send to done
    audio_seconds: float


@dataclass
class Results:
    name: str
    runs: list[Run] = field(default_factory=list)

    def ttfa_ms(self) -> list[float]:
        return [r.ttfa * 1000 for r in self.runs]

    def cpu_per_audio_second_ms(self) -> float:
        """Total CPU over total audio: robust to the odd run disturbed by the machine."""
        return 1000 * sum(r.cpu for r in self.runs) / sum(r.audio_seconds for r in self.runs)

    def cpu_per_run_ms(self) -> list[float]:
        return [1000 * r.cpu / r.audio_seconds for r in self.runs]


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


@dataclass(frozen=True)
class Setup:
    url: str
    encoding: str
    rate: int

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1) + "/tts/websocket"

    def audio_seconds(self, nbytes: int) -> float:
        return nbytes / bytes_per_sample(self.encoding) / self.rate

    def request_json(self, context_id: str) -> dict[str, Any]:
        return {"model_id": MODEL, "transcript": TEXT, "voice": {"mode": "id", "id": VOICE_ID},
                "context_id": context_id, "language": "en", "add_timestamps": True,
                "output_format": {"container": "raw", "encoding": self.encoding,
                                  "sample_rate": self.rate},
                "continue": False}


RunFn = Callable[[], Awaitable[Run]]


async def ours(setup: Setup, stack: AsyncExitStack) -> RunFn:
    client = await stack.enter_async_context(
        TTSClient(ClientConfig(setup.url, api_key=KEY)))
    fmt = m.OutputFormat(setup.encoding, setup.rate)

    async def one() -> Run:
        request = m.GenerationRequest(MODEL, TEXT, VOICE_ID, "", fmt)
        first = 0.0
        nbytes = 0
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        async for event in await client.generate(request):
            if isinstance(event, Audio):
                if not first:
                    first = time.perf_counter()
                nbytes += len(event.data)
        cpu = time.process_time() - cpu0
        return Run(first - t0, cpu, setup.audio_seconds(nbytes))

    return one


async def sdk(setup: Setup, stack: AsyncExitStack) -> RunFn:
    from cartesia import AsyncCartesia

    client = await stack.enter_async_context(AsyncCartesia(
        api_key=KEY, base_url=setup.url, websocket_base_url=setup.url.replace("http", "ws", 1)))
    conn = await stack.enter_async_context(client.tts.websocket_connect())
    fmt = {"container": "raw", "encoding": setup.encoding, "sample_rate": setup.rate}

    async def one() -> Run:
        ctx = conn.context(model_id=MODEL, voice={"mode": "id", "id": VOICE_ID},
                           output_format=fmt, language="en", add_timestamps=True)
        first = 0.0
        nbytes = 0
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        await ctx.push(TEXT, continue_=False)
        async for event in ctx.receive():
            if event.type == "chunk":
                audio = event.audio or b""
                if not first:
                    first = time.perf_counter()
                nbytes += len(audio)
            elif event.type == "error":
                raise RuntimeError(f"SDK got an error: {event}")
        cpu = time.process_time() - cpu0
        return Run(first - t0, cpu, setup.audio_seconds(nbytes))

    return one


async def bare(setup: Setup, stack: AsyncExitStack) -> RunFn:
    from websockets.asyncio.client import connect

    ws = await stack.enter_async_context(connect(
        setup.ws_url, additional_headers={"Authorization": f"Bearer {KEY}",
                                          "Cartesia-Version": m.DEFAULT_API_VERSION},
        compression=None, max_size=None, proxy=None))

    async def one() -> Run:
        frame = json.dumps(setup.request_json(str(uuid.uuid4())))
        first = 0.0
        nbytes = 0
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        await ws.send(frame)
        while True:
            msg = json.loads(await ws.recv())
            kind = msg["type"]
            if kind == "chunk":
                audio = base64.b64decode(msg["data"])
                if not first:
                    first = time.perf_counter()
                nbytes += len(audio)
            elif kind == "error":
                raise RuntimeError(f"bare loop got an error: {msg}")
            elif kind == "done":
                break
        cpu = time.process_time() - cpu0
        return Run(first - t0, cpu, setup.audio_seconds(nbytes))

    return one


Maker = Callable[[Setup, AsyncExitStack], Awaitable[RunFn]]
#: key (for --profile) -> (name in the table, how to set the client up)
CLIENTS: dict[str, tuple[str, Maker]] = {
    "bare": ("bare websockets", bare), "ours": ("TTSClient (ours)", ours),
    "sdk": ("cartesia SDK 4.2", sdk)}


async def measure(setup: Setup, repetitions: int) -> list[Results]:
    results = [Results(name) for name, _ in CLIENTS.values()]
    async with AsyncExitStack() as stack:
        runners = [await make(setup, stack) for _, make in CLIENTS.values()]
        for runner in runners:  # warm-up: first-use costs (imports, caches) excluded
            await runner()
        gc.collect()
        for _ in range(repetitions):
            for runner, result in zip(runners, results, strict=True):
                result.runs.append(await runner())
    return results


async def profile(setup: Setup, name: str, repetitions: int) -> str:
    async with AsyncExitStack() as stack:
        runner = await CLIENTS[name][1](setup, stack)
        await runner()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repetitions):
            await runner()
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    return out.getvalue()


def table(results: list[Results], setup: Setup, args: argparse.Namespace) -> str:
    by_name = {r.name: r for r in results}
    base = statistics.median(by_name["bare websockets"].ttfa_ms())
    sdk_cpu = by_name["cartesia SDK 4.2"].cpu_per_audio_second_ms()
    lines = [
        f"{len(results[0].runs)} runs each, {results[0].runs[0].audio_seconds:.2f} s of audio "
        f"per run, {setup.encoding} {setup.rate} Hz, {args.chunk_ms} ms chunks, "
        f"server paced at {args.pace:g}x real time in a child process",
        "",
        "| client | TTFA median ms | TTFA p90 ms | TTFA over bare (median) ms "
        "| CPU ms per audio s | CPU per run, median ms/s | CPU vs SDK |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ttfa = r.ttfa_ms()
        cpu = r.cpu_per_audio_second_ms()
        lines.append(
            f"| {r.name} | {statistics.median(ttfa):.2f} | {p90(ttfa):.2f} "
            f"| {statistics.median(ttfa) - base:+.2f} | {cpu:.2f} "
            f"| {statistics.median(r.cpu_per_run_ms()):.2f} | {cpu / sdk_cpu:.2f}x |")
    ours_r = by_name["TTSClient (ours)"]
    over = statistics.median(ours_r.ttfa_ms()) - base
    ratio = ours_r.cpu_per_audio_second_ms() / sdk_cpu
    lines += [
        "",
        f"target: TTFA within 1 ms of the bare loop: {over:+.2f} ms -> "
        f"{'met' if over <= 1.0 else 'MISSED'}",
        f"target: CPU per audio second at most 0.8x the SDK's: {ratio:.2f}x -> "
        f"{'met' if ratio <= 0.8 else 'MISSED'}",
    ]
    return "\n".join(lines)


def start_server(pace: float, chunk_ms: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER, KEY, str(pace), str(chunk_ms)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        raise SystemExit(f"the server did not start (said {url!r})")
    return proc, url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--repetitions", type=int, default=20)
    parser.add_argument("--pace", type=float, default=4.0,
                        help="server pacing, times real time (default 4)")
    parser.add_argument("--chunk-ms", type=int, default=40)
    parser.add_argument("--encoding", default="pcm_f32le")
    parser.add_argument("--rate", type=int, default=44100)
    parser.add_argument("--profile", choices=sorted(CLIENTS),
                        help="print a cProfile of one client's runs instead of the table")
    args = parser.parse_args(argv)
    proc, url = start_server(args.pace, args.chunk_ms)
    try:
        setup = Setup(url, args.encoding, args.rate)
        if args.profile:
            print(asyncio.run(profile(setup, args.profile, args.repetitions)))
        else:
            print(table(asyncio.run(measure(setup, args.repetitions)), setup, args))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
