"""The window with a key and a base URL: the server's voices, played through that server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync

from app.cartesia.voices_types import Voice
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.base import SynthEvent, SynthRequest
from app.engine.synth.tones import ToneSynthesizer
from app.settings import BASE_URL, OUTPUT_DEVICE, Settings
from app.studio.options import RunOptions
from app.takes.take import TakeStatus
from tests.conftest import serve_files
from tests.ui.conftest import close_window, current, make_window, run, until, watch_highlight

KEY = "sk_window_online_0123456789"
REMOTE_ID = "12345678-aaaa-4bbb-8ccc-000000000042"


class RemoteTones:
    """The tone voice under an id of its own: a voice only the server has."""

    name = "remote"

    def voices(self) -> list[Voice]:
        return [Voice(id=REMOTE_ID, name="Studio Narrator", description="remote test voice",
                      language="en", gender="feminine")]

    def synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        return ToneSynthesizer().synthesize(request)


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    srv = ThreadedServer([RemoteTones()], ServerConfig(api_key=KEY, pace=2.0))
    srv.start()
    yield srv
    srv.stop()


@pytest.mark.sound
def test_plays_the_servers_voice_through_the_server(server: ThreadedServer, tmp_path: Path,
                                                    loop: qasync.QEventLoop, qtbot: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTESIA_API_KEY", KEY)
    settings = Settings(tmp_path / "settings.json")
    settings.set(BASE_URL, server.url)
    window = make_window(tmp_path, RunOptions(), settings=settings)
    window.show()
    run(loop, window.studio.start())
    run(loop, window.studio.library.refresh())  # to its end, while the loop runs
    run(loop, until(lambda: window.picker.model.row_of(REMOTE_ID) is not None))
    window.picker.search.setText("narrator")
    window.picker.select_first()
    assert window.voice is not None and window.voice.id == REMOTE_ID
    assert not window.voice.offline
    assert window.connection_label.text() == f"connected to {server.url}"
    window.editor.setPlainText("One two three four.")
    window.editor.revalidate()
    window.play()
    seen = run(loop, watch_highlight(window))
    take = current(window)
    assert take is not None and take.status is TakeStatus.DONE
    assert take.settings.base_url == server.url and not take.settings.offline
    assert seen == [0, 1, 2, 3]
    close_window(loop, window)


def test_a_rejected_key_is_a_banner_with_retry(server: ThreadedServer, tmp_path: Path,
                                               loop: qasync.QEventLoop, qtbot: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTESIA_API_KEY", "sk_wrong_key_for_window")
    settings = Settings(tmp_path / "settings.json")
    settings.set(BASE_URL, server.url)
    window = make_window(tmp_path, RunOptions(), settings=settings, history=False)
    window.show()
    run(loop, window.studio.start())
    run(loop, window.studio.library.refresh())  # to its end, while the loop runs
    run(loop, until(lambda: "Invalid or missing API key" in window.banner.message()))
    assert "sk_wrong_key_for_window" not in window.banner.message()
    # Offline voices still work while the key is refused.
    assert window.picker.model.row_of("7e57701e-0000-4000-8000-000000000001") is not None
    close_window(loop, window)


class PreviewVoices:
    """Two server voices with preview clips: one a WAV file, one not playable here."""

    name = "previews"

    def __init__(self, clips_url: str) -> None:
        self.clips_url = clips_url

    def voices(self) -> list[Voice]:
        return [Voice(id="aaaaaaaa-0000-4000-8000-00000000c11b", name="Clip Voice",
                      language="en", preview_file_url=f"{self.clips_url}/clip.wav"),
                Voice(id="aaaaaaaa-0000-4000-8000-00000000c11c", name="Mp3 Voice",
                      language="en", preview_file_url=f"{self.clips_url}/clip.mp3")]

    def synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        return ToneSynthesizer().synthesize(request)


def test_preview_plays_the_clip_or_falls_back_to_a_sample(tmp_path: Path,
                                                          loop: qasync.QEventLoop,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    import numpy as np

    from app.audio.wav import encode_wav

    clip = (0.3 * np.sin(np.arange(8000) / 5)).astype(np.float32)
    files = {"/clip.wav": encode_wav(clip, 8000, "float32"), "/clip.mp3": b"ID3\x04fake"}

    runner = run(loop, serve_files(files))
    port = runner.addresses[0][1]
    server = ThreadedServer([PreviewVoices(f"http://127.0.0.1:{port}")],
                            ServerConfig(api_key=KEY))
    server.start()
    try:
        monkeypatch.setenv("CARTESIA_API_KEY", KEY)
        settings = Settings(tmp_path / "settings.json")
        settings.set(BASE_URL, server.url)
        settings.set(OUTPUT_DEVICE, "no-such-device")  # the clip, not the sound, matters
        window = make_window(tmp_path, RunOptions(), settings=settings, history=False)
        window.show()
        run(loop, window.studio.start())
        run(loop, window.studio.library.refresh())  # to its end, while the loop runs
        run(loop, until(lambda: window.picker.model.row_of(
            "aaaaaaaa-0000-4000-8000-00000000c11b") is not None))
        voice = window.picker.model.voices[window.picker.model.row_of(
            "aaaaaaaa-0000-4000-8000-00000000c11b")]
        window.studio.preview(voice, window.draft())
        run(loop, until(lambda: (take := current(window)) is not None
                        and take.settings.text.startswith("Preview clip")))
        clip_take = current(window)
        assert clip_take is not None
        np.testing.assert_array_equal(clip_take.samples, clip)
        mp3 = window.picker.model.voices[window.picker.model.row_of(
            "aaaaaaaa-0000-4000-8000-00000000c11c")]
        window.studio.preview(mp3, window.draft())
        run(loop, until(lambda: (take := current(window)) is not None
                        and take.settings.voice_id == mp3.id
                        and take.status is TakeStatus.DONE))
        sample = current(window)
        assert sample is not None
        assert not sample.settings.text.startswith("Preview clip")  # generated
        # Not audio at all (an MP3 it is not, whatever its name): said, and a sample plays.
        assert "are not audio in a format we read" in window.statusBar().currentMessage()
        assert sample.id not in window.history_panel.ids()  # previews are never kept
        close_window(loop, window)
    finally:
        server.stop()
        run(loop, runner.cleanup())
