"""A real loopback server that keeps every frame its clients sent, and a studio's parts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any, TypeVar

import pytest

from app.cartesia import messages as m
from app.cartesia.protocol import ServerContext
from app.engine.server import Connection, ServerConfig, ThreadedServer
from app.engine.synth.tones import ToneSynthesizer
from app.settings import Settings
from app.studio.endpoints import Endpoints
from app.studio.lineup import RowChanged, RowState
from app.studio.options import RunOptions
from tests.faults import FaultyServer

T = TypeVar("T")
KEY = "sk_studio_test_0123456789"


class ListeningServer(FaultyServer):
    """The engine server (with the tests' faults), keeping what clients sent: a test
    can then see that a context was cancelled on the server, not just in our client."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.frames: list[dict[str, Any]] = []

    async def _on_message(self, conn: Connection, frame: str) -> None:
        self.frames.append(json.loads(frame))
        await super()._on_message(conn, frame)

    def cancels(self) -> list[str]:
        return [f["context_id"] for f in self.frames if f.get("cancel") is True]


class BreaksMidStream(ListeningServer):
    """Fails the contexts :meth:`breaks` picks mid-stream, after ``after`` chunks (a
    server fault with audio already sent), with ``message``."""

    after = 2
    message = "injected error mid-stream"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.sent: dict[str, int] = {}

    def breaks(self, context: ServerContext) -> bool:
        return False

    async def before_chunk(self, conn: Connection, context: ServerContext,
                           chunk: m.Chunk) -> bool:
        if not self.breaks(context):
            return await super().before_chunk(conn, context, chunk)
        n = self.sent[context.context_id] = self.sent.get(context.context_id, 0) + 1
        if n <= self.after:
            return True
        await self.send_error(conn, m.ErrorMessage(
            context.context_id, 500, self.message, "internal_error", "Internal error",
            request_id="r"), context)
        return False


class PeakRendering:
    """The most rows of a parallel render (lineup, lab, retakes) rendering at once,
    counted from its events."""

    def __init__(self) -> None:
        self.rendering: set[object] = set()
        self.most = 0

    def __call__(self, event: object) -> None:
        if isinstance(event, RowChanged):
            if event.row.state is RowState.RENDERING:
                self.rendering.add(event.row)
            else:
                self.rendering.discard(event.row)
            self.most = max(self.most, len(self.rendering))


def streaming(rows: Iterable[Any]) -> int:
    """Rows of a parallel render whose audio is arriving now (holding a context)."""
    return sum(r.state is RowState.RENDERING and r.take is not None and r.take.n_frames > 0
               for r in rows)


async def until(predicate: Callable[[], object], seconds: float = 10) -> None:
    """Wait on the running loop until ``predicate()`` holds."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {seconds} s")
        await asyncio.sleep(0.01)


def run(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(bounded())


def start_server(pace: float = 0.0) -> ThreadedServer:
    srv = ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=KEY, pace=pace),
                         server_class=ListeningServer)
    srv.start()
    return srv


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    srv = start_server()
    yield srv
    srv.stop()


@pytest.fixture
def paced() -> Iterator[ThreadedServer]:
    """Audio at real time, so a generation is still running when the test acts."""
    srv = start_server(pace=1.0)
    yield srv
    srv.stop()


def listening(server: ThreadedServer) -> ListeningServer:
    assert isinstance(server.server, ListeningServer)
    return server.server


def online(server: ThreadedServer, settings: Settings | None = None) -> Endpoints:
    """Endpoints for the loopback server, as ``--base-url URL --api-key KEY`` gives."""
    return Endpoints(settings or Settings(None), RunOptions(api_key=KEY, base_url=server.url),
                     environ={})
