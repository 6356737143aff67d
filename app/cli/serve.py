"""``voicebooth serve``: the offline engine as a Cartesia-compatible server.

SIGTERM and SIGINT stop it cleanly: every open WebSocket is closed with code
1001 ("going away"), so clients can tell a server shutting down from a drop.

Only loopback is safe without a key: listening on any other address with no
``--api-key`` (or ``--key-from-stdin``) is refused unless ``--insecure`` says
so. The app starts its engine with ``--key-from-stdin`` and a fresh key each
launch, which never appears on a command line (``ps`` shows those to every user).

The URL is printed as soon as the server listens, before Piper, onnxruntime or
espeak-ng are imported: ``/voices`` answers from the voice table at once, and the
synthesizers (and with ``--preload`` their models) load on a thread after; a
generation that comes first waits for them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import platformdirs

from app.engine.local import trace
from app.errors import VoiceboothError

from .outputs import UsageError
from .serve_args import add_serve_arguments

if TYPE_CHECKING:
    from app.engine.synth.registry import DeferredSynthesizers

EXIT_USAGE, EXIT_SERVER, EXIT_INTERRUPTED = 2, 4, 130


def main(argv: Sequence[str]) -> int:
    """``voicebooth serve ARGV`` with nothing else of the command line imported: the
    app's engine process starts this way (:func:`app.engine.local.engine_command`), so
    it listens sooner. Exit codes as ``voicebooth serve``'s."""
    parser = argparse.ArgumentParser(
        prog="voicebooth serve", description="run the offline engine as a "
        "Cartesia-compatible server")
    add_serve_arguments(parser, verbose_default=False)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(run_serve(args, sys.stdout, sys.stderr))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except VoiceboothError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_SERVER


def data_dir(args: argparse.Namespace) -> Path:
    """Where the engine keeps its pronunciation dictionaries: ``--data-dir``, else the
    app's data folder (the app's own engine shares them with ``serve``)."""
    if args.data_dir:
        return Path(args.data_dir).expanduser()
    return Path(platformdirs.user_data_dir("voicebooth", appauthor=False))


async def run_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from app.engine.synth.malloc import one_arena

    one_arena()  # before the server's threads: what a take frees is given back whole
    if args.nice:
        # First: the app's engine then imports the server at a lower priority than the
        # window, which is importing Qt beside it.
        with contextlib.suppress(OSError):
            os.nice(args.nice)
    from app.engine.server import EngineServer, ServerConfig, is_loopback
    from app.engine.synth.registry import DeferredSynthesizers

    key: str | None = args.require_key
    if args.key_from_stdin:
        # Blocking: the app writes the line at once, but it is still a read.
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        key = line.strip()
        if not key:
            raise UsageError("--key-from-stdin: standard input gave no key (one line)")
    if not is_loopback(args.host) and not key and not args.insecure:
        raise UsageError(
            f"refusing to listen on {args.host or 'every address'} with no key: anyone who "
            "can reach this machine could use the engine. Give --api-key KEY (clients then "
            "send it), or --insecure if that is really meant")
    synthesizers = DeferredSynthesizers()
    server = EngineServer(synthesizers.synthesizers, ServerConfig(
        api_key=key or None, pace=args.pace, chunk_ms=args.chunk_ms,
        allowed_origins=tuple(args.allow_origin), max_contexts=args.max_contexts,
        extra_voices=max(0, args.extra_voices), data_dir=data_dir(args)))
    url = await server.start(args.host, args.port)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if not is_loopback(args.host) and not key:
        print(f"warning: listening on {args.host or 'every address'} with no key "
              "(--insecure): anyone who can reach this machine can use the engine", file=err)
    print(f"Voicebooth engine listening on {url}", file=out, flush=True)
    print(f"WebSocket: {url.replace('http', 'ws', 1)}/tts/websocket", file=out, flush=True)
    heavy = [name for name in ("piper", "onnxruntime", "espeakng_loader") if name in sys.modules]
    trace(f"engine-listening imported={','.join(heavy) or 'none'}")
    # Not awaited: loading runs while clients connect; asyncio.run waits for it at
    # exit (a thread cannot be interrupted).
    loop.run_in_executor(None, _load, synthesizers, bool(args.preload))
    try:
        if args.exit_with_parent:
            parent = os.getppid()
            # Polling: no event announces a parent's death (re-parenting is the sign).
            while os.getppid() == parent and not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
        else:
            await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await server.stop()
    print("Voicebooth engine stopped", file=err)
    return 0


def _load(synthesizers: DeferredSynthesizers, models: bool) -> None:
    synthesizers.load(models=models)
    trace("engine-models-loaded" if models else "engine-synthesizers-loaded")
