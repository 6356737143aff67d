"""Time to first audio and client CPU per second of audio: our TTSClient, the SDK, a bare loop;
and with ``--faults``, how soon each fault reaches the caller.

Usage::

    .venv/bin/python bench/client.py [-n 20] [--pace 4.0] [--encoding pcm_f32le]
                                     [--rate 44100] [--chunk-ms 40] [--profile ours]
                                     [--server engine|small|both] [--against DIR]
    .venv/bin/python bench/client.py --faults [-n 5] [--against DIR]

The server runs in a child process, so its CPU never counts in this process's
``time.process_time()``; it paces audio at ``--pace`` times real time so every client
sees the same message rate. ``--server engine`` is our engine with the deterministic
tone voice (``--chunk-ms`` long chunks); ``--server small`` is an independent server,
plain ``websockets`` and none of our code, that sends the same length of audio in
20 ms chunks (more, smaller frames: where a per-frame cost shows most). Each client
keeps one WebSocket open for all its runs (as a real app does); the clients take
turns run by run, so drift in machine load spreads evenly over them. The first run of
each is a warm-up and is not counted. ``--against DIR`` adds a row for the
``TTSClient`` of another checkout (``git worktree add /tmp/base main``), loaded with
that checkout's own ``app`` package (its messages, protocol and codecs too): before and
after side by side in one run.

``--faults``: the tests' fault-injecting server (``tests/faults.py``) in a child
process, unpaced; each fault of the suite set off ``-n`` times. For each, the time from
its cause (the server's ``fired_at``; a stall or a missing first chunk: the moment the
client's timeout runs out) to the exception reaching the caller, and to ``close()``
returning; then ``voicebooth say`` after a malformed frame: from the frame to the
process's exit.

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
import importlib
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
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
from app.cartesia.config import ClientConfig, Timeouts  # noqa: E402
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

# An independent server: plain websockets, none of our code. Every request gets the
# same audio length as the tone voice says TEXT, in 20 ms chunks, one word timestamp
# message per 0.4 s, then done; paced at argv[2] times real time.
SMALL_SERVER = """
import asyncio, base64, json, math, struct, sys
from websockets.asyncio.server import serve

KEY, PACE, SECONDS, CHUNK_MS = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), 20

def audio(encoding, rate, n):
    width = 4 if encoding == "pcm_f32le" else 2
    samples = [0.3 * math.sin(2 * math.pi * 440 * i / rate) for i in range(n)]
    if width == 4:
        return struct.pack(f"<{n}f", *samples)
    return struct.pack(f"<{n}h", *(int(x * 32767) for x in samples))

async def generation(ws, req):
    fmt, ctx = req["output_format"], req["context_id"]
    rate = fmt["sample_rate"]
    per = rate * CHUNK_MS // 1000
    data = base64.b64encode(audio(fmt["encoding"], rate, per)).decode()
    chunks = int(SECONDS * 1000 / CHUNK_MS)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for i in range(chunks):
        due = start + i * CHUNK_MS / 1000 / PACE
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        await ws.send(json.dumps({"type": "chunk", "data": data, "done": False,
                                  "status_code": 206, "context_id": ctx,
                                  "step_time": 1.0}))
        if i % 20 == 19:
            t = i * CHUNK_MS / 1000
            await ws.send(json.dumps({"type": "timestamps", "done": False,
                "status_code": 206, "context_id": ctx, "word_timestamps":
                {"words": ["word"], "start": [t - 0.4], "end": [t]}}))
    await ws.send(json.dumps({"type": "done", "done": True, "status_code": 206,
                              "context_id": ctx}))

async def handler(ws):
    tasks = set()
    async for frame in ws:
        req = json.loads(frame)
        if "transcript" in req:
            task = asyncio.create_task(generation(ws, req))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

async def main():
    async with serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"http://127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

asyncio.run(main())
"""

# The tests' fault-injecting server, set over stdin: a JSON object of Faults fields
# ("config.<name>" for a ServerConfig field) answered "ok", or "fired" answered with
# the Faults' fired_at.
FAULTY_SERVER = """
import asyncio, dataclasses, json, sys, threading
from app.engine.server import ServerConfig
from app.engine.synth.tones import ToneSynthesizer
from tests.faults import FaultyServer

