"""Memory of `say` against the length of the text: it should not grow with it.

    .venv/bin/python bench/memory.py                 # 2,000, 20,000 and 200,000 words
    .venv/bin/python bench/memory.py 1000 5000       # other lengths

Runs `voicebooth --offline say -f TEXT` (the test-tone voice, pcm_s16le at 8 kHz, to a
WAV file) as a child process and samples its resident memory every 50 ms. "at first
audio" is the RSS when the first chunk arrived (the process fully started), "peak" the
most it reached, "growth" their difference. Prints a table; results go in
docs/benchmarks.md.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TONES = "7e57701e-0000-4000-8000-000000000001"


def rss_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


def measure(words: int) -> tuple[float, float, float, float]:
    """(audio seconds, wall seconds, RSS at first audio, peak RSS) in MiB."""
    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp) / "text.txt"
        text.write_text(" ".join(["word"] * words))
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "--offline", "say", "-f", str(text),
             "--voice", TONES, "--encoding", "pcm_s16le", "--sample-rate", "8000",
             "-o", str(Path(tmp) / "out.wav")],
            stderr=subprocess.PIPE, text=True, cwd=tmp)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stderr or []))
        reader.start()
        first, peak = 0.0, 0.0
        while proc.poll() is None:
            rss = rss_mib(proc.pid)
            if not first and any("first audio" in line for line in lines):
                first = rss
            peak = max(peak, rss)
            time.sleep(0.05)
        reader.join()
        wall = time.monotonic() - started
        if proc.returncode != 0:
            raise SystemExit("".join(lines))
        seconds = next(float(m.group(1)) for line in lines
                       if (m := re.match(r"([\d.]+) s of audio", line)))
        return seconds, wall, first, peak


def main() -> None:
    lengths = [int(a) for a in sys.argv[1:]] or [2_000, 20_000, 200_000]
    print(f"{'words':>8} {'audio':>10} {'wall s':>7} {'as float32 MiB':>14} "
          f"{'RSS at first audio MiB':>22} {'peak MiB':>9} {'growth MiB':>10}")
    for words in lengths:
        seconds, wall, first, peak = measure(words)
        kept = seconds * 8000 * 4 / 2**20
        print(f"{words:>8} {seconds / 3600:>8.2f} h {wall:>7.1f} {kept:>14.1f} "
              f"{first:>22.1f} {peak:>9.1f} {peak - first:>10.1f}", flush=True)


if __name__ == "__main__":
    main()
