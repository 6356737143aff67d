"""The window with a key and a base URL: the server's voices, played through that server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync

from app.cartesia.voices_types import Voice
from app.engine.local import LocalEngine
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.base import SynthEvent, SynthRequest
from app.engine.synth.tones import ToneSynthesizer
from app.settings import Settings
from app.takes.history import History
from app.takes.take import TakeStatus
from app.ui.session import Session
from app.ui.window import MainWindow
from tests.ui.conftest import run, until, watch_highlight

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
    settings.set("base_url", server.url)
    history = History(tmp_path / "history")
    session = Session(settings, history, engine=LocalEngine(synthesizers=[ToneSynthesizer()]))
    window = MainWindow(settings, history, session=session, cache_dir=tmp_path / "cache")
    window.show()
    run(loop, window.start())
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
    assert window.take is not None and window.take.status is TakeStatus.DONE
    assert window.take.settings.base_url == server.url and not window.take.settings.offline
    assert seen == [0, 1, 2, 3]
    window.close()
    run(loop, window.shutdown())
    window.deleteLater()


def test_a_rejected_key_is_a_banner_with_retry(server: ThreadedServer, tmp_path: Path,
                                               loop: qasync.QEventLoop, qtbot: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTESIA_API_KEY", "sk_wrong_key_for_window")
    settings = Settings(tmp_path / "settings.json")
    settings.set("base_url", server.url)
    session = Session(settings, None, engine=LocalEngine(synthesizers=[ToneSynthesizer()]))
    window = MainWindow(settings, None, session=session, cache_dir=tmp_path / "cache")
    window.show()
    run(loop, window.start())
    run(loop, until(lambda: "Invalid or missing API key" in window.banner.message()))
    assert "sk_wrong_key_for_window" not in window.banner.message()
    # Offline voices still work while the key is refused.
    assert window.picker.model.row_of("7e57701e-0000-4000-8000-000000000001") is not None
    window.close()
    run(loop, window.shutdown())
    window.deleteLater()
