"""Cartesia's REST API, once: the session, the key's headers, JSON answers, retries.

The voices and the pronunciation dictionaries are clients of this one shell, so a
timeout, a ``Retry-After`` or an error body is handled the same way everywhere. A
request is retried on 429, on 5xx and when the connection fails, within the
configured total time; a POST (it creates something) only on 429, so a create that
timed out never makes a second one.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from app.cartesia.client import error_from_body
from app.cartesia.config import ClientConfig
from app.cartesia.errors import ConnectError, ProtocolError, RateLimited, ServerError

if TYPE_CHECKING:
    import aiohttp

log = logging.getLogger(__name__)


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


class RestClient:
    """``async with Client(config) as client: ...``; one HTTP session per client."""

    def __init__(self, config: ClientConfig, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], Any] = asyncio.sleep) -> None:
        self.config = config
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0  # how many HTTP requests were made (tests, status bar)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        # Imported on first use: the window lists offline voices without it (24 MB).
        import aiohttp

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
        import aiohttp
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
            if out_of_time and isinstance(error, ConnectError) and attempt > 1:
                raise ConnectError(url, f"no answer within {timeouts.rest_total:g} s "
                                   f"({attempt} attempts)")
            if not retryable or out_of_time or attempt == self.retry.attempts:
                raise error
            log.info("%s; retrying in %.2f s (attempt %d of %d)", error, delay, attempt + 1,
                     self.retry.attempts)
            await self._sleep(delay)
        raise AssertionError("unreachable")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare; fall back to our own backoff
