"""Every take kept: SQLite for the facts, one WAV file (32-bit float) per take.

A take is saved the moment it finishes, a failed one with the audio that
arrived. The audio file is written first (atomically, block by block: a long take
is never joined into one array), then its peaks pyramid beside it
(``<id>.peaks``), then the row in a transaction, so a crash never leaves a row
without its audio. Loading maps the WAV file into memory and the pyramid too, so
an hour-long take opens in milliseconds and is read only where it is drawn or
played; a take kept before the pyramids were (or whose pyramid is lost) has its
pyramid built from the audio once, block by block, and saved. The schema is
versioned with ``PRAGMA user_version`` and upgraded step by step (version 2 added
the rating, the note, the measured loudness and deletion that can be undone; version 3
where a spliced take's parts came from, its ``origin``). A database
that cannot be read is moved aside (``history.sqlite3.corrupt-<time>``) and a
new one started; :attr:`History.recovered` then says so, for the window to tell.

Deleting only marks a take (``deleted_at``), so Undo can bring it back; marked
takes are removed for good, row and audio, when the history closes or, after a
crash, when it next opens. A take the user did not delete is never touched, and
one they did never comes back after a restart.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import sqlite3
import struct
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.atomic import WriteError, remove_leftovers_in
from app.audio.buffer import BlockBuffer
from app.audio.codecs import Float32Array
from app.audio.errors import AudioError
from app.audio.loudness import Loudness
from app.audio.peaks import Peaks
from app.audio.wav import WavWriter, read_wav
from app.markup.lexicon import Entry
from app.takes.errors import HistoryError, HistoryLocked, TakeError
from app.takes.take import Origin, Take, TakeSettings, TakeStatus, spoken_text
from app.takes.timings import Timing

SCHEMA_VERSION = 3
_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS takes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    ttfa REAL,
    duration REAL NOT NULL,
    settings TEXT NOT NULL,
    words TEXT NOT NULL,
    phonemes TEXT NOT NULL,
    audio_file TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS takes_created ON takes (created_at);
"""
#: Version 2: what a designer adds to find a take again, its loudness (measured once,
#: for matched playback) and a mark for deletion that Undo can lift.
_UPGRADE_V2 = """
ALTER TABLE takes ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;
ALTER TABLE takes ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE takes ADD COLUMN lufs REAL;
ALTER TABLE takes ADD COLUMN peak_dbfs REAL;
ALTER TABLE takes ADD COLUMN deleted_at TEXT;
"""
#: Version 3: a spliced take's parent and parts (JSON, :meth:`Origin.to_json`); NULL
#: for a take that is one generation, as every take before version 3 was.
_UPGRADE_V3 = """
ALTER TABLE takes ADD COLUMN origin TEXT;
"""
#: (version reached, script): applied in order, each in one transaction.
_STEPS = ((1, _SCHEMA_V1), (2, _UPGRADE_V2), (3, _UPGRADE_V3))
MAX_RATING = 5
_COLUMNS = ("id, name, created_at, status, error, ttfa, duration, settings, rating, note, "
            "lufs, peak_dbfs")


@dataclass(frozen=True)
class HistoryFilter:
    """Which takes to list: ``text`` in the name, the note or the spoken text (any
    case); one voice (its id); at least ``min_rating`` stars. Empty: all of them."""

    text: str = ""
    voice_id: str = ""
    min_rating: int = 0

    @property
    def active(self) -> bool:
        return bool(self.text.strip() or self.voice_id or self.min_rating)


@dataclass(frozen=True)
class TakeRecord:
    id: str
    name: str
    created_at: str
    status: TakeStatus
    error: str | None
    time_to_first_audio: float | None
    duration: float
    settings: TakeSettings
    rating: int = 0
    note: str = ""
    loudness: Loudness | None = None

    @property
    def text(self) -> str:
        return self.settings.text


#: SQLite's primary result codes that mean "in use", and "not a database (any more)".
_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_DAMAGED = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


def _code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0)) & 0xFF


