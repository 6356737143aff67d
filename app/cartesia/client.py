"""The streaming TTS client: one persistent WebSocket, many contexts, never hangs.

A :class:`TTSClient` opens its socket before the first generation and reopens
it when the server closed it or it dropped. Each :meth:`TTSClient.generate`
returns a :class:`Generation`, an async iterator of events for one context.
The bookkeeping of contexts is :class:`app.cartesia.protocol.ClientProtocol`'s;
this module owns the socket, who reads it (the only open context's own
consumer, or a reader task routing frames when there are none or several) and
the timeouts. Every way a generation can fail ends in a specific exception
raised from the iterator, promptly:

- the socket closes, drops or sends a frame that is not JSON: whoever reads it
  fails every open generation at once (:class:`ConnectionLost`,
  :class:`ProtocolError`), and a socket that sent what we cannot read is
  aborted, not closed with a handshake that would wait behind unread chunks;
- an ``error`` message: :class:`ServerError` and subclasses (checked before
  ``done``, which an error also carries);
- silence while output is owed: :class:`Timeout` for the first chunk and for
  inactivity.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import weakref
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from app.audio.codecs import Float32Array, StreamDecoder
from app.cartesia import messages as m
from app.cartesia.config import ClientConfig
from app.cartesia.errors import (
    Cancelled,
    CartesiaError,
    ConnectError,
    ConnectionLost,
    InvalidText,
    Timeout,
    error_for_status,
)
from app.cartesia.protocol import (
    ClientContext,
    ClientEvent,
    ClientProtocol,
    ConnectionFailed,
    ContextEvent,
    ContextFailed,
)

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection
    from websockets.exceptions import ConnectionClosed

# websockets is imported where a socket is opened or used, not with this module: with
# importlib.metadata, urllib.request and email behind it, it cost every start of the
# window 30-60 ms before the first paint, for a socket opened after it.


@dataclass(frozen=True, slots=True)
class Audio:
    """Decoded audio of one chunk; ``data`` keeps the bytes as they arrived.

    ``samples`` of ``pcm_f32le`` audio are a read-only view of ``data`` (no copy per
    chunk); other encodings give a new array.
    """

    context_id: str
    samples: Float32Array
    data: bytes
    flush_id: int | None = None


Event = Audio | m.WordTimestamps | m.PhonemeTimestamps | m.FlushDone | m.Done
_Item = ContextEvent | CartesiaError

# One Audio per chunk: built by setting its slots, as messages._chunk builds a Chunk (a
# frozen dataclass's __init__ goes through object.__setattr__ for every field).
_AUDIO_FIELDS = ("context_id", "samples", "data", "flush_id")
if tuple(f.name for f in fields(Audio)) != _AUDIO_FIELDS:
    raise TypeError("Audio's fields changed: change _AUDIO_FIELDS and _audio with them")
_set_audio_context_id, _set_audio_samples, _set_audio_data, _set_audio_flush_id = (
    Audio.__dict__[name].__set__ for name in _AUDIO_FIELDS)
_new = object.__new__


def _audio(context_id: str, samples: Float32Array, data: bytes, flush_id: int | None) -> Audio:
    """``Audio(context_id, samples, data, flush_id)``, in half the time."""
    audio: Audio = _new(Audio)
    _set_audio_context_id(audio, context_id)
    _set_audio_samples(audio, samples)
    _set_audio_data(audio, data)
    _set_audio_flush_id(audio, flush_id)
    return audio


def error_from_body(status: int, body: bytes | bytearray | str, fallback: str) -> CartesiaError:
    """A :class:`ServerError` from an HTTP error body of any API version."""
    try:
        obj = json.loads(body) if body else {}
    except ValueError:
        obj = {}
    if not isinstance(obj, dict):
        obj = {}
    message = obj.get("message") or obj.get("error") or obj.get("detail") or fallback
    return error_for_status(status, str(message), code=_s(obj.get("error_code")),
                            title=_s(obj.get("title")), request_id=_s(obj.get("request_id")),
                            doc_url=_s(obj.get("doc_url")))


def _s(value: object) -> str | None:
    return value if isinstance(value, str) else None


def check_text(text: str) -> None:
    """:class:`InvalidText` for a transcript the socket could not encode.

    A lone surrogate (what undecodable bytes become under ``surrogateescape``)
    passes ``json.dumps`` but fails inside websockets, which then tears down the
    socket and every healthy generation on it: refuse it here, alone.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidText(text, exc) from None


