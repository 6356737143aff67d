"""Where generations and voice lists go: Cartesia (or another base URL) or the offline engine.

One object per run decides, in one place, for the window and the commands:

- the key: the run's ``--api-key``, else ``CARTESIA_API_KEY``, else the keyring,
  else a ``.env`` file (working folder, then config folder), looked up off the
  loop (the keyring is a D-Bus call) once, until it changes; a keyring that
  cannot be read is reported once per run, and never when a key was given
  another way; lines of a ``.env`` file that cannot be read are reported once
  (file:line); the key is scrubbed from logs as soon as known;
- the base URL and API version: run options, then the environment, then settings;
- offline or online: ``--offline`` or the setting, no key and no base URL, or
  an offline voice all go to the built-in engine, which starts (off the loop)
  the first time it is needed, with an environment that holds no key;
- one :class:`TTSClient` per configuration; a client whose configuration is
  no longer current (a new key, a new base URL) is closed, never leaked.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from app.cartesia.client import TTSClient
from app.cartesia.config import DEFAULT_BASE_URL, ClientConfig, Timeouts
from app.cartesia.messages import DEFAULT_API_VERSION
from app.cartesia.voices_types import Voice
from app.credentials import ApiKey, KeyLookup, find_key, protect_logs, without_key
from app.engine.local import LocalEngine
from app.events import Emitter
from app.settings import API_VERSION, BASE_URL, OFFLINE_ONLY, SettingChanged, Settings
from app.studio.errors import NeedsCartesia
from app.studio.options import RunOptions

log = logging.getLogger(__name__)

#: A cold offline model may take a while before its first audio.
OFFLINE_TIMEOUTS = Timeouts(first_chunk=30)


@dataclass(frozen=True)
class Route:
    """Where one voice's generations go, and why (the command line says it)."""

    config: ClientConfig
    offline: bool
    reason: str


@dataclass(frozen=True)
class KeyringProblem:
    """The keyring could not be read (reported once per run)."""

    message: str


@dataclass(frozen=True)
class KeyFileProblem:
    """A ``.env`` file could not be read, or some of its lines (reported once per run)."""

    message: str


@dataclass(frozen=True)
class EndpointsChanged:
    """The key, base URL, version or offline mode changed: reconnect, reload voices."""


EndpointsEvent = KeyringProblem | KeyFileProblem | EndpointsChanged


