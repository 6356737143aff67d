"""Sans-I/O bookkeeping of the contexts on one TTS WebSocket, for both ends of it.

Modelled on the ``websockets`` library's ``protocol.py``: no I/O, no asyncio, no
clock. An asyncio shell owns the socket, feeds every frame it receives to a
protocol object and sends the frames the protocol gives back:

- :class:`ClientProtocol`, driven by :class:`app.cartesia.client.TTSClient`, builds
  what a client sends for a context (open, push, flush, end, cancel) and routes
  every server frame to an event of one context or to the failure of the whole
  connection;
- :class:`ServerProtocol`, driven by :class:`app.engine.server.EngineServer`, turns
  client frames into events and encodes the server's answers, opening and closing
  contexts on the way.

One protocol object lives as long as one connection. Frames are decoded and
encoded by :mod:`app.cartesia.messages`.

Client events, returned by :meth:`ClientProtocol.receive` and
:meth:`ClientProtocol.connection_lost`::

    m.Chunk, m.WordTimestamps, m.PhonemeTimestamps, m.FlushDone
                        output of an open context
    m.Done              the context ended normally (it is closed)
    ContextFailed       the context ended with an error (it is closed)
    ConnectionFailed    nothing more can come on this connection; a ContextFailed
                        for every context that was open comes before it

Server events, returned by :meth:`ServerProtocol.receive`::

    NewContext          a generation request for a context id that is not open
    MoreInput           a further input for an open context
    CancelContext       the client cancelled an open context (it is closed)
    InvalidFrame        a frame the server rejects; send :meth:`ServerProtocol.error`
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from app.cartesia import messages as m
from app.cartesia.errors import CartesiaError, ProtocolError, error_for_status


def new_context_id() -> str:
    return str(uuid.uuid4())


def error_from_message(msg: m.ErrorMessage) -> CartesiaError:
    """The exception for an in-band error message, with every fact it carried."""
    return error_for_status(msg.status_code, msg.message, code=msg.error_code,
                            title=msg.title, request_id=msg.request_id,
                            context_id=msg.context_id, doc_url=msg.doc_url)


# --- client side ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContextFailed:
    """A context ended with an error: its own in-band error, or the connection's failure."""

    context_id: str
    error: CartesiaError


@dataclass(frozen=True, slots=True)
class ConnectionFailed:
    """The connection can carry nothing more: close it and open a new one."""

    error: CartesiaError


ContextEvent = m.Chunk | m.WordTimestamps | m.PhonemeTimestamps | m.FlushDone | m.Done
ClientEvent = ContextEvent | ContextFailed | ConnectionFailed


@dataclass(eq=False, slots=True)
class ClientContext:
    """What the client knows of one context it opened."""

    context_id: str
    #: The first input; later inputs repeat every field but transcript, continue and flush.
    request: m.GenerationRequest
    open: bool = True
    #: Output is owed: an input went out and its output has not all come back. The
    #: client's timeout watchdog runs only while this is true.
    awaiting_output: bool = False
    #: The last input has gone out (``continue: false``); only ``done`` can follow.
    ended: bool = False
    flushes_sent: int = 0
    #: The highest ``flush_id`` a ``flush_done`` carried.
    flushes_done: int = 0
    #: An input went out after the latest flush, so its flush_done does not settle it.
    owed_beyond_flush: bool = False