async def main() -> None:
    server = FaultyServer([ToneSynthesizer()], ServerConfig(api_key=sys.argv[1]))
    defaults = dataclasses.replace(server.config)
    print(await server.start(), flush=True)
    loop = asyncio.get_running_loop()

    def apply(line: str) -> None:
        server.faults.clear()
        for name in ("first_chunk_delay",):
            setattr(server.config, name, getattr(defaults, name))
        for key, value in json.loads(line).items():
            if key.startswith("config."):
                setattr(server.config, key[7:], value)
            else:
                setattr(server.faults, key, value)
        print("ok", flush=True)

    def fired() -> None:
        print(json.dumps(server.faults.fired_at), flush=True)

    def commands() -> None:
        for line in sys.stdin:
            if line.strip() == "fired":
                loop.call_soon_threadsafe(fired)
            elif line.strip():
                loop.call_soon_threadsafe(apply, line)

    threading.Thread(target=commands, daemon=True).start()
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


def load_client(root: Path) -> type[TTSClient]:
    """The ``TTSClient`` of another checkout, with that checkout's own ``app`` modules
    under it (its messages, protocol and codecs, where the per-frame work is too).

    The other ``app`` package is imported while this one is out of ``sys.modules``,
    then the two are swapped back; the client keeps its own modules through its
    globals. Our config and requests reach it, which it reads by their fields.
    """
    ours = {name: sys.modules.pop(name) for name in list(sys.modules)
            if name == "app" or name.startswith("app.")}
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module("app.cartesia.client")
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
            del sys.modules[name]
        sys.modules.update(ours)
    if not Path(module.__file__ or "").is_relative_to(root):
        raise SystemExit(f"--against {root}: loaded {module.__file__} instead")
    client: type[TTSClient] = module.TTSClient
    return client


def our_client(cls: type[TTSClient]) -> Callable[[Setup, AsyncExitStack], Awaitable[RunFn]]:
    async def make(setup: Setup, stack: AsyncExitStack) -> RunFn:
        client = await stack.enter_async_context(cls(ClientConfig(setup.url, api_key=KEY)))
        fmt = m.OutputFormat(setup.encoding, setup.rate)

        async def one() -> Run:
            request = m.GenerationRequest(MODEL, TEXT, VOICE_ID, "", fmt)
            first = 0.0
            nbytes = 0
            cpu0 = time.process_time()
            t0 = time.perf_counter()
            async for event in await client.generate(request):
                if isinstance(event, Audio) or type(event).__name__ == "Audio":
                    if not first:
                        first = time.perf_counter()
                    nbytes += len(event.data)  # type: ignore[union-attr]
            cpu = time.process_time() - cpu0
            return Run(first - t0, cpu, setup.audio_seconds(nbytes))

        return one

    return make


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
BARE, OURS, BASE, SDK = "bare websockets", "TTSClient (ours)", "TTSClient (base)", \
    "cartesia SDK 4.2"


def clients(against: Path | None) -> dict[str, tuple[str, Maker]]:
    """key (for --profile) -> (name in the table, how to set the client up)"""
    found: dict[str, tuple[str, Maker]] = {
        "bare": (BARE, bare), "ours": (OURS, our_client(TTSClient))}
    if against is not None:
        found["base"] = (BASE, our_client(load_client(against)))
    found["sdk"] = (SDK, sdk)
    return found


async def measure(setup: Setup, repetitions: int,
                  chosen: dict[str, tuple[str, Maker]]) -> list[Results]:
    results = [Results(name) for name, _ in chosen.values()]
    async with AsyncExitStack() as stack:
        runners = [await make(setup, stack) for _, make in chosen.values()]
        for runner in runners:  # warm-up: first-use costs (imports, caches) excluded
            await runner()
        gc.collect()
        for _ in range(repetitions):
            for runner, result in zip(runners, results, strict=True):
                result.runs.append(await runner())
    return results


async def profile(setup: Setup, maker: Maker, repetitions: int) -> str:
    async with AsyncExitStack() as stack:
        runner = await maker(setup, stack)
        await runner()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repetitions):
            await runner()
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    return out.getvalue()


