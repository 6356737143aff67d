"""Streaming playback with a playhead read from the DAC clock.

The take's audio is appended with :meth:`Player.feed` while it streams (from
any one thread) and kept whole, so a finished take can be replayed, sought
and looped. A sounddevice callback copies from that buffer:

- it allocates nothing and takes no lock: it reads the buffer reference and
  two integers, fills ``outdata`` completely, and publishes one tuple
  ``(first frame of the block, outputBufferDacTime, currentTime)``;
- the audio is a :class:`~app.audio.buffer.BlockBuffer`, which grows a block at
  a time on the feeding thread (never copying what it holds); the callback reads
  ``written`` first, then copies from the blocks, so every frame below ``written``
  is there. When the device runs at the take's rate the player plays the take's
  own blocks (:meth:`Player.share`): a long take is held once, not twice;
- requests from other threads (seek, pause, selection) are single attribute
  writes the callback applies at the start of its next block;
- :attr:`gain` (matched loudness) scales the block in place in ``outdata``:
  a float read once per block, no copy, so a new gain is heard within a block;
- the peak and mean square of each block as sent (after the gain) are kept with
  its clock entry, two reductions that allocate no array: :meth:`Player.level`
  reads the block at the DAC now, lock-free like the playhead, for a meter.

Playback waits for ``prebuffer`` seconds of audio (or the end of the take)
before it starts, and again after an underrun, which plays silence and is
counted. The playhead is ``first + (stream.time - dac) * rate`` of the newest block
already at the DAC (blocks are written ``latency`` ahead, so the last 64 are
kept), clamped to that block: it moves smoothly between callbacks and stays
right across seeks and loops (style.md, "Audio").
When the device refuses the take's rate, the stream runs at the device's
default rate and :class:`~app.audio.resample.Resampler` converts on feed.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from app.audio.buffer import BlockBuffer
from app.audio.devices import find_output_device, portaudio
from app.audio.errors import AudioError, NoAudioDevice
from app.audio.level import SILENCE, Level
from app.audio.resample import Resampler

log = logging.getLogger(__name__)


class PlayerState(enum.Enum):
    STOPPED = "stopped"      # not playing; position kept
    BUFFERING = "buffering"  # waiting for the prebuffer
    PLAYING = "playing"
    PAUSED = "paused"
    FINISHED = "finished"    # played to the end of the take (or of the selection)


@dataclass(frozen=True)
class PlayerStats:
    underruns: int
    callbacks: int
    callback_errors: int
    latency: float
    device_rate: int
    resampling: bool


_TIMING_SLOTS = 4096
_CLOCK_SLOTS = 64


class Player:
    """Plays one take at a time on one output device."""

    def __init__(self, sample_rate: int, *, device: str | int | None = None,
                 prebuffer: float = 0.06, latency: float = 0.05,
                 ) -> None:
        self.sample_rate = sample_rate
        self.prebuffer = prebuffer
        self._device_wanted = device
        self._latency_wanted = latency
        self._stream: Any = None
        self.device_rate = sample_rate
        self._resampler: Resampler | None = None
        self._source = BlockBuffer()  # blocks come as audio does: none before
        self._shared = False  # playing a take's own buffer (see share())
        self._ended = False
        # Fields the callback owns; other threads post requests below.
        self._pos = 0
        self._state = PlayerState.STOPPED
        self._end: int | None = None       # stop (or loop) here: a selection's end
        self._loop_start: int | None = None
        self._prebuffer_frames = 0
        # The last blocks' (first frame, DAC time, frames): the block being heard
        # now was written up to ``latency`` ago, so the reader needs a few of them.
        self._clock_first = np.zeros(_CLOCK_SLOTS, dtype=np.int64)
        self._clock_dac = np.zeros(_CLOCK_SLOTS, dtype=np.float64)
        self._clock_frames = np.zeros(_CLOCK_SLOTS, dtype=np.int64)
        # Each block's peak and mean square as sent, in the same slots.
        self._clock_peak = np.zeros(_CLOCK_SLOTS, dtype=np.float64)
        self._clock_square = np.zeros(_CLOCK_SLOTS, dtype=np.float64)
        self._clock_count = 0
        # Requests: a tuple replaced whole, read once per callback.
        self._request: tuple[str, int, int | None, bool] | None = None
        self.underruns = 0
        self.callbacks = 0
        self.callback_errors = 0
        self._dac_fallback = False
        self._dac_fallback_logged = False
        self.finished = threading.Event()
        #: The factor every sample is played at (matched loudness); 1: as recorded.
        self.gain = 1.0
        self._timings = np.zeros(_TIMING_SLOTS, dtype=np.int64)  # callback ns, a ring

    # --- device --------------------------------------------------------------

    def open(self) -> None:
        """Open the output stream (idempotent); :class:`NoAudioDevice` with a reason."""
        if self._stream is not None:
            return
        sd = portaudio()
        device = find_output_device(self._device_wanted)
        stream = None
        for rate in dict.fromkeys([self.sample_rate, int(device.default_rate)]):
            try:
                stream = sd.OutputStream(samplerate=rate, channels=1, dtype="float32",
                                         device=device.index, latency=self._latency_wanted,
                                         callback=self._callback)
            except sd.PortAudioError as exc:
                log.info("device %s refused %d Hz: %s", device.name, rate, exc)
                continue
            self.device_rate = rate
            break
        if stream is None:
            raise NoAudioDevice(f"the output device {device.name!r} refused both "
                                f"{self.sample_rate} Hz and its own "
                                f"{device.default_rate:g} Hz")
        if self.device_rate != self.sample_rate:
            # Convert what was fed so far and everything from now on.
            self._resampler = Resampler(self.sample_rate, self.device_rate)
            received, self._source = self._source, BlockBuffer()
            for block in received.iter_blocks():
                self._source.append(self._resampler.process(block))
        self._prebuffer_frames = int(self.prebuffer * self.device_rate)
        try:
            stream.start()
        except sd.PortAudioError as exc:
            stream.close()
            raise NoAudioDevice(f"cannot start the output device {device.name!r}: {exc}"
                                ) from None
        self._stream = stream

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
            finally:
                stream.close()

    def __enter__(self) -> Player:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- audio in ------------------------------------------------------------

    def share(self, source: BlockBuffer) -> bool:
        """Play straight from ``source`` (a take's own buffer) instead of a copy of it.

        Only while nothing was fed and the device runs at the take's rate; then the
        owner of ``source`` appends to it and this player only needs
        :meth:`end_of_stream`. Returns whether it shares (one copy of a long take
        in memory, not two).
        """
        if self._resampler is not None or self._source.written or self._shared:
            return False
        self._source, self._shared = source, True
        return True

    @property
    def shared(self) -> bool:
        """Whether it plays a take's own buffer rather than a copy."""
        return self._shared

    def feed(self, samples: npt.ArrayLike) -> None:
        """Append audio at the take's rate; cheap, never blocks on the device."""
        if self._shared:
            raise AudioError("this player plays a shared buffer: append to that instead")
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if self._resampler is not None:
            x = self._resampler.process(x)
        self._source.append(x)

    def end_of_stream(self) -> None:
        """No more audio will come: play to the end and finish."""
        if self._resampler is not None:
            self._source.append(self._resampler.flush())
        self._ended = True

    @property
    def frames_received(self) -> int:
        """Frames fed so far, at the take's rate."""
        return self._to_take(self._source.written)

    @property
    def ended(self) -> bool:
        return self._ended

    # --- transport -----------------------------------------------------------

    def play(self, start: float | None = None, end: float | None = None, *,
             loop: bool = False) -> None:
        """Play from ``start`` (take frames; default: where it is) to ``end`` or the end."""
        self.open()
        first = self._to_device(start) if start is not None else -1
        last = self._to_device(end) if end is not None else None
        self.finished.clear()
        self._request = ("play", first, last, loop)

    def pause(self) -> None:
        # Resume from what was heard, not from what was already sent to the device.
        self._request = ("pause", self._to_device(self.playhead()), None, False)

    def resume(self) -> None:
        if self._state is PlayerState.PAUSED:
            self._request = ("play", -1, self._end, self._loop_start is not None)

    def stop(self) -> None:
        self._request = ("stop", 0, None, False)

    def seek(self, frame: float) -> None:
        """Move to ``frame`` (take frames), clamped to the audio received."""
        self._request = ("seek", self._to_device(frame), None, False)

    def set_gain(self, factor: float) -> None:
        """Play at ``factor`` times the recorded level from the next block on."""
        if not 0.0 <= factor < 1000.0:  # also refuses NaN
            raise AudioError(f"a playback gain is a factor from 0 up, not {factor!r}")
        self.gain = float(factor)

    @property
    def state(self) -> PlayerState:
        return self._state

    @property
    def active(self) -> bool:
        return self._state in (PlayerState.PLAYING, PlayerState.BUFFERING)

    # --- the clock -----------------------------------------------------------

    def clock(self) -> float:
        """The stream's clock (seconds, PortAudio's ``stream.time``); 0 when closed."""
        stream = self._stream
        return float(stream.time) if stream is not None else 0.0

    def playhead(self, now: float | None = None) -> float:
        """The take frame at the DAC at ``now`` (the stream's clock; default: now).

        Any thread, any moment. Passing one clock reading lets a caller pair it
        with the position exactly (reading the clock twice, a busy machine may
        run between the two reads).
        """
        request = self._request
        if request is not None and request[0] in ("seek", "play") and request[1] >= 0:
            return float(self._to_take(request[1]))  # not applied yet: where it will be
        stream = self._stream
        if stream is None or self._state not in (PlayerState.PLAYING,
                                                 PlayerState.BUFFERING, PlayerState.FINISHED):
            return float(self._to_take(self._pos))
        if self._dac_fallback and not self._dac_fallback_logged:
            self._dac_fallback_logged = True
            log.info("the device reports implausible DAC times; using currentTime + latency")
        if now is None:
            now = float(stream.time)
        for _ in range(3):  # retry if the callback overwrote a slot while we read
            count = self._clock_count
            kept = min(count, _CLOCK_SLOTS)
            at_dac = None
            for back in range(1, kept + 1):
                slot = (count - back) % _CLOCK_SLOTS
                if self._clock_dac[slot] <= now:
                    at_dac = back
                    break
            heard = self._heard(count, at_dac if at_dac is not None else kept, now)
            if count == self._clock_count:
                return heard * self.sample_rate / self.device_rate
        return float(self._to_take(self._pos))

    def _heard(self, count: int, back: int, now: float) -> float:
        """The device frame being heard, from the block ``back`` slots before the newest.

        A silent block (stopped, paused, prebuffering) holds no frame of the take:
        then the next block with audio says where playback goes on from, or the
        newest block if none has audio yet. So after a seek, or a jump to the other
        take of an A/B pair, the playhead is at the new place at once, not at the
        old one for a latency's worth of time.
        """
        slot = (count - back) % _CLOCK_SLOTS
        if self._clock_frames[slot] == 0:
            for later in range(back - 1, 0, -1):
                ahead = (count - later) % _CLOCK_SLOTS
                if self._clock_frames[ahead] > 0:
                    return float(self._clock_first[ahead])
            return float(self._clock_first[(count - 1) % _CLOCK_SLOTS])
        first = float(self._clock_first[slot])
        position = first + (now - float(self._clock_dac[slot])) * self.device_rate
        return min(max(position, first), first + float(self._clock_frames[slot]))

    def level(self, now: float | None = None) -> Level:
        """The peak and RMS of the block at the DAC at ``now`` (the stream's clock;
        default: now); :data:`~app.audio.level.SILENCE` when nothing plays.

        Any thread, any moment, no lock: the newest block whose DAC time has come,
        so the meter moves with what is heard, not ``latency`` ahead of it.
        """
        stream = self._stream
        if stream is None or self._state not in (PlayerState.PLAYING, PlayerState.FINISHED):
            return SILENCE
        if now is None:
            now = float(stream.time)
        for _ in range(3):  # retry if the callback overwrote a slot while we read
            count = self._clock_count
            if count == 0:
                return SILENCE
            slot = (count - 1) % _CLOCK_SLOTS
            for back in range(1, min(count, _CLOCK_SLOTS) + 1):
                candidate = (count - back) % _CLOCK_SLOTS
                if self._clock_dac[candidate] <= now:
                    slot = candidate
                    break
            level = Level(float(self._clock_peak[slot]),
                          float(np.sqrt(self._clock_square[slot])))
            if count == self._clock_count:
                return level
        return SILENCE

    @property
    def latency(self) -> float:
        stream = self._stream
        return float(stream.latency) if stream is not None else 0.0

    def stats(self) -> PlayerStats:
        return PlayerStats(self.underruns, self.callbacks, self.callback_errors, self.latency,
                           self.device_rate, self._resampler is not None)

    def callback_times_ns(self) -> npt.NDArray[np.int64]:
        """Durations of the last callbacks (up to 4096), for benchmarks."""
        n = min(self.callbacks, _TIMING_SLOTS)
        return self._timings[:n].copy()

    def wait_finished(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)

    # --- conversions ---------------------------------------------------------

    def _to_device(self, frame: float) -> int:
        return round(frame * self.device_rate / self.sample_rate)

    def _to_take(self, frame: int) -> int:
        return round(frame * self.sample_rate / self.device_rate)

    # --- the real-time callback ----------------------------------------------

    def _apply(self, request: tuple[str, int, int | None, bool]) -> None:
        kind, frame, end, loop = request
        written = self._source.written
        if kind == "play":
            if frame >= 0:
                self._pos = min(frame, written)
            self._end = end
            self._loop_start = self._pos if loop else None
            if self._state is PlayerState.FINISHED and frame < 0:
                self._pos = 0
            self._state = PlayerState.BUFFERING
        elif kind == "pause":
            if self._state in (PlayerState.PLAYING, PlayerState.BUFFERING):
                self._pos = min(frame, written)
                self._state = PlayerState.PAUSED
        elif kind == "stop":
            self._state = PlayerState.STOPPED
            self._pos = 0
            self._end = self._loop_start = None
        elif kind == "seek":
            self._pos = max(0, min(frame, written))
            if self._state is PlayerState.FINISHED:
                self._state = PlayerState.PAUSED

    def _publish(self, first: int, dac: float, frames: int, peak: float = 0.0,
                 square: float = 0.0) -> None:
        slot = self._clock_count % _CLOCK_SLOTS
        self._clock_first[slot] = first
        self._clock_dac[slot] = dac
        self._clock_frames[slot] = frames
        self._clock_peak[slot] = peak
        self._clock_square[slot] = square
        self._clock_count += 1  # published last: the slot is complete

    def _scale(self, outdata: Any) -> tuple[float, float]:
        """Apply the gain; the block's peak and mean square as sent."""
        gain = self.gain
        if gain != 1.0:
            np.multiply(outdata, gain, out=outdata)  # in place: nothing allocated
        # Reductions and a dot product: scalars out, no temporary array.
        column = outdata[:, 0]
        peak = max(float(column.max()), -float(column.min()))
        return peak, float(np.dot(column, column)) / max(1, len(column))

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        started = time.perf_counter_ns()
        request = self._request
        try:
            if request is not None:
                self._apply(request)
            source = self._source
            written = source.written  # first: every frame below it is in a block
            state = self._state
            pos = self._pos
            dac, current = time_info.outputBufferDacTime, time_info.currentTime
            if dac <= 0 or dac < current or dac - current > 1.0:
                self._dac_fallback = True
                dac = current + self._stream.latency if self._stream is not None else current
            first = pos
            if state is PlayerState.BUFFERING:
                stop = written if self._end is None else min(self._end, written)
                if stop - pos >= self._prebuffer_frames or self._ended or (
                        self._end is not None and written >= self._end):
                    state = self._state = PlayerState.PLAYING
            if state is not PlayerState.PLAYING:
                self._publish(first, dac, 0)
                outdata.fill(0)
                return
            stop = written if self._end is None else min(self._end, written)
            n = max(0, min(frames, stop - pos))
            source.copy_to(outdata[:n, 0], pos)
            pos += n
            if n < frames and self._loop_start is not None and self._end is not None \
                    and pos >= self._end:
                # Loop: wrap to the selection's start and keep filling; the block
                # is published as two pieces so the playhead wraps at the right time.
                wrap = pos = self._loop_start
                m = max(0, min(frames - n, self._end - pos))
                source.copy_to(outdata[n:n + m, 0], pos)
                pos += m
                outdata[n + m:, 0] = 0
                peak, square = self._scale(outdata)  # the level of the whole block
                self._pos = pos
                self._publish(first, dac, n, peak, square)
                self._publish(wrap, dac + n / self.device_rate, m, peak, square)
                return
            outdata[n:, 0] = 0
            peak, square = self._scale(outdata)
            self._pos = pos
            self._publish(first, dac, n, peak, square)
            if n < frames:
                at_end = (self._end is not None and pos >= self._end) or (
                    self._ended and pos >= written)
                if at_end:
                    self._state = PlayerState.FINISHED
                    self.finished.set()
                else:
                    self.underruns += 1
                    self._state = PlayerState.BUFFERING
        except Exception:  # sounddevice swallows these: count them instead
            self.callback_errors += 1
            outdata.fill(0)
        finally:
            # The request is let go only once its block is published: until then
            # playhead() answers with the request's target, never with the silent
            # blocks of before the jump (a busy machine can run a reader in between).
            # A request made meanwhile is another object: it waits for the next block.
            if request is not None and self._request is request:
                self._request = None
            self._timings[self.callbacks % _TIMING_SLOTS] = time.perf_counter_ns() - started
            self.callbacks += 1


def play_blocking(samples: npt.ArrayLike, sample_rate: int, *, device: str | int | None = None,
                  timeout: float | None = None) -> PlayerStats:
    """Play a whole signal and wait for it to finish (tests, previews)."""
    x = np.asarray(samples, dtype=np.float32)
    with Player(sample_rate, device=device) as player:
        player.feed(x)
        player.end_of_stream()
        player.play(0)
        limit = timeout if timeout is not None else len(x) / sample_rate + 5.0
        if not player.wait_finished(limit):
            raise AudioError(f"playback did not finish within {limit:.1f} s "
                             f"(state {player.state.value})")
        # The last block is still in the device's buffer: let it reach the DAC.
        time.sleep(player.latency + 0.05)
        return player.stats()
