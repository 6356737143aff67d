"""POST /tts/bytes and /tts/sse on our server, read with a plain HTTP client."""

from __future__ import annotations

import base64
import json

import aiohttp
import numpy as np

from app.audio import codecs
from app.audio.wav import read_wav
from app.cartesia.config import ClientConfig
from app.engine.synth.tones import VOICE_ID
from tests.cartesia.conftest import run
from tests.cartesia.expected import expected_audio, expected_words

TEXT = "Bytes and events."


def body(container: str = "raw", encoding: str = "pcm_s16le", rate: int = 22050) -> dict:
    return {"model_id": "sonic-3", "transcript": TEXT, "voice": {"mode": "id", "id": VOICE_ID},
            "language": "en", "add_timestamps": True,
            "output_format": {"container": container, "encoding": encoding,
                              "sample_rate": rate}}


async def post(config: ClientConfig, path: str, payload: dict) -> tuple[int, bytes, str]:
    async with aiohttp.ClientSession(headers=config.headers()) as session, \
            session.post(config.http_url(path), json=payload) as response:
        return response.status, await response.read(), response.content_type


def test_bytes_raw_and_wav(config: ClientConfig, tmp_path) -> None:  # type: ignore[no-untyped-def]
    status, raw, kind = run(post(config, "/tts/bytes", body()))
    assert status == 200 and kind == "application/octet-stream"
    assert raw == codecs.encode(expected_audio(TEXT, 22050), "pcm_s16le")
    status, wav, kind = run(post(config, "/tts/bytes", body("wav", "pcm_f32le", 48000)))
    assert status == 200 and kind == "audio/wav"
    (tmp_path / "x.wav").write_bytes(wav)
    np.testing.assert_array_equal(read_wav(tmp_path / "x.wav").samples,
                                  expected_audio(TEXT, 48000))


def test_bytes_rejects_what_it_cannot_make(config: ClientConfig) -> None:
    status, payload, _ = run(post(config, "/tts/bytes", body("mp3")))
    assert status == 400 and "mp3" in json.loads(payload)["message"]


def test_sse_events(config: ClientConfig) -> None:
    status, payload, kind = run(post(config, "/tts/sse", body()))
    assert status == 200 and kind == "text/event-stream"
    events = [json.loads(block.split("data: ", 1)[1])
              for block in payload.decode().strip().split("\n\n")]
    audio = b"".join(base64.b64decode(e["data"]) for e in events if e["type"] == "chunk")
    assert audio == codecs.encode(expected_audio(TEXT, 22050), "pcm_s16le")
    words = [(w, s, e) for ev in events if ev["type"] == "timestamps"
             for w, s, e in zip(ev["word_timestamps"]["words"], ev["word_timestamps"]["start"],
                                ev["word_timestamps"]["end"], strict=True)]
    assert words == expected_words(TEXT, 22050)
    assert events[-1]["type"] == "done" and events[-1]["done"] is True