class ClientProtocol:
    """The client's end of one connection: its open contexts and their state.

    The methods that make frames raise :class:`CartesiaError` when the context is
    not open, and the connection's failure once it failed.
    """

    def __init__(self) -> None:
        self._contexts: dict[str, ClientContext] = {}
        self.failure: CartesiaError | None = None
        #: Frames for a context that is not open (cancelled, ended, never opened).
        self.dropped = 0
        #: Frames of a type this client does not know (newer API versions add some).
        self.skipped = 0

    @property
    def alive(self) -> bool:
        return self.failure is None

    def context(self, context_id: str) -> ClientContext | None:
        """The open context with this id, or ``None``."""
        return self._contexts.get(context_id)

    @property
    def open_contexts(self) -> list[ClientContext]:
        return list(self._contexts.values())

    # --- what the client sends -------------------------------------------------

    def open(self, request: m.GenerationRequest) -> tuple[ClientContext, str]:
        """Open a context with its first input; an empty ``context_id`` gets a fresh one."""
        if self.failure is not None:
            raise self.failure
        if not request.context_id:
            request = replace(request, context_id=new_context_id())
        if request.context_id in self._contexts:
            raise CartesiaError(f"context {request.context_id} is already open")
        ctx = ClientContext(request.context_id, request)
        self._contexts[ctx.context_id] = ctx
        return ctx, self._input(ctx, request)

    def push(self, context_id: str, transcript: str) -> str:
        """More text for the context; more will follow (``continue: true``)."""
        ctx = self._sendable(context_id)
        return self._input(ctx, replace(ctx.request, transcript=transcript, continue_=True,
                                        flush=False))

    def flush(self, context_id: str) -> tuple[int, str]:
        """The flush id its ``flush_done`` will carry, and the frame that asks for it."""
        ctx = self._sendable(context_id)
        frame = self._input(ctx, replace(ctx.request, transcript="", continue_=True,
                                         flush=True))
        return ctx.flushes_sent, frame

    def end(self, context_id: str, transcript: str = "") -> str:
        """The last input (``continue: false``): the server finishes with ``done``."""
        ctx = self._sendable(context_id)
        return self._input(ctx, replace(ctx.request, transcript=transcript, continue_=False,
                                        flush=False))

    def cancel(self, context_id: str) -> str | None:
        """The cancel frame, or ``None`` when the context is not open (nothing to stop).

        The context closes at once: whatever the server still sends for it is dropped.
        """
        ctx = self._contexts.pop(context_id, None)
        if ctx is None:
            return None
        self._close(ctx)
        return m.encode(m.CancelRequest(context_id))

    def _sendable(self, context_id: str) -> ClientContext:
        if self.failure is not None:
            raise self.failure
        ctx = self._contexts.get(context_id)
        if ctx is None:
            raise CartesiaError(f"generation {context_id} has already ended")
        if ctx.ended:
            raise CartesiaError(f"generation {context_id} has already sent its last input")
        return ctx

    @staticmethod
    def _input(ctx: ClientContext, request: m.GenerationRequest) -> str:
        ctx.awaiting_output = True
        if request.flush:
            ctx.flushes_sent += 1
        # A flush settles what went before it; a last input still owes `done`.
        ctx.owed_beyond_flush = not request.flush or not request.continue_
        if not request.continue_:
            ctx.ended = True
        return m.encode(request)

    # --- what the server sends ---------------------------------------------------

    def receive(self, frame: str | bytes) -> list[ClientEvent]:
        """Decode one server frame and route it; a frame we cannot read fails the connection."""
        if self.failure is not None:
            self.dropped += 1
            return []
        try:
            msg = m.decode_server_message(frame)
        except ProtocolError as exc:
            return self.connection_lost(exc)
        if msg is None:
            self.skipped += 1
            return []
        ctx = self._contexts.get(msg.context_id) if msg.context_id else None
        if ctx is None:
            if isinstance(msg, m.ErrorMessage) and not msg.context_id:
                # An error for no context is about the connection itself.
                return self.connection_lost(error_from_message(msg))
            self.dropped += 1
            return []
        if type(msg) is m.Chunk:  # most frames: the fewest checks first
            return [msg]
        # An error is tested before `done`: it says done=true too, but never ends well.
        if isinstance(msg, m.ErrorMessage):
            del self._contexts[ctx.context_id]
            self._close(ctx)
            return [ContextFailed(ctx.context_id, error_from_message(msg))]
        if isinstance(msg, m.Done):
            del self._contexts[ctx.context_id]
            self._close(ctx)
        elif isinstance(msg, m.FlushDone):
            ctx.flushes_done = max(ctx.flushes_done, msg.flush_id)
            if msg.flush_id >= ctx.flushes_sent and not ctx.owed_beyond_flush:
                ctx.awaiting_output = False
        return [msg]

    def connection_lost(self, error: CartesiaError) -> list[ClientEvent]:
        """Fail the connection and every open context with ``error`` (once; later calls: [])."""
        if self.failure is not None:
            return []
        self.failure = error
        events: list[ClientEvent] = []
        for ctx in self._contexts.values():
            self._close(ctx)
            events.append(ContextFailed(ctx.context_id, error))
        self._contexts.clear()
        events.append(ConnectionFailed(error))
        return events

    @staticmethod
    def _close(ctx: ClientContext) -> None:
        ctx.open = False
        ctx.awaiting_output = False


# --- server side ---------------------------------------------------------------


