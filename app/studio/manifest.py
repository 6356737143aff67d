"""What a batch run has written into its folder, so the next run can skip it.

``DIR/.voicebooth-batch.json`` maps each line's id to what its files were made
from (:func:`batch_key`: a hash of the text, every setting that changes the
audio, the export spec and the file name) and the files themselves. A line is
done when its key is unchanged and every one of its files is still there; the
manifest is rewritten atomically after each line, so a run stopped at any
moment (Ctrl+C, a crash) keeps what finished.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.atomic import WriteError, write_bytes
from app.studio.errors import StudioError
from app.takes.take import TakeSettings

MANIFEST_NAME = ".voicebooth-batch.json"
FORMAT = "voicebooth-batch"
VERSION = 1


class ManifestError(StudioError):
    """The folder's manifest cannot be read (or written); the message says which and why."""


def batch_key(settings: TakeSettings, export: Mapping[str, object], name: str, *,
              take_id: str = "") -> str:
    """The sha256 of everything a line's files are made from: the text and every setting
    that changes the audio, the export spec (as JSON) and the file name (the template
    filled in), and the take when an existing one is exported rather than rendered.
    Where the server is, or the voice's display name, change nothing."""
    made_of = {
        "text": settings.text,
        "voice_id": settings.voice_id,
        "model_id": settings.model_id,
        "language": settings.language,
        "speed": settings.speed,
        "volume": settings.volume,
        "emotion": settings.emotion,
        "encoding": settings.encoding,
        "sample_rate": settings.sample_rate,
        "pronunciation_dict_id": settings.pronunciation_dict_id,
        # An entry's source (the file it came from) is shown, never sent.
        "lexicon": [[entry.text, entry.pronunciation, entry.language]
                    for entry in settings.lexicon],
        "lexicon_via": settings.lexicon_via,
        "export": dict(export),
        "name": name,
    }
    if take_id:
        made_of["take_id"] = take_id
    text = json.dumps(made_of, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ManifestEntry:
    """One finished line: its key and files (relative to the folder), and what they
    measured."""

    key: str
    files: tuple[str, ...]
    duration: float = 0.0
    lufs: float | None = None
    true_peak_db: float | None = None
    take_id: str = ""
    finished_at: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "files": list(self.files), "duration": self.duration,
                "lufs": self.lufs, "true_peak_db": self.true_peak_db,
                "take_id": self.take_id, "finished_at": self.finished_at}

    @classmethod
    def from_json(cls, data: object) -> ManifestEntry | None:
        """The entry, or ``None`` for one a hand edit broke (that line is rendered again)."""
        if not isinstance(data, dict):
            return None
        key, files = data.get("key"), data.get("files")
        if not isinstance(key, str) or not isinstance(files, list) \
                or not all(isinstance(f, str) and f for f in files):
            return None

        def number(name: str) -> float | None:
            value = data.get(name)
            return float(value) if isinstance(value, int | float) else None

        return cls(key=key, files=tuple(files), duration=number("duration") or 0.0,
                   lufs=number("lufs"), true_peak_db=number("true_peak_db"),
                   take_id=str(data.get("take_id", "")),
                   finished_at=str(data.get("finished_at", "")))


class Manifest:
    """The manifest of one output folder (blocking: read and write it off the loop)."""

    def __init__(self, folder: Path, entries: Mapping[str, ManifestEntry] | None = None
                 ) -> None:
        self.folder = folder
        self.entries: dict[str, ManifestEntry] = dict(entries or {})
        # Lines finish on several executor threads at once: each record is one update
        # and one whole write, or a later rename could put back a manifest without the
        # line an earlier thread added.
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self.folder / MANIFEST_NAME

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """The folder's manifest; an empty one when there is none yet.

        A file that is not a manifest is refused (:class:`ManifestError`), never
        overwritten: it may be someone's file that happens to have the name.
        """
        path = folder / MANIFEST_NAME
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls(folder)
        except OSError as exc:
            raise ManifestError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ManifestError(f"{path} is not a batch manifest ({exc}); move it away, or "
                                "use --force to render every line again and replace it") \
                from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ManifestError(f"{path} is not a batch manifest (no \"format\": "
                                f"\"{FORMAT}\"); move it away, or use --force to render "
                                "every line again and replace it")
        version = data.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise ManifestError(f"{path} was written by a newer Voicebooth (version "
                                f"{version!r}; this one reads {VERSION})")
        lines = data.get("lines")
        entries: dict[str, ManifestEntry] = {}
        if isinstance(lines, dict):
            for line_id, value in lines.items():
                entry = ManifestEntry.from_json(value)
                if isinstance(line_id, str) and entry is not None:
                    entries[line_id] = entry
        return cls(folder, entries)

    def is_done(self, line_id: str, key: str) -> bool:
        """Whether the line's files were made from ``key`` and are all still there."""
        entry = self.entries.get(line_id)
        return entry is not None and entry.key == key and all(
            (self.folder / name).is_file() for name in entry.files)

    def stale_files(self, line_id: str, keep: Sequence[Path]) -> list[Path]:
        """Files an earlier run wrote for the line that the new ones do not replace (a
        changed name template, format or timings): left in place, for the caller to
        mention."""
        entry = self.entries.get(line_id)
        if entry is None:
            return []
        kept = {path.resolve() for path in keep}
        return [self.folder / name for name in entry.files
                if (self.folder / name).resolve() not in kept
                and (self.folder / name).exists()]

    def record(self, line_id: str, entry: ManifestEntry) -> None:
        """Remember a finished line and write the manifest (atomically; safe from several
        threads)."""
        with self._lock:
            self.entries[line_id] = entry
            self.save()

    def save(self) -> None:
        data = {"format": FORMAT, "version": VERSION,
                "lines": {line_id: entry.to_json() for line_id, entry in self.entries.items()}}
        text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
        try:
            write_bytes(self.path, text.encode("utf-8"))
        except WriteError as exc:
            raise ManifestError(str(exc)) from None

    def relative(self, path: Path) -> str:
        """How the manifest names a file of the folder."""
        try:
            return str(path.resolve().relative_to(self.folder.resolve()))
        except ValueError:
            return str(path.resolve())
