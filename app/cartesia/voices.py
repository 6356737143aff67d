"""The voice library over REST: list with filters and cursor pages, get one voice.

Retries 429 and 5xx with exponential backoff that honours ``Retry-After``;
401/403/404 raise their specific errors at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from app.cartesia.client import error_from_body
from app.cartesia.config import ClientConfig
from app.cartesia.errors import CartesiaError, ConnectError, ProtocolError, RateLimited, ServerError
from app.cartesia.voices_types import Voice

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoiceQuery:
    """Filters; ``language`` is applied on our side (the API has no such filter)."""

    q: str | None = None
    gender: str | None = None
    is_owner: bool | None = None
    language: str | None = None
    with_preview: bool = False

    def params(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.q:
            out.append(("q", self.q))
        if self.gender:
            out.append(("gender", self.gender))
        if self.is_owner is not None:
            out.append(("is_owner", "true" if self.is_owner else "false"))
        if self.with_preview:
            out.append(("expand[]", "preview_file_url"))
        return out

    def matches(self, voice: Voice) -> bool:
        """Every filter applied locally (for voices that did not come from the API)."""
        if self.q:
            needle = self.q.lower()
            if needle not in voice.name.lower() and needle not in voice.description.lower() \
                    and needle not in voice.id:
                return False
        if self.gender and voice.gender != self.gender:
            return False
        if self.is_owner is not None and voice.is_owner != self.is_owner:
            return False
        return self.accepts(voice)

    def accepts(self, voice: Voice) -> bool:
        return self.language is None or voice.speaks(self.language)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        return float(min(self.base_delay * 2 ** (attempt - 1) * (1 + random.random() / 4),
                   self.max_delay))


class VoicesClient:
    """``async with VoicesClient(config) as voices: async for v in voices.list(...)``."""

    def __init__(self, config: ClientConfig, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], Any] = asyncio.sleep) -> None:
        self.config = config
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0  # how many HTTP requests were made (tests, status bar)

    async def __aenter__(self) -> VoicesClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=self.config.timeouts.rest,
                                            connect=self.config.timeouts.connect)
            self._session = aiohttp.ClientSession(
                timeout=timeout, headers=self.config.headers(),
                trust_env=not self.config.is_loopback)
        return self._session

    async def _get(self, path: str, params: list[tuple[str, str]]) -> Any:
        url = self.config.http_url(path)
        timeouts = self.config.timeouts
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeouts.rest_total
        for attempt in range(1, self.retry.attempts + 1):
            self.requests += 1
            left = deadline - loop.time()
            try:
                async with self._http().get(url, params=params, timeout=aiohttp.ClientTimeout(
                        total=min(timeouts.rest, left), connect=min(timeouts.connect, left))
                        ) as response:
                    body = await response.read()
                    if response.status < 400:
                        try:
                            return await response.json(content_type=None)
                        except ValueError:
                            raise ProtocolError(f"{path} answered with a body that is not "
                                                "JSON") from None
                    error = error_from_body(response.status, body,
                                            f"{path} failed with HTTP {response.status}")
                    retry_after = _retry_after(response.headers.get("Retry-After"))
            except aiohttp.ClientConnectionError as exc:
                error = ConnectError(url, str(exc) or type(exc).__name__)
                retry_after = None
            except TimeoutError:
                error = ConnectError(url, f"no answer within {min(timeouts.rest, left):g} s")
                retry_after = None
            retryable = isinstance(error, RateLimited | ConnectError) or (
                isinstance(error, ServerError) and error.status >= 500)
            if isinstance(error, RateLimited):
                error.retry_after = retry_after
            delay = self.retry.delay(attempt, retry_after)
            out_of_time = deadline - loop.time() < delay + 0.1
            if out_of_time and isinstance(error, ConnectError) and attempt > 1:
                raise ConnectError(url, f"no answer within {timeouts.rest_total:g} s "
                                   f"({attempt} attempts)")
            if not retryable or out_of_time or attempt == self.retry.attempts:
                raise error
            log.info("%s; retrying in %.2f s (attempt %d of %d)", error, delay, attempt + 1,
                     self.retry.attempts)
            await self._sleep(delay)
        raise AssertionError("unreachable")

    async def pages(self, query: VoiceQuery | None = None, *, page_size: int = 100
                    ) -> AsyncIterator[list[Voice]]:
        """Every page in order, following ``next_page`` until ``has_more`` is false."""
        query = query or VoiceQuery()
        cursor: str | None = None
        while True:
            params = [*query.params(), ("limit", str(page_size))]
            if cursor:
                params.append(("starting_after", cursor))
            body = await self._get("/voices", params)
            if isinstance(body, list):  # API version 2024-06-10: one bare array
                yield [v for v in map(_voice, body) if query.accepts(v)]
                return
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise ProtocolError("/voices answered without a 'data' list")
            voices = [_voice(item) for item in body["data"]]
            yield [v for v in voices if query.accepts(v)]
            if not body.get("has_more") or not voices:
                return
            cursor = body.get("next_page") or voices[-1].id

    async def list(self, query: VoiceQuery | None = None, *, page_size: int = 100,
                   limit: int | None = None) -> list[Voice]:
        out: list[Voice] = []
        async for page in self.pages(query, page_size=page_size):
            out.extend(page)
            if limit is not None and len(out) >= limit:
                return out[:limit]
        return out

    async def preview_clip(self, url: str, limit: int = 20 * 1024 * 1024) -> bytes:
        """The bytes of a voice's ``preview_file_url`` (no key is sent to other hosts)."""
        headers = self.config.headers() if self.config.same_origin(url) else {}
        try:
            async with aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=self.config.timeouts.rest),
                    trust_env=not self.config.is_loopback) as session, \
                    session.get(url, headers=headers) as response:
                if response.status >= 400:
                    raise error_from_body(response.status, await response.read(),
                                          f"the preview clip answered HTTP {response.status}")
                data = await response.content.read(limit + 1)
        except aiohttp.ClientError as exc:
            raise ConnectError(url, str(exc) or type(exc).__name__) from None
        except TimeoutError:
            raise ConnectError(url, "no answer in time") from None
        if len(data) > limit:
            raise ProtocolError(f"the preview clip is larger than {limit // 2**20} MiB")
        return data

    async def get(self, voice_id: str, *, with_preview: bool = False) -> Voice:
        params = [("expand[]", "preview_file_url")] if with_preview else []
        body = await self._get(f"/voices/{voice_id}", params)
        if not isinstance(body, dict):
            raise ProtocolError(f"/voices/{voice_id} answered with something not an object")
        return _voice(body)


def _voice(item: Any) -> Voice:
    if not isinstance(item, dict) or "id" not in item:
        raise ProtocolError("a voice in the answer lacks an 'id'")
    return Voice.from_json(item)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare; fall back to our own backoff


__all__ = ["CartesiaError", "RetryPolicy", "VoiceQuery", "VoicesClient"]
