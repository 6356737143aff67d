"""A long take does not leave its peak in the engine: after two 45-word takes on
worker threads (as the server runs them), the resident memory is about what it was.

Measured in a fresh interpreter (nothing else allocated there). Before issue 14 the
growth was 200-250 MB (onnxruntime's arena and memory pattern, then glibc keeping
freed tensors in the threads' heaps); now it is a few MB. The bound (40 MB) is loose:
the allocator's figures do not depend on the machine's load.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.engine.test_piper_pieces import LONG_FIRST

CHILD = textwrap.dedent("""
    import json, re, sys, threading
    from pathlib import Path
    from app.engine.synth.base import SynthRequest
    from app.engine.synth.piper_voice import VOICE_ID, PiperSynthesizer

    def rss():
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmRSS:\\s+(\\d+) kB", status).group(1)) / 1024

    piper = PiperSynthesizer(cache_dir=Path(sys.argv[1]))
    piper.load()

    def take(text):
        def run():
            for _ in piper.synthesize(SynthRequest(text, VOICE_ID, 44100)):
                pass
        worker = threading.Thread(target=run)
        worker.start()
        worker.join()

    take("Hi.")
    idle = rss()
    for _ in range(2):
        take(sys.argv[2])
    print(json.dumps({"growth": rss() - idle}))
""")


@pytest.mark.timeout(600)  # a hang detector: two cold loads and takes on a loaded machine
def test_a_long_take_leaves_no_peak_behind(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), LONG_FIRST],
                          check=True, capture_output=True, text=True, timeout=600)
    growth = json.loads(done.stdout.strip().splitlines()[-1])["growth"]
    assert growth < 40, f"{growth:.0f} MB kept after two 45-word takes"
