"""Fault injection for the loopback server, set by tests on a running server.

:class:`FaultyServer` is :class:`~app.engine.server.EngineServer` with its hook
points implemented from a :class:`Faults` record, so the shipped server holds no
fault logic. Run it with ``ThreadedServer(..., server_class=FaultyServer)``; a
test then sets ``server.server.faults.drop_after_chunks = 2`` and so on.

Chunk counts are per connection: ``drop_after_chunks=2`` sends two chunks and
then cuts the TCP connection without a close frame.

``Faults.fired_at`` is the ``time.perf_counter()`` at which the first fault was
set off (the system's monotonic clock, so a client in another process can compare
it): the cause that tests and ``bench/client.py`` time a client's report from.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiohttp import web

from app.cartesia import messages as m
from app.cartesia.protocol import ServerContext
from app.engine.server import Connection, EngineServer, ServerConfig
from app.engine.synth.base import Synthesizer


@dataclass
class Faults:
    #: HTTP status returned instead of the WebSocket upgrade (401, 429, 500...).
    reject_upgrade: int | None = None
    #: Cut the TCP connection (no close frame) after this many chunks.
    drop_after_chunks: int | None = None
    #: Close with ``close_code`` after this many chunks.
    close_after_chunks: int | None = None
    close_code: int = 1011
    #: Send a frame that is not JSON after this many chunks (once).
    malformed_after_chunks: int | None = None
    #: Copies of the current chunk sent at once right after the malformed frame: a fast
    #: server (another process, or far away) has that many in flight when it breaks.
    burst_after_malformed: int = 0
    #: Send an in-band error for the context after this many chunks.
    error_after_chunks: int | None = None
    error_status: int = 500
    error_code: str = "internal_error"
    #: Stop sending anything (socket stays open) after this many chunks.
    stall_after_chunks: int | None = None
    #: Statuses to answer the next REST requests with, one per request.
    rest_statuses: list[int] = field(default_factory=list)
    retry_after: float | None = None
    #: In-band ``concurrency_limited`` beyond this many open contexts per connection.
    concurrency_limit: int | None = None
    #: When the first fault was set off (``time.perf_counter()``); set by the server.
    fired_at: float | None = None

    def fire(self) -> None:
        if self.fired_at is None:
            self.fired_at = time.perf_counter()

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]


class FaultyServer(EngineServer):
    """The engine server, misbehaving as :attr:`faults` says."""

    def __init__(self, synthesizers: Sequence[Synthesizer],
                 config: ServerConfig | None = None) -> None:
        super().__init__(synthesizers, config)
        self.faults = Faults()

    async def before_upgrade(self, request: web.Request) -> web.StreamResponse | None:
        if (status := self.faults.reject_upgrade) is None:
            return None
        self.faults.fire()
        return self.error_response(request, status, "injected", "Rejected",
                                   f"upgrade rejected by the test server ({status})")

    async def before_rest(self, request: web.Request) -> web.StreamResponse | None:
        if not self.faults.rest_statuses:
            return None
        status = self.faults.rest_statuses.pop(0)
        headers = {}
        if self.faults.retry_after is not None:
            headers["Retry-After"] = f"{self.faults.retry_after:g}"
        return self.error_response(request, status, "injected", "Injected fault",
                                   f"fault injected by the test server ({status})", headers)

    def admit(self, conn: Connection, request: m.GenerationRequest) -> m.InvalidRequest | None:
        limit = self.faults.concurrency_limit
        open_now = len(conn.protocol.open_contexts)
        if limit is None or open_now < limit:
            return None
        self.faults.fire()
        return m.InvalidRequest(
            f"Too many concurrent contexts ({open_now} open; the plan allows {limit}).",
            context_id=request.context_id, status=429, code="concurrency_limited",
            title="Concurrency limited")

    async def before_chunk(self, conn: Connection, context: ServerContext,
                           chunk: m.Chunk) -> bool:
        faults = self.faults
        n = conn.chunks_sent
        if faults.drop_after_chunks is not None and n >= faults.drop_after_chunks:
            faults.fire()
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
            return False
        if faults.close_after_chunks is not None and n >= faults.close_after_chunks:
            faults.fire()
            await conn.ws.close(code=faults.close_code, message=b"injected close")
            return False
        if faults.malformed_after_chunks is not None and n >= faults.malformed_after_chunks:
            faults.malformed_after_chunks = None
            faults.fire()
            await conn.ws.send_str('{"type": "chunk", "data": ')
            for _ in range(faults.burst_after_malformed):
                await conn.ws.send_str(m.encode(chunk))
        if faults.error_after_chunks is not None and n >= faults.error_after_chunks:
            faults.fire()
            await self.send_error(conn, m.ErrorMessage(
                chunk.context_id, faults.error_status, "injected error mid-stream",
                faults.error_code, "Injected error", request_id=uuid.uuid4().hex), context)
            return False
        if faults.stall_after_chunks is not None and n >= faults.stall_after_chunks:
            faults.fire()
            await asyncio.Event().wait()
        return True
