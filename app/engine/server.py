"""A Cartesia-compatible server on loopback: WebSocket TTS, REST voices, /tts/bytes,
pronunciation dictionaries.

It speaks the same protocol as ``api.cartesia.ai`` over the synthesizers it is
given, so our client, the official SDK and the LiveKit plugin can all use it
unchanged. It serves the app's offline mode, ``voicebooth serve`` and the tests.
The bookkeeping of contexts on a socket is
:class:`app.cartesia.protocol.ServerProtocol`'s; this module owns the sockets,
the synthesis and the pacing.

Every request passes three guards before anything else, in this order:

- ``Host``: bound to a loopback address, the server answers only to loopback names
  with its own port (``127.0.0.1:PORT``, ``localhost:PORT``, ``[::1]:PORT``). A web
  page can make a browser send requests to any name it controls and then point that
  name at 127.0.0.1 (DNS rebinding); the Host header still carries its name.
- ``Origin``: browsers send it with every cross-site request; other clients never do.
  Any origin (``null`` included) is refused unless it is allowed
  (:attr:`ServerConfig.allowed_origins`, ``serve --allow-origin``).
- the key (:attr:`ServerConfig.api_key`), when one is set: the app's engine always
  has one, made afresh at each launch (:mod:`app.engine.local`).

Work follows the listener: synthesis runs on :mod:`app.engine.scheduler`, fairly
between contexts and connections, and a context's synthesis stops as soon as it is
cancelled, errs, or its socket (or REST client) goes away. Every task the server
starts ends with :meth:`EngineServer.stop`.

A few methods are hook points that do nothing here (:meth:`EngineServer.before_upgrade`,
:meth:`~EngineServer.before_rest`, :meth:`~EngineServer.admit`,
:meth:`~EngineServer.before_chunk`): the tests' fault injector is a subclass that
implements them, and :class:`ThreadedServer` can run such a subclass.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import io
import ipaddress
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncGenerator, Coroutine, Hashable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
import soundfile
from aiohttp import WSMsgType, hdrs, web

from app.atomic import WriteError
from app.audio.codecs import Float32Array, bytes_per_sample
from app.audio.codecs import decode as decode_pcm
from app.audio.codecs import encode as encode_pcm
from app.audio.wav import encode_wav
from app.cartesia import messages as m
from app.cartesia.dictionaries_types import PronunciationDict, parse_items, parse_name
from app.cartesia.errors import ConfigError
from app.cartesia.models import catalog
from app.cartesia.protocol import (
    CancelContext,
    InvalidFrame,
    MoreInput,
    NewContext,
    ServerContext,
    ServerProtocol,
)
from app.cartesia.voices_types import Voice
from app.engine.catalog import sample_sentence, with_extra_voices
from app.engine.dictionaries import DictionaryStore
from app.engine.scheduler import Scheduler
from app.engine.synth.base import (
    AudioOut,
    PhonemesOut,
    Synthesizer,
    SynthRequest,
    WordsOut,
)

log = logging.getLogger(__name__)

#: Transcript characters one context may send in all its inputs (and one REST request).
MAX_TRANSCRIPT_CHARS: Final = 100_000
#: ``max_buffer_delay_ms`` when a request gives none (the current API's default).
DEFAULT_BUFFER_DELAY_MS: Final = 3000
#: Cartesia's ``concurrency_limited`` error, word for word (docs: api-errors).
CONCURRENCY_LIMITED_TITLE: Final = "Too many concurrent requests"
CONCURRENCY_LIMITED_MESSAGE: Final = "You have exceeded your plan's concurrency limit."
#: The names a loopback server answers to (with its port).
LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "[::1]")
#: Sample rate of the preview MP3s (one MPEG-2 layer III rate), and how many are kept.
PREVIEW_RATE: Final = 24000
PREVIEWS_KEPT: Final = 200


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, as given to bind) is this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class ServerConfig:
    #: When set, every request must carry this key (header or query); else HTTP 401.
    api_key: str | None = None
    #: Longest audio per chunk message, in milliseconds.
    chunk_ms: int = 40
    #: 0 sends audio as fast as it is made; 1.0 paces it at real time (2.0 twice as fast).
    pace: float = 0.0
    #: Extra delay before the first chunk of every context, in seconds.
    first_chunk_delay: float = 0.0
    #: Close an idle connection (no context open, no message) after this many seconds.
    idle_timeout: float = 300.0
    default_page_size: int = 10
    #: Browser origins (``https://app.example``) allowed to use the server; any other
    #: request with an ``Origin`` header is refused with 403.
    allowed_origins: tuple[str, ...] = ()
    #: Transcript characters one context may send in all (and one REST request).
    max_transcript_chars: int = MAX_TRANSCRIPT_CHARS
    #: Contexts open at once on all sockets (they share the one key, as a plan's limit
    #: counts a whole account); a context beyond it is refused with Cartesia's
    #: ``concurrency_limited``. ``None``: no limit (the app's own engine).
    max_contexts: int | None = None
    #: Voices added to the offline ones (:mod:`app.engine.catalog`), to serve a
    #: library of Cartesia's size.
    extra_voices: int = 0
    #: Where pronunciation dictionaries are kept (``None``: in memory only).
    data_dir: Path | None = None


class Connection:
    """One WebSocket: its protocol state, the work of its contexts, what it sent."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, version: str) -> None:
        self.ws = ws
        self.request = request
        self.version = version
        self.protocol = ServerProtocol(version)
        #: Running work, keyed by the protocol's context object, never by its id: a
        #: context id reused after cancel or done is a new context with work of its own.
        self.jobs: dict[ServerContext, _Job] = {}
        self.chunks_sent = 0
        self.send_lock = asyncio.Lock()
        self.last_activity = time.monotonic()
        self.dead = False


