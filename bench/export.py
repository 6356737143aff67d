"""Finishing a take: how long each export chain takes on real speech.

    .venv/bin/python bench/export.py [--seconds 6,60] [--repeat 3]

Says a sentence with the offline engine's Piper voice (``say --offline``, once), repeats
it to each length, and exports it through :func:`app.takes.export.export_take` with the
chains a designer picks: the raw WAV, a gain to −23 LUFS, the "Game 48k −16 LUFS" preset
as FLAC (resampled, limited to −1 dBTP), MP3 and Ogg Opus at −16 LUFS. Prints the
median wall time of ``--repeat`` runs per chain and length, and the loudness reached.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.audio.wav import read_wav
from app.takes.export import ExportSpec, export_take
from app.takes.take import Take, TakeSettings

ROOT = Path(__file__).resolve().parents[1]
SENTENCE = ("The storm is coming. Take shelter before nightfall, and keep your lantern "
            "lit until the morning bells.")
CHAINS: tuple[tuple[str, ExportSpec], ...] = (
    ("raw WAV (sample-exact)", ExportSpec()),
    ("WAV 16-bit, -23 LUFS gain only", ExportSpec(normalize_lufs=-23.0)),
    ("FLAC 48k 24-bit, -16 LUFS, limiter, trim",
     ExportSpec(format="flac", wav_subtype="pcm24", sample_rate=48000, normalize_lufs=-16.0,
                limiter=True, trim=True)),
    ("MP3, -16 LUFS, limiter", ExportSpec(format="mp3", normalize_lufs=-16.0, limiter=True)),
    ("Ogg Opus 48k, -16 LUFS, limiter",
     ExportSpec(format="opus", sample_rate=48000, normalize_lufs=-16.0, limiter=True)),
)


def speech(folder: Path) -> tuple[np.ndarray, int]:
    """One sentence said by the offline engine's Piper voice, as float samples."""
    out = folder / "speech.wav"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, str(ROOT / "main.py"), "say", "--offline", SENTENCE,
                    "-o", str(out)], check=True, env=env, capture_output=True)
    data = read_wav(out)
    return np.asarray(data.samples, dtype=np.float32), data.sample_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", default="6,60")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sentence, rate = speech(folder)
        print(f"speech: {len(sentence) / rate:.2f} s of Piper at {rate} Hz\n")
        print(f"| chain | {' | '.join(f'{s} s take' for s in args.seconds.split(','))} "
              "| loudness reached |")
        print("|---|" + "---|" * (len(args.seconds.split(",")) + 1))
        lengths = [float(s) for s in args.seconds.split(",")]
        takes = []
        for length in lengths:
            reps = int(np.ceil(length * rate / len(sentence)))
            samples = np.tile(sentence, reps)[: int(length * rate)]
            takes.append(Take.from_audio(TakeSettings(text=SENTENCE, voice_id="joe",
                                                      sample_rate=rate), samples))
        for label, spec in CHAINS:
            cells, reached = [], ""
            spec = replace(spec, timings=frozenset({"json"}))
            for take in takes:
                times = []
                for n in range(args.repeat):
                    target = folder / f"out{n}{spec.extension}"
                    t = time.perf_counter()
                    result = export_take(take, target, spec, overwrite=True)
                    times.append(time.perf_counter() - t)
                    if result.after is not None:
                        reached = (f"{result.after.lufs:.1f} LUFS, "
                                   f"{result.true_peak_db:.1f} dBTP")
                cells.append(f"{statistics.median(times):.2f} s")
            print(f"| {label} | {' | '.join(cells)} | {reached} |")


if __name__ == "__main__":
    main()
