"""Takes, their history on disk, and exports."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from app.audio.loudness import Loudness
from app.audio.wav import read_wav
from app.takes.errors import ExportError, HistoryError
from app.takes.export import ExportSpec, export_take
from app.takes.history import History, HistoryFilter
from app.takes.take import (
    AudioAppended,
    Finished,
    Take,
    TakeEvent,
    TakeSettings,
    TakeStatus,
    WordsAdded,
    ab_position,
    default_name,
)
from app.takes.timings import Timing

SETTINGS = TakeSettings(text="One two three.", voice_id="v1", voice_name="Voice",
                        sample_rate=16000)


def make_take(seconds: float = 1.0, encoding: str = "pcm_f32le") -> Take:
    settings = TakeSettings(**{**SETTINGS.__dict__, "encoding": encoding})
    take = Take(settings)
    x = (0.3 * np.sin(np.arange(int(16000 * seconds)) / 9)).astype(np.float32)
    for part in np.array_split(x, 7):
        take.append_audio(part)
    take.add_words([Timing("One", 0.1, 0.3), Timing("two", 0.4, 0.6), Timing("three.", 0.7, 0.9)])
    take.add_phonemes([Timing("w", 0.1, 0.2)])
    take.finish(TakeStatus.DONE, ttfa=0.05)
    return take


def test_events_and_growth() -> None:
    take = Take(SETTINGS)
    seen: list[TakeEvent] = []
    stop = take.events.connect(seen.append)
    take.append_audio(np.ones(100_000, np.float32))  # beyond the first allocation
    take.add_words([Timing("a", 0, 1)])
    take.finish(TakeStatus.FAILED, "boom")
    stop()
    take.append_audio(np.ones(10, np.float32))
    assert seen == [AudioAppended(0, 100_000), WordsAdded(0, 1),
                    Finished(TakeStatus.FAILED, "boom")]
    assert take.n_frames == 100_010 and take.samples[-1] == 1.0
    with pytest.raises(ValueError):
        take.samples[0] = 2.0  # readers get a read-only view


def test_reading_while_appending_from_another_thread() -> None:
    take = Take(SETTINGS)
    done = threading.Event()
    errors: list[str] = []

    def read() -> None:
        while not done.is_set():
            view = take.samples
            if len(view) and not np.all(view == np.arange(len(view)) % 1000):
                errors.append("torn read")

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(200):
        take.append_audio((np.arange(i * 500, (i + 1) * 500) % 1000).astype(np.float32))
    done.set()
    reader.join()
    assert errors == []


def test_word_lookup_and_ab() -> None:
    take = make_take()
    assert [take.word_at(t) for t in (0.0, 0.2, 0.35, 0.5, 0.95)] == [None, 0, None, 1, None]
    assert take.word_before(0.35) == 0
    other = make_take(2.0)
    other.words[:] = [Timing("One", 0.2, 0.6), Timing("two", 0.8, 1.2), Timing("three.", 1.4, 1.8)]
    # Halfway through "two" in one take is halfway through "two" in the other.
    assert ab_position(take, other, 0.5) == pytest.approx(1.0)
    assert ab_position(take, Take(SETTINGS), 0.5) == 0.0  # nothing received: clamp


def test_history_round_trip_and_reopen(tmp_path: Path) -> None:
    history = History(tmp_path)
    take = make_take()
    history.save(take)
    failed = make_take(0.5)
    failed.finish(TakeStatus.FAILED, "connection lost")
    history.save(failed)
    history.close()
    again = History(tmp_path)
    records = again.list()
    assert [r.id for r in records] == [failed.id, take.id]
    assert records[0].status is TakeStatus.FAILED and records[0].error == "connection lost"
    loaded = again.load(take.id)
    assert np.array_equal(loaded.samples, take.samples)
    assert loaded.words == take.words and loaded.settings == take.settings
    assert loaded.phonemes == take.phonemes == [Timing("w", 0.1, 0.2)]
    assert loaded.time_to_first_audio == take.time_to_first_audio
    again.rename(take.id, "Best take")
    assert again.list()[1].name == "Best take"
    again.delete(failed.id)
    assert [r.id for r in again.list()] == [take.id]
    with pytest.raises(HistoryError, match="no take"):
        again.load(failed.id)
    again.close()  # a deleted take is gone for good once the history closes
    assert not (tmp_path / "audio" / f"{failed.id}.wav").exists()
    third = History(tmp_path)
    assert [r.id for r in third.list()] == [take.id]
    third.close()


def test_corrupt_database_is_kept_aside(tmp_path: Path) -> None:
    (tmp_path / "history.sqlite3").write_bytes(b"this is not a database" * 100)
    history = History(tmp_path)
    assert history.recovered and "new history was started" in history.recovered
    assert list(tmp_path.glob("history.sqlite3.corrupt-*"))
    history.save(make_take())
    assert len(history.list()) == 1


def test_history_folder_that_cannot_exist(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(HistoryError, match="cannot create the history folder"):
        History(blocker / "history")


def test_export_whole_and_selection(tmp_path: Path) -> None:
    take = make_take()
    files = export_take(take, tmp_path / "take.wav", ExportSpec(
        wav_subtype="float32", timings=frozenset({"json", "srt"}))).files
    assert [f.name for f in files] == ["take.wav", "take.json", "take.srt"]
    assert np.array_equal(read_wav(files[0]).samples, take.samples)
    cut = export_take(take, tmp_path / "cut.wav", ExportSpec(
        wav_subtype="float32", timings=frozenset({"json"})), selection=(0.35, 0.75)).files
    assert np.array_equal(read_wav(cut[0]).samples, take.selection(0.35, 0.75))
    words = json.loads(cut[1].read_text())["words"]
    assert [(w["text"], round(w["start"], 3), round(w["end"], 3)) for w in words] == [
        ("two", 0.05, 0.25), ("three.", 0.35, 0.4)]
    with pytest.raises(ExportError, match="already exists"):
        export_take(take, tmp_path / "take.wav")


def test_16_bit_sources_export_exactly(tmp_path: Path) -> None:
    take = Take(TakeSettings(**{**SETTINGS.__dict__, "encoding": "pcm_s16le"}))
    ints = np.arange(-2000, 2000, dtype=np.int16)
    take.append_audio(ints / 32768.0)
    export_take(take, tmp_path / "x.wav", ExportSpec(wav_subtype="pcm16"))
    assert np.array_equal(np.rint(read_wav(tmp_path / "x.wav").samples * 32768), ints)


def test_exports_get_the_umask_mode_the_history_stays_private(tmp_path: Path) -> None:
    import os
    import stat

    previous = os.umask(0o022)
    try:
        take = make_take()
        files = export_take(take, tmp_path / "take.wav",
                            ExportSpec(timings=frozenset({"json", "srt"}))).files
        modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in files}
        assert modes == {"take.wav": 0o644, "take.json": 0o644, "take.srt": 0o644}
        # Replacing a file keeps the mode its owner gave it.
        files[0].chmod(0o640)
        export_take(take, files[0], overwrite=True)
        assert stat.S_IMODE(files[0].stat().st_mode) == 0o640
        history = History(tmp_path / "history")
        history.save(take)
        audio = tmp_path / "history" / "audio" / f"{take.id}.wav"
        assert stat.S_IMODE(audio.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "history").stat().st_mode) == 0o700
        history.close()
    finally:
        os.umask(previous)


def test_a_locked_history_is_never_thrown_away(tmp_path: Path) -> None:
    import sqlite3

    from app.takes.errors import HistoryLocked

    history = History(tmp_path)
    take = make_take()
    history.save(take)
    history.close()
    # Another program holding the file: a backup tool, or a Voicebooth mid-write.
    other = sqlite3.connect(tmp_path / "history.sqlite3")
    other.execute("PRAGMA locking_mode=EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    other.execute("UPDATE takes SET name = name")
    try:
        with pytest.raises(HistoryLocked, match="most likely another Voicebooth window"):
            History(tmp_path, lock_timeout=0.1)
        assert not list(tmp_path.glob("*.corrupt-*"))  # the good database stays put
    finally:
        other.rollback()
        other.close()
    again = History(tmp_path, lock_timeout=0.1)
    assert [r.id for r in again.list()] == [take.id]
    again.close()


def test_a_folder_that_is_not_a_database_is_an_error_not_a_reset(tmp_path: Path) -> None:
    (tmp_path / "history.sqlite3").mkdir()  # cannot be opened, but is not damaged data
    with pytest.raises(HistoryError, match="cannot open the history database"):
        History(tmp_path)
    assert (tmp_path / "history.sqlite3").is_dir()


def test_takes_whose_saving_was_killed_leave_nothing_behind(tmp_path: Path) -> None:
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    audio = tmp_path / "audio"
    audio.mkdir()
    leftover = audio / f".0123abcd.wav.voicebooth-{dead}-00c0ffee.tmp"
    leftover.write_bytes(b"a take cut short")
    History(tmp_path).close()
    assert list(audio.iterdir()) == []


def test_a_takes_default_name_is_its_voice_and_first_spoken_words() -> None:
    markup = ('Welcome to <emotion value="excited"/>Voicebooth. <break time="500ms"/> '
              "Every word lights up as it is spoken.")
    take = Take(TakeSettings(text=markup, voice_id="v", voice_name="Joe"))
    assert take.name == "Joe · Welcome to Voicebooth. Every word lights…"
    assert default_name(TakeSettings(text="Hi <spell>BBC</spell>.", voice_id="v9")) \
        == "v9 · Hi BBC."
    take.rename("  My pick ")
    assert take.name == "My pick"  # a user's name is kept as given
    take.rename("")
    assert take.name.startswith("Joe · Welcome")


def _v1_database(folder: Path, take: Take) -> None:
    """A history as version 1 wrote it (before ratings, notes, loudness)."""
    import sqlite3
    from dataclasses import asdict

    from app.audio.wav import write_wav

    (folder / "audio").mkdir(parents=True)
    write_wav(folder / "audio" / f"{take.id}.wav", take.samples, take.sample_rate, "float32",
              dither=False)
    db = sqlite3.connect(folder / "history.sqlite3")
    db.executescript("""CREATE TABLE takes (id TEXT PRIMARY KEY, name TEXT NOT NULL,
        created_at TEXT NOT NULL, status TEXT NOT NULL, error TEXT, ttfa REAL,
        duration REAL NOT NULL, settings TEXT NOT NULL, words TEXT NOT NULL,
        phonemes TEXT NOT NULL, audio_file TEXT NOT NULL);
        CREATE INDEX takes_created ON takes (created_at); PRAGMA user_version = 1;""")
    db.execute("INSERT INTO takes VALUES (?,?,?,?,?,?,?,?,?,?,?)",
               (take.id, "Old one", take.created_at, "done", None, 0.1, take.duration,
                json.dumps(asdict(take.settings)), "[]", "[]", f"{take.id}.wav"))
    db.commit()
    db.close()


def test_a_version_1_history_is_upgraded_keeping_its_takes(tmp_path: Path) -> None:
    import sqlite3

    old = make_take()
    _v1_database(tmp_path, old)
    history = History(tmp_path)
    (record,) = history.list()
    assert (record.id, record.name, record.rating, record.note, record.loudness) == \
        (old.id, "Old one", 0, "", None)
    assert np.array_equal(history.load(old.id).samples, old.samples)
    history.set_rating(old.id, 4)
    history.set_loudness(old.id, Loudness(-23.0, -6.0))  # measured later, when first played
    history.close()
    version = sqlite3.connect(tmp_path / "history.sqlite3").execute(
        "PRAGMA user_version").fetchone()[0]
    assert version == 2
    again = History(tmp_path)
    assert again.list()[0].rating == 4
    assert again.load(old.id).loudness == Loudness(-23.0, -6.0)
    again.close()


def _take(text: str, voice: str, created: str) -> Take:
    take = make_take(0.5)
    take.settings = TakeSettings(text=text, voice_id=voice.lower(), voice_name=voice,
                                 sample_rate=16000)
    take.created_at = created
    take.name = default_name(take.settings)
    return take


def test_rating_note_and_filters(tmp_path: Path) -> None:
    history = History(tmp_path)
    a = _take('Hello <break time="1s"/> world.', "Joe", "2026-11-01T10:00:00+00:00")
    b = _take("Hello there.", "Ana", "2026-11-02T10:00:00+00:00")
    c = _take("Goodbye.", "Joe", "2026-11-03T10:00:00+00:00")
    for take in (a, b, c):
        history.save(take)
    history.set_rating(a.id, 5)
    history.set_rating(b.id, 1)
    history.set_note(c.id, "  client liked the WARM one ")

    def ids(**where: object) -> list[str]:
        return [r.id for r in history.list(HistoryFilter(**where))]  # type: ignore[arg-type]

    assert ids() == [c.id, b.id, a.id]
    assert ids(text="hello world") == [a.id]  # the spoken text: the break is not in the way
    assert ids(text="warm") == [c.id]  # the note
    assert ids(text="ana") == [b.id]  # the name (its voice)
    assert ids(voice_id="joe") == [c.id, a.id]
    assert ids(min_rating=1) == [b.id, a.id]
    assert ids(min_rating=5, voice_id="joe") == [a.id]
    assert ids(text="hello", voice_id="ana") == [b.id]
    assert history.list()[0].note == "client liked the WARM one"
    assert history.voices() == [("ana", "Ana"), ("joe", "Joe")]
    history.save(a)  # saved again (it is kept as it finishes): rating and note stay
    assert [r.rating for r in history.list()] == [0, 1, 5]
    with pytest.raises(HistoryError, match="0 to 5 stars"):
        history.set_rating(a.id, 6)
    with pytest.raises(HistoryError, match="no take"):
        history.set_note("nope", "x")
    history.close()


def test_delete_undo_and_the_next_start(tmp_path: Path) -> None:
    history = History(tmp_path)
    keep, undone, gone = make_take(), make_take(), make_take()
    for take in (keep, undone, gone):
        history.save(take)
    history.delete(undone.id)
    history.delete(gone.id)
    assert [r.id for r in history.list()] == [keep.id]
    history.undelete(undone.id)
    assert {r.id for r in history.list()} == {keep.id, undone.id}
    # A crash: the history is never closed, so nothing was purged yet.
    import shutil

    crashed = tmp_path.parent / "crashed"
    shutil.copytree(tmp_path, crashed)
    history.close()
    for folder in (tmp_path, crashed):
        again = History(folder)
        assert {r.id for r in again.list()} == {keep.id, undone.id}
        assert not (folder / "audio" / f"{gone.id}.wav").exists()
        assert (folder / "audio" / f"{undone.id}.wav").exists()
        again.close()
