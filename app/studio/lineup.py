"""One line in many voices: rendered side by side, within the plan's concurrency.

A :class:`Lineup` renders one take's settings in each of several voices. Every
voice is a context of its own on the same sockets the window uses (one
:class:`~app.studio.recorder.Recorder` per voice, over the studio's
:class:`~app.studio.endpoints.Endpoints`), at most :attr:`Lineup.limit` at a
time. Cartesia refuses a context beyond the plan's concurrency with
``concurrency_limited`` (:class:`~app.cartesia.errors.RateLimited`): the voice
waits (exponential backoff with jitter, capped) and goes back to the queue, and
the limit drops to what the server evidently allows, so a too-high setting costs
a few refusals, never the set. Any other error fails that voice's row alone,
keeping the audio that arrived. Each finished take has its loudness measured off
the loop and goes to the history like any take.

Saved voice sets (named lists of voice ids) are a setting (:data:`VOICE_SETS`).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from app.cartesia.errors import RateLimited
from app.cartesia.voices_types import Voice
from app.errors import VoiceboothError
from app.events import Emitter
from app.settings import VOICE_SETS, Settings
from app.studio.checks import check_settings
from app.studio.endpoints import Endpoints
from app.studio.errors import InvalidInput
from app.studio.history import HistoryService
from app.studio.recorder import Recorder
from app.studio.transport import Transport
from app.takes.errors import HistoryError
from app.takes.take import Take, TakeSettings, TakeStatus

#: Concurrent contexts per Cartesia plan (docs: Free 2, Pro 3, Startup 5, Scale 15).
PLAN_LIMITS = {"Free": 2, "Pro": 3, "Startup": 5, "Scale": 15}
DEFAULT_PARALLEL = 2
#: ``concurrency_limited`` answers one voice may get before its row fails: by then
#: something else (another app on the same key) holds the plan's contexts.
MAX_REFUSALS = 12


class RowState(enum.Enum):
    QUEUED = "queued"
    RENDERING = "rendering"
    WAITING = "waiting"  # refused for concurrency: backing off before it is tried again
    DONE = "done"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(eq=False)
class LineupRow:
    """One voice of the lineup, and its take once one is rendering."""

    voice: Voice
    state: RowState = RowState.QUEUED
    take: Take | None = None
    error: VoiceboothError | None = None
    #: ``concurrency_limited`` answers so far.
    refusals: int = 0
    #: Why the take is not in the history ("" when it is, or there is none).
    history_problem: str = ""

    @property
    def status(self) -> str:
        """The row's state in a few words, for the comparison view and ``say``."""
        if self.state is RowState.WAITING:
            return f"waiting for a free slot (refused {self.refusals}×)"
        if self.state is RowState.FAILED and self.error is not None:
            return f"failed: {self.error}"
        return str(self.state.value)


@dataclass(frozen=True)
class RowChanged:
    row: LineupRow


@dataclass(frozen=True)
class ParallelLowered:
    """The server refused a context: this many at a time from now on."""

    limit: int


@dataclass(frozen=True)
class LineupFinished:
    lineup: ParallelRenders


LineupEvent = RowChanged | ParallelLowered | LineupFinished


@dataclass(frozen=True)
class Backoff:
    """Exponential, capped, with jitter: voices refused together do not all come back in
    the same instant (and get refused together again)."""

    first: float = 0.25
    cap: float = 4.0
    #: The fraction of each delay that is random.
    jitter: float = 0.5

    def delay(self, attempt: int, rng: random.Random,
              retry_after: float | None = None) -> float:
        base = min(self.cap, self.first * 2.0 ** attempt)
        delay = base * (1 - self.jitter * rng.random())
        return max(delay, retry_after or 0.0)