@dataclass(eq=False)
class ServerContext:
    """One context as the server sees it. Compared by identity: a context id used
    again after this one closed makes a new object, so work keyed to this one
    never touches its successor."""

    context_id: str
    #: The first input; it fixes voice, model, format and timestamps for the context.
    request: m.GenerationRequest
    open: bool = True
    #: ``flush_done`` messages sent so far; chunks after the n-th carry ``flush_id`` n.
    flush_id: int = 0


@dataclass(frozen=True, slots=True)
class NewContext:
    """A request for a context id that is not open: accept it or answer with an error."""

    request: m.GenerationRequest


@dataclass(frozen=True, slots=True)
class MoreInput:
    """A further input (transcript, continue, flush) for an open context."""

    context: ServerContext
    request: m.GenerationRequest


@dataclass(frozen=True, slots=True)
class CancelContext:
    """The client cancelled this context; it is closed already: stop its work."""

    context: ServerContext


@dataclass(frozen=True, slots=True)
class InvalidFrame:
    """A frame the server rejects: answer ``error`` with :meth:`ServerProtocol.error`.

    ``context`` is the open context the frame named, if any: the error ends it, as
    every error does, so stop its work too.
    """

    error: m.ErrorMessage
    context: ServerContext | None = None


ServerEvent = NewContext | MoreInput | CancelContext | InvalidFrame


class ServerProtocol:
    """The server's end of one connection: its open contexts and their flush ids."""

    def __init__(self, api_version: str = m.DEFAULT_API_VERSION) -> None:
        #: Decides the error shape: structured from 2026-03-01 on, ``{"error": ...}`` before.
        self.api_version = api_version
        self._contexts: dict[str, ServerContext] = {}
        #: Cancels for a context that is not open (it ended, or never existed).
        self.dropped = 0

    def context(self, context_id: str) -> ServerContext | None:
        return self._contexts.get(context_id)

    @property
    def open_contexts(self) -> list[ServerContext]:
        return list(self._contexts.values())

    def receive(self, frame: str | bytes) -> list[ServerEvent]:
        try:
            req = m.decode_client_message(frame)
        except m.InvalidRequest as exc:
            error = m.ErrorMessage(exc.context_id, exc.status, exc.message, exc.code,
                                   exc.title, request_id=uuid.uuid4().hex)
            named = self._contexts.get(exc.context_id) if exc.context_id else None
            return [InvalidFrame(error, named)]
        if isinstance(req, m.CancelRequest):
            ctx = self._contexts.pop(req.context_id, None)
            if ctx is None:
                self.dropped += 1
                return []
            ctx.open = False
            return [CancelContext(ctx)]
        ctx = self._contexts.get(req.context_id)
        if ctx is None:
            return [NewContext(req)]
        return [MoreInput(ctx, req)]

    def accept(self, request: m.GenerationRequest) -> ServerContext:
        """Open the context a :class:`NewContext` asked for."""
        if request.context_id in self._contexts:
            raise CartesiaError(f"context {request.context_id} is already open")
        ctx = ServerContext(request.context_id, request)
        self._contexts[ctx.context_id] = ctx
        return ctx

    # --- what the server sends (``None``: the context closed; send nothing) ------

    def output(self, ctx: ServerContext,
               message: m.Chunk | m.WordTimestamps | m.PhonemeTimestamps) -> str | None:
        if not ctx.open:
            return None
        return m.encode(message)

    def flush_done(self, ctx: ServerContext) -> str | None:
        """Answer a flush: the next flush id, and chunks after it carry that id."""
        if not ctx.open:
            return None
        ctx.flush_id += 1
        return m.encode(m.FlushDone(ctx.context_id, ctx.flush_id))

    def done(self, ctx: ServerContext) -> str | None:
        """The normal end of a context; it closes now, so its id may open a new one."""
        if not self._close(ctx):
            return None
        return m.encode(m.Done(ctx.context_id))

    def error(self, error: m.ErrorMessage, ctx: ServerContext | None = None) -> str | None:
        """An in-band error in this connection's API version; it closes ``ctx``."""
        if ctx is not None and not self._close(ctx):
            return None
        return m.encode_error(error, self.api_version)

    def close(self, ctx: ServerContext) -> None:
        """Forget a context whose work ended without a last message (the socket is gone)."""
        self._close(ctx)

    def _close(self, ctx: ServerContext) -> bool:
        if not ctx.open:
            return False
        ctx.open = False
        del self._contexts[ctx.context_id]
        return True
