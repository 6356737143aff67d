"""Timing exports: JSON shape, SRT time format and cue grouping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.atomic import TargetExists
from app.takes.timings import Timing, cues, srt_text, srt_time, write_srt, write_timings_json


def words(*spec: tuple[str, float, float]) -> list[Timing]:
    return [Timing(*w) for w in spec]


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "00:00:00,000"), (1.2345, "00:00:01,234"), (61.0005, "00:01:01,000"),
    (3723.9996, "01:02:04,000"), (-0.2, "00:00:00,000")])
def test_srt_time(seconds: float, text: str) -> None:
    assert srt_time(seconds) == text


def test_cues_break_at_sentences_pauses_and_length() -> None:
    ws = words(("Hello", 0.0, 0.3), ("there.", 0.35, 0.7), ("After", 0.8, 1.0),
               ("a", 1.05, 1.1), ("pause", 2.0, 2.3), ("x" * 40, 2.35, 3.0))
    assert cues(ws) == [(0.0, 0.7, "Hello there."), (0.8, 1.1, "After a"),
                        (2.0, 2.3, "pause"), (2.35, 3.0, "x" * 40)]


def test_cues_respect_max_seconds() -> None:
    ws = [Timing(f"w{i}", i * 1.0, i * 1.0 + 0.5) for i in range(8)]
    got = cues(ws, max_seconds=3.0)
    assert all(end - start <= 3.0 for start, end, _ in got)
    assert " ".join(text for _, _, text in got) == " ".join(w.text for w in ws)


def test_srt_document() -> None:
    text = srt_text(words(("One.", 0, 0.5), ("Two.", 0.6, 1.25)))
    assert text == ("1\n00:00:00,000 --> 00:00:00,500\nOne.\n\n"
                    "2\n00:00:00,600 --> 00:00:01,250\nTwo.\n")


def test_json_and_no_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    write_timings_json(path, words(("héllo", 0.0, 0.5)), words(("h", 0.0, 0.1)))
    assert json.loads(path.read_text("utf-8")) == {
        "words": [{"text": "héllo", "start": 0.0, "end": 0.5}],
        "phonemes": [{"text": "h", "start": 0.0, "end": 0.1}]}
    with pytest.raises(TargetExists):
        write_srt(path, [], overwrite=False)
    assert json.loads(path.read_text("utf-8"))["words"][0]["text"] == "héllo"
