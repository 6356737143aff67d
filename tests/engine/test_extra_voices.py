"""`serve --extra-voices N`: a library of Cartesia's size whose voices really speak, with
MP3 previews in each voice's language."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import aiohttp
import numpy as np
import soundfile

from app.cartesia.config import ClientConfig
from app.cartesia.voices import VoiceQuery, VoicesClient
from app.cartesia.voices_types import Voice
from app.engine.local import offline_voices
from app.engine.server import EngineServer, ServerConfig, ThreadedServer
from app.engine.synth.tones import ToneSynthesizer
from tests.engine.conftest import run

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk_extra_voices_0123456789"
UNKNOWN = "0badc0de-0000-4000-8000-000000000000"


def test_serve_lists_extra_voices_that_speak_and_have_mp3_previews() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTESIA_")}
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--api-key", KEY,
                             "--extra-voices", "120"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", proc.stdout.readline())
        assert match
        url = match.group(1)

        async def scenario() -> tuple[list[Voice], bytes, bytes]:
            async with VoicesClient(ClientConfig(url, api_key=KEY)) as client:
                voices = await client.list(VoiceQuery(with_preview=True))
                german = next(v for v in voices if v.language == "de" and not v.offline)
                assert german.preview_file_url is not None
                preview = await client.preview_clip(german.preview_file_url)
            async with aiohttp.ClientSession(headers={"X-API-Key": KEY}) as http, \
                    http.post(f"{url}/tts/bytes", json={
                        "model_id": "sonic-3", "transcript": "Guten Tag.", "language": "de",
                        "voice": {"mode": "id", "id": german.id},
                        "output_format": {"container": "wav", "encoding": "pcm_f32le",
                                          "sample_rate": 16000}}) as response:
                assert response.status == 200, await response.text()
                spoken = await response.read()
            return voices, preview, spoken

        voices, preview, spoken = run(scenario())
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert len(voices) == len(offline_voices()) + 120
    assert len({v.language for v in voices}) >= 8  # every espeak language is used
    audio, _ = soundfile.read(io.BytesIO(spoken), dtype="float32")
    assert len(audio) > 8000 and float(np.abs(audio).max()) > 0.05  # espeak, in German
    clip, rate = soundfile.read(io.BytesIO(preview), dtype="float32")
    assert soundfile.info(io.BytesIO(preview)).format == "MP3"
    assert rate == 24000 and len(clip) > rate and float(np.abs(clip).max()) > 0.05


class CountingServer(EngineServer):
    """The engine server, counting the previews it renders."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.rendered: list[str] = []

    async def _render_preview(self, voice_id: str) -> bytes:
        self.rendered.append(voice_id)
        return await super()._render_preview(voice_id)


def test_a_preview_is_rendered_once_and_unknown_voices_get_cartesias_404() -> None:
    server = ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=KEY, extra_voices=3),
                            server_class=CountingServer)
    server.start()
    voice_id = server.server.voices()[-1].id

    async def scenario() -> tuple[list[bytes], list[tuple[int, Any]]]:
        headers = {"Authorization": f"Bearer {KEY}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            async def get(path: str, version: str = "2026-03-01") -> tuple[int, bytes]:
                async with http.get(f"{server.url}{path}",
                                    headers={"Cartesia-Version": version}) as response:
                    return response.status, await response.read()

            at_once = await asyncio.gather(*(get(f"/voices/{voice_id}/preview.mp3")
                                             for _ in range(3)))
            later = await get(f"/voices/{voice_id}/preview.mp3")
            errors = [await get(f"/voices/{UNKNOWN}"),
                      await get(f"/voices/{UNKNOWN}", "2025-04-16"),
                      await get(f"/voices/{UNKNOWN}/preview.mp3")]
        assert all(status == 200 for status, _ in [*at_once, later])
        return [body for _, body in [*at_once, later]], [
            (status, json.loads(body)) for status, body in errors]

    try:
        clips, errors = run(scenario())
        rendered = list(cast(CountingServer, server.server).rendered)
    finally:
        server.stop()
    assert rendered == [voice_id] and len(set(clips)) == 1  # one rendering, kept
    (status, new), (old_status, old), (clip_status, clip) = errors
    assert status == old_status == clip_status == 404
    assert new["error_code"] == "voice_not_found" and new["title"] == "Voice not found"
    assert new["message"] == f"No voice with id {UNKNOWN!r}." and new["request_id"]
    assert old == {"error": f"Voice not found: No voice with id {UNKNOWN!r}."}
    assert clip["error_code"] == "voice_not_found"
