"""Play, pause, seek, loop and A/B over the one current take; the playhead from the DAC.

The transport owns the player. Opening a sound device takes tens of
milliseconds, so it happens in an executor while the loop goes on (while a
generation's request is in flight, say); commands given meanwhile apply once
it is open. A streaming take is followed: what has arrived is fed at once and
every new chunk as the take announces it, so sound starts while it streams.
Without a usable device everything else keeps working and the reason is
announced once.

Every take is played at one integrated loudness unless the user turns that off
(:data:`~app.settings.MATCH_LOUDNESS`): the louder of two takes wins an A/B by
level, not by voice. The gain is the take's measured loudness to the target
(:func:`app.audio.loudness.match_gain`); a take kept before loudness was measured
is measured here, off the loop, the first time it plays matched. A take still
streaming has no integrated loudness yet and plays as recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from app.audio.codecs import Float32Array
from app.audio.errors import NoAudioDevice
from app.audio.level import SILENCE, Level
from app.audio.loudness import MatchGain, match_gain
from app.audio.player import Player, PlayerState
from app.events import Emitter
from app.settings import MATCH_LOUDNESS, OUTPUT_DEVICE, PREBUFFER_MS, SettingChanged, Settings
from app.studio.errors import ABRefused
from app.takes.take import (
    AudioAppended,
    Finished,
    Take,
    TakeEvent,
    TakeStatus,
    ab_position,
    spoken_text,
)


@dataclass(frozen=True)
class CurrentTakeChanged:
    """The take shown and played (``None``: none)."""

    take: Take | None


@dataclass(frozen=True)
class PlaybackProblem:
    """Why nothing can be heard (announced once per distinct reason)."""

    message: str


@dataclass(frozen=True)
class ABSwitched:
    """A/B: ``label`` ("A" or "B") is now playing ``take`` from ``seconds``."""

    label: str
    take: Take
    seconds: float


@dataclass(frozen=True)
class GainChanged:
    """The level the current take plays at: ``gain`` is None when matching is off
    (``matched`` False) or the take has no measured loudness yet (still streaming,
    or too short to measure)."""

    take: Take | None
    matched: bool
    gain: MatchGain | None
    #: False: measured while it played unmatched; the gain applies from its next play
    #: (changing the level mid-take would be heard as a jump).
    now: bool = True

    def describe(self) -> str:
        """"−3.2 dB", "matched off", … (what the window shows next to the toggle)."""
        if not self.matched:
            return "matched off"
        if self.gain is None:
            return "not measured" if self.take is not None and \
                self.take.status is not TakeStatus.STREAMING else "as recorded while streaming"
        sign = "−" if self.gain.db < 0 else "+"
        text = f"{sign}{abs(self.gain.db):.1f} dB"
        if self.gain.limited:
            text += " (peak-limited)"
        return text if self.now else f"{text} from the next play"


@dataclass(frozen=True)
class LoudnessMeasured:
    """A take kept before loudness was measured has been measured now (to be stored)."""

    take: Take


TransportEvent = CurrentTakeChanged | PlaybackProblem | ABSwitched | GainChanged | \
    LoudnessMeasured


@dataclass(frozen=True)
class _Cue:
    start: float  # take frames
    end: float | None
    loop: bool


class Transport:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.take: Take | None = None
        self.player: Player | None = None
        self.problem: str | None = None
        self.events: Emitter[TransportEvent] = Emitter()
        self.ab: tuple[Take, Take] | None = None
        self._player_take: Take | None = None  # the take the open player holds
        self._applied_gain = 1.0  # the factor the open player was last given
        self._epoch = 0  # bumped by every load, so a late-opening device is dropped
        self._opening: asyncio.Task[None] | None = None
        # Every device still opening, not only the newest: a take replaced while its
        # device opened (an A/B switched at once) gets a player all the same, which
        # close() must wait for and close, or its stream outlives the transport.
        self._openings: set[asyncio.Future[None]] = set()
        self._cue: _Cue | None = None  # where to start once the device is open
        self._unfollow: list[Callable[[], None]] = []
        self._closing: set[asyncio.Future[None]] = set()
        settings.changed.connect(self._on_setting)

    # --- matched loudness --------------------------------------------------------------

    @property
    def match_loudness(self) -> bool:
        return self.settings.get(MATCH_LOUDNESS)

    def set_match_loudness(self, on: bool) -> None:
        self.settings.set(MATCH_LOUDNESS, on)  # announced back through _on_setting

    def _on_setting(self, event: SettingChanged) -> None:
        if event.name == MATCH_LOUDNESS.name:
            self.refresh_gain()

    def gain(self, take: Take | None = None) -> GainChanged:
        """The level ``take`` (default: the current one) plays at now."""
        take = self.take if take is None else take
        if not self.match_loudness:
            return GainChanged(take, False, None)
        if take is None or take.loudness is None:
            return GainChanged(take, True, None)
        return GainChanged(take, True, match_gain(take.loudness))

    def refresh_gain(self, *, defer: bool = False) -> None:
        """Tell the player and the window the current take's gain.

        ``defer``: a gain that has just become known (the take was measured as it was
        kept) while the take still plays is only announced, and applies from the next
        play; the toggle, by contrast, is heard at once."""
        state = self.gain()
        if self.player is not None and self._player_take is self.take:
            factor = state.gain.factor if state.gain is not None else 1.0
            if defer and self.playing and factor != self._applied_gain:
                state = replace(state, now=False)
            else:
                self.player.set_gain(factor)
                self._applied_gain = factor
        self.events.emit(state)

    # --- which take ------------------------------------------------------------------

    def show(self, take: Take | None) -> None:
        """Make ``take`` the current one without playing it (a take picked in the history)."""
        if take is self.take:
            return
        self._drop_player()
        self._set_take(take)

    def _set_take(self, take: Take | None) -> None:
        if take is not self.take:
            self.take = take
            self.events.emit(CurrentTakeChanged(take))
            self.events.emit(self.gain())

    def follow(self, take: Take) -> None:
        """Play a take from its start while it streams (a new recording)."""
        self.ab = None
        self._load(take, _Cue(0, None, False))

    def play_take(self, take: Take, start: float = 0.0, end: float | None = None, *,
                  loop: bool = False) -> None:
        """Play ``take`` from ``start`` to ``end`` seconds (looping between them)."""
        rate = take.sample_rate
        cue = _Cue(start * rate, None if end is None else end * rate, loop)
        player = self.player
        if player is not None and self._player_take is take and player.ended \
                and player.frames_received == take.n_frames:
            self._set_take(take)
            self.refresh_gain()  # measured since it last played, or the toggle moved
            player.play(cue.start, cue.end, loop=cue.loop)
            return
        self._load(take, cue)

    def replay(self, start: float = 0.0, end: float | None = None, *, loop: bool = False
               ) -> None:
        if self.take is not None:
            self.play_take(self.take, start, end, loop=loop)

    # --- transport -----------------------------------------------------------------------

    @property
    def holds_current(self) -> bool:
        return self.player is not None and self._player_take is self.take

    @property
    def playing(self) -> bool:
        return self.holds_current and self.player is not None and self.player.active

    @property
    def paused(self) -> bool:
        return self.holds_current and self.player is not None and \
            self.player.state is PlayerState.PAUSED

    def pause(self) -> None:
        if self.playing and self.player is not None:
            self.player.pause()

    def toggle(self) -> None:
        """Space: pause, resume, or play the current take again from the start."""
        player = self.player if self.holds_current else None
        if player is not None and player.active:
            player.pause()
        elif player is not None and player.state is PlayerState.PAUSED:
            player.resume()
        else:
            self.replay()

    def stop(self) -> None:
        self._cue = None
        if self.player is not None:
            self.player.stop()

    def seek(self, frame: int) -> None:
        """Move the playhead of the current take to ``frame`` (playing on from there)."""
        take = self.take
        if take is None:
            return
        player = self.player if self.holds_current else None
        if player is None:
            if self._opening is not None and not self._opening.done() and self._cue:
                self._cue = _Cue(frame, self._cue.end, self._cue.loop)
            else:
                self.play_take(take, frame / take.sample_rate)
        elif player.state in (PlayerState.FINISHED, PlayerState.STOPPED):
            player.play(frame)
        else:
            player.seek(frame)

    def playhead(self) -> float | None:
        """The current take's frame at the DAC now; ``None`` when it is not loaded."""
        if not self.holds_current or self.player is None:
            return None
        return self.player.playhead()

    def level(self) -> Level:
        """The output level of the current take as heard now (peak and RMS of the block
        at the DAC, after the matched gain); silence when it is not playing."""
        if not self.holds_current or self.player is None:
            return SILENCE
        return self.player.level()

    def playing_word(self, frame: float | None = None) -> int | None:
        """The index of the word being heard, while it plays (at ``frame``, a playhead
        just read, so a caller that drew it need not ask the clock twice)."""
        take = self.take
        if frame is None:
            frame = self.playhead()
        if take is None or frame is None or not self.playing:
            return None
        return take.word_at(frame / take.sample_rate)

    # --- A/B -------------------------------------------------------------------------------

    def start_ab(self, a: Take, b: Take, *, written: tuple[str, str] | None = None) -> None:
        """Play ``a``, ready to switch to ``b`` at the same word (:class:`ABRefused` when
        they do not say the same thing). ``written`` is the two takes' text as the user
        wrote it when what was sent differs from it only in how a word is said (the
        pronunciation lab's candidates): they are compared by that instead."""
        texts = written or (a.settings.text, b.settings.text)
        first, second = spoken_text(texts[0]), spoken_text(texts[1])
        if first.casefold() != second.casefold():
            raise ABRefused(first, second)
        self.ab = (a, b)
        self.play_take(a)
        self.events.emit(ABSwitched("A", a, 0.0))

    def switch_ab(self) -> bool:
        """Continue in the other take at the same word; ``False`` without an A/B pair."""
        if self.ab is None or self.take not in self.ab:
            return False
        a, b = self.ab
        current, other = (a, b) if self.take is a else (b, a)
        frame = self.playhead()
        seconds = frame / current.sample_rate if frame is not None else 0.0
        position = ab_position(current, other, seconds)
        self.play_take(other, position)
        self.events.emit(ABSwitched("B" if other is b else "A", other, position))
        return True

    # --- the device ------------------------------------------------------------------------

    def _load(self, take: Take, cue: _Cue) -> None:
        self._drop_player()
        self._set_take(take)
        self._cue = cue
        self._epoch += 1
        feed = _Feed(take)
        if take.status is TakeStatus.STREAMING:
            # Listen now, not once the device is open: a take that does not keep its
            # audio (``say``) could not give back what arrived meanwhile.
            self._unfollow.append(take.events.connect(feed.on_take))
        self._opening = asyncio.ensure_future(self._open(self._epoch, take, feed))
        self._openings.add(self._opening)
        self._opening.add_done_callback(self._openings.discard)

    async def _open(self, epoch: int, take: Take, feed: _Feed) -> None:
        loop = asyncio.get_running_loop()
        device = self.settings.get(OUTPUT_DEVICE) or None
        prebuffer = self.settings.get(PREBUFFER_MS) / 1000
        measuring = self.match_loudness and take.loudness is None and take.keep_audio \
            and take.status is not TakeStatus.STREAMING
        opened = await loop.run_in_executor(None, _open_player, take.sample_rate, device,
                                            prebuffer, take if measuring else None)
        if measuring and take.loudness is not None:
            self.events.emit(LoudnessMeasured(take))
        if epoch != self._epoch:  # another take was loaded meanwhile
            if isinstance(opened, Player):
                self._close_later(opened)
            return
        if isinstance(opened, NoAudioDevice):
            if self.problem != str(opened):
                self.problem = str(opened)
                self.events.emit(PlaybackProblem(str(opened)))
            return
        self.problem = None
        self.player, self._player_take = opened, take
        self.refresh_gain()  # before the first block: never a loud blip
        feed.attach(opened)
        cue, self._cue = self._cue, None
        if cue is not None:
            opened.play(cue.start, cue.end, loop=cue.loop)

    def _drop_player(self) -> None:
        for disconnect in self._unfollow:
            disconnect()
        self._unfollow.clear()
        self._epoch += 1
        self._cue = None
        player, self.player, self._player_take = self.player, None, None
        if player is not None:
            player.stop()
            self._close_later(player)

    def _close_later(self, player: Player) -> None:
        # Closing drains the device's buffer (tens of ms): not on the loop.
        closing = asyncio.get_running_loop().run_in_executor(None, player.close)
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    async def wait_played(self, limit: float = 5.0) -> None:
        """Until the current take has been heard to its end (the command line's ``--play``)."""
        if self._opening is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._opening
        player = self.player
        if player is None or not self.holds_current:
            return
        await asyncio.get_running_loop().run_in_executor(None, _finish, player, limit)

    async def close(self) -> None:
        self._drop_player()
        if self._openings:  # each closes the player it opened once it sees it is stale
            await asyncio.wait(set(self._openings))
        if self._closing:
            await asyncio.wait(set(self._closing))