#: Item 7 of issue 14: our CPU per audio second at most this times the SDK's.
CPU_GOAL = 0.75


def rows(server: str, results: list[Results]) -> tuple[list[str], list[str]]:
    """Table rows for one server, and its goal lines."""
    by_name = {r.name: r for r in results}
    base = statistics.median(by_name[BARE].ttfa_ms())
    sdk_cpu = by_name[SDK].cpu_per_audio_second_ms()
    bare_cpu = by_name[BARE].cpu_per_audio_second_ms()
    lines = []
    for r in results:
        ttfa = r.ttfa_ms()
        cpu = r.cpu_per_audio_second_ms()
        lines.append(
            f"| {server} | {r.name} | {statistics.median(ttfa):.2f} | {p90(ttfa):.2f} "
            f"| {statistics.median(ttfa) - base:+.2f} | {cpu:.2f} "
            f"| {statistics.median(r.cpu_per_run_ms()):.2f} | {cpu / sdk_cpu:.2f}x "
            f"| {cpu / bare_cpu:.2f}x |")
    ours_r = by_name[OURS]
    over = statistics.median(ours_r.ttfa_ms()) - base
    ratio = ours_r.cpu_per_audio_second_ms() / sdk_cpu
    goals = [
        f"{server}: TTFA within 1 ms of the bare loop: {over:+.2f} ms -> "
        f"{'met' if over <= 1.0 else 'MISSED'}",
        f"{server}: CPU per audio second at most {CPU_GOAL}x the SDK's: {ratio:.2f}x -> "
        f"{'met' if ratio <= CPU_GOAL else 'MISSED'}",
    ]
    return lines, goals


def table(measured: dict[str, list[Results]], args: argparse.Namespace) -> str:
    first = next(iter(measured.values()))
    lines = [
        f"{len(first[0].runs)} runs each, {first[0].runs[0].audio_seconds:.2f} s of audio "
        f"per run, {args.encoding} {args.rate} Hz, servers paced at {args.pace:g}x real "
        f"time in a child process; load average {os.getloadavg()[0]:.2f} at the end",
        "",
        "| server | client | TTFA median ms | TTFA p90 ms | TTFA over bare (median) ms "
        "| CPU ms per audio s | CPU per run, median ms/s | CPU vs SDK | CPU vs bare |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    goals: list[str] = []
    for server, results in measured.items():
        more, met = rows(server, results)
        lines += more
        goals += met
    return "\n".join([*lines, "", *goals])


def start_server(script: str, *args: str, stdin: bool = False
                 ) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", script, KEY, *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, text=True,
                            stdin=subprocess.PIPE if stdin else None)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        raise SystemExit(f"the server did not start (said {url!r})")
    return proc, url


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=10)


# --- faults ----------------------------------------------------------------------

#: The client's timeouts in the fault runs (a stall is reported this long after it). The
#: first chunk's is the longer, as by default in the app, so a stall soon after the
#: first chunk shows which of the two the client waited for.
QUICK = Timeouts(connect=5, first_chunk=1.0, inactivity=0.3)
LONG = " ".join(["syllable"] * 30)
#: fault -> what the server is told; every fault of tests/cartesia/test_faults.py
FAULTS: dict[str, dict[str, object]] = {
    "TCP drop after 3 chunks": {"drop_after_chunks": 3},
    "close 1011 after 3 chunks": {"close_after_chunks": 3},
    "malformed frame after 3 chunks": {"malformed_after_chunks": 3,
                                       "burst_after_malformed": 64},
    "in-band 500 after 3 chunks": {"error_after_chunks": 3},
    "stall after 3 chunks (timeout 0.3 s)": {"stall_after_chunks": 3},
    "no first chunk (timeout 1 s)": {"config.first_chunk_delay": 5.0},
    "concurrency limited": {"concurrency_limit": 0},
    "upgrade refused (500)": {"reject_upgrade": 500},
}


