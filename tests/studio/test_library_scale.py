"""The library at Cartesia's scale on our loopback server: 5,000 voices through cursor
pages, voice ids pasted and looked up, recent voices, and Cartesia-style MP3 previews
decoded (whatever the format), kept in the cache and heard on the null sink."""

from __future__ import annotations

import asyncio
import io
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import numpy as np
import pytest
import soundfile

from app.cartesia.config import ClientConfig
from app.cartesia.voices import VoiceQuery, VoicesClient
from app.cartesia.voices_types import Voice
from app.engine.catalog import with_extra_voices
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.base import AudioOut, SynthRequest
from app.engine.synth.espeak import EspeakSynthesizer
from app.engine.synth.tones import ToneSynthesizer
from app.settings import OUTPUT_DEVICE, PASTED_VOICES, RECENT_VOICES, Settings
from app.studio.draft import Draft
from app.studio.endpoints import Endpoints
from app.studio.errors import PreviewUnplayable, VoiceLookupFailed
from app.studio.library import (
    LibraryEvent,
    LookupFailed,
    RecentChanged,
    VoiceLibrary,
    VoicePasted,
    decode_clip,
)
from app.studio.options import RunOptions
from app.studio.studio import PreviewFallback, Studio, StudioEvent
from tests.audio.capture import record_monitor
from tests.conftest import serve_files
from tests.studio.conftest import KEY, online, run, until
from tests.studio.test_transport import assert_heard

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
EXTRA = 5000
UNKNOWN_ID = "0badc0de-0000-4000-8000-000000000000"


@pytest.fixture
def server_5000() -> Iterator[ThreadedServer]:
    """A server of Cartesia's size: the test tones and 5,000 voices speaking with them."""
    srv = ThreadedServer([ToneSynthesizer()], ServerConfig(api_key=KEY, extra_voices=EXTRA))
    srv.start()
    yield srv
    srv.stop()


def test_5000_voices_through_cursor_pages(server_5000: ThreadedServer) -> None:
    async def scenario() -> tuple[list[Voice], int, dict[str, object]]:
        async with VoicesClient(ClientConfig(server_5000.url, KEY)) as client:
            voices = await client.list(VoiceQuery(with_preview=True), page_size=100)
            requests = client.requests
        # Backwards from a cursor, as Cartesia's ending_before pages.
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {KEY}"}) as http, \
                http.get(f"{server_5000.url}/voices", params={
                    "limit": "100", "ending_before": voices[250].id}) as response:
            back = await response.json()
        return voices, requests, back

    voices, requests, back = run(scenario())
    assert len(voices) == EXTRA + 1 and len({v.id for v in voices}) == EXTRA + 1
    assert requests == 51  # has_more is honoured: no extra request after the last page
    extra = voices[1:]
    assert all(UUID.fullmatch(v.id) for v in extra)
    assert {v.gender for v in extra} == {"feminine", "masculine", "gender_neutral"}
    assert len({v.accent for v in extra}) >= 5 and all(v.description for v in extra)
    assert max(len(v.name) for v in extra) > 70  # long names, as Cartesia's library has
    assert all(v.preview_file_url and v.preview_file_url.startswith(server_5000.url)
               and v.preview_file_url.endswith(".mp3") for v in voices)
    assert isinstance(back, dict) and isinstance(back["data"], list)
    assert [item["id"] for item in back["data"]] == [v.id for v in voices[150:250]]


def test_extra_voices_speak_with_an_offline_voice_in_their_language() -> None:
    tones, espeak = ToneSynthesizer(), EspeakSynthesizer()
    wrapped = with_extra_voices([tones, espeak], 40)
    again = with_extra_voices([ToneSynthesizer(), EspeakSynthesizer()], 40)
    extra = [v for v in wrapped[1].voices() if v.id not in {b.id for b in espeak.voices()}]
    assert len(extra) == 40 and wrapped[0].voices() == tones.voices()  # tones only if alone
    assert [v.id for v in extra] == [v.id for v in again[1].voices()[-40:]]  # stable ids
    assert {v.language for v in extra} == {v.language for v in espeak.voices()}
    german = next(v for v in extra if v.language == "de")
    events = list(wrapped[1].synthesize(SynthRequest(text="Guten Tag.", voice_id=german.id,
                                                     sample_rate=16000, language="de")))
    audio = np.concatenate([e.samples for e in events if isinstance(e, AudioOut)])
    assert len(audio) > 8000 and float(np.abs(audio).max()) > 0.05


