"""Reading a script from a file: CSV, JSON Lines, or a Voicebooth project.

CSV has a header row ``id,text[,voice,model,language,speed,volume,emotion]`` (any
order, any case; only ``text`` is required); JSON Lines has one object per line
with the same keys. Both are UTF-8, with or without a byte-order mark. Every
problem is a :class:`~app.studio.script.ScriptSourceError` with the 1-based line
and column where it is, so a designer can fix a 40-line sheet in one pass: the
CSV is tokenised here (not by :mod:`csv`) because the standard reader does not
say where a field starts.

The ``voice`` column is kept as written (an id, or a name the caller resolves
against the voices it knows with :func:`~app.studio.script.resolve_voice`).
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from app.cartesia.models import catalog
from app.studio.project import load_project
from app.studio.script import (
    DEFAULT_MODEL,
    Script,
    ScriptLine,
    ScriptSourceError,
    known_model,
)

#: The columns (CSV) and keys (JSON Lines) a script may have, in their usual order.
COLUMNS: Final = ("id", "text", "voice", "model", "language", "speed", "volume", "emotion")
PROJECT_SUFFIX: Final = ".voicebooth"
CSV_SUFFIXES: Final = (".csv",)
JSONL_SUFFIXES: Final = (".jsonl", ".ndjson")


def read_script(path: Path | str) -> Script:
    """The script in ``path`` (by its suffix); :class:`ScriptSourceError` for anything
    wrong in it, including a file that cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == PROJECT_SUFFIX:
        return load_project(path)
    if suffix not in CSV_SUFFIXES + JSONL_SUFFIXES:
        raise ScriptSourceError(path, 1, 1, f"unknown kind of script {suffix or '(none)'!r}: "
                                "give a .csv, a .jsonl or a .voicebooth project")
    text = _read_text(path)
    lines = parse_csv(path, text) if suffix in CSV_SUFFIXES else parse_jsonl(path, text)
    if not lines:
        raise ScriptSourceError(path, 1, 1, "the script has no lines")
    # A script read from CSV or JSON Lines is not a project yet: it has no path of its own.
    return Script(lines)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScriptSourceError(path, 1, 1, f"cannot read the file: {exc.strerror or exc}"
                                ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start
        before = data[:offset]
        line = before.count(b"\n") + 1
        start = before.rfind(b"\n") + 1
        column = len(before[start:].decode("utf-8-sig", errors="replace")) + 1
        raise ScriptSourceError(path, line, column,
                                f"not UTF-8 (byte 0x{data[offset]:02x}); save the file "
                                "as UTF-8") from None


# --- CSV ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    value: str
    line: int
    column: int


def csv_records(path: Path, text: str) -> Iterator[list[Field]]:
    """RFC 4180 records with where each field starts: quoted fields may hold commas,
    doubled quotes and newlines; CRLF or LF ends a record."""
    i, n = 0, len(text)
    line, column = 1, 1
    record: list[Field] = []
    while i <= n:
        start_line, start_column = line, column
        if i < n and text[i] == '"':
            i, column = i + 1, column + 1
            value: list[str] = []
            while True:
                if i >= n:
                    raise ScriptSourceError(path, start_line, start_column,
                                            "this quoted field is never closed (a \" is "
                                            "missing)")
                char = text[i]
                if char == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        value.append('"')
                        i, column = i + 2, column + 2
                        continue
                    i, column = i + 1, column + 1
                    break
                value.append(char)
                if char == "\n":
                    line, column = line + 1, 1
                else:
                    column += 1
                i += 1
            if i < n and text[i] not in ",\r\n":
                raise ScriptSourceError(path, line, column,
                                        f"{text[i]!r} after a closing quote: put the whole "
                                        "field in quotes and double the quotes inside it")
            field_text = "".join(value)
        else:
            end = i
            while end < n and text[end] not in ",\r\n":
                end += 1
            field_text = text[i:end]
            column += end - i
            i = end
        record.append(Field(field_text, start_line, start_column))
        if i < n and text[i] == ",":
            i, column = i + 1, column + 1
            continue
        # The end of a record (or of the text).
        if i < n and text[i] == "\r":
            i += 1
        if i < n and text[i] == "\n":
            i += 1
        line, column = line + 1, 1
        if not (len(record) == 1 and record[0].value == ""):  # blank lines are skipped
            yield record
        record = []
        if i >= n:
            return


def parse_csv(path: Path, text: str) -> list[ScriptLine]:
    records = csv_records(path, text)
    header = next(records, None)
    if header is None:
        raise ScriptSourceError(path, 1, 1, "the file is empty: the first row names the "
                                "columns (id,text,voice,...)")
    names: list[str] = []
    for cell in header:
        name = cell.value.strip().casefold()
        if name not in COLUMNS:
            raise ScriptSourceError(path, cell.line, cell.column,
                                    f"unknown column {cell.value!r}{_did_you_mean(name)}; "
                                    f"the columns are {', '.join(COLUMNS)}")
        if name in names:
            raise ScriptSourceError(path, cell.line, cell.column,
                                    f"the column {name!r} appears twice")
        names.append(name)
    if "text" not in names:
        raise ScriptSourceError(path, header[0].line, 1,
                                "there is no text column; the first row names the columns "
                                f"({', '.join(COLUMNS)}) and text is required")
    reader = _LineReader(path)
    for record in records:
        if len(record) > len(names):
            extra = record[len(names)]
            raise ScriptSourceError(path, extra.line, extra.column,
                                    f"this row has {len(record)} fields but the header names "
                                    f"{len(names)} columns (quote a text that holds commas)")
        cells = dict(zip(names, record, strict=False))
        last = record[-1]  # a row short of the text column is told where it ends
        reader.add({name: (cell.value, cell.line, cell.column)
                    for name, cell in cells.items()}, last.line, last.column + len(last.value))
    return reader.lines


# --- JSON Lines ---------------------------------------------------------------------


def parse_jsonl(path: Path, text: str) -> list[ScriptLine]:
    reader = _LineReader(path)
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ScriptSourceError(path, number, exc.colno, f"bad JSON: {exc.msg}") from None
        if not isinstance(data, dict):
            raise ScriptSourceError(path, number, 1 + len(raw) - len(raw.lstrip()),
                                    "each line is one JSON object like "
                                    '{"id": "intro", "text": "Hello."}')
        cells: dict[str, tuple[object, int, int]] = {}
        for key, value in data.items():
            column = _key_column(raw, key)
            if key not in COLUMNS:
                raise ScriptSourceError(path, number, column,
                                        f"unknown key {key!r}{_did_you_mean(key)}; the keys "
                                        f"are {', '.join(COLUMNS)}")
            cells[key] = (value, number, _value_column(raw, key))
        reader.add(cells, number, 1 + len(raw.rstrip()))
    return reader.lines


def _key_column(raw: str, key: str) -> int:
    at = raw.find(json.dumps(key, ensure_ascii=False))
    return at + 1 if at >= 0 else 1


def _value_column(raw: str, key: str) -> int:
    """Where the value of ``key`` starts in one JSON line (to point at a bad value)."""
    quoted = json.dumps(key, ensure_ascii=False)
    at = raw.find(quoted)
    if at < 0:
        return 1
    at = raw.find(":", at + len(quoted))
    at += 1
    while at < len(raw) and raw[at].isspace():
        at += 1
    return at + 1


# --- the checks both formats share --------------------------------------------------


class _LineReader:
    """Turns the cells of one row (value, line, column) into a checked line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[ScriptLine] = []
        self._ids: dict[str, int] = {}
        self._rows = 0

    def fail(self, where: tuple[object, int, int], message: str) -> ScriptSourceError:
        return ScriptSourceError(self.path, where[1], where[2], message)

    def add(self, cells: dict[str, tuple[object, int, int]], line: int, end: int) -> None:
        """One row's cells; ``line`` and ``end`` say where the row ends."""
        self._rows += 1
        text_cell = cells.get("text")
        if text_cell is None:
            raise ScriptSourceError(self.path, line, end, "this line has no text")
        text = self._string(text_cell, "text")
        if not text.strip():
            raise self.fail(text_cell, "the text is empty: every line needs something to say")
        line_id = f"line-{self._rows}"
        if (id_cell := cells.get("id")) is not None:
            value = id_cell[0]
            written = str(value) if isinstance(value, int) and not isinstance(value, bool) \
                else self._string(id_cell, "id")
            if written.strip():
                line_id = written.strip()
        if line_id in self._ids:
            where = id_cell if id_cell is not None else (None, line, 1)
            raise self.fail(where, f"the id {line_id!r} is already used on line "
                                   f"{self._ids[line_id]}; ids must be unique")
        self._ids[line_id] = line
        model = DEFAULT_MODEL
        if (model_cell := cells.get("model")) is not None:
            model = self._string(model_cell, "model").strip() or DEFAULT_MODEL
            if not known_model(model):
                ids = [m.id for m in catalog().models]
                raise self.fail(model_cell, f"unknown model {model!r}"
                                f"{_did_you_mean(model, ids)}; use one of {', '.join(ids)}")
        language = "en"
        if (language_cell := cells.get("language")) is not None:
            language = self._string(language_cell, "language").strip() or "en"
            spoken = catalog().get(model).languages
            if language not in spoken:
                raise self.fail(language_cell, f"{model} does not speak {language!r}"
                                f"{_did_you_mean(language, spoken)}; it speaks "
                                f"{', '.join(spoken)}")
        speed = self._control(cells.get("speed"), "speed")
        volume = self._control(cells.get("volume"), "volume")
        emotion = None
        if (emotion_cell := cells.get("emotion")) is not None:
            emotion = self._string(emotion_cell, "emotion").strip() or None
            emotions = catalog().emotions
            if emotion is not None and emotion not in emotions:
                raise self.fail(emotion_cell, f"unknown emotion {emotion!r}"
                                f"{_did_you_mean(emotion, emotions)}; use one of "
                                f"{', '.join(emotions)}")
        voice = ""
        if (voice_cell := cells.get("voice")) is not None:
            voice = self._string(voice_cell, "voice").strip()
        self.lines.append(ScriptLine(id=line_id, text=text, voice_id=voice, model_id=model,
                                     language=language, speed=speed, volume=volume,
                                     emotion=emotion))

    def _string(self, cell: tuple[object, int, int], name: str) -> str:
        value = cell[0]
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.fail(cell, f"{name} must be text (a string), not {value!r}")
        return value

    def _control(self, cell: tuple[object, int, int] | None, name: str) -> float | None:
        if cell is None:
            return None
        value = cell[0]
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value) if isinstance(value, int | float | str) else math.nan
        except ValueError:
            raise self.fail(cell, f"{name} must be a number like 1.2, not {value!r}"
                            ) from None
        if math.isnan(number):
            raise self.fail(cell, f"{name} must be a number like 1.2, not {value!r}")
        low, high = catalog().ranges[name]
        if not low <= number <= high:
            raise self.fail(cell, f"{name} {number:g} is outside {low:g}–{high:g}")
        return number


def _did_you_mean(word: str, choices: tuple[str, ...] | list[str] = COLUMNS) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