#: Audio bytes a connection may hold for consumers that have not taken them yet
#: (4 MiB: 24 s of 44.1 kHz float audio ahead of a consumer that fell behind).
#: Above it the reader stops reading the socket, so TCP slows the server down
#: instead of memory growing with a long text; it reads on once half is taken.
BUFFER_LIMIT = 4 * 1024 * 1024

#: Seconds a closing handshake may take before the socket is dropped.
CLOSE_TIMEOUT = 2.0


class _Inbox:
    """One context's events, for its generation.

    A deque and at most one waiting future: what asyncio.Queue does here, without
    its size limits and waiter bookkeeping, which showed in the CPU per chunk.
    ``audio_bytes`` counts the chunk data waiting in it (for the connection's bound).
    """

    __slots__ = ("_waiter", "attached", "audio_bytes", "items")

    def __init__(self) -> None:
        self.items: deque[_Item] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self.audio_bytes = 0
        self.attached = True  # counted in its connection's ``buffered``

    def put_nowait(self, item: _Item) -> None:
        self.items.append(item)
        self.wake()

    def wake(self) -> None:
        """Let a waiting consumer look again (an item, or the socket is its to read)."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self) -> None:
        """Until :meth:`wake`: the caller checks again what changed."""
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None


class _Connection:
    """One open socket, its protocol state, who reads it, and the inboxes of its contexts.

    Exactly one party reads the socket at a time. With one context open, its own
    consumer reads it directly (``direct``): a frame reaches the caller without
    the reader task, an inbox and one more event-loop turn per frame in between.
    With none or several, the reader task reads and routes frames to the inboxes.
    The party that stops reading hands the socket on (:meth:`hand_on`), so frames
    are read in order by one party at a time and none is lost: a frame is taken
    off the socket only by the party that then routes it.
    """

    def __init__(self, ws: ClientConnection, buffer_limit: int,
                 read: Callable[[_Connection], Coroutine[None, None, None]]) -> None:
        self.ws = ws
        self.buffer_limit = buffer_limit
        self.protocol = ClientProtocol()
        self.inboxes: dict[str, _Inbox] = {}
        self._read = read
        self.reader: asyncio.Task[None] | None = None
        #: The reader task was cancelled to hand the socket to a consumer, not to close.
        self.handing_over = False
        #: The one open context's inbox, whose consumer reads the socket itself.
        self.direct: _Inbox | None = None
        #: The generation whose consumer is inside ``recv`` now, if any.
        self.reading: Generation | None = None
        self.sending: set[asyncio.Task[None]] = set()  # cancels of abandoned generations
        self.buffered = 0  # audio bytes in all inboxes
        self.room = asyncio.Event()
        self.room.set()

    def taken(self, inbox: _Inbox, size: int) -> None:
        """A consumer took ``size`` bytes of audio from ``inbox``."""
        if inbox.attached:
            inbox.audio_bytes -= size
            self.buffered -= size
            if self.buffered <= self.buffer_limit // 2:
                self.room.set()

    def _detach(self, inbox: _Inbox) -> None:
        # Its context ended: what it still holds no longer counts against the reader
        # (a consumer that never comes back must not stall the other contexts).
        self.taken(inbox, inbox.audio_bytes)
        inbox.attached = False

    def add(self, context_id: str, inbox: _Inbox) -> None:
        self.inboxes[context_id] = inbox
        self.settle()

    def drop(self, context_id: str) -> None:
        """Forget a context's inbox, and the audio waiting in it."""
        inbox = self.inboxes.pop(context_id, None)
        if inbox is not None:
            self._detach(inbox)
            self.settle()

    # --- who reads the socket ------------------------------------------------------

    def settle(self) -> None:
        """Choose the reader again after the set of contexts changed."""
        inboxes = self.inboxes
        direct = next(iter(inboxes.values())) if len(inboxes) == 1 and self.alive else None
        if direct is not self.direct:
            self.direct = direct
            reader = self.reader
            if direct is not None and reader is not None and not self.handing_over:
                self.handing_over = True
                reader.cancel()  # safe inside recv: the next recv gets that frame
            reading = self.reading
            if reading is not None and reading._inbox is not direct:
                reading._interrupt()
        self.hand_on()

    def hand_on(self) -> None:
        """Make sure someone reads the socket once nobody is reading it."""
        if self.reader is not None or self.reading is not None or not self.alive:
            return
        if self.direct is not None:
            self.direct.wake()  # its consumer reads on its next step
        else:
            reader = self.reader = asyncio.get_running_loop().create_task(
                self._read(self), name="cartesia-reader")
            # A callback, not a ``finally``: a task cancelled before its first step
            # never runs its body.
            reader.add_done_callback(self._reader_ended)

    def _reader_ended(self, task: asyncio.Task[None]) -> None:
        if task is self.reader:
            self.reader = None
            self.handing_over = False
            self.hand_on()

    # --- what was read ----------------------------------------------------------------

    def received(self, frame: str | bytes, reader: _Inbox) -> m.Chunk | None:
        """Route one frame that ``reader``'s consumer read; after one that fails the
        connection, abort the socket.

        A chunk for ``reader`` itself, with nothing queued before it, is returned
        instead of queued: its consumer would take it straight back out (most frames,
        when one context is open; the queue's bookkeeping showed in the CPU per chunk).
        """
        events = self.protocol.receive(frame)
        if len(events) == 1 and not reader.items:
            event = events[0]
            if type(event) is m.Chunk and self.inboxes.get(event.context_id) is reader:
                return event
        self.deliver(events)
        if self.protocol.failure is not None:
            self.abort()
        return None

    def closed(self, exc: ConnectionClosed) -> None:
        """The socket ended: fail whatever was still open on it."""
        if exc.rcvd is None:
            self.fail(ConnectionLost("the connection dropped without a close frame"))
        else:
            self.fail(ConnectionLost(exc.rcvd.reason or "the server closed the connection",
                                     code=exc.rcvd.code))

    def abort(self) -> None:
        """Drop the TCP connection now, without the closing handshake.

        After a frame we cannot read, or an error for no context, nothing on this
        socket can be trusted. A closing handshake would wait for the server's close
        frame behind every chunk it sent meanwhile, which nobody reads any more:
        websockets' whole ``close_timeout`` after a fault from a fast server.
        """
        self.ws.transport.abort()

    def release(self, context_id: str) -> None:
        """A generation was dropped unfinished: stop buffering for it, cancel it there."""
        self.drop(context_id)
        frame = self.protocol.cancel(context_id)
        if frame is None or not self.alive:
            return
        with contextlib.suppress(RuntimeError):  # no loop any more: the socket is gone too
            task = asyncio.get_running_loop().create_task(self._send_quietly(frame))
            self.sending.add(task)
            task.add_done_callback(self.sending.discard)

    async def _send_quietly(self, frame: str) -> None:
        from websockets.exceptions import ConnectionClosed

        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(frame)

    @property
    def alive(self) -> bool:
        return self.protocol.alive

    def deliver(self, events: list[ClientEvent]) -> None:
        inboxes = self.inboxes
        ended = False
        for event in events:
            if isinstance(event, _FAILURES):
                if isinstance(event, ContextFailed):
                    inbox = inboxes.pop(event.context_id, None)
                    if inbox is not None:
                        self._detach(inbox)
                        inbox.put_nowait(event.error)
                        ended = True
                continue
            inbox = inboxes.get(event.context_id)
            if inbox is not None:
                if type(event) is m.Chunk:
                    inbox.audio_bytes += len(event.data)
                    self.buffered += len(event.data)
                inbox.put_nowait(event)
                if type(event) is m.Done:
                    del inboxes[event.context_id]
                    self._detach(inbox)
                    ended = True
        if ended:
            self.settle()

    def fail(self, error: CartesiaError) -> None:
        self.deliver(self.protocol.connection_lost(error))


