"""A script: an ordered list of lines, each with its own text, voice, model, language,
controls and its chosen take.

A :class:`Script` is an evented plain object (:class:`~app.events.Emitter`), the
model the script panel draws and the batch renders: every operation announces
what changed, bumps :attr:`Script.revision` and sets :attr:`Script.dirty`, so an
:class:`~app.studio.autosave.Autosaver` knows when to write.

A line remembers the :meth:`ScriptLine.render_key` of the settings that made its
chosen take: when the text or any setting that changes the audio differs from
that, the take is *stale*; a line with no take is *missing*.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final

from app.cartesia.errors import ConfigError
from app.cartesia.models import catalog
from app.cartesia.voices_types import Voice
from app.events import Emitter
from app.markup import Lexicon
from app.studio.draft import Draft, control
from app.studio.errors import StudioError
from app.takes.take import Take, TakeSettings

DEFAULT_MODEL: Final = "sonic-3"
#: The fields of a line the user edits (and :meth:`Script.update` accepts).
EDITABLE: Final = ("id", "text", "voice_id", "voice_name", "model_id", "language", "speed",
                   "volume", "emotion")
_MADE_UP_ID = re.compile(r"line-(\d+)")


class ScriptError(StudioError):
    """An operation on a script that cannot be done (the script is left unchanged)."""


class ScriptSourceError(ScriptError):
    """A script file that cannot be read: where (1-based line and column) and why."""

    def __init__(self, path: Path | str, line: int, column: int, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message
        super().__init__(f"{self.path}:{line}:{column}: {message}")


class LineState(enum.Enum):
    CURRENT = "current"
    STALE = "stale"
    MISSING = "missing"


@dataclass(frozen=True)
class ScriptDefaults:
    """What a line leaves to its script: the voice (a line's ``voice_id`` of "") and the
    format every line is rendered in."""

    voice_id: str = ""
    voice_name: str = ""
    encoding: str = "pcm_f32le"
    sample_rate: int = 44100

    def to_json(self) -> dict[str, object]:
        return {"voice_id": self.voice_id, "voice_name": self.voice_name,
                "encoding": self.encoding, "sample_rate": self.sample_rate}


@dataclass(eq=False)
class ScriptLine:
    id: str
    text: str
    voice_id: str = ""  # "": the script's default voice
    voice_name: str = ""
    model_id: str = DEFAULT_MODEL
    language: str = "en"
    speed: float | None = None
    volume: float | None = None
    emotion: str | None = None
    take_id: str | None = None
    take_key: str | None = None
    error: str = ""
    #: The script's defaults (its voice, encoding and rate): set by the script the line
    #: is in, so :meth:`render_key` and :attr:`state` need no arguments.
    defaults: ScriptDefaults = field(default_factory=ScriptDefaults, repr=False)
    #: The pronunciations the script is said with (the project's lexicons, set by the
    #: script): the entries the line says are part of its key, so tuning a word makes
    #: the lines that say it stale, and no others.
    lexicon: Lexicon | None = field(default=None, repr=False, compare=False)

    @property
    def voice(self) -> tuple[str, str]:
        """(id, name) of the voice that says this line: its own, or the script's."""
        if self.voice_id:
            return self.voice_id, self.voice_name
        return self.defaults.voice_id, self.defaults.voice_name

    def draft(self) -> Draft:
        return Draft(text=self.text, model_id=self.model_id, language=self.language,
                     speed=self.speed, volume=self.volume, emotion=self.emotion,
                     encoding=self.defaults.encoding, sample_rate=self.defaults.sample_rate)

    def take_settings(self, voice: Voice | None = None,
                      lexicon: Lexicon | None = None) -> TakeSettings:
        """What this line records (the editor's rules: controls the model ignores are
        left out). ``voice`` is the resolved voice; by default the line's (or the
        script's) id and name as written. An unknown model is kept as written, for the
        check before sending to refuse with its own message."""
        voice_id, voice_name = self.voice
        voice = voice or Voice(id=voice_id, name=voice_name or voice_id)
        try:
            return self.draft().take_settings(voice, lexicon=lexicon)
        except ConfigError:
            return TakeSettings(text=self.text, voice_id=voice.id, voice_name=voice.name,
                                model_id=self.model_id, language=self.language,
                                speed=self.speed, volume=self.volume, emotion=self.emotion,
                                encoding=self.defaults.encoding,
                                sample_rate=self.defaults.sample_rate, offline=voice.offline)

    def render_key(self) -> str:
        """A stable hash of everything that changes the audio: the text, the voice, the
        model, the language, the controls the model honours and the output format."""
        settings = self.take_settings()
        canonical: dict[str, object] = {
            "text": settings.text, "voice": settings.voice_id, "model": settings.model_id,
            "language": settings.language,
            "speed": _control(settings.speed), "volume": _control(settings.volume),
            "emotion": settings.emotion, "encoding": settings.encoding,
            "sample_rate": settings.sample_rate,
        }
        said = self.lexicon_said()
        if said:  # left out when empty: a line without one keeps the key it had
            canonical["lexicon"] = said
        data = json.dumps(canonical, sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"))
        return hashlib.sha256(data.encode("utf-8")).hexdigest()

    def lexicon_said(self) -> list[tuple[str, str, str]]:
        """The lexicon entries this line's text says (text, pronunciation, language)."""
        if not self.lexicon:
            return []
        used = self.lexicon.for_language(self.language).matches(self.text)
        return sorted({(e.text, e.pronunciation, e.language or "") for _, e in used})

    @property
    def state(self) -> LineState:
        if self.take_id is None:
            return LineState.MISSING
        return LineState.CURRENT if self.take_key == self.render_key() else LineState.STALE

    def settings_json(self) -> dict[str, object]:
        """The line as the project file and the batch manifest keep it."""
        return {"id": self.id, "text": self.text, "voice_id": self.voice_id,
                "voice_name": self.voice_name, "model_id": self.model_id,
                "language": self.language, "speed": self.speed, "volume": self.volume,
                "emotion": self.emotion}


def _control(value: float | None) -> float | None:
    # 1.0 is the API's own default: a line at 1.0 and one without sound the same.
    return None if value is None else control(value)


# --- events -------------------------------------------------------------------------


@dataclass(frozen=True)
class LineAdded:
    index: int
    line: ScriptLine


@dataclass(frozen=True)
class LineRemoved:
    index: int
    line: ScriptLine


@dataclass(frozen=True)
class LineMoved:
    old: int
    new: int
    line: ScriptLine


@dataclass(frozen=True)
class LineChanged:
    index: int
    line: ScriptLine
    #: The names of the fields that changed.
    changed: tuple[str, ...]


@dataclass(frozen=True)
class TakeSet:
    index: int
    line: ScriptLine
    take: Take | None


@dataclass(frozen=True)
class DefaultsChanged:
    defaults: ScriptDefaults


@dataclass(frozen=True)
class LexiconSet:
    """The script is said with other pronunciations: states may change, nothing to save
    (the lexicons are the project's, kept in their own files)."""

    lexicon: Lexicon | None


@dataclass(frozen=True)
class Saved:
    """What was on disk is now the script as it was at ``revision``."""

    revision: int
    path: Path


ScriptEvent = LineAdded | LineRemoved | LineMoved | LineChanged | TakeSet | DefaultsChanged \
    | LexiconSet | Saved


# --- the script ---------------------------------------------------------------------


class Script:
    """An ordered list of lines with unique ids; every change is announced."""

    def __init__(self, lines: Iterable[ScriptLine] = (), *, path: Path | None = None,
                 defaults: ScriptDefaults | None = None) -> None:
        self.path = path
        self.defaults = defaults or ScriptDefaults()
        self.lexicon: Lexicon | None = None
        self.lines: list[ScriptLine] = []
        #: The chosen takes by id, as far as they are loaded (rendered, or read back
        #: from the project's audio folder): what a project save writes.
        self.takes: dict[str, Take] = {}
        self.events: Emitter[ScriptEvent] = Emitter()
        #: What went wrong reading it that lost nothing else (a take's missing audio).
        self.problems: list[str] = []
        #: Counts every change; a save remembers the revision it wrote.
        self.revision = 0
        self.saved_revision = 0
        for line in lines:
            self._check_new_id(line.id)
            line.defaults = self.defaults
            line.lexicon = self.lexicon
            self.lines.append(line)

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, index: int) -> ScriptLine:
        return self.lines[index]

    @property
    def dirty(self) -> bool:
        """Changed since the last save (or since it was read)."""
        return self.revision != self.saved_revision

    def mark_saved(self, revision: int, path: Path) -> None:
        """Record that ``path`` holds the script as it was at ``revision``."""
        self.saved_revision = max(self.saved_revision, revision)
        self.events.emit(Saved(revision, path))

    def index_of(self, line: ScriptLine) -> int | None:
        """Where ``line`` (this very object) is now; ``None`` once removed."""
        return next((i for i, other in enumerate(self.lines) if other is line), None)

    def by_id(self, line_id: str) -> ScriptLine | None:
        return next((line for line in self.lines if line.id == line_id), None)

    def fresh_id(self) -> str:
        """``line-N``, one past the highest made-up id in use."""
        used = [int(m.group(1)) for line in self.lines
                if (m := _MADE_UP_ID.fullmatch(line.id))]
        return f"line-{max(used, default=0) + 1}"

    def counts(self) -> dict[LineState, int]:
        found = dict.fromkeys(LineState, 0)
        for line in self.lines:
            found[line.state] += 1
        return found

    # --- operations -----------------------------------------------------------------

    def add(self, text: str = "", **settings: Any) -> ScriptLine:
        """A new line at the end (a fresh id unless ``id`` is given)."""
        return self.insert(len(self.lines), text, **settings)

    def insert(self, index: int, text: str = "", **settings: Any) -> ScriptLine:
        unknown = set(settings) - set(EDITABLE)
        if unknown:
            raise ScriptError(f"a line has no {', '.join(sorted(unknown))}; it has "
                              f"{', '.join(EDITABLE)}")
        line = ScriptLine(id=settings.pop("id", None) or self.fresh_id(), text=text,
                          **settings)
        return self.insert_line(index, line)

    def insert_line(self, index: int, line: ScriptLine) -> ScriptLine:
        self._check_new_id(line.id)
        index = max(0, min(index, len(self.lines)))
        line.defaults = self.defaults
        line.lexicon = self.lexicon
        self.lines.insert(index, line)
        self._changed(LineAdded(index, line))
        return line

    def split(self, index: int, cursor: int) -> ScriptLine:
        """Split line ``index`` at the character offset ``cursor``: the second part
        becomes a new line after it (a fresh id, the same settings, no take)."""
        line = self._line(index)
        head, tail = line.text[:cursor].rstrip(), line.text[cursor:].lstrip()
        if not 0 < cursor < len(line.text) or not head or not tail:
            raise ScriptError(f"line {line.id!r} cannot be split at {cursor}: both parts "
                              "need some text")
        second = replace(line, id=self.fresh_id(), text=tail, take_id=None, take_key=None,
                         error="")
        self.update(index, text=head)
        return self.insert_line(index + 1, second)

    def merge(self, index: int) -> ScriptLine:
        """Join line ``index`` and the next one (texts joined with one space, the first
        line's settings); the take is dropped, since it says only part of the text."""
        if not 0 <= index < len(self.lines) - 1:
            raise ScriptError(f"line {index + 1} has no next line to merge with")
        first, second = self.lines[index], self.lines[index + 1]
        self.remove(index + 1)
        first.text = f"{first.text.rstrip()} {second.text.lstrip()}".strip()
        first.take_id = first.take_key = None
        first.error = ""
        self._changed(LineChanged(index, first, ("text", "take_id", "take_key", "error")))
        return first

    def move(self, index: int, to: int) -> None:
        line = self._line(index)
        to = max(0, min(to, len(self.lines) - 1))
        if to == index:
            return
        self.lines.insert(to, self.lines.pop(index))
        self._changed(LineMoved(index, to, line))

    def duplicate(self, index: int) -> ScriptLine:
        """A copy after line ``index``: a fresh id, the same settings, no take."""
        line = self._line(index)
        copy = replace(line, id=self.fresh_id(), take_id=None, take_key=None, error="")
        return self.insert_line(index + 1, copy)

    def remove(self, index: int) -> ScriptLine:
        line = self._line(index)
        del self.lines[index]
        self._changed(LineRemoved(index, line))
        return line

    def update(self, index: int, **changes: Any) -> ScriptLine:
        """Change some of a line's fields (:data:`EDITABLE`); announces only real changes."""
        line = self._line(index)
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise ScriptError(f"a line has no {', '.join(sorted(unknown))}; it has "
                              f"{', '.join(EDITABLE)}")
        new_id = changes.get("id", line.id)
        if new_id != line.id:
            if not isinstance(new_id, str) or not new_id.strip():
                raise ScriptError("a line's id cannot be empty")
            self._check_new_id(new_id)
        changed = tuple(name for name, value in changes.items()
                        if getattr(line, name) != value)
        if not changed:
            return line
        for name in changed:
            setattr(line, name, changes[name])
        self._changed(LineChanged(index, line, changed))
        return line

    def set_take(self, index: int, take: Take | None, key: str | None = None) -> None:
        """Make ``take`` the line's chosen take, made with the settings whose
        :meth:`~ScriptLine.render_key` is ``key`` (by default the line's now)."""
        line = self._line(index)
        if take is None:
            line.take_id = line.take_key = None
        else:
            self.takes[take.id] = take
            line.take_id, line.take_key = take.id, key or line.render_key()
            line.error = ""
        self._changed(TakeSet(index, line, take))

    def set_error(self, index: int, error: str) -> None:
        """Why the line's last render failed ("" clears it)."""
        line = self._line(index)
        if line.error != error:
            line.error = error
            self._changed(LineChanged(index, line, ("error",)))

    def set_defaults(self, **changes: Any) -> None:
        """Change the script's default voice, encoding or sample rate."""
        known = {f.name for f in fields(ScriptDefaults)}
        if unknown := set(changes) - known:
            raise ScriptError(f"a script has no default {', '.join(sorted(unknown))}")
        defaults = replace(self.defaults, **changes)
        if defaults == self.defaults:
            return
        self.defaults = defaults
        for line in self.lines:
            line.defaults = defaults
        self._changed(DefaultsChanged(defaults))

    def set_lexicon(self, lexicon: Lexicon | None) -> None:
        """Say the script with ``lexicon`` (None: as written). Not a change of the script:
        it is not saved and does not make it dirty."""
        self.lexicon = lexicon
        for line in self.lines:
            line.lexicon = lexicon
        self.events.emit(LexiconSet(lexicon))

    def take_of(self, line: ScriptLine) -> Take | None:
        return self.takes.get(line.take_id) if line.take_id else None

    # --- helpers --------------------------------------------------------------------

    def _line(self, index: int) -> ScriptLine:
        if not 0 <= index < len(self.lines):
            raise ScriptError(f"there is no line {index + 1} (the script has "
                              f"{len(self.lines)})")
        return self.lines[index]

    def _check_new_id(self, line_id: str) -> None:
        if any(line.id == line_id for line in self.lines):
            raise ScriptError(f"the id {line_id!r} is already used by another line")

    def _changed(self, event: ScriptEvent) -> None:
        self.revision += 1
        self.events.emit(event)


def known_model(model_id: str) -> bool:
    try:
        catalog().get(model_id)
    except ConfigError:
        return False
    return True


def resolve_voice(written: str, voices: Iterable[Voice]) -> Voice | None:
    """The voice a script's ``voice`` column means: an id, else a name (any case)."""
    listed = list(voices)
    by_id = {voice.id: voice for voice in listed}
    if written in by_id:
        return by_id[written]
    folded = written.casefold().strip()
    return next((v for v in listed if v.name.casefold() == folded), None)
