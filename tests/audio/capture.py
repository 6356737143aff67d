"""Recording the null sink's monitor through PortAudio, with ADC timestamps.

Capturing through PortAudio (not parec) puts the capture on the same clock as
the player's stream (``stream.time``), so the time at which a click was
really played can be compared with the time the player's playhead said.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

RATE = 48000


@dataclass
class Capture:
    blocks: list[npt.NDArray[np.float32]] = field(default_factory=list)
    adc_times: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def audio(self) -> npt.NDArray[np.float32]:
        with self.lock:
            return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)

    def time_of(self, index: int) -> float:
        """The ADC time of captured sample ``index``."""
        with self.lock:
            start = 0
            for block, t in zip(self.blocks, self.adc_times, strict=True):
                if index < start + len(block):
                    return t + (index - start) / RATE
                start += len(block)
        raise IndexError(index)


@contextmanager
def record_monitor() -> Iterator[Capture]:
    import sounddevice as sd

    capture = Capture()

    def callback(indata, frames, time_info, status):  # type: ignore[no-untyped-def]
        with capture.lock:
            capture.blocks.append(indata[:, 0].copy())
            capture.adc_times.append(time_info.inputBufferAdcTime)

    # The default source is the null sink's monitor (scripts/pulse.sh sets it).
    with sd.InputStream(samplerate=RATE, channels=1, dtype="float32", latency=0.02,
                        callback=callback):
        threading.Event().wait(0.2)  # let the stream settle before anything plays
        yield capture
        threading.Event().wait(0.3)  # the server may still hold audio after a stream ends


def locate(captured: npt.NDArray[np.float32], played: npt.NDArray[np.float32]) -> int:
    """Offset of ``played`` inside ``captured`` by FFT cross-correlation (zero-padded)."""
    n = 1 << int(np.ceil(np.log2(len(captured) + len(played))))
    corr = np.fft.irfft(np.fft.rfft(captured, n) * np.conj(np.fft.rfft(played, n)), n)
    return int(np.argmax(corr[:len(captured)]))


def ncc(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    return float(np.dot(a64, b64) / np.sqrt(np.dot(a64, a64) * np.dot(b64, b64)))