class _Feed:
    """What a take has for the player: what it holds, then what arrives while the device
    opens (kept here), then each chunk as it comes."""

    def __init__(self, take: Take) -> None:
        self.take = take
        self.streaming = take.status is TakeStatus.STREAMING
        self.waiting: list[Float32Array] = []
        self.ended = not self.streaming
        self.player: Player | None = None
        self.shared = False

    def on_take(self, event: TakeEvent) -> None:
        if isinstance(event, AudioAppended):
            if self.player is None:
                if not self.take.keep_audio:
                    self.waiting.append(event.samples)
            elif not self.shared:
                self.player.feed(event.samples)
        elif isinstance(event, Finished):
            self.ended = True
            if self.player is not None:
                self.player.end_of_stream()

    def attach(self, player: Player) -> None:
        # A take that keeps its audio is played from its own buffer (one copy in
        # memory); the player copies only when it must resample for the device.
        self.shared = self.take.keep_audio and player.share(self.take.audio)
        if not self.shared:
            if self.take.keep_audio:
                player.feed(self.take.samples)
            for samples in self.waiting:
                player.feed(samples)
        self.waiting.clear()
        self.player = player
        if self.ended:
            player.end_of_stream()


def _open_player(rate: int, device: str | None, prebuffer: float,
                 unmeasured: Take | None = None) -> Player | NoAudioDevice:
    """Open an output stream (any thread); the reason when there is no device. A take
    not measured yet is measured first (it reads the whole take: not on the loop)."""
    if unmeasured is not None:
        unmeasured.measure_loudness()
    player = Player(rate, device=device, prebuffer=prebuffer)
    try:
        player.open()
    except NoAudioDevice as exc:
        return exc
    return player


def _finish(player: Player, limit: float) -> None:
    """Wait for the last sample to reach the DAC (bounded, in case the device stalls)."""
    remaining = (player.frames_received - player.playhead()) / player.sample_rate
    player.wait_finished(remaining + limit)
    time.sleep(player.latency + 0.05)
