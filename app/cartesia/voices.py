"""The voice library over REST: list with filters and cursor pages, get one voice.

Retries 429 and 5xx with exponential backoff that honours ``Retry-After``;
401/403/404 raise their specific errors at once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from app.cartesia.client import error_from_body
from app.cartesia.errors import CartesiaError, ConnectError, ProtocolError
from app.cartesia.rest import RestClient
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


class VoicesClient(RestClient):
    """``async with VoicesClient(config) as voices: async for v in voices.list(...)``."""

    async def pages(self, query: VoiceQuery | None = None, *, page_size: int = 100
                    ) -> AsyncIterator[list[Voice]]:
        """Every page in order, following ``next_page`` until ``has_more`` is false."""
        query = query or VoiceQuery()
        cursor: str | None = None
        while True:
            params = [*query.params(), ("limit", str(page_size))]
            if cursor:
                params.append(("starting_after", cursor))
            body = await self._call("GET", "/voices", params=params)
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
        import aiohttp  # on first use, as in app.cartesia.rest

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
        body = await self._call("GET", f"/voices/{voice_id}", params=params)
        if not isinstance(body, dict):
            raise ProtocolError(f"/voices/{voice_id} answered with something not an object")
        return _voice(body)


def _voice(item: Any) -> Voice:
    if not isinstance(item, dict) or "id" not in item:
        raise ProtocolError("a voice in the answer lacks an 'id'")
    return Voice.from_json(item)


__all__ = ["CartesiaError", "VoiceQuery", "VoicesClient"]
