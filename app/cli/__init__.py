"""The command line: ``say``, ``batch``, ``voices``, ``lexicon``, ``serve``, ``devices``; the
window with no command, or with a script (``open FILE``).

Exit codes: 0 done; 1 an output file could not be written; 2 bad usage or bad
input; 3 key missing or rejected; 4 network, protocol or server error;
130 interrupted (Ctrl+C); 143 terminated (SIGTERM). Interrupted or terminated,
``say`` keeps the audio that arrived as ``OUT.partial.wav``. With several
``--voice``, every voice that can be is written, and the exit code is the first
failed voice's. ``batch`` exits 4 when any line failed (the others are written).

The options that say where to connect (``--api-key``, ``--base-url``,
``--api-version``, ``--offline``, ``-v``) are accepted before or after the
command; where one cannot apply (``devices``, ``serve``) it is refused, never
ignored: a user who typed ``--base-url`` must not hear the offline voice
believing it is Cartesia.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from typing import TextIO


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None,
         stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """The command line (``voicebooth``). Its modules are imported here, not with the
    package: the offline engine's process imports :mod:`app.cli.serve` and must not
    load the rest on its way to listening; and the window alone (no command) is started
    without the full parser, whose commands' modules and arguments it does not use."""
    # Python's cycle collector stays off while the modules load: what they make lives as
    # long as the process, and the ~50 collections that walked it cost 20-40 ms of every
    # start (the window's first paint waits for them).
    enabled = gc.isenabled()
    gc.disable()
    try:
        from app.cli.window import open_window, run_options, start_logging, window_arguments

        window = window_arguments(argv)
        if window is None:
            from app.cli.commands import main as run
    finally:
        if enabled:
            gc.enable()
    if window is not None:
        start_logging(window, stderr or sys.stderr)
        return open_window(window, run_options(window), stderr or sys.stderr)
    return run(argv, stdin=stdin, stdout=stdout, stderr=stderr)
