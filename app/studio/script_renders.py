"""Render all (or the stale lines) of a script, side by side within the plan's concurrency.

:class:`ScriptRenders` is the voice lineup's scheduler
(:class:`~app.studio.lineup.ParallelRenders`) over a script's lines: every line
is a context of its own with its own text, voice, model and controls, at most
:attr:`~ParallelRenders.limit` at once on one socket per server, backing off and
queueing again on ``concurrency_limited``. A line whose settings fail the check
before sending is failed with the reason and never sent. Each finished take becomes
its line's chosen take (with the render key of the settings it was made with, so
a line edited while it rendered shows as stale), goes to the history like any
take, and reaches the project file through the script's autosave. A failed line
keeps its error (and the history keeps the audio that arrived); it never stops
the others. Stopping leaves the lines not yet rendered as they were.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from app.cartesia.voices_types import Voice
from app.errors import VoiceboothError
from app.events import Emitter
from app.markup import Lexicon
from app.studio.checks import check_settings
from app.studio.endpoints import Endpoints
from app.studio.errors import InvalidInput
from app.studio.history import HistoryService
from app.studio.lineup import (
    DEFAULT_PARALLEL,
    Backoff,
    LineupEvent,
    LineupRow,
    ParallelRenders,
    RowChanged,
    RowState,
)
from app.studio.script import LineState, Script, ScriptLine, resolve_voice
from app.takes.take import TakeSettings

Which = Literal["all", "stale"] | Sequence[int]
#: How a line's voice (its id or name as written) becomes the voice to record with.
VoiceResolver = Callable[[ScriptLine], Voice]


@dataclass(eq=False, kw_only=True)
class ScriptRow(LineupRow):
    """One line being rendered: the settings it was sent with and their render key."""

    line: ScriptLine
    take_settings: TakeSettings
    key: str


@dataclass(frozen=True)
class RenderProgress:
    """Lines done, failed and still to render (queued, rendering or waiting); those a
    stop left unrendered are ``stopped``."""

    done: int
    failed: int
    remaining: int
    stopped: int = 0

    @property
    def total(self) -> int:
        return self.done + self.failed + self.remaining + self.stopped


def chosen_lines(script: Script, which: Which) -> list[ScriptLine]:
    """The lines ``which`` names: all, the stale and missing ones, or these indices."""
    if which == "all":
        return list(script.lines)
    if which == "stale":
        return [line for line in script.lines if line.state is not LineState.CURRENT]
    chosen: list[ScriptLine] = []
    for index in which:
        if not 0 <= index < len(script.lines):
            raise InvalidInput(f"there is no line {index + 1} (the script has "
                               f"{len(script.lines)})")
        if script.lines[index] not in chosen:
            chosen.append(script.lines[index])
    return chosen


def as_written(line: ScriptLine) -> Voice:
    """The voice id (and name) the line or its script names, as written."""
    voice_id, name = line.voice
    return Voice(id=voice_id, name=name or voice_id)


def resolver(voices: Iterable[Voice]) -> VoiceResolver:
    """Resolve each line's voice (an id, or a name in any case) among ``voices`` (the
    library's, so an offline engine voice is routed to the engine); a voice not among
    them is used as written, for the server to accept or refuse."""
    known = list(voices)

    def resolve(line: ScriptLine) -> Voice:
        written, name = line.voice
        found = resolve_voice(written, known)
        return found if found is not None else Voice(id=written, name=name or written)
    return resolve


class ScriptRenders(ParallelRenders):
    """Renders the chosen lines of ``script``, each with its own settings."""

    def __init__(self, endpoints: Endpoints, script: Script, which: Which = "all", *,
                 voices: VoiceResolver = as_written, lexicon: Lexicon | None = None,
                 max_parallel: int = DEFAULT_PARALLEL, history: HistoryService | None = None,
                 backoff: Backoff | None = None, rng: random.Random | None = None) -> None:
        lines = chosen_lines(script, which)
        if not lines:
            raise InvalidInput("every line's take is current: nothing to render"
                               if which == "stale" else "the script has no lines to render")
        if max_parallel < 1:
            raise InvalidInput(f"at most {max_parallel} lines at a time: give 1 or more")
        self.script = script
        rows: list[ScriptRow] = []
        #: Lines that failed the check before sending: failed, never sent.
        self.refused: list[ScriptRow] = []
        for line in lines:
            voice = voices(line)
            settings = line.take_settings(voice, lexicon)
            row = ScriptRow(voice, line=line, take_settings=settings, key=line.render_key())
            try:
                check_settings(settings)
            except VoiceboothError as exc:
                row.state, row.error = RowState.FAILED, exc
                self.refused.append(row)
            else:
                rows.append(row)
        super().__init__(endpoints, (rows or self.refused)[0].take_settings, rows,
                         max_parallel=max_parallel, history=history, backoff=backoff, rng=rng)
        self.progress: Emitter[RenderProgress] = Emitter()
        self.events.connect(self._on_event)

    @property
    def all_rows(self) -> list[ScriptRow]:
        """Every chosen line's row (sent or refused), in the script's order now."""
        sent = [row for row in self.rows if isinstance(row, ScriptRow)]
        order = {id(line): i for i, line in enumerate(self.script.lines)}
        return sorted([*sent, *self.refused], key=lambda r: order.get(id(r.line), -1))

    def settings_for(self, row: LineupRow) -> TakeSettings:
        assert isinstance(row, ScriptRow)
        return row.take_settings

    def counts(self) -> RenderProgress:
        rows = [*self.rows, *self.refused]
        done = sum(r.state is RowState.DONE for r in rows)
        failed = sum(r.state is RowState.FAILED for r in rows)
        stopped = sum(r.state is RowState.STOPPED for r in rows)
        return RenderProgress(done, failed, len(rows) - done - failed - stopped, stopped)

    async def run(self) -> list[LineupRow]:
        for row in self.refused:
            self._line_failed(row)
            self.events.emit(RowChanged(row))
        return await super().run()

    def _on_event(self, event: LineupEvent) -> None:
        if not isinstance(event, RowChanged) or not isinstance(event.row, ScriptRow):
            return
        row = event.row
        if row.state is RowState.DONE and row.take is not None:
            index = self.script.index_of(row.line)
            if index is not None:  # a line removed while it rendered keeps nothing
                self.script.set_take(index, row.take, key=row.key)
        elif row.state is RowState.FAILED and row not in self.refused:
            self._line_failed(row)
        if row.state in (RowState.DONE, RowState.FAILED, RowState.STOPPED):
            self.progress.emit(self.counts())

    def _line_failed(self, row: ScriptRow) -> None:
        index = self.script.index_of(row.line)
        if index is None:
            return
        reason = str(row.error) if row.error is not None else \
            (row.take.error if row.take is not None and row.take.error else "failed")
        self.script.set_error(index, reason)
