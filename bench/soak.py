"""Soak: hundreds of generations on one client socket, several at once, with faults.

Usage::

    .venv/bin/python bench/soak.py [--generations 600] [--concurrency 4] [--faults 0.25]
                                   [--pace 8] [--timeout 1] [--seed 1] [--every 100]

Our server (the tests' :class:`~tests.faults.FaultyServer`, the deterministic tone
voice, paced at ``--pace`` times real time) runs on a thread of this process and
our :class:`~app.cartesia.client.TTSClient` on its loop, so the resident memory
printed covers both. Generations run in rounds of ``--concurrency`` at once on one
client (it reconnects only when a fault killed its socket). A share ``--faults``
of the rounds gets one fault, injected while the round streams:

- ``drop`` (TCP cut, no close frame), ``close`` (code 1011): ConnectionLost
- ``malformed`` (a frame that is not JSON): ProtocolError
- ``error`` (an in-band 500 mid-stream): ServerError
- ``stall`` (the server goes silent): Timeout after the client's ``--timeout``
- ``limit`` (one context at a time, as a plan's concurrency limit): RateLimited
- ``cancel`` (the client cancels one generation mid-stream): Cancelled, and the
  next round reuses its context id

Every other generation must end normally with exactly the words it asked for and
the tone voice's exact number of samples. Counted and printed every ``--every``
generations: hangs (no end within 20 s), wrong exceptions (any other class, or any
exception in a round without a fault), wrong audio, work left on the server once a
round ended (contexts, syntheses, tasks beyond the sockets' own), the client's
tasks and open generations, and RSS. At the end the client closes and the server
stops: no socket, context, synthesis or task may remain.

Run it on an otherwise idle machine: the client's timeout is short (1 s), so a
process starved of CPU for that long shows as wrong exceptions (Timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.cartesia import messages as m  # noqa: E402
from app.cartesia.client import Audio, Generation, TTSClient  # noqa: E402
from app.cartesia.config import ClientConfig, Timeouts  # noqa: E402
from app.cartesia.errors import Cancelled as CancelledGeneration  # noqa: E402
from app.cartesia.errors import (  # noqa: E402
    CartesiaError,
    ConnectionLost,
    ProtocolError,
    RateLimited,
    ServerError,
    Timeout,
)
from app.engine.server import ServerConfig, ThreadedServer  # noqa: E402
from app.engine.synth.tones import (  # noqa: E402
    GAP_SECONDS,
    VOICE_ID,
    ToneSynthesizer,
    n_samples,
    word_seconds,
    words_of,
)
from tests.faults import FaultyServer  # noqa: E402

KEY = "sk_soak_0123456789"
RATE = 16000
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
         "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
         "sierra", "tango", "uniform", "victor", "whiskey")
HANG = 20.0
EXPECTED: dict[str, type[CartesiaError]] = {
    "drop": ConnectionLost, "close": ConnectionLost, "malformed": ProtocolError,
    "error": ServerError, "stall": Timeout, "limit": RateLimited,
    "cancel": CancelledGeneration}


@dataclass
class Tally:
    generations: int = 0
    ok: int = 0
    expected: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)
    hangs: int = 0
    bad_audio: int = 0
    leaks: list[str] = field(default_factory=list)
    max_client_tasks: int = 0
    faults: Counter[str] = field(default_factory=Counter)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def expected_samples(text: str) -> int:
    return sum(n_samples(word_seconds(w), RATE) + n_samples(GAP_SECONDS, RATE)
               for w in words_of(text))


async def run_one(generation: Generation, cancel_after: int | None
                  ) -> tuple[list[str], int, BaseException | None]:
    """Words and samples received, and the exception that ended it (if any)."""
    words: list[str] = []
    samples = 0
    try:
        async for event in generation:
            if isinstance(event, Audio):
                samples += len(event.samples)
                if cancel_after is not None and samples >= cancel_after:
                    await generation.cancel()
            elif isinstance(event, m.WordTimestamps):
                words += event.words
    except CartesiaError as exc:
        return words, samples, exc
    return words, samples, None


async def inject(server: FaultyServer, fault: str, delay: float) -> None:
    await asyncio.sleep(delay)
    faults = server.faults
    if fault == "drop":
        faults.drop_after_chunks = 0
    elif fault == "close":
        faults.close_after_chunks, faults.close_code = 0, 1011
    elif fault == "malformed":
        faults.malformed_after_chunks = 0
    elif fault == "error":
        faults.error_after_chunks = 0
    elif fault == "stall":
        faults.stall_after_chunks = 0


async def settle(threaded: ThreadedServer, client: TTSClient) -> str | None:
    """None once the server holds no context or synthesis and the client no generation;
    else what is left after 3 s."""
    stats: dict[str, int] = {}
    for _ in range(300):
        stats = await asyncio.to_thread(threaded.stats)
        busy = (stats["contexts"] or stats["syntheses"] or stats["steps"]
                or stats["tasks"] > stats["connections"])  # one idle watcher per socket
        if not busy and client.open_generations == 0 and client.buffered_audio == 0:
            return None
        await asyncio.sleep(0.01)
    return (f"server {stats}, client open {client.open_generations}, "
            f"buffered {client.buffered_audio}")


async def soak(args: argparse.Namespace) -> Tally:
    rng = random.Random(args.seed)
    tally = Tally()
    threaded = ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=KEY, pace=args.pace),
                              server_class=FaultyServer)
    threaded.start()
    server = threaded.server
    assert isinstance(server, FaultyServer)
    config = ClientConfig(threaded.url, api_key=KEY,
                          timeouts=Timeouts(connect=5, first_chunk=args.timeout,
                                            inactivity=args.timeout))
    started = time.perf_counter()
    reuse: str | None = None
    print(f"{'gens':>6} {'ok':>6} {'expected':>9} {'wrong':>5} {'hangs':>5} {'audio':>5} "
          f"{'leaks':>5} {'tasks':>5} {'reconnects':>10} {'RSS MiB':>8} {'s':>6}")
    try:
        async with TTSClient(config) as client:
            while tally.generations < args.generations:
                fault = rng.choice(list(EXPECTED)) if rng.random() < args.faults else None
                if fault is not None:
                    tally.faults[fault] += 1
                if fault == "limit":
                    server.faults.concurrency_limit = 1
                texts = [" ".join(rng.sample(WORDS, rng.randint(4, 12)))
                         for _ in range(args.concurrency)]
                ids = [reuse or str(uuid.uuid4())] + [str(uuid.uuid4()) for _ in texts[1:]]
                reuse = None
                generations = []
                for context_id, text in zip(ids, texts, strict=True):
                    try:
                        generations.append(await client.generate(m.GenerationRequest(
                            "sonic-3", text, VOICE_ID, context_id,
                            m.OutputFormat("pcm_s16le", RATE))))
                    except CartesiaError as exc:  # the socket died while sending
                        generations.append(exc)  # type: ignore[arg-type]
                cancel_at = (rng.randint(1, expected_samples(texts[0]) // 2)
                             if fault == "cancel" else None)
                if fault in ("drop", "close", "malformed", "error", "stall"):
                    injector = asyncio.ensure_future(inject(server, fault,
                                                            rng.uniform(0.0, 0.3)))
                else:
                    injector = asyncio.ensure_future(asyncio.sleep(0))
                outcomes = await asyncio.gather(*(
                    asyncio.wait_for(run_one(g, cancel_at if k == 0 else None), HANG)
                    if isinstance(g, Generation) else _failed(g)
                    for k, g in enumerate(generations)), return_exceptions=True)
                await injector
                server.faults.clear()
                if fault == "cancel":
                    reuse = ids[0]  # the next round opens this context id again
                for text, outcome in zip(texts, outcomes, strict=True):
                    tally.generations += 1
                    if isinstance(outcome, TimeoutError):
                        tally.hangs += 1
                        continue
                    if isinstance(outcome, BaseException):
                        tally.wrong.append(f"{fault}: {type(outcome).__name__}: {outcome}")
                        continue
                    words, samples, error = outcome
                    if error is None:
                        tally.ok += 1
                        if words != text.split() or samples != expected_samples(text):
                            tally.bad_audio += 1
                    elif fault is not None and isinstance(error, EXPECTED[fault]):
                        tally.expected[fault] += 1
                    else:
                        tally.wrong.append(
                            f"round with {fault or 'no fault'}, generation {tally.generations}: "
                            f"{type(error).__name__}: {error} (after {samples} of "
                            f"{expected_samples(text)} samples, {len(words)} words)")
                if (left := await settle(threaded, client)) is not None:
                    tally.leaks.append(f"after generation {tally.generations} ({fault}): {left}")
                tally.max_client_tasks = max(tally.max_client_tasks, len(asyncio.all_tasks()))
                if tally.generations % args.every < args.concurrency:
                    report(tally, client, started)
        remaining = await settle_closed(threaded)
        if remaining:
            tally.leaks.append(f"after the client closed: {remaining}")
    finally:
        threaded.stop()
    if threaded.leftover_tasks:
        tally.leaks.append(f"tasks left after stop: {threaded.leftover_tasks}")
    if len(asyncio.all_tasks()) > 1:
        tally.leaks.append(f"client tasks left: {asyncio.all_tasks()}")
    return tally


async def _failed(error: CartesiaError) -> tuple[list[str], int, BaseException]:
    return [], 0, error


async def settle_closed(threaded: ThreadedServer) -> dict[str, int] | None:
    stats: dict[str, int] = {}
    for _ in range(300):
        stats = await asyncio.to_thread(threaded.stats)
        if not any(stats.values()):
            return None
        await asyncio.sleep(0.01)
    return stats


def report(tally: Tally, client: TTSClient, started: float) -> None:
    print(f"{tally.generations:>6} {tally.ok:>6} {sum(tally.expected.values()):>9} "
          f"{len(tally.wrong):>5} {tally.hangs:>5} {tally.bad_audio:>5} {len(tally.leaks):>5} "
          f"{len(asyncio.all_tasks()):>5} {client.connects - 1:>10} {rss_mib():>8.1f} "
          f"{time.perf_counter() - started:>6.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generations", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--faults", type=float, default=0.25,
                        help="share of rounds with a fault (default 0.25)")
    parser.add_argument("--pace", type=float, default=8.0,
                        help="audio at this multiple of real time (default 8)")
    parser.add_argument("--timeout", type=float, default=1.0,
                        help="the client's first-chunk and inactivity timeouts (default 1 s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--every", type=int, default=100)
    args = parser.parse_args()
    tally = asyncio.run(soak(args))
    print(f"\n{tally.generations} generations, {tally.ok} ended normally, "
          f"{sum(tally.expected.values())} failed as their fault says "
          f"({', '.join(f'{k} {v}' for k, v in sorted(tally.expected.items()))})")
    print(f"faults injected in rounds: {dict(sorted(tally.faults.items()))}")
    print(f"hangs {tally.hangs}, wrong exceptions {len(tally.wrong)}, wrong audio "
          f"{tally.bad_audio}, leaks {len(tally.leaks)}, most client tasks "
          f"{tally.max_client_tasks}")
    for line in tally.wrong[:20] + tally.leaks[:20]:
        print("  " + line)
    bad = tally.hangs or tally.wrong or tally.bad_audio or tally.leaks
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
