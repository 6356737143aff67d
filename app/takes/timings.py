"""Word and phoneme timings of a take, exported as JSON, SRT or WebVTT subtitles."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.atomic import atomic_write

#: A pause at least this long between words starts a new subtitle cue.
CUE_BREAK_SECONDS = 0.6
_SENTENCE_END = (".", "!", "?", "…", "。", "！", "？")


@dataclass(frozen=True)
class Timing:
    """One word or phoneme, in seconds from the start of the take."""

    text: str
    start: float
    end: float


def timings_json(words: Sequence[Timing], phonemes: Sequence[Timing]) -> dict[str, Any]:
    return {
        "words": [{"text": w.text, "start": w.start, "end": w.end} for w in words],
        "phonemes": [{"text": p.text, "start": p.start, "end": p.end} for p in phonemes],
    }


def write_timings_json(path: str | os.PathLike[str], words: Sequence[Timing],
                       phonemes: Sequence[Timing], *, overwrite: bool = True) -> None:
    data = json.dumps(timings_json(words, phonemes), ensure_ascii=False, indent=1)
    with atomic_write(path, overwrite=overwrite) as handle:
        handle.write(data.encode("utf-8") + b"\n")


def srt_time(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


def cues(words: Sequence[Timing], *, max_chars: int = 42, max_seconds: float = 5.0
         ) -> list[tuple[float, float, str]]:
    """Group words into subtitle cues: break after a sentence, a long pause, or when full."""
    out: list[tuple[float, float, str]] = []
    current: list[Timing] = []

    def close() -> None:
        if current:
            out.append((current[0].start, current[-1].end, " ".join(w.text for w in current)))
            current.clear()

    for word in words:
        if current:
            text_len = len(" ".join(w.text for w in current)) + 1 + len(word.text)
            if (word.start - current[-1].end >= CUE_BREAK_SECONDS
                    or text_len > max_chars or word.end - current[0].start > max_seconds):
                close()
        current.append(word)
        if word.text.endswith(_SENTENCE_END):
            close()
    close()
    return out


def srt_text(words: Sequence[Timing], *, max_chars: int = 42, max_seconds: float = 5.0) -> str:
    blocks = [f"{i}\n{srt_time(start)} --> {srt_time(end)}\n{text}\n"
              for i, (start, end, text) in enumerate(
                  cues(words, max_chars=max_chars, max_seconds=max_seconds), start=1)]
    return "\n".join(blocks)


def write_srt(path: str | os.PathLike[str], words: Sequence[Timing], *,
              overwrite: bool = True) -> None:
    with atomic_write(path, overwrite=overwrite) as handle:
        handle.write(srt_text(words).encode("utf-8"))


def vtt_time(seconds: float) -> str:
    """WebVTT's timestamp: like SRT's, with a dot before the milliseconds."""
    return srt_time(seconds).replace(",", ".")


def vtt_text(words: Sequence[Timing], *, max_chars: int = 42, max_seconds: float = 5.0) -> str:
    """A WebVTT file: the ``WEBVTT`` header, a blank line, then the same cues as SRT."""
    blocks = [f"{i}\n{vtt_time(start)} --> {vtt_time(end)}\n{text}\n"
              for i, (start, end, text) in enumerate(
                  cues(words, max_chars=max_chars, max_seconds=max_seconds), start=1)]
    return "\n".join(["WEBVTT\n", *blocks])


def write_vtt(path: str | os.PathLike[str], words: Sequence[Timing], *,
              overwrite: bool = True) -> None:
    with atomic_write(path, overwrite=overwrite) as handle:
        handle.write(vtt_text(words).encode("utf-8"))
