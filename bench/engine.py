"""Offline engine benchmark (issue 14): first audio through the engine the app runs,
the engine's memory, and word timing accuracy.

Usage::

    .venv/bin/python bench/engine.py [--runs 8] [--quick]   # the issue 14 table
    .venv/bin/python bench/engine.py --quick --against /tmp/base [...]  # side by side
                                                   # with other checkouts' engines
    .venv/bin/python bench/engine.py --breakdown            # what the engine's RSS is made of
    .venv/bin/python bench/engine.py --rtf [--runs 3] [--only piper espeak] [--no-long]

The engine runs as the window runs it: :class:`app.engine.local.LocalEngine` starts
``voicebooth serve --preload`` as a child process (key on its stdin), with its cache
folder in a fresh temporary folder, so the first start also builds Piper's
alignment-patched model. One :class:`app.cartesia.client.TTSClient` socket stays open,
as in the app; each request is a new context with word timestamps, pcm_f32le at 44.1 kHz.

- first audio: from sending the request to the first audio chunk received, p50 and p90
  over ``--runs`` requests per opening (openings interleaved): a short line, a line
  whose first sentence has 45 words, a paragraph.
- RSS: the engine process's VmRSS (and Pss) once a one-word warm-up take has played
  (the model loaded: "idle"), after the first 45-word take, and its peak (VmHWM).
- timing p90: word edges against where the audio's energy starts and stops (the
  measure of tests/engine/test_offline_voices.py), over every take; the bench fails
  (exit 1) when this checkout's is above 60 ms.
- the longest pause inside a clause: from one word's reported end to the next one's
  start, between words with no punctuation between them, over every take: where two of
  Piper's pieces meet mid-clause, what the seam sounds like (words inside one piece are
  10-130 ms apart).
- the least audio ahead (of playback), per opening: a player that starts at the first
  chunk and plays in real time, how much it had left when each later chunk arrived, at
  worst over the opening's takes; below 0 it would have run dry (a piece made slower
  than the one before it played).
- ``--breakdown`` loads the engine's parts one by one in a child process and prints the
  RSS each adds: Python with the server and numpy, espeak-ng, onnxruntime, Piper's
  package, the joe model's session, then takes on a worker thread (a short one, the
  45-word sentence, the paragraph, the 45-word sentence again); with ``--against``,
  side by side.
- ``--rtf``: issue 3's per-synthesizer real-time factor table (in-process).

Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
#: ``--breakdown`` runs its child on another checkout's code through this variable.
sys.path.insert(0, os.environ.get("BENCH_ENGINE_CHECKOUT", str(ROOT)))
LOAD_BEFORE = " ".join(f"{x:.2f}" for x in os.getloadavg())

SHORT = "Welcome to the voice preview."
PARAGRAPH = (
    "Voicebooth lets designers audition voices while they write. Dr. Smith paid $12.50 "
    "for the tickets in the morning, and the train left at 7:45 sharp. Every take keeps "
    "its audio, its word timings and the settings it was made with, so a good one can "
    "be found again next week. Numbers like 1,024 and abbreviations such as etc. are "
    "read the way a listener expects."
)
#: A first sentence of 45 words, its first comma after the 16th.
LONG_FIRST = (
    "When the designers opened the studio on a cold Monday morning in the middle of "
    "winter, they found that every voice they auditioned the week before still "
    "sounded as warm and clear as it had on the day they first chose it for "
    "the game. The rest is short."
)
_PHRASE = ("the quick brown fox jumps over a lazy dog while seven bright birds sing "
           "softly near an old stone bridge ")
LONG = (_PHRASE * 30).strip()  # 600 words, no punctuation
OPENINGS = (("short line", SHORT), ("45-word sentence", LONG_FIRST),
            ("paragraph", PARAGRAPH))
RATE = 44100
PIPER = "0ff1ce00-91e7-4a5e-9b2c-70e5e0000001"
LIMIT_MS = 60.0


def proc_mib(pid: int, field: str) -> float:
    """A ``/proc/<pid>/status`` (VmRSS, VmHWM) or ``smaps_rollup`` (Pss) figure in MiB."""
    name = "smaps_rollup" if field == "Pss" else "status"
    try:
        text = Path(f"/proc/{pid}/{name}").read_text()
    except OSError:
        return float("nan")
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) / 1024 if match else float("nan")


def heard_edges(audio: np.ndarray, words: list[tuple[str, float, float]], rate: int,
                threshold: float = 0.01) -> list[tuple[float, float]]:
    """Where sound starts and stops around each word (10 ms RMS windows), searched between
    the midpoints of the gaps around it: tests/engine/test_offline_voices.py's measure."""
    window = rate // 100
    frames = len(audio) // window
    env = np.sqrt(np.mean(audio[:frames * window].astype(np.float64)
                          .reshape(frames, window) ** 2, axis=1))
    out = []
    for k, (_, start, end) in enumerate(words):
        lo = 0.0 if k == 0 else (words[k - 1][2] + start) / 2
        hi = frames * 0.01 if k == len(words) - 1 else (end + words[k + 1][1]) / 2
        region = np.arange(int(lo * 100), min(frames, int(hi * 100)))
        loud = region[env[region] > threshold]
        out.append((loud[0] * 0.01, (loud[-1] + 1) * 0.01) if len(loud) else (start, end))
    return out


