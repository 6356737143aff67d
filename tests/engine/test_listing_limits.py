"""Listings refuse a page size outside Cartesia's 1–100 the way Cartesia does: a 400
``invalid_request`` in the request's API version's error shape."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.tones import ToneSynthesizer

KEY = "sk_limits_0123456789"


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    srv = ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=KEY))
    srv.start()
    yield srv
    srv.stop()


def get(srv: ThreadedServer, path: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(srv.url + path, headers={
        "X-API-Key": KEY, "Cartesia-Version": "2026-03-01"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


@pytest.mark.parametrize("path", ["/voices", "/pronunciation-dicts"])
@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_a_page_size_outside_1_to_100_is_a_400(server: ThreadedServer, path: str,
                                               limit: str) -> None:
    status, body = get(server, f"{path}?limit={limit}")
    assert status == 400
    assert body["error_code"] == "invalid_request"
    assert body["message"] == "limit must be an integer between 1 and 100"


@pytest.mark.parametrize("path", ["/voices", "/pronunciation-dicts"])
def test_a_page_size_inside_is_answered(server: ThreadedServer, path: str) -> None:
    status, _ = get(server, f"{path}?limit=100")
    assert status == 200