class ParallelRenders:
    """Takes rendered side by side on the studio's sockets, at most :attr:`limit` at a
    time, each row's settings from :meth:`settings_for` (the scheduler the voice lineup
    and the pronunciation lab share)."""

    def __init__(self, endpoints: Endpoints, settings: TakeSettings,
                 rows: Sequence[LineupRow], *, max_parallel: int = DEFAULT_PARALLEL,
                 history: HistoryService | None = None, backoff: Backoff | None = None,
                 rng: random.Random | None = None) -> None:
        if max_parallel < 1:
            raise InvalidInput(f"at most {max_parallel} takes at a time: give 1 or more")
        self.endpoints = endpoints
        self.settings = settings
        self.history = history
        self.rows = list(rows)
        #: Takes rendered at once now: the setting, lowered by refusals.
        self.limit = max_parallel
        self.backoff = backoff or Backoff()
        self.events: Emitter[LineupEvent] = Emitter()
        self.task: asyncio.Task[list[LineupRow]] | None = None
        #: Takes rendered, being measured and saved (no longer holding a context).
        self._finishing: set[asyncio.Future[None]] = set()
        self._rng = rng or random.Random()

    def settings_for(self, row: LineupRow) -> TakeSettings:
        """What ``row`` records: the shared settings in the row's voice."""
        return replace(self.settings, voice_id=row.voice.id, voice_name=row.voice.name)

    def recorder_for(self, row: LineupRow) -> Recorder:
        """The recorder that renders ``row`` (one per row: each its own context)."""
        return Recorder(self.endpoints)

    @property
    def finished(self) -> bool:
        return self.task is not None and self.task.done()

    def start(self) -> asyncio.Task[list[LineupRow]]:
        """Render on the running loop; the task gives the rows when all have ended."""
        self.task = asyncio.ensure_future(self.run())
        return self.task

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def close(self) -> None:
        """Stop rendering and wait until every context is cancelled and every take saved."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    # --- rendering ------------------------------------------------------------------

    async def run(self) -> list[LineupRow]:
        """Render every voice; only cancelling this raises (a failed voice fails its row)."""
        loop = asyncio.get_running_loop()
        queue: deque[LineupRow] = deque(self.rows)
        not_before: dict[LineupRow, float] = {}
        running: dict[asyncio.Task[bool], LineupRow] = {}
        try:
            while queue or running:
                now = loop.time()
                while queue and len(running) < self.limit:
                    ready = next((r for r in queue if not_before.get(r, 0.0) <= now), None)
                    if ready is None:
                        break
                    queue.remove(ready)
                    running[asyncio.ensure_future(self._render(ready))] = ready
                waits = [not_before.get(r, now) - now for r in queue]
                timeout = max(0.0, min(waits)) if waits and len(running) < self.limit \
                    else None
                if not running:
                    await asyncio.sleep(timeout or 0.0)
                    continue
                done, _ = await asyncio.wait(running, timeout=timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    row = running.pop(task)
                    if task.result():
                        continue
                    self._refused(row, len(running))
                    if row.state is RowState.WAITING:
                        assert row.error is None or isinstance(row.error, RateLimited)
                        retry_after = row.error.retry_after if row.error else None
                        row.error = None
                        not_before[row] = loop.time() + self.backoff.delay(
                            row.refusals - 1, self._rng, retry_after)
                        queue.appendleft(row)  # it keeps its place in the line
            if self._finishing:
                await asyncio.gather(*self._finishing)
            return self.rows
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)
            if self._finishing:  # stopped: the takes already made are still kept
                await asyncio.wait(set(self._finishing))
            for row in queue:
                self._set(row, RowState.STOPPED)
            self.events.emit(LineupFinished(self))

    def _refused(self, row: LineupRow, others_running: int) -> None:
        row.refusals += 1
        # The server held the others when it refused this one: it allows no more than
        # that (a refusal with nothing else running is someone else's use of the key).
        lowered = max(1, min(self.limit - 1, others_running))
        if lowered < self.limit:
            self.limit = lowered
            self.events.emit(ParallelLowered(lowered))
        if row.refusals > MAX_REFUSALS:
            row.error = RateLimited(
                429, f"the server refused {row.refusals} times for its concurrency limit "
                "(another program may be using the same key's contexts)",
                code="concurrency_limited")
            self._set(row, RowState.FAILED)
        else:
            self._set(row, RowState.WAITING)

    async def _render(self, row: LineupRow) -> bool:
        """One voice's take; ``False`` when the server refused it for concurrency."""
        recorder = self.recorder_for(row)
        try:
            recording = recorder.start(self.settings_for(row), row.voice)
        except VoiceboothError as exc:  # checked once already: a voice-specific refusal
            row.error = exc
            self._set(row, RowState.FAILED)
            return True
        # Named "voice · words" like every take, so the history tells them apart.
        take = row.take = recording.take
        self._set(row, RowState.RENDERING)
        stopped = False
        try:
            await recording.wait()
        except RateLimited as exc:
            if take.n_frames == 0:  # refused before any audio: try again later
                row.take, row.error = None, exc
                return False
            row.error = exc
        except asyncio.CancelledError:
            stopped = True  # the lineup was stopped: keep what arrived, then stop too
        except VoiceboothError as exc:
            row.error = exc
        finally:
            await recorder.close()  # the context is cancelled on the server by now
        if stopped:
            await self._finish(row, take)
            raise asyncio.CancelledError
        # The context has ended: its slot goes to the next voice while this one is
        # measured and saved (the first measurement alone loads the filters, seconds).
        finishing = asyncio.ensure_future(self._finish(row, take))
        self._finishing.add(finishing)
        finishing.add_done_callback(self._finishing.discard)
        return True

    async def _finish(self, row: LineupRow, take: Take) -> None:
        if take.n_frames:
            await asyncio.get_running_loop().run_in_executor(None, take.measure_loudness)
        await self._save(row, take)
        self._set(row, RowState.DONE if take.status is TakeStatus.DONE else
                  RowState.FAILED if row.error is not None else RowState.STOPPED)

    async def _save(self, row: LineupRow, take: Take) -> None:
        if self.history is None:
            return
        try:
            await self.history.save(take)
        except HistoryError as exc:
            row.history_problem = str(exc)

    def _set(self, row: LineupRow, state: RowState) -> None:
        row.state = state
        self.events.emit(RowChanged(row))