def clause_gaps(words: list[tuple[str, float, float]]) -> list[float]:
    """Seconds between consecutive words with no punctuation between them: where Piper's
    pieces meet inside a clause, the pause the seam makes."""
    return [b_start - a_end for (a, _, a_end), (_, b_start, _) in itertools.pairwise(words)
            if a[-1:].isalnum()]


def timing_errors(audio: np.ndarray, words: list[tuple[str, float, float]],
                  rate: int) -> list[float]:
    errors: list[float] = []
    for (_, start, end), (heard_start, heard_end) in zip(
            words, heard_edges(audio, words, rate), strict=True):
        errors += [abs(start - heard_start), abs(end - heard_end)]
    return errors


async def take(client: Any, text: str
               ) -> tuple[float, np.ndarray, list[tuple[str, float, float]], float]:
    """(seconds from the request to its first audio, the audio, the word timings, the
    least audio a player that started at the first chunk had left: below 0 it would
    have run dry, where a later piece of Piper's came too late)."""
    from app.cartesia import messages as m
    from app.cartesia.client import Audio

    request = m.GenerationRequest("sonic-3", text, PIPER, "",
                                  m.OutputFormat("pcm_f32le", RATE))
    started = time.perf_counter()
    first: float | None = None
    chunks: list[np.ndarray] = []
    words: list[tuple[str, float, float]] = []
    received = 0  # samples
    ahead = float("inf")
    async for event in await client.generate(request):
        if isinstance(event, Audio):
            now = time.perf_counter() - started
            if first is None:
                first = now
            if received:
                ahead = min(ahead, received / RATE - (now - first))
            received += len(event.samples)
            chunks.append(event.samples)
        elif isinstance(event, m.WordTimestamps):
            words += zip(event.words, event.start, event.end, strict=True)
    audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return (first if first is not None else float("nan")), audio, words, ahead