class History:
    def __init__(self, folder: Path, *, lock_timeout: float = 5.0, attempts: int = 3) -> None:
        self.folder = Path(folder)
        self._lock_timeout = lock_timeout
        self._attempts = attempts
        self.audio_folder = self.folder / "audio"
        self.recovered: str | None = None
        try:
            # Takes are the user's own work: the folder and its files are private.
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.audio_folder.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"cannot create the history folder {self.folder}: "
                               f"{exc.strerror or exc}") from None
        # Takes whose writing was killed (the app crashed mid-save) leave hidden
        # temporary files: nothing else would ever remove them.
        remove_leftovers_in(self.audio_folder)
        self.path = self.folder / "history.sqlite3"
        # One connection shared by the window and a saving thread: one at a time.
        self._lock = threading.RLock()
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        for attempt in range(1, self._attempts + 1):
            try:
                return self._connect()
            except sqlite3.DatabaseError as exc:
                if _code(exc) in _BUSY:
                    # Another Voicebooth (or a backup tool) holds it: a healthy history
                    # must never be mistaken for a damaged one and thrown away.
                    if attempt < self._attempts:
                        time.sleep(0.2 * attempt)
                        continue
                    raise HistoryLocked(self.path) from None
                if _code(exc) not in _DAMAGED:
                    raise HistoryError(f"cannot open the history database {self.path}: "
                                       f"{exc}") from None
                return self._start_afresh(exc)
        raise AssertionError("unreachable")

    def _start_afresh(self, exc: sqlite3.DatabaseError) -> sqlite3.Connection:
        """Keep a damaged database aside (never deleted) and begin a new one."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            self.path.replace(aside)
        except OSError as move_exc:
            raise HistoryError(f"the history database {self.path} is damaged ({exc}) "
                               f"and cannot be moved aside: {move_exc}") from None
        self.recovered = (f"The take history could not be read ({exc}); it was kept as "
                          f"{aside.name} and a new history was started.")
        try:
            return self._connect()
        except sqlite3.DatabaseError as again:
            raise HistoryError(f"cannot create a new history database: {again}") from None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, timeout=self._lock_timeout)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            db.execute("PRAGMA journal_mode=WAL")
            for reached, script in _STEPS:
                if version < reached:
                    _upgrade(db, reached, script)
            db.execute("SELECT count(*) FROM takes").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        self._purge(db)  # takes deleted before a crash stay deleted
        return db

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(sqlite3.Error):  # then at the next start instead
                self._purge(self._db)
            self._db.close()

    def _purge(self, db: sqlite3.Connection) -> None:
        """Remove for good the takes marked deleted: the rows first, then their audio
        (an audio file without a row is harmless; a row without audio would not be)."""
        with self._lock, db:
            rows = db.execute("SELECT audio_file FROM takes WHERE deleted_at IS NOT NULL"
                              ).fetchall()
            db.execute("DELETE FROM takes WHERE deleted_at IS NOT NULL")
        for (audio_file,) in rows:
            (self.audio_folder / audio_file).unlink(missing_ok=True)
            (self.audio_folder / _peaks_file(audio_file)).unlink(missing_ok=True)

    # --- writing -------------------------------------------------------------

    def save(self, take: Take) -> None:
        audio_file = f"{take.id}.wav"
        try:
            writer = WavWriter(self.audio_folder / audio_file, take.sample_rate, "float32",
                               dither=False, overwrite=True, private=True)
            try:
                for block in take.blocks():
                    writer.write(block)
            except BaseException:
                writer.abort()
                raise
            writer.commit()
        except WriteError as exc:
            raise HistoryError(f"the take was not saved to the history: {exc}") from None
        # Only a time saver: without it, loading builds the pyramid again.
        with contextlib.suppress(WriteError):
            take.peaks.save(self.audio_folder / _peaks_file(audio_file), private=True)
        loudness = take.loudness
        row = (take.id, take.name, take.created_at, take.status.value, take.error,
               take.time_to_first_audio, take.duration, json.dumps(asdict(take.settings)),
               _timings(take.words), _timings(take.phonemes), audio_file,
               loudness.lufs if loudness else None, loudness.peak_dbfs if loudness else None,
               json.dumps(take.origin.to_json()) if take.origin is not None else None)
        try:
            with self._lock, self._db:
                # A take saved again (it is kept as it finishes) keeps its rating and note.
                self._db.execute(
                    "INSERT INTO takes (id, name, created_at, status, error, ttfa, duration, "
                    "settings, words, phonemes, audio_file, lufs, peak_dbfs, origin) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                    "name=excluded.name, status=excluded.status, error=excluded.error, "
                    "ttfa=excluded.ttfa, duration=excluded.duration, words=excluded.words, "
                    "phonemes=excluded.phonemes, lufs=excluded.lufs, "
                    "peak_dbfs=excluded.peak_dbfs, origin=excluded.origin", row)
        except sqlite3.Error as exc:
            raise HistoryError(f"the take was not saved to the history: {exc}") from None

    def _update(self, take_id: str, sql: str, *values: object) -> None:
        try:
            with self._lock, self._db:
                found = self._db.execute(f"UPDATE takes SET {sql} WHERE id = ?",
                                         (*values, take_id)).rowcount
        except sqlite3.Error as exc:
            raise HistoryError(f"the history could not be changed: {exc}") from None
        if not found:
            raise HistoryError(f"no take {take_id} in the history")

    def rename(self, take_id: str, name: str) -> None:
        self._update(take_id, "name = ?", name)

    def set_rating(self, take_id: str, rating: int) -> None:
        if not 0 <= rating <= MAX_RATING:
            raise HistoryError(f"a rating is 0 to {MAX_RATING} stars, not {rating}")
        self._update(take_id, "rating = ?", rating)

    def set_note(self, take_id: str, note: str) -> None:
        self._update(take_id, "note = ?", note.strip())

    def set_loudness(self, take_id: str, loudness: Loudness | None) -> None:
        """Remember a loudness measured later (a take kept before loudness was)."""
        if loudness is not None:
            self._update(take_id, "lufs = ?, peak_dbfs = ?", loudness.lufs,
                         loudness.peak_dbfs)

    def delete(self, take_id: str) -> None:
        """Mark the take deleted: it leaves the list at once, and :meth:`undelete`
        brings it back until the history closes."""
        self._update(take_id, "deleted_at = ?",
                     time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()))

    def undelete(self, take_id: str) -> None:
        self._update(take_id, "deleted_at = NULL")

    # --- reading -------------------------------------------------------------

    def list(self, where: HistoryFilter | None = None) -> list[TakeRecord]:
        """The takes kept (newest first), those ``where`` selects."""
        clauses: builtins.list[str] = ["deleted_at IS NULL"]
        values: builtins.list[object] = []
        f = where or HistoryFilter()
        if f.voice_id:
            clauses.append("json_extract(settings, '$.voice_id') = ?")
            values.append(f.voice_id)
        if f.min_rating:
            clauses.append("rating >= ?")
            values.append(f.min_rating)
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM takes WHERE {' AND '.join(clauses)} "
                "ORDER BY created_at DESC, rowid DESC", values).fetchall()
        records = [_record(r) for r in rows]
        needle = " ".join(f.text.split()).casefold()
        if needle:
            # The spoken text, not the markup: "welcome to" finds a line with a break tag
            # between the words, which SQL's LIKE on the stored markup would not.
            records = [r for r in records if needle in r.name.casefold()
                       or needle in r.note.casefold()
                       or needle in spoken_text(r.text).casefold()]
        return records

    def voices(self) -> builtins.list[tuple[str, str]]:
        """Every voice with a kept take: (id, name), by name (the voice filter's choices)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT json_extract(settings, '$.voice_id'), "
                "json_extract(settings, '$.voice_name') FROM takes "
                "WHERE deleted_at IS NULL").fetchall()
        names = {str(i): str(n or i) for i, n in rows if i}
        return sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))

    def load(self, take_id: str) -> Take:
        with self._lock:
            row = self._db.execute(
                "SELECT id, name, created_at, status, error, ttfa, settings, words, phonemes, "
                "audio_file, lufs, peak_dbfs, origin FROM takes "
                "WHERE id = ? AND deleted_at IS NULL",
                (take_id,)).fetchone()
        if row is None:
            raise HistoryError(f"no take {take_id} in the history")
        try:
            audio = BlockBuffer.over(_map_wav(self.audio_folder / row[9]))
        except AudioError as exc:
            raise HistoryError(f"the audio of take {row[1]!r} is missing or damaged: {exc}"
                               ) from None
        return Take.from_stored(_settings(row[6]), audio, self._peaks(row[9], audio),
                                _parse_timings(row[7]), _parse_timings(row[8]), id=row[0],
                                name=row[1], created_at=row[2], status=TakeStatus(row[3]),
                                error=row[4], time_to_first_audio=row[5],
                                loudness=_loudness(row[10], row[11]),
                                origin=_origin(row[12]))

    def _peaks(self, audio_file: str, audio: BlockBuffer) -> Peaks:
        """The take's saved pyramid, or (a take kept before pyramids were, or whose file
        is lost or stale) one built from its audio block by block and saved."""
        path = self.audio_folder / _peaks_file(audio_file)
        try:
            return Peaks.load(path, audio.written)
        except AudioError:
            pass
        peaks = Peaks()
        for block in audio.iter_blocks():
            peaks.append(block)
        with contextlib.suppress(WriteError):
            peaks.save(path, private=True)
        return peaks


