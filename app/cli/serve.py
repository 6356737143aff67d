"""``voicebooth serve``: the offline engine as a Cartesia-compatible server.

SIGTERM and SIGINT stop it cleanly: every open WebSocket is closed with code
1001 ("going away"), so clients can tell a server shutting down from a drop.

Only loopback is safe without a key: listening on any other address with no
``--api-key`` (or ``--key-from-stdin``) is refused unless ``--insecure`` says
so. The app starts its engine with ``--key-from-stdin`` and a fresh key each
launch, which never appears on a command line (``ps`` shows those to every user).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import TextIO

import platformdirs

from app.engine.local import load_all, offline_synthesizers
from app.engine.server import EngineServer, ServerConfig, is_loopback

from .outputs import UsageError


def data_dir(args: argparse.Namespace) -> Path:
    """Where the engine keeps its pronunciation dictionaries: ``--data-dir``, else the
    app's data folder (the app's own engine shares them with ``serve``)."""
    if args.data_dir:
        return Path(args.data_dir).expanduser()
    return Path(platformdirs.user_data_dir("voicebooth", appauthor=False))


async def run_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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
    if args.nice:
        with contextlib.suppress(OSError):
            os.nice(args.nice)
    synthesizers = offline_synthesizers()
    server = EngineServer(synthesizers, ServerConfig(
        api_key=key or None, pace=args.pace, chunk_ms=args.chunk_ms,
        allowed_origins=tuple(args.allow_origin), max_contexts=args.max_contexts,
        extra_voices=max(0, args.extra_voices), data_dir=data_dir(args)))
    url = await server.start(args.host, args.port)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.preload:
        # Not awaited: loading runs while clients connect; asyncio.run waits for it
        # at exit (a thread cannot be interrupted).
        loop.run_in_executor(None, load_all, synthesizers)
    if not is_loopback(args.host) and not key:
        print(f"warning: listening on {args.host or 'every address'} with no key "
              "(--insecure): anyone who can reach this machine can use the engine", file=err)
    print(f"Voicebooth engine listening on {url}", file=out, flush=True)
    print(f"WebSocket: {url.replace('http', 'ws', 1)}/tts/websocket", file=out, flush=True)
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