async def session(engines: list[tuple[str, str, int]], runs: int,
                  started: float) -> list[dict[str, Any]]:
    """Every engine (url, key, pid) gets the same requests, alternately, each on its own
    socket: side by side, so the machine's load weighs on both alike."""
    from contextlib import AsyncExitStack

    from app.cartesia.client import TTSClient
    from app.cartesia.config import ClientConfig, Timeouts

    outs: list[dict[str, Any]] = [{"firsts": {label: [] for label, _ in OPENINGS},
                                   "errors": [], "gaps": [],
                                   "ahead": {label: [] for label, _ in OPENINGS}}
                                  for _ in engines]
    async with AsyncExitStack() as stack:
        clients = []
        for url, key, _ in engines:
            config = ClientConfig(url, api_key=key, timeouts=Timeouts(
                connect=30, first_chunk=300, inactivity=300))
            clients.append(await stack.enter_async_context(TTSClient(config)))
        for client, out in zip(clients, outs, strict=True):
            await take(client, "Hi.")  # waits for the model: what the first Play would
            out["ready_s"] = time.perf_counter() - started
        await asyncio.sleep(1.0)
        for (_, _, pid), out in zip(engines, outs, strict=True):
            out["idle_rss"], out["idle_pss"] = proc_mib(pid, "VmRSS"), proc_mib(pid, "Pss")
        everyone = list(zip(engines, clients, outs, strict=True))
        for run in range(runs):
            # Each run starts with the next engine: whichever goes right after another's
            # long take shares the machine with what that engine does once it is over.
            turn = everyone[run % len(everyone):] + everyone[:run % len(everyone)]
            for label, text in OPENINGS:
                for (_, _, pid), client, out in turn:
                    first, audio, words, ahead = await take(client, text)
                    out["firsts"][label].append(first * 1000)
                    out["errors"] += timing_errors(audio, words, RATE)
                    out["gaps"] += clause_gaps(words)
                    out["ahead"][label].append(ahead)
                    if run == 0 and text is LONG_FIRST:
                        await asyncio.sleep(1.0)
                        out["long_rss"] = proc_mib(pid, "VmRSS")
                        out["long_pss"] = proc_mib(pid, "Pss")
        for (_, _, pid), out in zip(engines, outs, strict=True):
            out["peak_rss"] = proc_mib(pid, "VmHWM")
    return outs


def _through_cli(serve_args: Any) -> list[str]:
    """The child's command for a checkout from before app.cli.serve had its own main."""
    return [sys.executable, "-c", "import sys; from app.cli import main; "
            f"sys.exit(main({list(serve_args)!r}))"]


def measure(runs: int, checkouts: list[Path]) -> list[dict[str, Any]]:
    """Starts one engine per checkout (its code on the child's PYTHONPATH) and runs the
    session; the first start of each builds what it caches, in a fresh cache folder."""
    from app.engine import local
    from app.engine.local import LocalEngine

    engines: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as cache:
        started = time.perf_counter()
        try:
            url_s = []
            for k, checkout in enumerate(checkouts):
                environ = dict(os.environ, XDG_CACHE_HOME=f"{cache}/{k}",
                               PYTHONPATH=str(checkout))
                environ.pop("CARTESIA_API_KEY", None)
                engine = LocalEngine(environ=environ)
                if k > 0:  # an older checkout: its serve goes through app.cli's main
                    engine_command = local.engine_command
                    local.engine_command = _through_cli
                engines.append(engine)
                begun = time.perf_counter()
                # The child runs ``python -c``, which puts its working folder first on
                # sys.path: it must be the checkout whose engine this is.
                here = os.getcwd()
                os.chdir(checkout)
                try:
                    engine.start()
                finally:
                    os.chdir(here)
                    if k > 0:
                        local.engine_command = engine_command
                url_s.append(time.perf_counter() - begun)
            results = asyncio.run(session([(e.url, e.key, e.pid) for e in engines], runs,
                                          started))
        finally:
            for engine in engines:
                engine.stop()
    for result, seconds in zip(results, url_s, strict=True):
        result["url_s"] = seconds
    return results


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def report(results: list[dict[str, Any]], names: list[str], runs: int) -> bool:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"engine children (LocalEngine), {runs} requests per opening, interleaved across "
          f"engines; pcm_f32le {RATE} Hz; ms and MiB; load average before: {LOAD_BEFORE}, "
          f"after: {load}")
    print(f"{'measure':<34} " + " ".join(f"{n:>12}" for n in names) + "  goal")
    rows: list[tuple[str, list[float], str]] = [
        ("URL printed (s)", [r["url_s"] for r in results], ""),
        ("first take heard, from start (s)", [r["ready_s"] for r in results], ""),
    ]
    for label, _ in OPENINGS:
        rows += [(f"first audio p50, {label}",
                  [statistics.median(r["firsts"][label]) for r in results], "<= 150"),
                 (f"first audio p90, {label}",
                  [percentile(r["firsts"][label], 90) for r in results], "<= 250")]
    rows += [("RSS idle (model loaded)", [r["idle_rss"] for r in results], "low"),
             ("Pss idle", [r["idle_pss"] for r in results], ""),
             ("RSS after a 45-word take", [r["long_rss"] for r in results], ""),
             ("  growth", [r["long_rss"] - r["idle_rss"] for r in results], "<= +30"),
             ("RSS peak (VmHWM)", [r["peak_rss"] for r in results], "")]
    p90s = [percentile(r["errors"], 90) * 1000 for r in results]
    rows.append(("word timing p90", p90s, f"<= {LIMIT_MS:.0f}"))
    rows.append(("longest pause inside a clause", [max(r["gaps"]) * 1000 for r in results],
                 "short"))
    rows += [(f"least audio ahead, {label}", [min(r["ahead"][label]) * 1000 for r in results],
              "> 0") for label, _ in OPENINGS]
    for name, values, goal in rows:
        print(f"{name:<34} " + " ".join(f"{v:>12.1f}" for v in values) + f"  {goal}")
    return p90s[0] <= LIMIT_MS


