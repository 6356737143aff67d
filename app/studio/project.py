"""A script's project file: ``NAME.voicebooth`` (versioned JSON) and its chosen takes'
audio and timings beside it in ``NAME.voicebooth-audio/``.

The JSON holds the script's defaults and its lines (ids, texts, settings, the
chosen take's id and the render key of the settings that made it). Each chosen
take is two files named by its id: ``ID.wav`` (32-bit float, exactly what
arrived) and ``ID.timings.json`` (its words and phonemes, and the facts that
rebuild the take). A take never changes once made, so its files are written
only when new; after a successful save the files of takes no line chooses any
more are removed. Every file is written atomically, the JSON last: a crash
leaves the previous project, whole, or the new one.

Saving is in two steps so it can run off the event loop: :func:`snapshot` copies
what to write (on the loop, where the script changes), :func:`write_snapshot`
writes it (in an executor). :func:`save_script` does both.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from app.atomic import WriteError, remove_leftovers_in, write_bytes
from app.audio.errors import AudioError
from app.audio.loudness import Loudness
from app.audio.wav import read_wav, write_wav
from app.markup.lexicon import Entry
from app.studio.script import (
    Script,
    ScriptDefaults,
    ScriptError,
    ScriptLine,
    ScriptSourceError,
)
from app.takes.take import Take, TakeSettings, TakeStatus
from app.takes.timings import Timing, timings_json

FORMAT: Final = "voicebooth-script"
VERSION: Final = 1
SUFFIX: Final = ".voicebooth"
_LINE_FIELDS: Final = {"id": str, "text": str, "voice_id": str, "voice_name": str,
                       "model_id": str, "language": str, "speed": float, "volume": float,
                       "emotion": str, "take_id": str, "take_key": str, "error": str}
_OPTIONAL: Final = ("speed", "volume", "emotion", "take_id", "take_key")


def audio_folder(path: Path) -> Path:
    """``NAME.voicebooth-audio`` beside ``NAME.voicebooth``."""
    return path.with_name(path.name + "-audio")


def untitled_path(data_dir: Path) -> Path:
    """Where a script that has no file yet is autosaved, so it survives a crash too."""
    return data_dir / "scripts" / f"untitled{SUFFIX}"


def recover_untitled(path: Path) -> Script | None:
    """The untitled script autosaved at ``path`` (:func:`untitled_path`) before the app
    last stopped, still untitled (it has no file of its own), or ``None`` when there is
    none (blocking)."""
    if not path.is_file():
        return None
    script = load_project(path)
    script.path = None
    return script


# --- saving -------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """The script as it was at :attr:`revision`, ready to be written from any thread."""

    revision: int
    data: dict[str, Any]
    #: The chosen takes that are loaded (finished takes never change again).
    takes: list[Take] = field(default_factory=list)


def snapshot(script: Script, takes: Mapping[str, Take] | None = None) -> Snapshot:
    """Copy what a save writes (on the loop's thread, where the script changes)."""
    takes = script.takes if takes is None else takes
    lines = [_line_json(line) for line in script.lines]
    chosen = [takes[line.take_id] for line in script.lines
              if line.take_id is not None and line.take_id in takes]
    data = {"format": FORMAT, "version": VERSION, "defaults": script.defaults.to_json(),
            "lines": lines}
    return Snapshot(script.revision, data, list({t.id: t for t in chosen}.values()))


def _line_json(line: ScriptLine) -> dict[str, object]:
    return {**line.settings_json(), "take_id": line.take_id, "take_key": line.take_key,
            "error": line.error}


def write_snapshot(shot: Snapshot, path: Path) -> None:
    """Write the project (blocking: run it in an executor). :class:`~app.atomic.WriteError`
    when a file cannot be written; the previous project file is then left as it was."""
    folder = audio_folder(path)
    referenced = {line["take_id"] for line in shot.data["lines"] if line["take_id"]}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if referenced:
            folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise WriteError(path, exc) from None
    for take in shot.takes:
        _write_take(folder, take)
    text = json.dumps(shot.data, ensure_ascii=False, indent=1) + "\n"
    write_bytes(path, text.encode("utf-8"))
    if folder.is_dir():
        _remove_orphans(folder, referenced)


def save_project(script: Script, path: Path, takes: Mapping[str, Take]) -> int:
    """Write ``script`` and the chosen ones of ``takes`` to ``path`` now (blocking; on
    the loop's thread, or while nothing changes the script); the revision written."""
    shot = snapshot(script, takes)
    write_snapshot(shot, path)
    return shot.revision


async def save_script(script: Script, path: Path | None = None) -> Path:
    """Save ``script`` (to ``path``, by default its own) off the loop, and mark it saved."""
    target = path or script.path
    if target is None:
        raise ScriptError("the script has no file yet: choose where to save it")
    shot = snapshot(script)
    await asyncio.get_running_loop().run_in_executor(None, write_snapshot, shot, target)
    script.mark_saved(shot.revision, target)
    return target


def _write_take(folder: Path, take: Take) -> None:
    if not take.keep_audio:
        return
    audio = folder / f"{take.id}.wav"
    timings = folder / f"{take.id}.timings.json"
    if not audio.exists():
        write_wav(audio, take.samples, take.sample_rate, "float32", dither=False)
    if not timings.exists():
        # The export's timings JSON, with the facts that rebuild the take alongside.
        data = {**timings_json(take.words, take.phonemes), "take": _take_facts(take)}
        write_bytes(timings, (json.dumps(data, ensure_ascii=False, indent=1) + "\n")
                    .encode("utf-8"))


def _take_facts(take: Take) -> dict[str, object]:
    loudness = take.loudness
    return {"id": take.id, "name": take.name, "created_at": take.created_at,
            "status": take.status.value, "error": take.error,
            "time_to_first_audio": take.time_to_first_audio,
            "loudness": [loudness.lufs, loudness.peak_dbfs] if loudness else None,
            "settings": asdict(take.settings)}


def _remove_orphans(folder: Path, referenced: set[str]) -> None:
    remove_leftovers_in(folder)
    for file in folder.iterdir():
        stem = file.name.removesuffix(".timings.json").removesuffix(".wav")
        if stem != file.name and stem not in referenced:
            with contextlib.suppress(OSError):
                file.unlink()


# --- loading ------------------------------------------------------------------------


def load_project(path: Path) -> Script:
    """The script in a project file, with its chosen takes loaded (blocking). A take whose
    audio is missing or damaged leaves its line MISSING (:attr:`Script.problems` says
    which); anything wrong with the file itself is a :class:`ScriptSourceError`."""
    try:
        text = path.read_text("utf-8-sig")
    except OSError as exc:
        raise ScriptSourceError(path, 1, 1, f"cannot read the project: "
                                f"{exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ScriptSourceError(path, 1, 1, "not a Voicebooth project (not UTF-8 text)"
                                ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScriptSourceError(path, exc.lineno, exc.colno, f"bad JSON: {exc.msg}"
                                ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ScriptSourceError(path, 1, 1, f"not a Voicebooth project (its \"format\" is "
                                f"not {FORMAT!r})")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ScriptSourceError(path, 1, 1, f"the project's version {version!r} is not a "
                                "version number")
    if version > VERSION:
        raise ScriptSourceError(path, 1, 1, f"this project was saved by a newer Voicebooth "
                                f"(project version {version}; this one reads up to "
                                f"{VERSION}): update Voicebooth to open it")
    defaults = _defaults(path, data.get("defaults", {}))
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, list):
        raise ScriptSourceError(path, 1, 1, "the project has no list of \"lines\"")
    lines = [_line(path, index, raw) for index, raw in enumerate(raw_lines)]
    try:
        script = Script(lines, path=path, defaults=defaults)
    except ScriptError as exc:  # a duplicate id
        raise ScriptSourceError(path, 1, 1, str(exc)) from None
    folder = audio_folder(path)
    for line in script.lines:
        if line.take_id is None:
            continue
        try:
            script.takes[line.take_id] = _load_take(folder, line.take_id)
        except (OSError, AudioError, ValueError, KeyError, TypeError) as exc:
            script.problems.append(f"line {line.id!r}: its take's audio is missing or "
                                   f"damaged ({exc}); render it again")
            line.take_id = line.take_key = None
    return script


def _defaults(path: Path, raw: object) -> ScriptDefaults:
    if not isinstance(raw, dict):
        raise ScriptSourceError(path, 1, 1, "the project's \"defaults\" is not an object")
    try:
        return ScriptDefaults(voice_id=str(raw.get("voice_id", "")),
                              voice_name=str(raw.get("voice_name", "")),
                              encoding=str(raw.get("encoding", "pcm_f32le")),
                              sample_rate=int(raw.get("sample_rate", 44100)))
    except (TypeError, ValueError):
        raise ScriptSourceError(path, 1, 1, "the project's default sample rate is not a "
                                "number") from None


def _line(path: Path, index: int, raw: object) -> ScriptLine:
    where = f"line {index + 1} of the project"
    if not isinstance(raw, dict):
        raise ScriptSourceError(path, 1, 1, f"{where} is not an object")
    values: dict[str, Any] = {}
    for name, kind in _LINE_FIELDS.items():
        value = raw.get(name)
        if value is None:
            if name in ("id", "text"):
                raise ScriptSourceError(path, 1, 1, f"{where} has no {name}")
            if name in _OPTIONAL:
                values[name] = None
            continue
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind):
            raise ScriptSourceError(path, 1, 1, f"{where}: {name} is {value!r}, not "
                                    f"{'a number' if kind is float else 'text'}")
        values[name] = value
    return ScriptLine(**values)


def _load_take(folder: Path, take_id: str) -> Take:
    wav = read_wav(folder / f"{take_id}.wav")
    data = json.loads((folder / f"{take_id}.timings.json").read_text("utf-8"))
    facts = data["take"]
    settings = dict(facts["settings"])
    settings["lexicon"] = tuple(Entry(**entry) for entry in settings.get("lexicon") or ())
    loudness = facts.get("loudness")
    return Take.from_audio(
        TakeSettings(**settings), wav.samples,
        [Timing(w["text"], w["start"], w["end"]) for w in data["words"]],
        [Timing(p["text"], p["start"], p["end"]) for p in data["phonemes"]],
        id=take_id, name=facts["name"], created_at=facts["created_at"],
        status=TakeStatus(facts["status"]), error=facts.get("error"),
        time_to_first_audio=facts.get("time_to_first_audio"),
        loudness=Loudness(*loudness) if loudness else None)
