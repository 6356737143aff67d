"""Exporting a take (or a selection of it): WAV, and its timings as JSON and SRT."""

from __future__ import annotations

from pathlib import Path

from app.atomic import TargetExists, WriteError
from app.audio.wav import WavFormat, write_wav
from app.takes.errors import ExportError
from app.takes.take import Take
from app.takes.timings import Timing, write_srt, write_timings_json


def _cut(items: list[Timing], start: float, end: float) -> list[Timing]:
    """Timings inside ``[start, end)``, shifted so the selection starts at zero."""
    return [Timing(t.text, max(t.start, start) - start, min(t.end, end) - start)
            for t in items if t.end > start and t.start < end]


def export_take(take: Take, wav_path: str | Path, *, fmt: WavFormat = "pcm16",
                selection: tuple[float, float] | None = None, timings_json: bool = False,
                srt: bool = False, overwrite: bool = False) -> list[Path]:
    """Write the WAV (and the timings beside it, same stem); returns the files written.

    Dither is applied only when float audio becomes integer PCM: 16-bit sources
    (s16, μ-law, A-law) are already exact at 16 bits.
    """
    wav = Path(wav_path)
    start, end = selection if selection is not None else (0.0, take.duration)
    samples = take.selection(start, end)
    words, phonemes = _cut(take.words, start, end), _cut(take.phonemes, start, end)
    targets = [wav]
    if timings_json:
        targets.append(wav.with_suffix(".json"))
    if srt:
        targets.append(wav.with_suffix(".srt"))
    if not overwrite:
        for target in targets:
            if target.exists():
                raise ExportError(f"{target} already exists; choose another name or allow "
                                  "overwriting")
    dither = take.settings.encoding == "pcm_f32le" and fmt != "float32"
    try:
        write_wav(wav, samples, take.sample_rate, fmt, dither=dither, overwrite=overwrite)
        if timings_json:
            write_timings_json(targets[1], words, phonemes, overwrite=overwrite)
        if srt:
            write_srt(targets[-1], words, overwrite=overwrite)
    except (WriteError, TargetExists) as exc:
        raise ExportError(f"export failed: {exc}") from None
    return targets
