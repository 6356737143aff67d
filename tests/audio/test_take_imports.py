"""What a finished take does in the window (its WAV kept as float32, its loudness
measured) imports neither ``numpy.random`` (+6.7 MB, for dither a float file never
has) nor ``numpy.ma`` (+1.2 MB, through ``np.unique``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import numpy as np
from app.audio.loudness import measure
from app.audio.wav import WavWriter, encode_wav

rate = 44100
x = (0.1 * np.sin(np.arange(3 * rate) * 0.05)).astype(np.float32)
writer = WavWriter(sys.argv[1], rate, "float32")
writer.write(x[:rate])
writer.write(x[rate:])
writer.commit()
encode_wav(x, rate, "float32")
encode_wav(x, rate, "pcm16", dither=False)
loudness = measure(x, rate)
print(json.dumps({"lufs": loudness.lufs if loudness else None,
                  "imported": [m for m in ("numpy.random", "numpy.ma") if m in sys.modules]}))
"""


def test_a_float_take_imports_no_random_and_no_masked_arrays(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "take.wav")],
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""},
                          capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["imported"] == []
    assert result["lufs"] is not None and -30 < result["lufs"] < -15
    assert (tmp_path / "take.wav").stat().st_size > 3 * 44100 * 4  # all of it written
