"""``voicebooth serve``: the offline engine as a Cartesia-compatible server.

SIGTERM and SIGINT stop it cleanly: every open WebSocket is closed with code
1001 ("going away"), so clients can tell a server shutting down from a drop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from typing import TextIO

from app.engine.local import load_all, offline_synthesizers
from app.engine.server import EngineServer, ServerConfig


async def run_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.nice:
        with contextlib.suppress(OSError):
            os.nice(args.nice)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.require_key:
        print(f"warning: listening on {args.host} with no key: anyone who can reach this "
              "machine can use the engine (give --api-key KEY to require one)", file=err)
    synthesizers = offline_synthesizers()
    server = EngineServer(synthesizers, ServerConfig(
        api_key=args.require_key, pace=args.pace, chunk_ms=args.chunk_ms))
    url = await server.start(args.host, args.port)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.preload:
        # Not awaited: loading runs while clients connect; asyncio.run waits for it
        # at exit (a thread cannot be interrupted).
        loop.run_in_executor(None, load_all, synthesizers)
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