class Remote:
    """The fault server in its child process, set over its stdin."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc

    def _ask(self, line: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def set(self, fields: dict[str, object]) -> None:
        if self._ask(json.dumps(fields)) != "ok":
            raise SystemExit("the fault server did not take its faults")

    def fired_at(self) -> float | None:
        value: float | None = json.loads(self._ask("fired"))
        return value


async def one_fault(cls: type[TTSClient], url: str, fault: str
                    ) -> tuple[float, float, float]:
    """Cause (perf_counter), the exception reaching the caller, close() returning."""
    client = cls(ClientConfig(url, api_key=KEY, timeouts=QUICK))
    sent = 0.0
    try:
        generation = await client.generate(m.GenerationRequest(
            MODEL, LONG, VOICE_ID, "", m.OutputFormat("pcm_f32le", 44100)))
        sent = time.perf_counter()
        async for _ in generation:
            pass
    except Exception:
        reported = time.perf_counter()
    else:
        raise SystemExit(f"{fault}: the generation ended normally")
    await client.close()
    closed = time.perf_counter()
    return sent, reported, closed


async def close_mid_take(cls: type[TTSClient], url: str) -> float:
    """Seconds ``close()`` takes after a cancel in the middle of a take, the server
    having run ahead unread for 0.2 s (the user stops a take, or quits)."""
    client = cls(ClientConfig(url, api_key=KEY, timeouts=QUICK))
    generation = await client.generate(m.GenerationRequest(
        MODEL, " ".join(["syllable"] * 200), VOICE_ID, "", m.OutputFormat("pcm_f32le", 44100)))
    async for _ in generation:
        break
    await asyncio.sleep(0.2)
    await generation.cancel()
    started = time.perf_counter()
    await client.close()
    return time.perf_counter() - started


def cause_of(fault: str, fired: float | None, sent: float) -> float:
    if fault.startswith("stall"):
        assert fired is not None
        return fired + QUICK.inactivity
    if fault.startswith("no first chunk"):
        return sent + QUICK.first_chunk
    assert fired is not None, fault
    return fired


# main.py run as it is, with the moment the interpreter starts its exit (atexit)
# written to stderr: what the command did, apart from the interpreter's teardown.
SAY = """
import atexit, runpy, sys, time
atexit.register(lambda: print(f"atexit {time.perf_counter()!r}", file=sys.stderr))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def cli_exit_after_malformed(remote: Remote, url: str, root: Path) -> tuple[float, float]:
    """``say`` against a server that sends a malformed frame: from the frame to the
    command's end (atexit) and to the process's exit."""
    remote.set(FAULTS["malformed frame after 3 chunks"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    env.update(CARTESIA_API_KEY=KEY, PYTHONPATH=str(root))
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, "-c", SAY, str(root / "main.py"), "say", LONG,
                               "--base-url", url, "--voice", VOICE_ID, "-o", "t.wav"],
                              env=env, cwd=tmp, capture_output=True, text=True, timeout=60)
        exited = time.perf_counter()
    if done.returncode != 4:
        raise SystemExit(f"say exited {done.returncode}: {done.stderr}")
    ended = float(done.stderr.rsplit("atexit ", 1)[1].split()[0])
    fired = remote.fired_at()
    assert fired is not None
    return ended - fired, exited - fired