def test_a_pasted_id_is_looked_up_and_kept(server_5000: ThreadedServer,
                                           server: ThreadedServer, tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")

    async def scenario() -> tuple[list[LibraryEvent], list[Voice], Voice]:
        async with VoicesClient(ClientConfig(server_5000.url, KEY)) as client:
            wanted = (await client.list(page_size=100, limit=300))[-1]
        big_endpoints = online(server_5000, settings)
        library = VoiceLibrary(big_endpoints, settings, None)
        events: list[LibraryEvent] = []
        library.events.connect(events.append)
        try:
            await library.paste(f"  {wanted.id.upper()}\n")  # as copied from a web page
            await library.paste(UNKNOWN_ID)
            await library.paste("Ada the calm narrator")
        finally:
            await big_endpoints.close()
        # Another server, which does not list that voice: the pasted one stays.
        small = online(server, settings)
        try:
            other = VoiceLibrary(small, settings, None)
            await other.refresh()
            return events, other.voices, wanted
        finally:
            await small.close()

    events, listed, wanted = run(scenario())
    pasted, unknown, malformed = events
    assert isinstance(pasted, VoicePasted) and pasted.voice.id == wanted.id
    assert pasted.voice.name == wanted.name and pasted.pasted == (wanted.id,)
    assert pasted.voice.preview_file_url  # asked with expand[]=preview_file_url
    assert isinstance(unknown, LookupFailed)
    assert unknown.message == (f"no voice with id {UNKNOWN_ID} on {server_5000.url} (it may "
                               "be private to another account, or deleted)")
    assert isinstance(malformed, LookupFailed) and "is not a voice id" in malformed.message
    assert [item["id"] for item in settings.get(PASTED_VOICES)] == [wanted.id]
    settings.save()  # what is kept is plain JSON, read back as the same voice
    kept = Settings(tmp_path / "settings.json").get(PASTED_VOICES)
    assert Voice.from_json(kept[0]) == pasted.voice
    assert listed[-1].id == wanted.id and wanted.id not in {v.id for v in listed[:-1]}


def test_lookup_messages_offline_and_unreachable(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def scenario() -> list[str]:
        offline = Endpoints(Settings(None), RunOptions(offline=True), environ={})
        gone = Endpoints(Settings(None), RunOptions(api_key=KEY,
                                                    base_url=f"http://127.0.0.1:{port}"),
                         environ={})
        messages = []
        try:
            for endpoints in (offline, gone):
                with pytest.raises(VoiceLookupFailed) as caught:
                    await VoiceLibrary(endpoints, Settings(None), None).lookup(UNKNOWN_ID)
                messages.append(str(caught.value))
            tones = await VoiceLibrary(offline, Settings(None), None).lookup(
                ToneSynthesizer().voices()[0].id)
            assert tones.offline
        finally:
            await offline.close()
            await gone.close()
        return messages

    offline_message, unreachable = run(scenario(), timeout=60)
    assert offline_message.startswith(f"no voice with id {UNKNOWN_ID} among the offline voices")
    assert unreachable.startswith(f"could not look up voice {UNKNOWN_ID}: cannot connect to "
                                  f"http://127.0.0.1:{port}")


def test_recent_voices_come_from_recorded_takes(tmp_path: Path) -> None:
    settings = Settings(None)
    settings.set(OUTPUT_DEVICE, "no-such-device-anywhere")
    tones = ToneSynthesizer().voices()[0]

    async def scenario() -> list[LibraryEvent]:
        from app.engine.local import LocalEngine

        s = Studio(settings, RunOptions(offline=True),
                   engine=LocalEngine(ServerConfig(), [ToneSynthesizer()]))
        seen: list[LibraryEvent] = []
        s.library.events.connect(seen.append)
        try:
            for n in range(12):
                s.library.note_used(f"voice-{n}")
            s.library.note_used("voice-5")
            await s.play(Draft(text="Recent."), tones).wait()
        finally:
            await s.shutdown()
        return seen

    seen = run(scenario())
    recent = settings.get(RECENT_VOICES)
    assert recent[:2] == [tones.id, "voice-5"] and len(recent) == 10
    assert recent[2:] == [f"voice-{n}" for n in (11, 10, 9, 8, 7, 6, 4, 3)]
    assert seen[-1] == RecentChanged(tuple(recent))


def test_an_mp3_preview_is_decoded_and_kept(server_5000: ThreadedServer,
                                            tmp_path: Path) -> None:
    async def scenario() -> tuple[Voice, np.ndarray, int, np.ndarray]:
        endpoints = online(server_5000)
        try:
            library = VoiceLibrary(endpoints, Settings(None), tmp_path)
            voice = await library.lookup(str(with_extra_voices(
                [ToneSynthesizer()], 3)[0].voices()[-1].id))
            take = await library.preview_clip(voice)
            first = take.samples.copy()
        finally:
            await endpoints.close()
        # Kept: read again with no server to ask (a URL nobody answers).
        gone = Endpoints(Settings(None), RunOptions(api_key=KEY, base_url="http://127.0.0.1:9"),
                         environ={})
        try:
            again = await VoiceLibrary(gone, Settings(None), tmp_path).preview_clip(voice)
        finally:
            await gone.close()
        return voice, first, take.sample_rate, again.samples

    voice, samples, rate, again = run(scenario())
    (kept,) = (tmp_path / "previews").iterdir()
    assert kept.read_bytes()[:2] in (b"\xff\xf3", b"\xff\xfb", b"ID")  # an MP3 as served
    assert kept.name.startswith(voice.id)
    served, served_rate = soundfile.read(kept, dtype="float32")  # decoded on its own
    assert served_rate == rate
    np.testing.assert_array_equal(samples, served)
    assert rate == 24000 and len(samples) > rate  # a sentence of tones
    assert float(np.abs(samples).max()) > 0.2
    np.testing.assert_array_equal(again, samples)


def test_the_format_is_told_from_the_content_not_the_url(tmp_path: Path) -> None:
    clip = (0.25 * np.sin(np.arange(8000) / 4)).astype(np.float32)
    stereo = np.stack([1.5 * clip, 0.5 * clip], axis=1)  # mixed to mono: the clip

    def encoded(fmt: str, audio: np.ndarray, subtype: str | None = None) -> bytes:
        out = io.BytesIO()
        soundfile.write(out, audio, 16000, format=fmt, subtype=subtype)
        return out.getvalue()

    files = {"/flac.mp3": encoded("FLAC", clip), "/wav.flac": encoded("WAV", stereo, "FLOAT"),
             "/noise.mp3": b"<html>Access denied</html>" * 20}

    async def scenario() -> list[np.ndarray | str]:
        runner = await serve_files(files)
        port = runner.addresses[0][1]
        endpoints = Endpoints(Settings(None), RunOptions(offline=True), environ={})
        out: list[np.ndarray | str] = []
        try:
            library = VoiceLibrary(endpoints, Settings(None), tmp_path)
            for path in files:
                voice = Voice(id=path[1:path.index(".")], name=f"Clip {path}",
                              preview_file_url=f"http://127.0.0.1:{port}{path}")
                try:
                    out.append((await library.preview_clip(voice)).samples)
                except PreviewUnplayable as exc:
                    out.append(str(exc))
        finally:
            await endpoints.close()
            await runner.cleanup()
        return out

    flac, wav, noise = run(scenario())
    assert isinstance(flac, np.ndarray) and isinstance(wav, np.ndarray)
    np.testing.assert_allclose(flac, clip, atol=1e-4)  # 16-bit FLAC
    np.testing.assert_array_equal(wav, clip)  # float WAV, stereo mixed to mono
    assert isinstance(noise, str) and noise.startswith(
        "the preview clip of Clip /noise.mp3 cannot be played: its 520 bytes are not audio "
        "in a format we read (MP3, WAV, FLAC, Ogg)")
    kept = sorted(p.name[:p.name.index("-") + 1] for p in (tmp_path / "previews").iterdir())
    assert kept == ["flac-", "wav-"]  # only clips that decoded are kept


def test_decode_clip_refuses_empty_and_silent_files() -> None:
    with pytest.raises(PreviewUnplayable, match="the clip is empty"):
        decode_clip(b"")
    empty_wav = io.BytesIO()
    soundfile.write(empty_wav, np.zeros(0, np.float32), 16000, format="WAV")
    with pytest.raises(PreviewUnplayable, match="holds no audio"):
        decode_clip(empty_wav.getvalue())


def test_an_undecodable_preview_falls_back_to_a_generated_sample(server: ThreadedServer,
                                                                 tmp_path: Path) -> None:
    settings = Settings(None)
    settings.set(OUTPUT_DEVICE, "no-such-device-anywhere")

    async def scenario() -> list[StudioEvent]:
        runner = await serve_files({"/bad.mp3": b"\x00" * 400})
        port = runner.addresses[0][1]
        s = Studio(settings, RunOptions(api_key=KEY, base_url=server.url), cache_dir=tmp_path)
        events: list[StudioEvent] = []
        s.events.connect(events.append)
        tones = ToneSynthesizer().voices()[0]
        voice = Voice(id=tones.id, name="Tones with a bad clip",
                      preview_file_url=f"http://127.0.0.1:{port}/bad.mp3")
        try:
            s.preview(voice, Draft())
            await until(lambda: s.recorder.current is not None)
            current = s.recorder.current
            assert current is not None and not current.keep
            await current.wait()
        finally:
            await s.shutdown()
            await runner.cleanup()
        return events

    events = run(scenario())
    (fallback,) = [e for e in events if isinstance(e, PreviewFallback)]
    assert "cannot be played: its 400 bytes are not audio" in fallback.reason


@pytest.mark.sound
def test_an_mp3_preview_is_heard_through_the_player(server_5000: ThreadedServer,
                                                     tmp_path: Path) -> None:
    async def scenario() -> np.ndarray:
        s = Studio(Settings(None), RunOptions(api_key=KEY, base_url=server_5000.url),
                   cache_dir=tmp_path)
        try:
            voice = await s.library.lookup(
                with_extra_voices([ToneSynthesizer()], 1)[0].voices()[-1].id)
            s.preview(voice, Draft())
            await until(lambda: s.transport.take is not None and s.transport.playing)
            take = s.transport.take
            assert take is not None and take.settings.text.startswith("Preview clip")
            await s.transport.wait_played(limit=10)
            await asyncio.sleep(0.1)
            return take.samples.copy()
        finally:
            await s.shutdown()

    with record_monitor() as cap:
        played = run(scenario())
    assert_heard(cap.audio(), played)
