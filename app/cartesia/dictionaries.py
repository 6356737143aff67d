"""Cartesia's pronunciation dictionaries over REST: list (cursor pages), get, create,
update, delete.

``/pronunciation-dicts/`` with the same headers, timeouts and error mapping as
:mod:`app.cartesia.voices`. Reads, updates and deletes are retried on 429, 5xx and
a failed connection (with backoff that honours ``Retry-After``); a create only on
429, since a create that timed out may have happened and a retry would make a
second dictionary.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any
from urllib.parse import quote

import aiohttp

from app.cartesia.client import error_from_body
from app.cartesia.config import ClientConfig
from app.cartesia.dictionaries_types import DictItem, PronunciationDict
from app.cartesia.errors import ConnectError, ProtocolError, RateLimited, ServerError
from app.cartesia.voices import RetryPolicy

log = logging.getLogger(__name__)

PATH = "/pronunciation-dicts/"


class DictionariesClient:
    """``async with DictionariesClient(config) as dicts: await dicts.create(...)``."""

    def __init__(self, config: ClientConfig, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], Any] = asyncio.sleep) -> None:
        self.config = config
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0  # how many HTTP requests were made (tests)

    async def __aenter__(self) -> DictionariesClient:
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

    async def _call(self, method: str, path: str, *, params: Sequence[tuple[str, str]] = (),
                    body: object = None) -> Any:
        """The answer's JSON (``None`` for an empty body), or the API's error."""
        url = self.config.http_url(path)
        timeouts = self.config.timeouts
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeouts.rest_total
        for attempt in range(1, self.retry.attempts + 1):
            self.requests += 1
            left = max(0.1, deadline - loop.time())
            retry_after: float | None = None
            try:
                async with self._http().request(
                        method, url, params=list(params), json=body,
                        timeout=aiohttp.ClientTimeout(total=min(timeouts.rest, left),
                                                      connect=min(timeouts.connect, left))
                        ) as response:
                    data = await response.read()
                    if response.status < 400:
                        if not data.strip():
                            return None
                        try:
                            return await response.json(content_type=None)
                        except ValueError:
                            raise ProtocolError(f"{method} {path} answered with a body that "
                                                "is not JSON") from None
                    error = error_from_body(response.status, data,
                                            f"{method} {path} failed with HTTP "
                                            f"{response.status}")
                    retry_after = _retry_after(response.headers.get("Retry-After"))
            except aiohttp.ClientConnectionError as exc:
                error = ConnectError(url, str(exc) or type(exc).__name__)
            except TimeoutError:
                error = ConnectError(url, f"no answer within {min(timeouts.rest, left):g} s")
            if isinstance(error, RateLimited):
                error.retry_after = retry_after
            retryable = isinstance(error, RateLimited) or (method != "POST" and (
                isinstance(error, ConnectError)
                or (isinstance(error, ServerError) and error.status >= 500)))
            delay = self.retry.delay(attempt, retry_after)
            out_of_time = deadline - loop.time() < delay + 0.1
            if not retryable or out_of_time or attempt == self.retry.attempts:
                raise error
            log.info("%s; retrying in %.2f s (attempt %d of %d)", error, delay, attempt + 1,
                     self.retry.attempts)
            await self._sleep(delay)
        raise AssertionError("unreachable")

    async def pages(self, *, page_size: int = 100) -> AsyncIterator[list[PronunciationDict]]:
        """Every page in order, following ``next_page`` while ``has_more`` is true."""
        cursor: str | None = None
        while True:
            params = [("limit", str(page_size))]
            if cursor:
                params.append(("starting_after", cursor))
            body = await self._call("GET", PATH, params=params)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise ProtocolError(f"{PATH} answered without a 'data' list")
            page = [PronunciationDict.from_json(item) for item in body["data"]]
            yield page
            if not body.get("has_more") or not page:
                return
            next_page = body.get("next_page")
            cursor = next_page if isinstance(next_page, str) and next_page else page[-1].id

    async def list(self, *, page_size: int = 100) -> list[PronunciationDict]:
        out: list[PronunciationDict] = []
        async for page in self.pages(page_size=page_size):
            out.extend(page)
        return out

    async def get(self, dict_id: str) -> PronunciationDict:
        return _dictionary(await self._call("GET", _one(dict_id)))

    async def create(self, name: str, items: Sequence[DictItem] = ()) -> PronunciationDict:
        body = {"name": name, "items": [item.to_json() for item in items]}
        return _dictionary(await self._call("POST", PATH, body=body))

    async def update(self, dict_id: str, *, name: str | None = None,
                     items: Sequence[DictItem] | None = None) -> PronunciationDict:
        """Change the name, replace the items, or both (``None`` leaves one as it is)."""
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if items is not None:
            body["items"] = [item.to_json() for item in items]
        return _dictionary(await self._call("PATCH", _one(dict_id), body=body))

    async def delete(self, dict_id: str) -> None:
        await self._call("DELETE", _one(dict_id))


def _one(dict_id: str) -> str:
    # Quoted: an id with a slash or a "?" must not become another path or a query.
    return f"/pronunciation-dicts/{quote(dict_id, safe='')}"


def _dictionary(body: object) -> PronunciationDict:
    return PronunciationDict.from_json(body)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


__all__ = ["DictItem", "DictionariesClient", "PronunciationDict"]
