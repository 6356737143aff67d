"""The offline engine for the app: our server on loopback, in a child process.

The window starts the child first thing (:meth:`LocalEngine.spawn`, which does
not wait), before it imports Qt, so the two processes load side by side;
:meth:`LocalEngine.start` then waits for the child's URL (it blocks: the window
calls it in an executor, never on its loop). This module imports neither the
server nor a synthesizer until one runs in this process: the window lists the
offline voices from :mod:`app.engine.voice_table`.

The engine is the app's alone: each launch makes a random key
(:attr:`LocalEngine.key`) that every request must carry. The child reads it from
its standard input (``serve --key-from-stdin``): a command line can be read by
every user of the machine (``ps``), and a file could be read by others too. The
server also refuses browsers and DNS-rebinding hosts (:mod:`app.engine.server`),
so a web page cannot use the engine even while it has no key to guess.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Final

from app.cartesia.voices_types import Voice
from app.engine.synth.base import Synthesizer
from app.engine.synth.errors import SynthesizerUnavailable
from app.engine.synth.registry import default_synthesizers, load_all
from app.engine.voice_table import table_voices

if TYPE_CHECKING:
    from app.engine.server import ServerConfig, ThreadedServer

log = logging.getLogger(__name__)


class EngineUnavailable(SynthesizerUnavailable):
    """The offline engine's process could not be started."""


#: How long the child may take to print its URL (a cold start imports onnxruntime).
START_TIMEOUT = 60.0


def offline_synthesizers() -> list[Synthesizer]:
    return default_synthesizers()


def offline_voices() -> list[Voice]:
    """The offline voices of the engines installed here, without starting the server,
    importing a synthesizer or loading any model (the engine lists the same ones)."""
    return table_voices()


#: Set in the environment, the app and its engine say on standard error when each step
#: of the launch is done (``voicebooth-trace: ...``): ``bench/ui.py`` times them.
TRACE_ENV: Final = "VOICEBOOTH_LAUNCH_TRACE"


def trace(step: str) -> None:
    if os.environ.get(TRACE_ENV):
        print(f"voicebooth-trace: {step} {time.time():.4f}", file=sys.stderr, flush=True)


#: The child's command line after the program: the engine on a free port, its key on stdin.
#: The lowest priority: with another program keeping one core busy, the engine's bursts
#: of inference at nice 10 still took the window's thread off the other core, in clusters
#: of 16-33 ms stalls about once a second while a take played (0 of 10 runs within a
#: frame); at nice 19, 1-3 stalls over 16 ms per take. A free core runs Piper at 5-10x
#: real time, so the engine keeps ahead either way; with every core busy it falls behind
#: at any nice level.
SERVE_ARGS: Final = ("serve", "--port", "0", "--preload", "--exit-with-parent", "--nice", "19",
                     "--key-from-stdin")


def engine_command(serve_args: Sequence[str]) -> list[str]:
    """How to run ``voicebooth serve_args`` in a child process, frozen or not.

    In the PyInstaller bundle ``sys.executable`` is Voicebooth itself, which takes
    no ``-c``: the bundle's own program runs the command. From Python, the
    interpreter imports the app (the ``voicebooth`` script may not be on PATH), and
    ``serve`` goes straight to :mod:`app.cli.serve`.
    """
    if getattr(sys, "frozen", False):
        return [sys.executable, *serve_args]
    if list(serve_args[:1]) == ["serve"]:
        # Straight to the server: the rest of the command line is not imported. Its
        # priority is lowered before any import, so that the window importing Qt beside
        # it keeps the CPU (os.nice adds up: --nice is not passed on as well).
        args = list(serve_args[1:])
        nice = ""
        if "--nice" in args:
            at = args.index("--nice")
            nice = f"os.nice({int(args[at + 1])}); "
            del args[at:at + 2]
        return [sys.executable, "-c", f"import os, sys; {nice}from app.cli.serve import main; "
                f"sys.exit(main({args!r}))"]
    return [sys.executable, "-c", "import sys; from app.cli import main; "
            f"sys.exit(main({list(serve_args)!r}))"]