_FAILURES = (ContextFailed, ConnectionFailed)


class TTSClient:
    """Async client of ``/tts/websocket``. Use ``async with TTSClient(config) as client``."""

    def __init__(self, config: ClientConfig, *, buffer_limit: int = BUFFER_LIMIT) -> None:
        self.config = config
        self.buffer_limit = buffer_limit
        self._conn: _Connection | None = None
        self._lock = asyncio.Lock()
        self.connects = 0  # how many sockets were opened (tests and status bar)

    async def __aenter__(self) -> TTSClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self._conn is not None and self._conn.alive

    async def connect(self) -> None:
        """Open the socket now (before the first generation), unless one is open."""
        await self._connection()

    async def _connection(self) -> _Connection:
        async with self._lock:
            if self._conn is not None and self._conn.alive:
                return self._conn
            if self._conn is not None:
                await self._discard(self._conn)
            self._conn = await self._open()
            return self._conn

    async def _open(self) -> _Connection:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI

        url = self.config.ws_url()
        try:
            ws = await connect(
                url,
                additional_headers=self.config.headers(),
                open_timeout=self.config.timeouts.connect,
                # Loopback must never go through a proxy from the environment.
                proxy=None if self.config.is_loopback else True,
                max_size=16 * 1024 * 1024,
                compression=None,
                ping_interval=20,
                ping_timeout=20,
                close_timeout=CLOSE_TIMEOUT,
            )
        except InvalidStatus as exc:
            response = exc.response
            raise error_from_body(response.status_code, response.body or b"",
                                  f"the server refused the connection "
                                  f"(HTTP {response.status_code})") from None
        except TimeoutError:
            raise ConnectError(url, f"no answer within {self.config.timeouts.connect:g} s"
                               ) from None
        except (OSError, InvalidHandshake, InvalidURI) as exc:
            raise ConnectError(url, str(exc) or type(exc).__name__) from None
        self.connects += 1
        conn = _Connection(ws, self.buffer_limit, _route)
        conn.hand_on()  # no context yet: the reader task watches the socket
        return conn

    async def _discard(self, conn: _Connection) -> None:
        reader = conn.reader
        if reader is not None and not reader.done():
            reader.cancel()
            await asyncio.wait({reader})  # its end, not its result
        # A consumer reading when the client closed was interrupted (the connection
        # failed first); it leaves recv on its next step.
        for _ in range(3):
            if conn.reading is None:
                break
            await asyncio.sleep(0)
        await _close_reading(conn.ws, can_read=conn.reading is None)

    @property
    def buffered_audio(self) -> int:
        """Audio bytes received and not yet taken by their generations."""
        return self._conn.buffered if self._conn is not None else 0

    @property
    def open_generations(self) -> int:
        """Contexts this client still buffers for (tests, and a leak would show here)."""
        return len(self._conn.inboxes) if self._conn is not None else 0

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            if conn.sending:
                await asyncio.wait(set(conn.sending), timeout=2)
            conn.fail(ConnectionLost("the client was closed"))
            await self._discard(conn)
            if conn.reader is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await conn.reader

    async def generate(self, request: m.GenerationRequest) -> Generation:
        """Start a context with ``request`` (its first input) and return its events.

        A request with an empty ``context_id`` gets a fresh one. A transcript that
        cannot be sent raises :class:`InvalidText` before anything goes out.
        """
        from websockets.exceptions import ConnectionClosed

        check_text(request.transcript)
        for attempt in (1, 2):
            conn = await self._connection()
            ctx, frame = conn.protocol.open(request)
            request = ctx.request  # a retry keeps the context id given here
            inbox = _Inbox()
            generation = Generation(self, conn, ctx, inbox)
            conn.add(ctx.context_id, inbox)
            try:
                await conn.ws.send(frame)
            except ConnectionClosed:
                conn.fail(ConnectionLost("the connection closed before the request was sent"))
                if attempt == 2:
                    raise ConnectionLost("the connection closed twice while sending") from None
                continue  # nothing was sent on the dead socket: reopen and send again
            generation.mark_sent()
            return generation
        raise AssertionError("unreachable")


