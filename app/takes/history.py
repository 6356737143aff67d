"""Every take kept: SQLite for the facts, one WAV file (32-bit float) per take.

A take is saved the moment it finishes, a failed one with the audio that
arrived. The audio file is written first (atomically), then the row in a
transaction, so a crash never leaves a row without its audio. The schema is
versioned with ``PRAGMA user_version`` and upgraded step by step. A database
that cannot be read is moved aside (``history.sqlite3.corrupt-<time>``) and a
new one started; :attr:`History.recovered` then says so, for the window to tell.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.atomic import WriteError, remove_leftovers_in
from app.audio.errors import AudioError
from app.audio.wav import read_wav, write_wav
from app.takes.errors import HistoryError, HistoryLocked
from app.takes.take import Take, TakeSettings, TakeStatus
from app.takes.timings import Timing

SCHEMA_VERSION = 1
_SCHEMA = """
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
            if version < 1:
                db.executescript(_SCHEMA)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.commit()
            db.execute("SELECT count(*) FROM takes").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- writing -------------------------------------------------------------

    def save(self, take: Take) -> None:
        audio_file = f"{take.id}.wav"
        try:
            write_wav(self.audio_folder / audio_file, take.samples, take.sample_rate,
                      "float32", dither=False, overwrite=True, private=True)
        except WriteError as exc:
            raise HistoryError(f"the take was not saved to the history: {exc}") from None
        row = (take.id, take.name, take.created_at, take.status.value, take.error,
               take.time_to_first_audio, take.duration, json.dumps(asdict(take.settings)),
               _timings(take.words), _timings(take.phonemes), audio_file)
        try:
            with self._lock, self._db:
                self._db.execute("INSERT OR REPLACE INTO takes VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                                 row)
        except sqlite3.Error as exc:
            raise HistoryError(f"the take was not saved to the history: {exc}") from None

    def rename(self, take_id: str, name: str) -> None:
        with self._lock, self._db:
            self._db.execute("UPDATE takes SET name = ? WHERE id = ?", (name, take_id))

    def delete(self, take_id: str) -> None:
        with self._lock, self._db:
            row = self._db.execute("SELECT audio_file FROM takes WHERE id = ?",
                                   (take_id,)).fetchone()
            self._db.execute("DELETE FROM takes WHERE id = ?", (take_id,))
        if row is not None:
            (self.audio_folder / row[0]).unlink(missing_ok=True)

    # --- reading -------------------------------------------------------------

    def list(self) -> list[TakeRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, name, created_at, status, error, ttfa, duration, settings FROM "
                "takes ORDER BY created_at DESC, rowid DESC").fetchall()
        return [TakeRecord(r[0], r[1], r[2], TakeStatus(r[3]), r[4], r[5], r[6],
                           _settings(r[7])) for r in rows]

    def load(self, take_id: str) -> Take:
        with self._lock:
            row = self._db.execute(
                "SELECT id, name, created_at, status, error, ttfa, settings, words, phonemes, "
                "audio_file FROM takes WHERE id = ?", (take_id,)).fetchone()
        if row is None:
            raise HistoryError(f"no take {take_id} in the history")
        try:
            wav = read_wav(self.audio_folder / row[9])
        except AudioError as exc:
            raise HistoryError(f"the audio of take {row[1]!r} is missing or damaged: {exc}"
                               ) from None
        return Take.from_audio(_settings(row[6]), wav.samples, _parse_timings(row[7]),
                               _parse_timings(row[8]), id=row[0], name=row[1],
                               created_at=row[2], status=TakeStatus(row[3]), error=row[4],
                               time_to_first_audio=row[5])


def _timings(items: list[Timing]) -> str:
    return json.dumps([[t.text, t.start, t.end] for t in items], ensure_ascii=False)


def _parse_timings(text: str) -> list[Timing]:
    return [Timing(str(a), float(b), float(c)) for a, b, c in json.loads(text)]


def _settings(text: str) -> TakeSettings:
    data: dict[str, Any] = json.loads(text)
    known = TakeSettings.__dataclass_fields__
    return TakeSettings(**{k: v for k, v in data.items() if k in known})
