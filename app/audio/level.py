"""An output level: the peak and RMS of the audio at the DAC, in dBFS for a meter."""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The level of digital silence, in dBFS.
SILENT_DB = -math.inf


def to_dbfs(amplitude: float) -> float:
    """``amplitude`` (1.0 = full scale) in dBFS; −inf for silence."""
    return 20.0 * math.log10(amplitude) if amplitude > 0.0 else SILENT_DB


@dataclass(frozen=True)
class Level:
    """The peak and RMS of one block as it reached the device (linear, 1.0 = full scale)."""

    peak: float = 0.0
    rms: float = 0.0

    @property
    def peak_dbfs(self) -> float:
        return to_dbfs(self.peak)

    @property
    def rms_dbfs(self) -> float:
        return to_dbfs(self.rms)


#: Nothing playing.
SILENCE = Level()