class Generation:
    """Events of one context. Iterate with ``async for``; raises on failure."""

    def __init__(self, client: TTSClient, conn: _Connection, context: ClientContext,
                 inbox: _Inbox) -> None:
        self.client = client
        self.request = context.request
        self.context_id = context.context_id
        self._conn = conn
        self._context = context
        self._inbox = inbox
        self._decoder = StreamDecoder(context.request.output_format.encoding)
        self._finished = False
        self._cancelled = False
        self.sent_at = 0.0
        self.first_audio_at: float | None = None
        self._last_activity = 0.0
        #: The loop's clock, which the watchdog's timer runs on, read for every frame:
        #: asyncio's own loops read ``time.monotonic`` (called here without the
        #: method around it); others, such as qasync's, keep their own.
        loop = asyncio.get_running_loop()
        self._clock: Callable[[], float] = (
            time.monotonic if type(loop).time is asyncio.BaseEventLoop.time else loop.time)
        self._watchdog: asyncio.TimerHandle | None = None
        #: The task reading the socket for this generation, while it is inside ``recv``.
        self._recv_task: asyncio.Task[object] | None = None
        self._interrupted = False
        # Dropped without finishing or cancelling (a caller broke out of ``async for``):
        # the inbox would fill until the socket died, and the server would go on.
        self._release = weakref.finalize(self, conn.release, context.context_id)

    def mark_sent(self) -> None:
        self.sent_at = time.perf_counter()
        self._last_activity = self._clock()

    @property
    def time_to_first_audio(self) -> float | None:
        return None if self.first_audio_at is None else self.first_audio_at - self.sent_at

    @property
    def finished(self) -> bool:
        return self._finished

    def __aiter__(self) -> Generation:
        return self

    async def __anext__(self) -> Event:
        # Two coroutines from the caller down to the socket's ``recv`` (there were
        # three): every frame passes here, and each level showed in the CPU per chunk.
        if self._cancelled:
            raise Cancelled(self.context_id)
        if self._finished:
            raise StopAsyncIteration
        if self._watchdog is None and self._context.awaiting_output:
            self._arm(self._last_activity)
        inbox = self._inbox
        items = inbox.items
        chunk: m.Chunk | None = None
        while not items:
            conn = self._conn
            if conn.direct is inbox and conn.reader is None and conn.reading is None:
                chunk = await self._read_directly()
                if chunk is not None:  # ours, read by us, never queued
                    break
            else:
                await inbox.wait()
        self._last_activity = self._clock()
        if chunk is None:
            item = items.popleft()
            if not isinstance(item, m.Chunk):
                if isinstance(item, CartesiaError):
                    if isinstance(item, Timeout):
                        await self._abandon()
                    self._finish()
                    raise item
                if isinstance(item, m.Done):
                    self._finish()
                return item
            self._conn.taken(inbox, len(item.data))
            chunk = item
        if self.first_audio_at is None:
            self.first_audio_at = time.perf_counter()
            # The limit drops from the first chunk's to inactivity's: a timer left
            # at the first chunk's deadline would report a stall seconds late.
            self._disarm()
        return _audio(self.context_id, self._decoder.feed(chunk.data), chunk.data,
                      chunk.flush_id)

    async def _read_directly(self) -> m.Chunk | None:
        """Read one frame for the connection: this context is the only one open.

        Returns a chunk of this context at once; anything else is routed.
        """
        conn = self._conn
        task = asyncio.current_task()
        assert task is not None
        conn.reading, self._recv_task = self, task
        try:
            frame = await conn.ws.recv()
        except asyncio.CancelledError:
            if not self._interrupted or task.uncancel() > 0:
                raise  # the caller's own cancellation
            return None  # a timeout, or another context opened: look again
        except Exception as exc:
            # Imported here, not per frame: websockets loads after the window's paint
            # (see the imports), and an import statement costs every frame it runs on.
            from websockets.exceptions import ConnectionClosed

            if isinstance(exc, ConnectionClosed):
                conn.closed(exc)
            else:  # what the reader task would report, reported here
                conn.fail(ConnectionLost(f"{type(exc).__name__}: {exc}"))
            return None
        finally:
            conn.reading, self._recv_task = None, None
            if self._interrupted:
                self._interrupted = False
            conn.hand_on()
        return conn.received(frame, self._inbox)

    def _interrupt(self) -> None:
        """Stop this generation's ``recv`` (safe: the frame stays for the next reader)."""
        task = self._recv_task
        if task is not None and not self._interrupted:
            self._interrupted = True
            task.cancel()

    # One timer per generation, moved forward lazily: re-arming a timer for every
    # chunk (asyncio.timeout around each get) cost a tenth of the client's CPU.
    def _limit(self) -> tuple[str, float]:
        timeouts = self.client.config.timeouts
        if self.first_audio_at is None:
            return "first audio", timeouts.first_chunk
        return "audio or message", timeouts.inactivity

    def _arm(self, since: float) -> None:
        loop = asyncio.get_running_loop()
        # A weak reference: a pending timer must not keep an abandoned generation alive.
        self._watchdog = loop.call_at(since + self._limit()[1], _check_deadline,
                                      weakref.ref(self))

    def _check_deadline(self) -> None:
        self._watchdog = None
        if self._finished or not self._context.awaiting_output:
            return
        what, seconds = self._limit()
        if asyncio.get_running_loop().time() < self._last_activity + seconds:
            self._arm(self._last_activity)  # there was activity since: look again later
            return
        self._inbox.put_nowait(Timeout(what, seconds))
        self._interrupt()

    def _disarm(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _finish(self) -> None:
        self._finished = True
        self._release.detach()
        self._disarm()

    async def _abandon(self) -> None:
        """Stop the context on the server, quietly if the socket is gone."""
        from websockets.exceptions import ConnectionClosed

        self._finish()
        self._conn.drop(self.context_id)
        frame = self._conn.protocol.cancel(self.context_id)
        if frame is None:
            return  # it had closed already (done, error, lost connection)
        with contextlib.suppress(ConnectionClosed):
            await self._conn.ws.send(frame)

    async def _send(self, frame: str) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            await self._conn.ws.send(frame)
        except ConnectionClosed:
            raise ConnectionLost("the connection closed while sending text") from None
        self._last_activity = self._clock()
        if self._watchdog is None and not self._finished:
            self._arm(self._last_activity)

    async def push(self, transcript: str) -> None:
        """Send more text; more will follow (``continue: true``).

        Transcripts concatenate verbatim, so end parts with a space where words
        meet, and never split a markup tag across two parts.
        """
        check_text(transcript)
        await self._send(self._conn.protocol.push(self.context_id, transcript))

    async def flush(self) -> int:
        """Force out what the server buffered; returns the id its ``flush_done`` will carry."""
        flush_id, frame = self._conn.protocol.flush(self.context_id)
        await self._send(frame)
        return flush_id

    async def end(self, transcript: str = "") -> None:
        """Send the last input (``continue: false``): the server finishes with ``done``."""
        check_text(transcript)
        await self._send(self._conn.protocol.end(self.context_id, transcript))

    async def cancel(self) -> None:
        """Stop the context; nothing more comes, and iterating raises :class:`Cancelled`."""
        if self._finished:
            return
        self._cancelled = True
        await self._abandon()


def _check_deadline(generation: weakref.ref[Generation]) -> None:
    alive = generation()
    if alive is not None:
        alive._check_deadline()


async def _close_reading(ws: ClientConnection, *, can_read: bool) -> None:
    """The closing handshake, reading and dropping what still comes before the answer.

    The server's close frame comes after every chunk it sent before it saw ours: left
    unread, they stop websockets reading and the handshake waits its whole
    ``close_timeout`` (a client closed in the middle of a take, from a fast server).
    """
    from websockets.exceptions import ConcurrencyError, ConnectionClosed

    closing = asyncio.get_running_loop().create_task(ws.close())
    if can_read:
        with contextlib.suppress(ConnectionClosed, ConcurrencyError):
            while not closing.done():
                await ws.recv()
    with contextlib.suppress(TimeoutError, ConnectionClosed, OSError):
        await asyncio.wait_for(closing, CLOSE_TIMEOUT)


async def _route(conn: _Connection) -> None:
    """The reader task: read frames and route them while no single consumer reads."""
    from websockets.exceptions import ConnectionClosed

    ws = conn.ws
    protocol = conn.protocol
    deliver = conn.deliver
    room = conn.room
    try:
        while conn.direct is None:
            frame = await ws.recv()
            deliver(protocol.receive(frame))
            if protocol.failure is not None:
                conn.abort()
                return
            if conn.buffered > conn.buffer_limit:
                room.clear()
                await room.wait()  # consumers are behind: let TCP slow the server
    except ConnectionClosed as exc:
        conn.closed(exc)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if not conn.handing_over or (task is not None and task.uncancel() > 0):
            conn.fail(ConnectionLost("the client was closed"))
            raise
    except Exception as exc:  # never let the reader die silently
        conn.fail(ConnectionLost(f"{type(exc).__name__}: {exc}"))
