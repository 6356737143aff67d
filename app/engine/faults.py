"""Fault injection for the loopback server, set by tests on a running server.

Chunk counts are per connection: ``drop_after_chunks=2`` sends two chunks and
then cuts the TCP connection without a close frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Faults:
    #: HTTP status returned instead of the WebSocket upgrade (401, 429, 500...).
    reject_upgrade: int | None = None
    #: Cut the TCP connection (no close frame) after this many chunks.
    drop_after_chunks: int | None = None
    #: Close with ``close_code`` after this many chunks.
    close_after_chunks: int | None = None
    close_code: int = 1011
    #: Send a frame that is not JSON after this many chunks.
    malformed_after_chunks: int | None = None
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

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]