class Lineup(ParallelRenders):
    """The line of ``settings`` in each of ``voices`` (their order kept, repeats dropped)."""

    def __init__(self, endpoints: Endpoints, settings: TakeSettings, voices: Sequence[Voice],
                 *, max_parallel: int = DEFAULT_PARALLEL, history: HistoryService | None = None,
                 backoff: Backoff | None = None, rng: random.Random | None = None) -> None:
        unique = list({voice.id: voice for voice in reversed(voices)}.values())[::-1]
        if not unique:
            raise InvalidInput("choose at least one voice to compare")
        if max_parallel < 1:
            raise InvalidInput(f"at most {max_parallel} voices at a time: give 1 or more")
        # The voice is each row's own: check the rest once, before anything is sent.
        check_settings(replace(settings, voice_id=unique[0].id))
        super().__init__(endpoints, settings, [LineupRow(voice) for voice in unique],
                         max_parallel=max_parallel, history=history, backoff=backoff, rng=rng)


# --- hearing them -------------------------------------------------------------------


async def play_in_turn(transport: Transport, takes: Sequence[Take], *,
                       playing: Callable[[Take], object] | None = None,
                       gap: float = 0.3) -> None:
    """Play each take to its end, one after another, through ``transport`` (which
    matches their loudness); ends early when another take is played or the sound
    device is missing. ``playing`` is told each take as it starts."""
    for index, take in enumerate(takes):
        if index and gap:
            await asyncio.sleep(gap)
        if playing is not None:
            playing(take)
        if not await _play_through(transport, take):
            return


async def _play_through(transport: Transport, take: Take) -> bool:
    """Play ``take`` to its end; ``False`` when another took its place or no sound."""
    transport.play_take(take)
    # The device opens off the loop, then plays the take to its end.
    await _until(lambda: transport.take is not take or transport.holds_current
                 or transport.problem is not None)
    if transport.problem is not None and not transport.holds_current:
        return False
    await _until(lambda: transport.take is not take or not transport.playing)
    return transport.take is take


async def _until(predicate: Callable[[], bool], tick: float = 0.02) -> None:
    # The transport announces neither an open device nor the end of a take (it is
    # another module's, read by the window on its clock too): watch it instead. A tick
    # costs nothing next to the audio.
    while not predicate():  # noqa: ASYNC110
        await asyncio.sleep(tick)


# --- saved voice sets ---------------------------------------------------------------


def voice_sets(settings: Settings) -> dict[str, list[str]]:
    """The saved sets, by name; entries of a hand-edited file that are not lists of
    ids are left out."""
    stored: object = settings.get(VOICE_SETS)
    if not isinstance(stored, dict):
        return {}
    return {name: [i for i in ids if isinstance(i, str)] for name, ids in stored.items()
            if isinstance(name, str) and isinstance(ids, list)}


def save_voice_set(settings: Settings, name: str, voice_ids: Sequence[str]) -> str:
    """Save (or replace) a set; the name as stored."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("name the voice set first")
    if not voice_ids:
        raise InvalidInput(f"the set {name!r} would be empty: tick some voices first")
    sets = voice_sets(settings)
    sets[name] = list(dict.fromkeys(voice_ids))
    settings.set(VOICE_SETS, sets)
    return name


def delete_voice_set(settings: Settings, name: str) -> None:
    sets = voice_sets(settings)
    if sets.pop(name, None) is not None:
        settings.set(VOICE_SETS, sets)