def breakdown() -> None:
    """Loads the engine's parts one at a time, printing the RSS after each (JSON)."""
    steps: list[tuple[str, float]] = []

    def mark(name: str) -> None:
        steps.append((name, proc_mib(os.getpid(), "VmRSS")))

    mark("python")
    import numpy  # noqa: F401

    import app.engine.server  # noqa: F401
    mark("server modules, numpy")
    from app.engine.synth.espeak import EspeakSynthesizer
    EspeakSynthesizer().load()
    mark("espeak-ng loaded")
    import onnxruntime  # noqa: F401
    mark("onnxruntime imported")
    import piper  # noqa: F401
    mark("piper imported")
    from app.engine.synth.base import SynthRequest
    from app.engine.synth.piper_voice import PiperSynthesizer
    with tempfile.TemporaryDirectory() as cache:
        synth = PiperSynthesizer(cache_dir=Path(cache)) if "cache_dir" in \
            PiperSynthesizer.__init__.__code__.co_varnames else PiperSynthesizer()
        synth.load()
        mark("joe model loaded")
        for text, name in (("Hi.", "a short take"), (LONG_FIRST, "a 45-word take"),
                           (PARAGRAPH, "the paragraph"), (LONG_FIRST, "45 words again")):
            # on a worker thread, as the server runs syntheses
            worker = threading.Thread(target=lambda t=text: list(
                synth.synthesize(SynthRequest(t, PIPER, RATE))))
            worker.start()
            worker.join()
            mark(name)
    print(json.dumps(steps))


def breakdown_main(checkouts: list[Path], names: list[str]) -> None:
    columns = []
    for checkout in checkouts:
        done = subprocess.run([sys.executable, __file__, "--breakdown-child"], check=True,
                              capture_output=True, text=True,
                              env=dict(os.environ, BENCH_ENGINE_CHECKOUT=str(checkout)))
        columns.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"the engine's RSS part by part, in process (MiB: RSS, and what the step added); "
          f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'after':<24} " + " ".join(f"{n:>18}" for n in names))
    for row in range(len(columns[0])):
        cells = []
        for steps in columns:
            rss = steps[row][1]
            added = rss - (steps[row - 1][1] if row else 0.0)
            cells.append(f"{rss:>9.1f} {added:>+8.1f}")
        print(f"{columns[0][row][0]:<24} " + " ".join(cells))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _one_run(synth: Any, voice_id: str, text: str, rate: int) -> tuple[float, float, float]:
    """(seconds to first audio, wall seconds, audio seconds) for one request."""
    from app.engine.synth.base import AudioOut, SynthRequest

    started = time.perf_counter()
    first: float | None = None
    samples = 0
    for event in synth.synthesize(SynthRequest(text, voice_id, rate)):
        if isinstance(event, AudioOut) and len(event.samples):
            if first is None:
                first = time.perf_counter() - started
            samples += len(event.samples)
    wall = time.perf_counter() - started
    return (first if first is not None else wall), wall, samples / rate