class LocalEngine:
    """Starts lazily; ``url`` is valid after :meth:`start`.

    By default the engine runs as a child process (``voicebooth serve``): Piper
    and espeak run Python between their native calls, and in the window's
    process they would take the GIL from the event loop (stalls of 20-30 ms on
    two cores). Given synthesizers (tests), it runs on a thread of this process.
    Models load on start, in the background, so the first Play does not wait
    for them (Piper takes about a second).
    """

    def __init__(self, config: ServerConfig | None = None,
                 synthesizers: list[Synthesizer] | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self._server: ThreadedServer | None = None
        self._process: subprocess.Popen[str] | None = None
        self._config = config
        self._synthesizers = synthesizers
        self._warmup: threading.Thread | None = None
        # What the child inherits; the caller strips anything secret (the API key).
        self._environ = dict(os.environ if environ is None else environ)
        #: What every request to this engine must carry (a fresh one per launch).
        self.key = secrets.token_urlsafe(32)
        self.url = ""

    @property
    def pid(self) -> int | None:
        """The child's process id (``None`` in-process or not started)."""
        return self._process.pid if self._process is not None else None

    @property
    def in_process(self) -> bool:
        return self._synthesizers is not None or self._config is not None

    def spawn(self) -> None:
        """Start the child process now, without waiting for it (nothing in-process)."""
        if self.in_process or self._process is not None or self.url:
            return
        # Piper's onnxruntime uses every core while it synthesizes; the window must
        # still get the CPU at once when it needs it: the child lowers its own
        # priority (a preexec_fn would be unsafe with the app's threads running).
        tracing = bool(self._environ.get(TRACE_ENV))
        self._process = subprocess.Popen(
            engine_command(SERVE_ARGS), stdout=subprocess.PIPE,
            stderr=None if tracing else subprocess.DEVNULL,
            stdin=subprocess.PIPE, text=True, env=self._environ)
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(self.key + "\n")
            self._process.stdin.close()
        except OSError as exc:  # the child died at once
            self.stop()
            raise EngineUnavailable(f"the offline engine did not start ({exc})") from None

    def start(self) -> str:
        """The engine's URL, once it listens (blocking: the child is started if
        :meth:`spawn` was not called, and its first line read)."""
        if self.url:
            return self.url
        if self.in_process:
            from app.engine.server import ServerConfig, ThreadedServer

            synths = self._synthesizers or offline_synthesizers()
            config = replace(self._config or ServerConfig(), api_key=self.key)
            self._server = ThreadedServer(synths, config)
            self.url = self._server.start()
            self._warmup = threading.Thread(target=load_all, args=(synths,),
                                            name="engine-warmup", daemon=True)
            self._warmup.start()
        else:
            self.url = self._spawn()
        return self.url

    def _spawn(self) -> str:
        self.spawn()
        # The window may close (stop() on another thread) while this waits.
        process = self._process
        line = self._first_line(process, START_TIMEOUT) if process is not None else ""
        match = re.search(r"listening on (http://\S+)", line)
        if match is None:
            self.stop()
            said = line.strip() or "no output"
            raise EngineUnavailable(f"the offline engine did not start ({said})")
        return match.group(1)

    @staticmethod
    def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
        """The child's first line of output, or "" if it says nothing in time (or is
        stopped meanwhile: its output is then closed)."""
        out = process.stdout
        assert out is not None
        deadline = time.monotonic() + timeout
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(out, selectors.EVENT_READ)
                while (left := deadline - time.monotonic()) > 0:
                    if selector.select(left):
                        return out.readline()
        except (ValueError, OSError):  # closed by stop()
            return ""
        return ""

    def stop(self) -> None:
        if self._warmup is not None:
            self._warmup.join(timeout=30)
            self._warmup = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
        self.url = ""

