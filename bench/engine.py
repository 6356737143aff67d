"""Offline engine benchmark: real-time factor, time to first chunk and peak memory
per synthesizer.

Usage::

    .venv/bin/python bench/engine.py [--runs 3] [--rate 24000] [--only piper espeak]
                                     [--no-long]

Each synthesizer runs in a child process of its own, so its peak resident memory
(``ru_maxrss``) is not mixed with another engine's model; the table also shows the
child's memory before the engine loaded, so the difference is the engine's cost.

- load: seconds for ``load()`` (model and library), before any synthesis.
- first chunk: from calling ``synthesize`` to the first non-empty audio event,
  warm (after one warm-up request), median and worst over all runs and texts.
- RTF: synthesis wall time divided by the audio's duration (0.04 means 25× faster
  than real time), for a short sentence, a paragraph, and (unless ``--no-long``) a
  600-word sentence without punctuation, which shows that splitting long input keeps
  memory bounded.

Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHORT = "Welcome to the voice preview."
PARAGRAPH = (
    "Voicebooth lets designers audition voices while they write. Dr. Smith paid $12.50 "
    "for the tickets in the morning, and the train left at 7:45 sharp. Every take keeps "
    "its audio, its word timings and the settings it was made with, so a good one can "
    "be found again next week. Numbers like 1,024 and abbreviations such as etc. are "
    "read the way a listener expects."
)
_PHRASE = ("the quick brown fox jumps over a lazy dog while seven bright birds sing "
           "softly near an old stone bridge ")
LONG = (_PHRASE * 30).strip()  # 600 words, no punctuation


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=int, default=24000)
    parser.add_argument("--only", nargs="*", default=["piper", "espeak", "tones"])
    parser.add_argument("--no-long", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.runs, args.rate, not args.no_long)))
        return
    rows = []
    for name in args.only:
        cmd = [sys.executable, __file__, "--child", name, "--runs", str(args.runs),
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


if __name__ == "__main__":
    main()