class _Job:
    """The work of one context: its inputs, its synthesizer and the task speaking them."""

    def __init__(self, context: ServerContext, synth: Synthesizer) -> None:
        self.context = context
        self.synth = synth
        self.inputs: asyncio.Queue[m.GenerationRequest] = asyncio.Queue()
        #: Transcript characters received so far, against the per-context limit.
        self.chars = 0
        self.samples_sent = 0
        self.task: asyncio.Task[None] | None = None


class EngineServer:
    """The server; ``await start()`` binds and returns the base URL."""

    def __init__(self, synthesizers: Sequence[Synthesizer],
                 config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self.synthesizers = with_extra_voices(synthesizers, self.config.extra_voices)
        self._voices: dict[str, tuple[Voice, Synthesizer]] = {}
        for synth in self.synthesizers:
            for voice in synth.voices():
                self._voices[voice.id] = (voice, synth)
        #: Where each voice is in the listing: a cursor is found without a scan.
        self._position = {voice_id: n for n, voice_id in enumerate(self._voices)}
        #: Preview MP3s rendered so far (the newest last), and those being rendered.
        self._previews: OrderedDict[str, bytes] = OrderedDict()
        self._preview_locks: dict[str, asyncio.Lock] = {}
        #: Pronunciation dictionaries; changes are written one at a time, in order.
        self.dictionaries = DictionaryStore(self.config.data_dir)
        self._dictionaries_lock = asyncio.Lock()
        # One step per synthesizer at a time, and threads to close streams beside them.
        self._scheduler = Scheduler(workers=len(self.synthesizers) + 2)
        self._runner: web.AppRunner | None = None
        self._connections: set[Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        #: REST handlers synthesizing now (aiohttp's tasks): stop() cancels them, where
        #: aiohttp would wait for them to finish.
        self._rest: set[asyncio.Task[Any]] = set()
        self._origins = frozenset(_origin_key(o) for o in self.config.allowed_origins)
        #: Host headers accepted; ``None`` when bound beyond loopback (the key guards).
        self._hosts: frozenset[str] | None = None
        #: The most contexts that were open at once (the tests check the limit held).
        self.peak_contexts = 0
        self.url = ""

    def voices(self) -> list[Voice]:
        return [voice for voice, _ in self._voices.values()]

    # --- lifecycle ---------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(middlewares=[self._guard_middleware, self._auth_middleware])
        app.router.add_get("/tts/websocket", self._websocket)
        app.router.add_get("/voices", self._list_voices)
        app.router.add_get("/voices/", self._list_voices)
        app.router.add_get("/voices/{voice_id}", self._get_voice)
        app.router.add_get("/voices/{voice_id}/preview.mp3", self._preview)
        app.router.add_post("/tts/bytes", self._tts_bytes)
        app.router.add_post("/tts/sse", self._tts_sse)
        for path in ("/pronunciation-dicts", "/pronunciation-dicts/"):
            app.router.add_get(path, self._list_dicts)
            app.router.add_post(path, self._create_dict)
        app.router.add_get("/pronunciation-dicts/{dict_id}", self._get_dict)
        app.router.add_patch("/pronunciation-dicts/{dict_id}", self._update_dict)
        app.router.add_delete("/pronunciation-dicts/{dict_id}", self._delete_dict)
        await asyncio.get_running_loop().run_in_executor(None, self.dictionaries.load)
        app.on_response_prepare.append(self._cors_headers)
        # handler_cancellation: a REST client that hangs up cancels its synthesis.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     handler_cancellation=True, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None and isinstance(server, asyncio.base_events.Server)
        bound = server.sockets[0].getsockname()
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        self.url = f"http://{shown}:{bound[1]}"
        if all(is_loopback(sock.getsockname()[0]) for sock in server.sockets):
            port_bound = int(bound[1])
            names = {f"{name}:{port_bound}" for name in LOOPBACK_NAMES}
            if port_bound == 80:  # a client may leave the default port out
                names.update(LOOPBACK_NAMES)
            self._hosts = frozenset(names)
        return self.url

    async def stop(self) -> None:
        """Close every socket (code 1001), end every task and every synthesis."""
        for conn in list(self._connections):
            for job in list(conn.jobs.values()):
                if job.task:
                    job.task.cancel()
        await asyncio.gather(*(self._close(conn) for conn in list(self._connections)))
        for handler in list(self._rest):
            handler.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._scheduler.stop()

    @staticmethod
    async def _close(conn: Connection) -> None:
        with contextlib.suppress(Exception):
            await conn.ws.close(code=1001, message=b"server shutting down")

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A task the server owns: :meth:`stop` cancels it and waits for it."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @contextlib.contextmanager
    def _rest_work(self) -> Iterator[None]:
        """Mark the current REST handler as synthesizing (see :attr:`_rest`)."""
        task = asyncio.current_task()
        if task is not None:
            self._rest.add(task)
        try:
            yield
        finally:
            self._rest.discard(task)

    def stats(self) -> dict[str, int]:
        """What is running now (for tests and the soak): sockets, contexts with work,
        tasks, open syntheses, steps on worker threads."""
        return {"connections": len(self._connections),
                "contexts": sum(len(c.jobs) for c in self._connections),
                "tasks": len(self._tasks), "syntheses": self._scheduler.streams,
                "steps": self._scheduler.running}

    # --- HTTP conventions --------------------------------------------------

    @staticmethod
    def _version(request: web.Request) -> str:
        # The query parameter wins over the header, as on the real API.
        return (request.query.get("cartesia_version")
                or request.headers.get("Cartesia-Version")
                or m.DEFAULT_API_VERSION)

    def _key_ok(self, request: web.Request) -> bool:
        expected = self.config.api_key
        if expected is None:
            return True
        auth = request.headers.get("Authorization", "")
        candidates = [
            auth[7:] if auth.lower().startswith("bearer ") else None,
            request.headers.get("X-API-Key"),
            request.query.get("api_key"),
            request.query.get("access_token"),
        ]
        return any(c is not None and hmac.compare_digest(c, expected) for c in candidates)

    def error_response(self, request: web.Request, status: int, code: str, title: str,
                       message: str, headers: dict[str, str] | None = None) -> web.Response:
        """An HTTP error in the shape of the request's API version."""
        version = self._version(request)
        body: dict[str, Any]
        if version >= m.STRUCTURED_ERRORS_SINCE:
            body = {"error_code": code, "title": title, "message": message,
                    "request_id": uuid.uuid4().hex}
        else:
            body = {"error": f"{title}: {message}"}
        return web.json_response(body, status=status, headers=headers)

    @web.middleware
    async def _guard_middleware(self, request: web.Request, handler: Any
                                ) -> web.StreamResponse:
        host = request.headers.get(hdrs.HOST)
        if self._hosts is not None and (host is None or host.lower() not in self._hosts):
            return self.error_response(
                request, 403, "host_not_allowed", "Forbidden host",
                f"Host {host!r} is not this server's address: use {self.url} (a name "
                "that merely resolves to this machine is refused, as DNS rebinding "
                "would use one)")
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None:
            response: web.StreamResponse = await handler(request)
            return response
        if _origin_key(origin) not in self._origins:
            return self.error_response(
                request, 403, "origin_not_allowed", "Forbidden origin",
                f"requests from web pages are refused (Origin {origin!r}); to allow this "
                f"one, start the engine with --allow-origin {origin}")
        if request.method == "OPTIONS" and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers:
            # A browser's preflight carries no key; it only asks what may be sent.
            response = web.Response(status=204, headers={
                hdrs.ACCESS_CONTROL_ALLOW_METHODS: "GET, POST, PATCH, DELETE",
                hdrs.ACCESS_CONTROL_ALLOW_HEADERS:
                    "Authorization, Content-Type, Cartesia-Version, X-API-Key",
                hdrs.ACCESS_CONTROL_MAX_AGE: "600"})
        else:
            response = await handler(request)
        return response

    async def _cors_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        """An allowed origin may read the answer (added as headers go out, so streamed
        answers have them too)."""
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is not None and _origin_key(origin) in self._origins:
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
            response.headers[hdrs.VARY] = hdrs.ORIGIN

    @web.middleware
    async def _auth_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not self._key_ok(request):
            return self.error_response(request, 401, "unauthorized", "Unauthorized",
                                       "Invalid or missing API key.")
        if request.path != "/tts/websocket" and (
                instead := await self.before_rest(request)) is not None:
            return instead
        response: web.StreamResponse = await handler(request)
        return response

    # --- hook points: nothing happens here; a subclass (the tests' faults) acts --

    async def before_upgrade(self, request: web.Request) -> web.StreamResponse | None:
        """Before a WebSocket upgrade (the key was accepted): a response returned is sent
        instead of the upgrade."""
        return None

    async def before_rest(self, request: web.Request) -> web.StreamResponse | None:
        """Before a REST request is answered (the key was accepted): a response returned
        is sent instead of the answer."""
        return None

    def admit(self, conn: Connection, request: m.GenerationRequest) -> m.InvalidRequest | None:
        """When a valid request would open a context: a problem returned is sent as its
        in-band error, and the context is not opened."""
        return None

    async def before_chunk(self, conn: Connection, context: ServerContext,
                           chunk: m.Chunk) -> bool:
        """Before each chunk is sent: ``False`` sends nothing more for the context and
        ends its work quietly (the hook has ended it: closed the socket, sent an error)."""
        return True

    # --- REST --------------------------------------------------------------

    async def _list_voices(self, request: web.Request) -> web.Response:
        query = request.query
        voices = self.voices()
        positions = self._position
        q = query.get("q", "").strip().lower()
        if q:
            voices = [v for v in voices
                      if q in v.name.lower() or q in v.description.lower() or q in v.id]
        if gender := query.get("gender"):
            voices = [v for v in voices if v.gender == gender]
        if "is_owner" in query:
            want = query["is_owner"].lower() == "true"
            voices = [v for v in voices if v.is_owner == want]
        if len(voices) != len(self._voices):
            positions = {v.id: n for n, v in enumerate(voices)}
        with_preview = "preview_file_url" in query.getall("expand[]", [])
        if self._version(request) < "2024-11-13":
            return web.json_response([self._voice_json(request, v, with_preview)
                                      for v in voices])
        limit = self._page_limit(request)
        if isinstance(limit, web.Response):
            return limit
        start, stop = 0, len(voices)
        if after := query.get("starting_after"):
            if after not in positions:
                return self.error_response(request, 400, "invalid_request", "Invalid cursor",
                                           f"starting_after {after!r} is not a voice id")
            start = positions[after] + 1
            stop = min(len(voices), start + limit)
        elif before := query.get("ending_before"):
            if before not in positions:
                return self.error_response(request, 400, "invalid_request", "Invalid cursor",
                                           f"ending_before {before!r} is not a voice id")
            stop = positions[before]
            start = max(0, stop - limit)
        else:
            stop = min(len(voices), limit)
        page = voices[start:stop]
        has_more = stop < len(voices)
        return web.json_response({
            "data": [self._voice_json(request, v, with_preview) for v in page],
            "has_more": has_more,
            "next_page": page[-1].id if has_more and page else None,
        })

    async def _get_voice(self, request: web.Request) -> web.Response:
        voice_id = request.match_info["voice_id"]
        found = self._voices.get(voice_id)
        if found is None:
            return self._no_voice(request, voice_id)
        with_preview = "preview_file_url" in request.query.getall("expand[]", [])
        return web.json_response(self._voice_json(request, found[0], with_preview))

    def _no_voice(self, request: web.Request, voice_id: str) -> web.Response:
        return self.error_response(request, 404, "voice_not_found", "Voice not found",
                                   f"No voice with id {voice_id!r}.")

    @staticmethod
    def _voice_json(request: web.Request, voice: Voice, with_preview: bool) -> dict[str, Any]:
        if with_preview and voice.preview_file_url is None:
            # Our own rendering, at the address the client used (its Host passed the
            # guard): the same origin as the API, so the client sends its key with it.
            voice = replace(voice, preview_file_url=(
                f"{request.scheme}://{request.host}/voices/{voice.id}/preview.mp3"))
        return voice.to_json(with_preview=with_preview)

    async def _preview(self, request: web.Request) -> web.Response:
        """The voice's preview clip: MP3, as Cartesia's are, rendered once per voice."""
        voice_id = request.match_info["voice_id"]
        if voice_id not in self._voices:
            return self._no_voice(request, voice_id)
        with self._rest_work():
            # One rendering per voice: a second request waits for the first one's.
            async with self._preview_locks.setdefault(voice_id, asyncio.Lock()):
                data = self._previews.get(voice_id)
                if data is None:
                    data = await self._render_preview(voice_id)
                    self._previews[voice_id] = data
                    while len(self._previews) > PREVIEWS_KEPT:
                        self._previews.popitem(last=False)
                self._previews.move_to_end(voice_id)
        return web.Response(body=data, content_type="audio/mpeg")

    async def _render_preview(self, voice_id: str) -> bytes:
        voice, synth = self._voices[voice_id]
        request = SynthRequest(text=sample_sentence(voice.language), voice_id=voice_id,
                               sample_rate=PREVIEW_RATE, language=voice.language)
        stream = self._scheduler.open(synth, request, object())
        parts: list[Float32Array] = []
        try:
            while (event := await stream.next()) is not None:
                if isinstance(event, AudioOut):
                    parts.append(event.samples)
        finally:
            await stream.aclose()
        audio = np.concatenate(parts) if parts else np.zeros(PREVIEW_RATE // 10, np.float32)
        return await asyncio.get_running_loop().run_in_executor(None, _encode_mp3, audio,
                                                                PREVIEW_RATE)

    # --- pronunciation dictionaries ------------------------------------------

    @staticmethod
    def _no_dict_problem(dict_id: str, context_id: str | None = None) -> m.InvalidRequest:
        return m.InvalidRequest(f"No pronunciation dictionary with id {dict_id!r}.",
                                context_id=context_id, status=404,
                                code="pronunciation_dict_not_found",
                                title="Pronunciation dictionary not found")

    def _problem_response(self, request: web.Request, problem: m.InvalidRequest
                          ) -> web.Response:
        return self.error_response(request, problem.status, problem.code, problem.title,
                                   problem.message)

    def _page_limit(self, request: web.Request) -> int | web.Response:
        """A listing's ``limit`` (Cartesia's 1–100), or the 400 answer to a bad one."""
        try:
            limit = int(request.query.get("limit", self.config.default_page_size))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 100:
            return self.error_response(request, 400, "invalid_request", "Invalid request",
                                       "limit must be an integer between 1 and 100")
        return limit

    async def _list_dicts(self, request: web.Request) -> web.Response:
        query = request.query
        limit = self._page_limit(request)
        if isinstance(limit, web.Response):
            return limit
        try:
            page, more = self.dictionaries.page(limit, query.get("starting_after"),
                                                query.get("ending_before"))
        except m.InvalidRequest as exc:
            return self._problem_response(request, exc)
        return web.json_response({"data": [d.to_json() for d in page], "has_more": more,
                                  "next_page": page[-1].id if more and page else None})

    async def _get_dict(self, request: web.Request) -> web.Response:
        dict_id = request.match_info["dict_id"]
        found = self.dictionaries.get(dict_id)
        if found is None:
            return self._problem_response(request, self._no_dict_problem(dict_id))
        return web.json_response(found.to_json())

    async def _create_dict(self, request: web.Request) -> web.Response:
        try:
            body = m.parse_request(await request.read())
            name = parse_name(body.get("name"), required=True) or ""
            items = parse_items(body.get("items") or [])
        except m.InvalidRequest as exc:
            return self._problem_response(request, exc)
        async with self._dictionaries_lock:
            made, dicts = self.dictionaries.created(name, items)
            failed = await self._write_dicts(request, dicts)
        return failed or web.json_response(made.to_json())

    async def _update_dict(self, request: web.Request) -> web.Response:
        dict_id = request.match_info["dict_id"]
        try:
            body = m.parse_request(await request.read())
            name = parse_name(body.get("name"), required=False)
            items = parse_items(body["items"]) if body.get("items") is not None else None
        except m.InvalidRequest as exc:
            return self._problem_response(request, exc)
        async with self._dictionaries_lock:
            changed = self.dictionaries.updated(dict_id, name, items)
            if changed is None:
                return self._problem_response(request, self._no_dict_problem(dict_id))
            new, dicts = changed
            failed = await self._write_dicts(request, dicts)
        return failed or web.json_response(new.to_json())

    async def _delete_dict(self, request: web.Request) -> web.Response:
        dict_id = request.match_info["dict_id"]
        async with self._dictionaries_lock:
            dicts = self.dictionaries.deleted(dict_id)
            if dicts is None:
                return self._problem_response(request, self._no_dict_problem(dict_id))
            failed = await self._write_dicts(request, dicts)
        return failed or web.Response(status=204)

    async def _write_dicts(self, request: web.Request, dicts: dict[str, PronunciationDict]
                           ) -> web.Response | None:
        """Write the new state, then make it the current one; a failed write changes
        nothing and is answered with a 500 that says why."""
        try:
            # Encoded there too: thousands of items take tens of milliseconds.
            await asyncio.get_running_loop().run_in_executor(None, self.dictionaries.write,
                                                             dicts)
        except WriteError as exc:
            log.error("%s", exc)
            return self.error_response(request, 500, "internal_error", "Internal error",
                                       f"the dictionaries could not be saved: {exc}")
        self.dictionaries.commit(dicts)
        return None

    async def _http_generation(self, request: web.Request, containers: tuple[str, ...]
                               ) -> tuple[m.GenerationRequest, str] | web.Response:
        """The generation a POST body asks for, or the error response to send instead."""
        try:
            body = m.parse_request(await request.read())
            fmt = body.get("output_format")
            fmt = fmt if isinstance(fmt, dict) else {}
            container = fmt.get("container", "raw")
            if container not in containers:
                raise m.InvalidRequest(
                    f"output_format.container {container!r} is not available here; use "
                    f"{' or '.join(containers)}", title="Unsupported format")
            req = m.decode_client_object(dict(
                body, context_id=body.get("context_id") or uuid.uuid4().hex,
                output_format=dict(fmt, container="raw")))
            if not isinstance(req, m.GenerationRequest):
                raise m.InvalidRequest("cancel applies to WebSocket contexts only")
            problem = self._check_request(req)
            if problem is not None:
                raise problem
        except m.InvalidRequest as exc:
            return self.error_response(request, exc.status, exc.code, exc.title, exc.message)
        return req, container

    async def _tts_bytes(self, request: web.Request) -> web.Response:
        parsed = await self._http_generation(request, ("raw", "wav"))
        if isinstance(parsed, web.Response):
            return parsed
        req, container = parsed
        raw = bytearray()
        with self._rest_work():
            async for message in self._render(req, self._voices[req.voice_id][1],
                                              req.transcript, 0, group=object()):
                if isinstance(message, m.Chunk):
                    raw += message.data
        if container == "raw":
            return web.Response(body=bytes(raw), content_type="application/octet-stream")
        encoding = req.output_format.encoding
        audio = decode_pcm(bytes(raw), encoding)
        data = encode_wav(audio, req.output_format.sample_rate,
                          "float32" if encoding == "pcm_f32le" else "pcm16", dither=False)
        return web.Response(body=data, content_type="audio/wav")

    async def _tts_sse(self, request: web.Request) -> web.StreamResponse:
        parsed = await self._http_generation(request, ("raw",))
        if isinstance(parsed, web.Response):
            return parsed
        req, _ = parsed
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-cache"})
        await response.prepare(request)

        async def event(message: m.ServerMessage) -> None:
            obj = message.to_json()
            payload = json.dumps(obj, separators=(",", ":"))
            await response.write(f"event: {obj['type']}\ndata: {payload}\n\n".encode())

        try:
            with self._rest_work():
                async for message in self._render(req, self._voices[req.voice_id][1],
                                                  req.transcript, 0, group=object()):
                    await event(message)
            await event(m.Done(req.context_id))
        except (ConnectionError, asyncio.CancelledError):
            raise  # the client went away: nobody to tell
        except Exception as exc:  # the status line is gone: report in-band, like the API
            log.exception("SSE generation failed")
            await event(m.ErrorMessage(req.context_id, 500, f"synthesis failed: {exc}",
                                       "internal_error", "Internal error",
                                       request_id=uuid.uuid4().hex))
        await response.write_eof()
        return response

    # --- WebSocket ---------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if (instead := await self.before_upgrade(request)) is not None:
            return instead
        # A client that never answers our close frame holds up stop() for 2 s at most.
        ws = web.WebSocketResponse(max_msg_size=4 * 1024 * 1024, autoping=True, timeout=2.0)
        await ws.prepare(request)
        conn = Connection(ws, request, self._version(request))
        self._connections.add(conn)
        idle_task = self._spawn(self._watch_idle(conn))
        try:
            async for msg in ws:
                conn.last_activity = time.monotonic()
                if msg.type == WSMsgType.TEXT:
                    await self._on_frame(conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await self.send_error(conn, m.ErrorMessage(
                        None, 400, "binary frames are not accepted; send JSON text",
                        "invalid_request", "Invalid request", request_id=uuid.uuid4().hex))
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            # The listener is gone: so is the work for it (each job's task closes its
            # synthesis, which stops at once).
            conn.dead = True
            idle_task.cancel()
            for job in list(conn.jobs.values()):
                if job.task:
                    job.task.cancel()
            self._connections.discard(conn)
        return ws

    async def _watch_idle(self, conn: Connection) -> None:
        timeout = self.config.idle_timeout
        while not conn.dead:
            await asyncio.sleep(min(timeout, 1.0))
            idle = time.monotonic() - conn.last_activity
            if not conn.jobs and idle >= timeout:
                await conn.ws.close(code=1000, message=b"connection idle timeout")
                return

    async def _on_frame(self, conn: Connection, frame: str) -> None:
        try:
            await self._on_message(conn, frame)
        except Exception as exc:  # a bug: it ends one context, never the connection
            log.exception("a frame could not be handled")
            try:
                named = m.parse_request(frame).get("context_id")
            except m.InvalidRequest:
                named = None
            context_id = named if isinstance(named, str) else None
            context = conn.protocol.context(context_id) if context_id else None
            if context is not None:
                self._stop_job(conn, context)
            await self.send_error(conn, m.ErrorMessage(
                context_id, 500, f"the server failed to handle this message: {exc}",
                "internal_error", "Internal error", request_id=uuid.uuid4().hex), context)

    async def _on_message(self, conn: Connection, frame: str) -> None:
        for event in conn.protocol.receive(frame):
            if isinstance(event, MoreInput):
                job = conn.jobs.get(event.context)
                if job is None:
                    continue
                job.chars += len(event.request.transcript)
                if (problem := self._too_long(job.chars, event.request)) is not None:
                    self._stop_job(conn, event.context)
                    await self.send_error(conn, _error_of(problem), event.context)
                else:
                    job.inputs.put_nowait(event.request)
            elif isinstance(event, CancelContext):
                self._stop_job(conn, event.context)
            elif isinstance(event, InvalidFrame):
                if event.context is not None:
                    self._stop_job(conn, event.context)
                await self.send_error(conn, event.error, event.context)
            else:
                await self._open_context(conn, event)

    async def _open_context(self, conn: Connection, event: NewContext) -> None:
        req = event.request
        problem = (self._check_request(req) or self._over_limit(req)
                   or self.admit(conn, req))
        if problem is not None:
            await self.send_error(conn, _error_of(problem))
            return
        job = _Job(conn.protocol.accept(req), self._voices[req.voice_id][1])
        self.peak_contexts = max(self.peak_contexts, self._open_contexts())
        job.chars = len(req.transcript)
        conn.jobs[job.context] = job
        job.inputs.put_nowait(req)
        job.task = self._spawn(self._run_context(conn, job))

    def _open_contexts(self) -> int:
        return sum(len(conn.protocol.open_contexts) for conn in self._connections)

    def _over_limit(self, req: m.GenerationRequest) -> m.InvalidRequest | None:
        """Cartesia's answer to a context beyond the plan's concurrency (its words, from
        the API's error page), when :attr:`ServerConfig.max_contexts` is set."""
        limit = self.config.max_contexts
        if limit is None or self._open_contexts() < limit:
            return None
        return m.InvalidRequest(CONCURRENCY_LIMITED_MESSAGE, context_id=req.context_id,
                                status=429, code="concurrency_limited",
                                title=CONCURRENCY_LIMITED_TITLE)

    @staticmethod
    def _stop_job(conn: Connection, context: ServerContext) -> None:
        job = conn.jobs.pop(context, None)
        if job is not None and job.task is not None:
            job.task.cancel()

    def _too_long(self, chars: int, req: m.GenerationRequest) -> m.InvalidRequest | None:
        limit = self.config.max_transcript_chars
        if chars <= limit:
            return None
        return m.InvalidRequest(
            f"transcript is too long: a context takes at most {limit:,} characters in all its "
            f"inputs, and this one has {chars:,}; split the text into several contexts",
            context_id=req.context_id, title="Transcript too long")

    def _check_request(self, req: m.GenerationRequest) -> m.InvalidRequest | None:
        try:
            model = catalog().get(req.model_id)
        except ConfigError as exc:
            sunset = req.model_id in catalog().sunset
            return m.InvalidRequest(str(exc), context_id=req.context_id,
                                    code="model_sunsetted" if sunset else "model_not_found",
                                    title="Model sunset" if sunset else "Invalid model")
        if req.voice_id not in self._voices:
            return m.InvalidRequest(f"No voice with id {req.voice_id!r}.",
                                    context_id=req.context_id, status=404,
                                    code="voice_not_found", title="Voice not found")
        if req.language is not None and req.language not in model.languages:
            return m.InvalidRequest(
                f"Language {req.language!r} is not supported by {model.id}.",
                context_id=req.context_id, code="unsupported_language",
                title="Unsupported language")
        if req.pronunciation_dict_id is not None \
                and self.dictionaries.get(req.pronunciation_dict_id) is None:
            return self._no_dict_problem(req.pronunciation_dict_id, req.context_id)
        return self._too_long(len(req.transcript), req)

    @staticmethod
    def _synth_request(req: m.GenerationRequest, text: str) -> SynthRequest:
        config = req.generation_config or m.GenerationConfig()
        return SynthRequest(text=text, voice_id=req.voice_id,
                            sample_rate=req.output_format.sample_rate,
                            language=req.language or "en", speed=config.speed or 1.0,
                            volume=config.volume or 1.0, emotion=config.emotion,
                            want_phonemes=req.add_phoneme_timestamps)

    async def _run_context(self, conn: Connection, job: _Job) -> None:
        ctx = job.context
        req = ctx.request
        buffered = ""
        first = True
        try:
            delay = (DEFAULT_BUFFER_DELAY_MS if req.max_buffer_delay_ms is None
                     else req.max_buffer_delay_ms) / 1000
            while True:
                try:
                    item = await (job.inputs.get() if not buffered
                                  else asyncio.wait_for(job.inputs.get(), delay))
                except TimeoutError:
                    # The buffer delay ran out: speak what we have so far.
                    await self._speak(conn, job, buffered, first)
                    buffered, first = "", False
                    continue
                buffered += item.transcript
                if item.flush or not item.continue_:
                    if buffered.strip():
                        await self._speak(conn, job, buffered, first)
                        first = False
                    buffered = ""
                    if item.flush:
                        await self._send(conn, conn.protocol.flush_done(ctx))
                    if not item.continue_:
                        await self._send(conn, conn.protocol.done(ctx))
                        return
        except asyncio.CancelledError:
            raise
        except _Stop:
            return
        except Exception as exc:  # a synthesizer bug must not take the server down
            log.exception("context %s failed", req.context_id)
            await self.send_error(conn, m.ErrorMessage(
                req.context_id, 500, f"synthesis failed: {exc}", "internal_error",
                "Internal error", request_id=uuid.uuid4().hex), ctx)
        finally:
            # Keyed by the context object: a newer context with the same id stays.
            if conn.jobs.get(ctx) is job:
                del conn.jobs[ctx]
            conn.protocol.close(ctx)

    async def _render(self, req: m.GenerationRequest, synth: Synthesizer, text: str,
                      offset_samples: int, flush_id: int | None = None, *, group: Hashable,
                      ) -> AsyncGenerator[m.Chunk | m.WordTimestamps | m.PhonemeTimestamps]:
        """Messages for one piece of text, with timestamps shifted by what came before.

        Chunks hold at most ``chunk_ms`` of audio; ``step_time`` is the time the
        synthesizer took for the audio the chunk came from, in milliseconds. The
        synthesis shares the synthesizer fairly with the others of its time; its
        time counts against ``group`` (the connection; a REST request is a group of
        its own).
        """
        rate = req.output_format.sample_rate
        offset = offset_samples / rate
        chunk = max(1, rate * self.config.chunk_ms // 1000)
        if req.pronunciation_dict_id is not None and (
                lexicon := self.dictionaries.lexicon(req.pronunciation_dict_id)) is not None:
            # As Cartesia does: a search-and-replace on the text before the model; off
            # the loop, as a dictionary of thousands of entries takes tens of ms.
            text = await asyncio.get_running_loop().run_in_executor(None, lexicon.apply,
                                                                    text)
        stream = self._scheduler.open(synth, self._synth_request(req, text), group)
        try:
            while True:
                made = time.perf_counter()
                event = await stream.next()
                if event is None:
                    return
                if isinstance(event, AudioOut):
                    step_ms = round((time.perf_counter() - made) * 1000, 3)
                    samples = event.samples
                    for begin in range(0, len(samples), chunk):
                        yield m.Chunk(req.context_id, encode_pcm(
                            samples[begin:begin + chunk], req.output_format.encoding),
                            step_time=step_ms, flush_id=flush_id)
                elif isinstance(event, WordsOut) and req.add_timestamps:
                    yield m.WordTimestamps(
                        req.context_id, event.words, tuple(s + offset for s in event.start),
                        tuple(e + offset for e in event.end))
                elif isinstance(event, PhonemesOut) and req.add_phoneme_timestamps:
                    yield m.PhonemeTimestamps(
                        req.context_id, event.phonemes, tuple(s + offset for s in event.start),
                        tuple(e + offset for e in event.end))
        finally:
            await stream.aclose()

    async def _speak(self, conn: Connection, job: _Job, text: str, first: bool) -> None:
        ctx = job.context
        req = ctx.request
        rate = req.output_format.sample_rate
        width = bytes_per_sample(req.output_format.encoding)
        if first and self.config.first_chunk_delay:
            await asyncio.sleep(self.config.first_chunk_delay)
        started, sent_here = time.monotonic(), 0
        messages = self._render(req, job.synth, text, job.samples_sent, ctx.flush_id or None,
                                group=conn)
        try:
            async for message in messages:
                if not isinstance(message, m.Chunk):
                    await self._send(conn, conn.protocol.output(ctx, message))
                    continue
                if self.config.pace > 0:
                    due = started + sent_here / rate / self.config.pace
                    if (wait := due - time.monotonic()) > 0:
                        await asyncio.sleep(wait)
                if not await self.before_chunk(conn, ctx, message):
                    raise _Stop
                await self._send(conn, conn.protocol.output(ctx, message))
                conn.chunks_sent += 1
                n = len(message.data) // width
                sent_here += n
                job.samples_sent += n
        finally:
            await messages.aclose()

    async def _send(self, conn: Connection, frame: str | None) -> None:
        """Send a frame the protocol made; ``None`` (its context closed) or a socket
        that is gone ends the work."""
        if frame is None or conn.dead or conn.ws.closed:
            raise _Stop
        try:
            async with conn.send_lock:
                await conn.ws.send_str(frame)
        except ConnectionError:
            raise _Stop from None

    async def send_error(self, conn: Connection, error: m.ErrorMessage,
                         context: ServerContext | None = None) -> None:
        """Send an in-band error; it ends ``context`` (an error always ends one)."""
        frame = conn.protocol.error(error, context)
        if frame is None or conn.dead or conn.ws.closed:
            return
        with contextlib.suppress(ConnectionError):  # the client left: nobody to tell
            async with conn.send_lock:
                await conn.ws.send_str(frame)


def _encode_mp3(audio: Float32Array, rate: int) -> bytes:
    out = io.BytesIO()
    soundfile.write(out, audio, rate, format="MP3")
    return out.getvalue()


def _error_of(problem: m.InvalidRequest) -> m.ErrorMessage:
    return m.ErrorMessage(problem.context_id, problem.status, problem.message, problem.code,
                          problem.title, request_id=uuid.uuid4().hex)


def _origin_key(origin: str) -> str:
    """An origin as compared: browsers send scheme and host in lower case, no slash."""
    return origin.strip().rstrip("/").lower()


class _Stop(Exception):
    """The connection or the context is gone, or a hook ended it: stop quietly."""


class ThreadedServer:
    """Runs an :class:`EngineServer` (or a subclass) on its own thread and loop."""

    def __init__(self, synthesizers: Sequence[Synthesizer],
                 config: ServerConfig | None = None, *,
                 server_class: type[EngineServer] = EngineServer) -> None:
        self.server = server_class(synthesizers, config)
        # Not asyncio.new_event_loop(): under the app's qasync policy that would be
        # a Qt loop, which cannot run on this thread.
        self._loop = asyncio.DefaultEventLoopPolicy().new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="engine-server",
                                        daemon=True)
        self.url = ""
        #: Tasks still on the server's loop after it stopped (there should be none).
        self.leftover_tasks: list[str] = []

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self.server.start(host, port), self._loop)
        self.url = future.result(timeout=10)
        return self.url

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self.leftover_tasks = asyncio.run_coroutine_threadsafe(
            self._stop(), self._loop).result(timeout=30)
        if self.leftover_tasks:
            log.error("tasks outlived the engine server: %s", self.leftover_tasks)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _stop(self) -> list[str]:
        await self.server.stop()
        await asyncio.sleep(0)  # callbacks of the last tasks to end
        me = asyncio.current_task()
        return [repr(task) for task in asyncio.all_tasks() if task is not me]

    def stats(self) -> dict[str, int]:
        """:meth:`EngineServer.stats`, read on the server's loop."""
        async def read() -> dict[str, int]:
            return self.server.stats()
        return asyncio.run_coroutine_threadsafe(read(), self._loop).result(timeout=10)

    def __enter__(self) -> ThreadedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