class Endpoints:
    def __init__(self, settings: Settings, options: RunOptions | None = None, *,
                 engine: LocalEngine | None = None, environ: Mapping[str, str] | None = None,
                 timeouts: Timeouts | None = None) -> None:
        self.settings = settings
        self.options = options or RunOptions()
        self._environ = os.environ if environ is None else environ
        self._timeouts = timeouts
        self._engine = engine
        self._engine_lock = asyncio.Lock()
        self._lookup: KeyLookup | None = None
        self._key_lock = asyncio.Lock()  # connecting and loading voices ask at once
        self._keyring_reported = False
        self._files_reported: set[str] = set()
        self._clients: dict[ClientConfig, TTSClient] = {}
        self.events: Emitter[EndpointsEvent] = Emitter()
        self._unsubscribe = settings.changed.connect(self._setting_changed)

    # --- what the run and the settings say ------------------------------------

    @property
    def offline_only(self) -> bool:
        return self.options.offline or self.settings.get(OFFLINE_ONLY)

    @property
    def base_url(self) -> str | None:
        """The base URL asked for (run, environment, settings); ``None`` if none was."""
        return (self.options.base_url or self._environ.get("CARTESIA_BASE_URL")
                or self.settings.get(BASE_URL) or None)

    @property
    def api_version(self) -> str:
        return (self.options.api_version or self._environ.get("CARTESIA_API_VERSION")
                or self.settings.get(API_VERSION) or DEFAULT_API_VERSION)

    def online_base_url(self) -> str:
        """The base URL online takes go to (known without the key: for a take's record)."""
        return self.base_url or DEFAULT_BASE_URL

    def _setting_changed(self, event: SettingChanged) -> None:
        if event.name in (BASE_URL.name, API_VERSION.name, OFFLINE_ONLY.name):
            self._changed()

    def key_changed(self) -> None:
        """The keyring's key was stored or removed: look it up again."""
        self._lookup = None
        self._changed()

    def _changed(self) -> None:
        self.events.emit(EndpointsChanged())

    # --- the key -------------------------------------------------------------

    async def key(self) -> ApiKey | None:
        if self.options.offline:
            return None  # --offline: the key is never read, so never reported missing
        async with self._key_lock:
            return await self._find_key()

    async def _find_key(self) -> ApiKey | None:
        if self._lookup is None:
            loop = asyncio.get_running_loop()
            self._lookup = await loop.run_in_executor(
                None, lambda: find_key(self.options.api_key, self._environ))
            if self._lookup.key is not None:
                protect_logs(self._lookup.key)
            elif self._lookup.keyring_problem and not self._keyring_reported:
                self._keyring_reported = True
                log.warning("%s", self._lookup.keyring_problem)
                self.events.emit(KeyringProblem(self._lookup.keyring_problem))
            new = [p for p in self._lookup.file_problems if p not in self._files_reported]
            if new:
                self._files_reported.update(new)
                message = "; ".join(new)
                log.warning("%s", message)
                self.events.emit(KeyFileProblem(message))
        return self._lookup.key

    # --- configurations ---------------------------------------------------------

    async def online(self) -> ClientConfig | None:
        """Cartesia (or the base URL given); ``None`` when only the offline engine applies."""
        if self.offline_only:
            return None
        key = await self.key()
        if key is None and self.base_url is None:
            return None
        return ClientConfig(self.online_base_url(), key.value if key else None,
                            self.api_version, self._timeouts or Timeouts())

    async def offline(self) -> ClientConfig:
        url = await self.engine_url()
        # The engine's own key, made at its launch: it serves no one else.
        key = self._engine.key if self._engine is not None else None
        return ClientConfig(url, key, self.api_version, self._timeouts or OFFLINE_TIMEOUTS)

    async def route(self, voice: Voice) -> Route:
        if voice.offline:
            return Route(await self.offline(), True, await self._offline_reason())
        online = await self.online()
        if online is None:
            raise NeedsCartesia(voice, self.offline_only)
        return Route(online, False, f"connected to {online.base_url}")

    async def _offline_reason(self) -> str:
        if self.options.offline:
            return "--offline"
        if self.offline_only:
            return "the offline mode is on in Settings"
        if await self.online() is None:
            return "no API key is set"
        return "the voice is an offline voice"

    async def client_for(self, voice: Voice) -> TTSClient:
        return self._client((await self.route(voice)).config)

    def _client(self, config: ClientConfig) -> TTSClient:
        client = self._clients.get(config)
        if client is None:
            client = self._clients[config] = TTSClient(config)
        return client

    async def connect(self) -> str:
        """Open the sockets before the first Play (time to first audio matters); a status."""
        await self._client(await self.offline()).connect()
        online = await self.online()
        await self.prune()
        if online is None:
            why = "offline mode" if self.offline_only else "no API key"
            return f"offline engine ready ({why})"
        await self._client(online).connect()
        return f"connected to {online.base_url}"

    async def prune(self) -> None:
        """Close every client whose configuration is no longer the current one."""
        current = {await self.offline()}
        online = await self.online()
        if online is not None:
            current.add(online)
        for config in [c for c in self._clients if c not in current]:
            await self._clients.pop(config).close()

    # --- the offline engine ---------------------------------------------------------

    async def engine_url(self) -> str:
        async with self._engine_lock:
            if self._engine is None:
                self._engine = LocalEngine(environ=without_key(self._environ))
            engine = self._engine
            if not engine.url:
                await asyncio.get_running_loop().run_in_executor(None, engine.start)
            return engine.url

    @property
    def engine(self) -> LocalEngine | None:
        return self._engine

    async def close(self) -> None:
        self._unsubscribe()
        for client in list(self._clients.values()):
            await client.close()
        self._clients.clear()
        if self._engine is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._engine.stop)
            self._engine = None
