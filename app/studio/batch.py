"""A production run: every line of a script rendered and exported into one folder.

The run is headless and prints nothing: it announces what happens as events
(:class:`BatchEvent`) that ``voicebooth batch`` draws as a progress bar or plain
lines, and the window could draw as a panel. :meth:`BatchRun.plan` works out
each line's settings, file name and key (:func:`~app.studio.manifest.batch_key`)
and which lines the folder's manifest already holds; :meth:`BatchRun.run`
renders the others through :class:`~app.studio.script_renders.ScriptRenders`
(one socket, at most ``concurrency`` contexts, ``concurrency_limited`` answered
by backing off), exports each take off the loop as soon as it is finished, and
records it in the manifest, so a run stopped at any point keeps what finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from app.audio.codecs import SAMPLE_RATES
from app.cartesia.voices import VoicesClient
from app.cartesia.voices_types import Voice
from app.engine.local import offline_voices
from app.engine.synth.registry import DEFAULT_OFFLINE_VOICE_ID
from app.errors import VoiceboothError
from app.events import Emitter
from app.markup import Lexicon
from app.studio.checks import check_settings
from app.studio.endpoints import Endpoints
from app.studio.errors import InvalidInput
from app.studio.library import VoiceLibrary
from app.studio.lineup import ParallelLowered, RowChanged, RowState
from app.studio.manifest import Manifest, ManifestEntry, ManifestError, batch_key
from app.studio.script import DEFAULT_MODEL, LineState, Script, ScriptLine, resolve_voice
from app.studio.script_renders import ScriptRenders, ScriptRow
from app.takes.export import ExportResult, ExportSpec, export_take
from app.takes.naming import DEFAULT_TEMPLATE, render_name
from app.takes.take import Take, TakeSettings

#: The rates Cartesia renders; an export rate among them is asked of the server, so the
#: audio needs no resampling.
_SERVER_RATES = SAMPLE_RATES


@dataclass(frozen=True)
class BatchDefaults:
    """What the command gives the lines that name none: ``--voice`` (else the script's
    default voice, else the offline engine's), ``--model``, ``--language``."""

    voice_id: str = ""
    model_id: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class PlannedLine:
    """One line of the script as the run sees it."""

    #: Its place in the script, from 1 (the template's ``{n}``).
    n: int
    line: ScriptLine
    settings: TakeSettings
    voice: Voice
    #: The file name without its extension (the template filled in).
    stem: str
    key: str
    #: Done already: the manifest holds this key and its files are all there.
    done: bool
    #: The line's chosen take, current with its settings (a project's, perhaps with
    #: retakes spliced in): exported as it is, never rendered again.
    take: Take | None = None

    @property
    def label(self) -> str:
        return f"line {self.n} ({self.line.id})"


@dataclass(frozen=True)
class BatchPlan:
    folder: Path
    lines: list[PlannedLine]
    spec: ExportSpec
    #: Files in the folder the run would overwrite that no earlier run made for that
    #: line (refused unless forced).
    foreign: list[Path] = field(default_factory=list)

    @property
    def todo(self) -> list[PlannedLine]:
        return [line for line in self.lines if not line.done]

    @property
    def skipped(self) -> list[PlannedLine]:
        return [line for line in self.lines if line.done]

    @property
    def to_render(self) -> list[PlannedLine]:
        return [line for line in self.todo if line.take is None]

    @property
    def from_takes(self) -> list[PlannedLine]:
        """Lines to export from their chosen takes, with nothing to render."""
        return [line for line in self.todo if line.take is not None]

    def audio_path(self, line: PlannedLine) -> Path:
        return self.folder / (line.stem + self.spec.extension)


# --- events -------------------------------------------------------------------------


@dataclass(frozen=True)
class LineStarted:
    line: PlannedLine


@dataclass(frozen=True)
class LineWaiting:
    """Refused for the plan's concurrency: tried again after a pause."""

    line: PlannedLine


@dataclass(frozen=True)
class LineWritten:
    line: PlannedLine
    result: ExportResult
    duration: float
    #: Files an earlier run wrote for this line under another name, left in place.
    left_behind: tuple[Path, ...] = ()


@dataclass(frozen=True)
class LineFailed:
    line: PlannedLine
    error: str


@dataclass(frozen=True)
class ConcurrencyLowered:
    limit: int


@dataclass(frozen=True)
class Progress:
    done: int
    failed: int
    remaining: int
    elapsed: float


@dataclass
class BatchSummary:
    written: list[LineWritten] = field(default_factory=list)
    skipped: list[PlannedLine] = field(default_factory=list)
    failed: list[LineFailed] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def audio_seconds(self) -> float:
        return sum(written.duration for written in self.written)

    @property
    def from_takes(self) -> int:
        """Lines written from their chosen takes (not rendered)."""
        return sum(written.line.take is not None for written in self.written)


@dataclass(frozen=True)
class BatchFinished:
    summary: BatchSummary


BatchEvent = (LineStarted | LineWaiting | LineWritten | LineFailed | ConcurrencyLowered
              | Progress | BatchFinished)


# --- the run ------------------------------------------------------------------------


class BatchRun:
    """Renders and exports a script's lines into ``folder`` (see the module's doc)."""

    def __init__(self, endpoints: Endpoints, script: Script, folder: Path, *,
                 defaults: BatchDefaults, spec: ExportSpec | None = None,
                 template: str = DEFAULT_TEMPLATE, concurrency: int = 2,
                 force: bool = False, date: datetime | None = None,
                 keep_takes: bool = True, lexicon: Lexicon | None = None) -> None:
        if concurrency < 1:
            raise InvalidInput(f"at most {concurrency} lines at a time: give 1 or more")
        self.endpoints = endpoints
        self.script = script
        self.folder = folder
        self.defaults = defaults
        self.spec = spec or ExportSpec()
        self.template = template
        self.concurrency = concurrency
        self.force = force
        self.date = date or datetime.now()
        #: False: a take is let go once its file is written (the command line's memory
        #: stays flat over a long script); True: it stays the line's chosen take.
        self.keep_takes = keep_takes
        #: Pronunciations applied as the window applies them (``say``'s user lexicon and
        #: files): a batch says the words as they were tuned.
        self.lexicon = lexicon or Lexicon()
        self.events: Emitter[BatchEvent] = Emitter()
        self.summary = BatchSummary()
        self._manifest: Manifest | None = None
        self._voices: dict[str, Voice] = {}
        self._started = 0.0
        self._remaining = 0

    # --- planning -------------------------------------------------------------------

    def _lexicon_of(self, line: ScriptLine) -> Lexicon:
        """The entries ``line`` says: its key changes when they change, not when another
        word of the lexicon does."""
        used = self.lexicon.for_language(line.language).matches(line.text)
        return Lexicon(entry for _, entry in used)

    async def plan(self) -> BatchPlan:
        """Each line's settings, name and key, and which are done; checks every line
        first (:class:`InvalidInput` names the line) and reads the manifest off the loop
        (:class:`ManifestError` for one that is not a manifest, unless forced)."""
        self._apply_defaults()
        self._voices = await self._resolve_voices()
        export = self.spec.to_json()
        planned: list[PlannedLine] = []
        stems: dict[str, PlannedLine] = {}
        for n, line in enumerate(self.script.lines, start=1):
            voice = self._voices[line.voice[0]]
            settings = line.take_settings(voice, self._lexicon_of(line))
            label = f"line {n} ({line.id})"
            try:
                check_settings(settings)
            except VoiceboothError as exc:
                raise InvalidInput(f"{label}: {exc}") from None
            stem = render_name(self.template, n=n, id=line.id, voice=voice.name or voice.id,
                               text=line.text, date=self.date)
            taken = stems.get(stem.casefold())  # some file systems ignore case
            if taken is not None:
                raise InvalidInput(
                    f"{taken.label} and {label} would both be written to {stem}"
                    f"{self.spec.extension}; put {{n}} or {{id}} in the name template")
            take = self._chosen_take(line)
            # A chosen take is its own source: splicing a retake into it makes a new take,
            # and a new key.
            key = batch_key(settings, export, stem, take_id=take.id if take else "")
            item = PlannedLine(n, line, settings, voice, stem, key, done=False, take=take)
            stems[stem.casefold()] = item
            planned.append(item)
        loop = asyncio.get_running_loop()
        manifest = await loop.run_in_executor(None, self._load_manifest)
        self._manifest = manifest
        lines = [replace(item, done=not self.force and manifest.is_done(item.line.id, item.key))
                 for item in planned]
        plan = BatchPlan(self.folder, lines, self.spec)
        foreign = await loop.run_in_executor(None, self._foreign, plan, manifest)
        return replace(plan, foreign=foreign)

    def _apply_defaults(self) -> None:
        """The command's defaults, into the script: its default voice, and the rate the
        export wants when the server renders it (nothing is then resampled)."""
        script, defaults = self.script, self.defaults
        rate = self.spec.sample_rate if self.spec.sample_rate in _SERVER_RATES \
            else script.defaults.sample_rate
        voice_id = defaults.voice_id or script.defaults.voice_id or DEFAULT_OFFLINE_VOICE_ID
        changes: dict[str, object] = {"sample_rate": rate, "encoding": "pcm_f32le"}
        if voice_id != script.defaults.voice_id:
            changes.update(voice_id=voice_id, voice_name="")
        script.set_defaults(**changes)
        # A project's take made with these pronunciations stays current (exported as
        # it is); one made before a word was tuned is stale and rendered again.
        script.set_lexicon(self.lexicon or None)
        # A line read from CSV or JSON Lines that names no model or language holds the
        # reader's defaults: those are the lines the command's defaults are for.
        for index, line in enumerate(script.lines):
            update: dict[str, object] = {}
            if defaults.model_id and line.model_id == DEFAULT_MODEL:
                update["model_id"] = defaults.model_id
            if defaults.language and line.language == "en":
                update["language"] = defaults.language
            if update:
                script.update(index, **update)

    async def _resolve_voices(self) -> dict[str, Voice]:
        """Each voice the script names, by what it wrote (an id, or an offline voice's
        name), asked once each."""
        written = list(dict.fromkeys(line.voice[0] for line in self.script.lines))
        library = VoiceLibrary(self.endpoints, self.endpoints.settings, None)
        voices: dict[str, Voice] = {}
        try:
            # Names are looked up among the offline voices only (listing a Cartesia
            # library of thousands to find a name costs more than a batch of lines);
            # loading them loads espeak's library: off the loop, and only when they apply.
            offline = [] if self.endpoints.base_url is not None else \
                await asyncio.get_running_loop().run_in_executor(None, offline_voices)
            for name in written:
                voices[name] = resolve_voice(name, offline) or await library.voice_for_id(name)
        finally:
            await library.close()
        unnamed = [key for key, voice in voices.items() if voice.name == voice.id]
        config = await self.endpoints.online() if unnamed else None
        if config is not None:
            async with VoicesClient(config) as client:
                for key in unnamed:
                    # Only the name, for {voice} and the listing; an unknown voice keeps
                    # its id here and fails its lines when they are rendered.
                    with contextlib.suppress(VoiceboothError):
                        named_voice = await client.get(voices[key].id)
                        voices[key] = replace(voices[key], name=named_voice.name)
        return voices

    def _chosen_take(self, line: ScriptLine) -> Take | None:
        """The line's chosen take when it is current (made with the line's settings as
        they are now) and holds audio; ``--force`` renders every line again instead."""
        if self.force or line.state is not LineState.CURRENT:
            return None
        take = self.script.take_of(line)
        return take if take is not None and take.n_frames > 0 else None

    def _load_manifest(self) -> Manifest:
        try:
            return Manifest.load(self.folder)
        except ManifestError:
            if self.force:  # forced: every line is rendered again and the file replaced
                return Manifest(self.folder)
            raise

    def _foreign(self, plan: BatchPlan, manifest: Manifest) -> list[Path]:
        """Files the run would overwrite that the manifest does not give to that line."""
        if self.force:
            return []
        foreign = []
        for item in plan.todo:
            path = plan.audio_path(item)
            entry = manifest.entries.get(item.line.id)
            if path.exists() and (entry is None or manifest.relative(path) not in entry.files):
                foreign.append(path)
        return foreign

    # --- rendering ------------------------------------------------------------------

    async def run(self, plan: BatchPlan) -> BatchSummary:
        """Render and export the lines ``plan`` has to do; only cancelling raises (a
        failed line is reported and the rest go on). The summary is also kept as
        :attr:`summary`."""
        self.summary = BatchSummary(skipped=plan.skipped)
        self._started = time.perf_counter()
        todo = plan.todo
        self._remaining = len(todo)
        if not todo:
            self._finish()
            return self.summary
        await asyncio.get_running_loop().run_in_executor(None, self._make_folder)
        exporting: set[asyncio.Task[None]] = set()

        def export(item: PlannedLine, take: Take, row: ScriptRow | None) -> None:
            task = asyncio.ensure_future(self._export(plan, item, take, row))
            exporting.add(task)
            task.add_done_callback(exporting.discard)

        for item in plan.from_takes:
            assert item.take is not None
            export(item, item.take, None)
        to_render = plan.to_render
        if not to_render:
            await self._wait_for(exporting)
            return self.summary
        by_line = {id(item.line): item for item in to_render}
        voices = self._voices
        renders = ScriptRenders(
            self.endpoints, self.script, [item.n - 1 for item in to_render],
            voices=lambda line: voices[line.voice[0]], max_parallel=self.concurrency,
            lexicon=self.lexicon)

        def changed(event: object) -> None:
            if isinstance(event, ParallelLowered):
                self.events.emit(ConcurrencyLowered(event.limit))
                return
            if not isinstance(event, RowChanged):
                return
            row = event.row
            if not isinstance(row, ScriptRow) or (item := by_line.get(id(row.line))) is None:
                return
            if row.state is RowState.RENDERING:
                self.events.emit(LineStarted(item))
            elif row.state is RowState.WAITING:
                self.events.emit(LineWaiting(item))
            elif row.state is RowState.DONE and row.take is not None:
                export(item, row.take, row)
            elif row.state is RowState.FAILED:
                self._failed(item, str(row.error) if row.error else row.status)

        unsubscribe = renders.events.connect(changed)
        stopped = False
        try:
            await renders.run()
        except asyncio.CancelledError:
            stopped = True
        finally:
            unsubscribe()
        await self._wait_for(exporting, stopped)
        return self.summary

    async def _wait_for(self, exporting: set[asyncio.Task[None]], stopped: bool = False
                        ) -> None:
        """Wait for the exports under way, then finish. They finish and are recorded even
        when the run is stopped: their takes are complete, and the manifest should hold
        what is on disk; the stop is then passed on."""
        while exporting:
            try:
                await asyncio.shield(asyncio.gather(*exporting))
            except asyncio.CancelledError:
                stopped = True
        self._finish()
        if stopped:
            raise asyncio.CancelledError

    def _make_folder(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidInput(f"cannot make the folder {self.folder}: "
                               f"{exc.strerror or exc}") from None

    async def _export(self, plan: BatchPlan, item: PlannedLine, take: Take,
                      row: ScriptRow | None) -> None:
        manifest = self._manifest
        assert manifest is not None
        loop = asyncio.get_running_loop()
        path = plan.audio_path(item)
        try:
            result = await loop.run_in_executor(None, self._write, manifest, item, take, path)
        except VoiceboothError as exc:
            self._failed(item, str(exc))
            return
        finally:
            if not self.keep_takes:
                if row is not None:
                    row.take = None
                self.script.takes.pop(take.id, None)
        written, left_behind = result
        self.summary.written.append(written)
        self._remaining -= 1
        self.events.emit(replace(written, left_behind=left_behind))
        self._progress()

    def _write(self, manifest: Manifest, item: PlannedLine, take: Take, path: Path
               ) -> tuple[LineWritten, tuple[Path, ...]]:
        """Export one take and record it (blocking: runs in an executor)."""
        result = export_take(take, path, self.spec, overwrite=True)
        left_behind = tuple(manifest.stale_files(item.line.id, result.files))
        after = result.after
        manifest.record(item.line.id, ManifestEntry(
            key=item.key, files=tuple(manifest.relative(p) for p in result.files),
            duration=take.duration, lufs=after.lufs if after else None,
            true_peak_db=result.true_peak_db, take_id=take.id))
        return LineWritten(item, result, take.duration), left_behind

    def _failed(self, item: PlannedLine, error: str) -> None:
        failure = LineFailed(item, error)
        self.summary.failed.append(failure)
        self._remaining -= 1
        self.events.emit(failure)
        self._progress()

    def _progress(self) -> None:
        self.events.emit(Progress(len(self.summary.written), len(self.summary.failed),
                                  self._remaining, time.perf_counter() - self._started))

    def _finish(self) -> None:
        self.summary.elapsed = time.perf_counter() - self._started
        self.events.emit(BatchFinished(self.summary))