def child(name: str, runs: int, rate: int, long: bool) -> dict[str, Any]:
    from app.engine.synth.registry import default_synthesizers

    before = _rss_mb()
    synths = {s.name: s for s in default_synthesizers()}
    if name not in synths:
        return {"name": name, "error": f"not available (have: {', '.join(synths)})"}
    synth = synths[name]
    voice_id = synth.voices()[0].id
    started = time.perf_counter()
    load = getattr(synth, "load", None)
    if load is not None:
        load()
    loaded = time.perf_counter() - started
    _one_run(synth, voice_id, SHORT, rate)  # warm-up: caches, first-call allocations
    firsts: list[float] = []
    rtf: dict[str, float] = {}
    texts = [("short", SHORT, runs), ("paragraph", PARAGRAPH, runs)]
    if long:
        texts.append(("long", LONG, 1))
    for label, text, n in texts:
        wall_total = audio_total = 0.0
        for _ in range(n):
            first, wall, audio = _one_run(synth, voice_id, text, rate)
            firsts.append(first)
            wall_total += wall
            audio_total += audio
        rtf[label] = wall_total / audio_total if audio_total else float("nan")
        rtf[label + "_audio_s"] = audio_total / n
    return {"name": name, "voice": voice_id, "load_s": loaded,
            "first_ms_p50": statistics.median(firsts) * 1000,
            "first_ms_max": max(firsts) * 1000, "rtf": rtf,
            "rss_before_mb": before, "rss_peak_mb": _rss_mb()}


def rtf_main(argv: list[str]) -> None:
    """The per-synthesizer table of issue 3 (``--rtf``)."""
    parser = argparse.ArgumentParser(description="real-time factor per synthesizer")
    parser.add_argument("--rtf", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=int, default=24000)
    parser.add_argument("--only", nargs="*", default=["piper", "espeak", "tones"])
    parser.add_argument("--no-long", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.runs, args.rate, not args.no_long)))
        return
    rows = []
    for name in args.only:
        cmd = [sys.executable, __file__, "--rtf", "--child", name, "--runs", str(args.runs),
               "--rate", str(args.rate)] + (["--no-long"] if args.no_long else [])
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            rows.append({"name": name, "error": done.stderr.strip().splitlines()[-1:]})
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    header = (f"{'engine':<8} {'load s':>7} {'1st ms p50':>10} {'1st ms max':>10} "
              f"{'RTF short':>9} {'RTF para':>9} {'RTF long':>9} {'RSS before':>10} "
              f"{'RSS peak':>9}")
    print(f"rate {args.rate} Hz, {args.runs} runs per text; RTF = synthesis time / audio "
          f"time; RSS in MiB")
    print(header)
    for row in rows:
        if "error" in row:
            print(f"{row['name']:<8} error: {row['error']}")
            continue
        rtf = row["rtf"]
        long = f"{rtf['long']:>9.4f}" if "long" in rtf else f"{'-':>9}"
        print(f"{row['name']:<8} {row['load_s']:>7.2f} {row['first_ms_p50']:>10.1f} "
              f"{row['first_ms_max']:>10.1f} {rtf['short']:>9.4f} {rtf['paragraph']:>9.4f} "
              f"{long} {row['rss_before_mb']:>10.0f} {row['rss_peak_mb']:>9.0f}")
    audio = {row["name"]: row["rtf"] for row in rows if "rtf" in row}
    for name, rtf in audio.items():
        print(f"  {name}: audio per request: short {rtf['short_audio_s']:.1f} s, paragraph "
              f"{rtf['paragraph_audio_s']:.1f} s"
              + (f", long {rtf['long_audio_s']:.1f} s" if "long_audio_s" in rtf else ""))


def main() -> None:
    if "--rtf" in sys.argv:
        rtf_main(sys.argv[1:])
        return
    if "--breakdown-child" in sys.argv:
        breakdown()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=8, help="requests per opening")
    parser.add_argument("--quick", action="store_true", help="3 requests per opening")
    parser.add_argument("--against", type=Path, metavar="CHECKOUT", nargs="+", default=[],
                        help="also run the engine of other checkouts (e.g. a worktree of "
                             "main), interleaved request by request, a column each")
    parser.add_argument("--breakdown", action="store_true",
                        help="the engine's RSS part by part, in process")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    checkouts = [ROOT] + [path.resolve() for path in args.against]
    names = ["this"] + [path.name for path in args.against]
    if args.breakdown:
        breakdown_main(checkouts, names)
        return
    if not report(measure(runs, checkouts), names, runs):
        raise SystemExit(f"word timing p90 above {LIMIT_MS:.0f} ms")


if __name__ == "__main__":
    main()
