"""The voice cache at Cartesia's scale (issue 14): what is written is read back whole, the
file stays the JSON list earlier versions wrote (and read theirs), and a corrupt cache is
ignored with a line in the log, never shown in part."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from app.cartesia.voices_types import Locale, Voice
from app.engine.catalog import with_extra_voices
from app.engine.synth.tones import ToneSynthesizer
from app.settings import Settings
from app.studio.endpoints import Endpoints
from app.studio.library import (
    CACHE_SLICE,
    LibraryEvent,
    VoiceLibrary,
    VoicesReset,
    _write_cache,
    _write_cache_in_slices,
    cache_name,
)
from app.studio.options import RunOptions
from tests.studio.conftest import run


def voices() -> list[Voice]:
    extra = [replace(v, offline=False)
             for v in with_extra_voices([ToneSynthesizer()], 300)[0].voices()]
    return [*extra,
            Voice("a1", "Ada \"quoted\" \\ ünïcode 声", "line\nbreak", "en", "feminine",
                  is_owner=True, access="private", tagline="t", accent="British",
                  country="GB", locales=(Locale("en-GB", True), Locale("en-US", False)),
                  preview_file_url="https://example.com/a1.mp3"),
            Voice("e5", "Test Tones", "beeps", "", None, offline=True)]


def cached(tmp_path: Path) -> list[LibraryEvent]:
    """What a library shows from the cache at start (the offline engine's cache file)."""
    settings = Settings(None)
    endpoints = Endpoints(settings, RunOptions(offline=True), environ={})
    library = VoiceLibrary(endpoints, settings, tmp_path)
    events: list[LibraryEvent] = []
    library.events.connect(events.append)

    async def scenario() -> None:
        try:
            await library.load_cached()
        finally:
            await library.close()
            await endpoints.close()

    run(scenario())
    return events


def test_the_cache_reads_back_what_was_written(tmp_path: Path) -> None:
    written = voices()
    path = tmp_path / cache_name(None)
    _write_cache(path, written)
    # The same JSON list as before: a cache written by an earlier version still reads.
    as_list = json.loads(path.read_text("utf-8"))
    assert as_list == [v.to_json(with_preview=True) for v in written]
    (reset,) = cached(tmp_path)
    assert isinstance(reset, VoicesReset)
    assert list(reset.voices) == written
    assert [v.offline for v in reset.voices] == [v.offline for v in written]
    assert reset.voices[-2].preview_file_url == "https://example.com/a1.mp3"


def test_an_earlier_versions_cache_reads(tmp_path: Path) -> None:
    written = voices()
    (tmp_path / cache_name(None)).write_text(
        json.dumps([v.to_json(with_preview=True) for v in written], indent=1), "utf-8")
    (reset,) = cached(tmp_path)
    assert isinstance(reset, VoicesReset) and list(reset.voices) == written


@pytest.mark.parametrize("text", [
    '[{"id": "a1", "name": "Ada"}, {"id": "b2", "na',  # cut short by a crash
    '{"id": "a1"}',  # not a list
    '[{"id": "a1"}, 3]',  # not a voice
    '[{"id": "a1"}, {"name": "no id"}]',  # a voice without its id
    '[{"id": "a1"}] [{"id": "b2"}]',  # two lists
    '[{"id": "a1"},]',
    # Past the first slices: the voices read before it are not shown either.
    "[" + ",".join(json.dumps({"id": f"v{n}"}) for n in range(3 * CACHE_SLICE)) + ", 7]",
])
def test_a_corrupt_cache_is_ignored_with_a_log_line(tmp_path: Path, text: str,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / cache_name(None)
    path.write_text(text, "utf-8")
    with caplog.at_level(logging.WARNING, logger="app.studio.library"):
        assert cached(tmp_path) == []  # nothing shown, not the first voices
    (line,) = [r.getMessage() for r in caplog.records if r.name == "app.studio.library"]
    assert "voice cache" in line and "corrupt" in line and str(path) in line


def test_unreadable_bytes_and_no_cache(tmp_path: Path,
                                       caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="app.studio.library"):
        assert cached(tmp_path) == []  # no cache yet: nothing to say
        assert not caplog.records
        (tmp_path / cache_name(None)).write_bytes(b"[\xff\xfe]")
        assert cached(tmp_path) == []
    (line,) = [r.getMessage() for r in caplog.records]
    assert "voice cache" in line and "cannot be read" in line


class CountingExecutor(ThreadPoolExecutor):
    """The loop's executor, counting the jobs it is given."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.jobs = 0

    def submit(self, fn: Callable[..., object], /, *args: object,
               **kwargs: object) -> Future[object]:
        self.jobs += 1
        return super().submit(fn, *args, **kwargs)


def test_the_cache_is_parsed_and_written_a_slice_per_job(tmp_path: Path) -> None:
    """The worker thread gets at most CACHE_SLICE voices to parse or serialise per job, the
    next one once the loop has the last one back: it holds the GIL while it works, and
    the window's thread needs the GIL for every cell it paints."""
    written = voices()
    path = tmp_path / cache_name(None)

    settings = Settings(None)
    endpoints = Endpoints(settings, RunOptions(offline=True), environ={})
    library = VoiceLibrary(endpoints, settings, tmp_path)
    shown: list[LibraryEvent] = []
    library.events.connect(shown.append)

    async def scenario() -> tuple[int, int]:
        executor = CountingExecutor()
        asyncio.get_running_loop().set_default_executor(executor)
        try:
            await _write_cache_in_slices(path, written)
            wrote = executor.jobs
            await library.load_cached()  # as at start
            return wrote, executor.jobs - wrote
        finally:
            await library.close()
            await endpoints.close()

    wrote, reads = run(scenario())
    assert shown == [VoicesReset(tuple(written))]
    assert json.loads(path.read_text("utf-8")) == [v.to_json(with_preview=True)
                                                   for v in written]
    slices = -(-len(written) // CACHE_SLICE)
    assert len(written) > 5 * CACHE_SLICE
    assert wrote >= slices and reads >= slices