def faults_table(repetitions: int, against: Path | None) -> str:
    proc, url = start_server(FAULTY_SERVER, stdin=True)
    remote = Remote(proc)
    variants: list[tuple[str, type[TTSClient], Path]] = [("ours", TTSClient, ROOT)]
    if against is not None:
        variants.append(("base", load_client(against), against))
    ms: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
    say: dict[str, tuple[list[float], list[float]]] = {
        name: ([], []) for name, _, _ in variants}
    mid: dict[str, list[float]] = {name: [] for name, _, _ in variants}
    try:
        for _ in range(repetitions):  # the variants take turns, fault by fault
            for fault, fields in FAULTS.items():
                for name, cls, _root in variants:
                    remote.set(fields)
                    sent, reported, closed = asyncio.run(one_fault(cls, url, fault))
                    cause = cause_of(fault, remote.fired_at(), sent)
                    got = ms.setdefault((fault, name), ([], []))
                    got[0].append(1000 * (reported - cause))
                    got[1].append(1000 * (closed - cause))
            remote.set({})
            for name, cls, _root in variants:
                mid[name].append(1000 * asyncio.run(close_mid_take(cls, url)))
            for name, _cls, root in variants:
                ended, exited = cli_exit_after_malformed(remote, url, root)
                say[name][0].append(1000 * ended)
                say[name][1].append(1000 * exited)
    finally:
        stop(proc)
    names = [name for name, _, _ in variants]
    head = " | ".join(f"{n}: to the caller ms | {n}: to close() returned ms" for n in names)
    lines = [
        f"{repetitions} runs of each fault, server unpaced in a child process, "
        f"pcm_f32le 44.1 kHz; median (max); load average {os.getloadavg()[0]:.2f} at the end",
        "",
        f"| fault (from its cause) | {head} |",
        "|---|" + "---:|---:|" * len(names),
    ]
    worst = 0.0
    for fault in FAULTS:
        cells = []
        for n in names:
            to_caller, to_close = ms[(fault, n)]
            cells.append(f"{statistics.median(to_caller):.1f} ({max(to_caller):.1f}) | "
                         f"{statistics.median(to_close):.1f} ({max(to_close):.1f})")
            if n == "ours":
                worst = max(worst, statistics.median(to_caller),
                            statistics.median(to_close))
        lines.append(f"| {fault} | {' | '.join(cells)} |")
    cells = [f"– | {statistics.median(mid[n]):.1f} ({max(mid[n]):.1f})" for n in names]
    lines.append(f"| no fault: close() after a cancel mid-take, the server 0.2 s ahead "
                 f"(from the call) | {' | '.join(cells)} |")
    cells = [f"{statistics.median(say[n][0]):.0f} ({max(say[n][0]):.0f}) | "
             f"{statistics.median(say[n][1]):.0f} ({max(say[n][1]):.0f})" for n in names]
    lines.append(f"| `say` after a malformed frame: to the command's end (atexit) "
                 f"\\| to the process's exit | {' | '.join(cells)} |")
    lines += ["", f"goal: every fault reported and closed within 100 ms of its cause "
              f"(median): worst {worst:.1f} ms -> {'met' if worst <= 100 else 'MISSED'}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("-n", "--repetitions", type=int, default=None,
                        help="runs per client (default 20; --faults: 5)")
    parser.add_argument("--quick", action="store_true", help="5 runs (--faults: 2)")
    parser.add_argument("--pace", type=float, default=4.0,
                        help="server pacing, times real time (default 4)")
    parser.add_argument("--chunk-ms", type=int, default=40,
                        help="the engine's chunks (the small server's are always 20 ms)")
    parser.add_argument("--encoding", default="pcm_f32le")
    parser.add_argument("--rate", type=int, default=44100)
    parser.add_argument("--server", choices=["engine", "small", "both"], default="both")
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout whose TTSClient gets a row of its own")
    parser.add_argument("--faults", action="store_true",
                        help="time each fault's report instead of the CPU")
    parser.add_argument("--profile", choices=["bare", "ours", "base", "sdk"],
                        help="print a cProfile of one client's runs instead of the table")
    args = parser.parse_args(argv)
    if args.faults:
        n = args.repetitions or (2 if args.quick else 5)
        print(faults_table(n, args.against))
        return 0
    n = args.repetitions or (5 if args.quick else 20)
    chosen = clients(args.against)
    servers = {"engine": f"our engine, {args.chunk_ms} ms chunks",
               "small": "independent, 20 ms chunks"}
    wanted = list(servers) if args.server == "both" else [args.server]
    measured: dict[str, list[Results]] = {}
    for key in wanted:
        proc, url = (start_server(SERVER, str(args.pace), str(args.chunk_ms)) if key == "engine"
                     else start_server(SMALL_SERVER, str(args.pace), "4.8"))
        try:
            setup = Setup(url, args.encoding, args.rate)
            if args.profile:
                print(asyncio.run(profile(setup, chosen[args.profile][1], n)))
                return 0
            measured[servers[key]] = asyncio.run(measure(setup, n, chosen))
        finally:
            stop(proc)
    print(table(measured, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