def _peaks_file(audio_file: str) -> str:
    return str(Path(audio_file).with_suffix(".peaks"))


def _map_wav(path: Path) -> Float32Array:
    """The frames of a take's WAV file, memory-mapped when it is what :meth:`History.save`
    writes (mono 32-bit float): nothing is read until used. Other WAV files (none
    written by us) are read whole."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(12)
            if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:] != b"WAVE":
                raise AudioError(f"{path.name} is not a WAV file")
            size = path.stat().st_size
            pos, fmt, data_size = 12, None, None
            while pos + 8 <= size:
                handle.seek(pos)
                cid, length = struct.unpack("<4sI", handle.read(8))
                if cid == b"ds64":
                    data_size = struct.unpack("<8xQ", handle.read(16))[0]
                elif cid == b"fmt ":
                    fmt = struct.unpack("<HHIIHH", handle.read(16))
                elif cid == b"data":
                    if length == 0xFFFFFFFF and data_size is not None:
                        length = data_size  # RF64: the real size is in the ds64 chunk
                    length = min(length, size - pos - 8)  # a truncated file: what is there
                    break
                pos += 8 + length + (length & 1)
            else:
                raise AudioError(f"{path.name} has no audio data")
    except (OSError, struct.error) as exc:
        raise AudioError(f"cannot read {path.name}: {exc}") from None
    if fmt is None or (fmt[0], fmt[1], fmt[5]) != (3, 1, 32):
        return read_wav(path).samples  # not a mono float file: decoded whole
    frames = length // 4
    if frames == 0:
        return np.zeros(0, dtype=np.float32)
    try:
        mapped: Float32Array = np.memmap(path, dtype="<f4", mode="r", offset=pos + 8,
                                         shape=(frames,))
    except (OSError, ValueError) as exc:
        raise AudioError(f"cannot map {path.name}: {exc}") from None
    return mapped


def _upgrade(db: sqlite3.Connection, version: int, script: str) -> None:
    """One schema step and its version number, in one transaction: a crash midway
    leaves the previous version, whole (SQLite's DDL is transactional)."""
    db.execute("BEGIN")
    try:
        for statement in filter(str.strip, script.split(";")):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {version}")
        db.execute("COMMIT")
    except sqlite3.DatabaseError:
        db.execute("ROLLBACK")
        raise


def _record(r: tuple[Any, ...]) -> TakeRecord:
    return TakeRecord(r[0], r[1], r[2], TakeStatus(r[3]), r[4], r[5], r[6], _settings(r[7]),
                      rating=int(r[8]), note=str(r[9]), loudness=_loudness(r[10], r[11]))


def _loudness(lufs: float | None, peak: float | None) -> Loudness | None:
    return None if lufs is None or peak is None else Loudness(float(lufs), float(peak))


def _origin(text: str | None) -> Origin | None:
    if text is None:
        return None
    try:
        return Origin.from_json(json.loads(text))
    except (ValueError, TakeError):
        # The audio is whole; only the record of where its parts came from is lost.
        return None


def _timings(items: list[Timing]) -> str:
    return json.dumps([[t.text, t.start, t.end] for t in items], ensure_ascii=False)


def _parse_timings(text: str) -> list[Timing]:
    return [Timing(str(a), float(b), float(c)) for a, b, c in json.loads(text)]


def _settings(text: str) -> TakeSettings:
    data: dict[str, Any] = json.loads(text)
    known = TakeSettings.__dataclass_fields__
    values = {k: v for k, v in data.items() if k in known}
    # Stored as objects (asdict); rows from before lexicons have none.
    fields = Entry.__dataclass_fields__
    values["lexicon"] = tuple(Entry(**{k: v for k, v in e.items() if k in fields})
                              for e in values.get("lexicon") or ())
    return TakeSettings(**values)
