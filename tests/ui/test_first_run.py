"""The first run and the key: offline voices at once, the "Add your Cartesia key" card,
Cartesia's voices loading with progress, and the settings dialog saying where the key
in use came from.

The real window over a real studio, a loopback server that requires a key and notes
the Authorization header it is sent, real ``.env`` files in a working folder of the
test's own, and a real Secret Service (or keyring's ``fail`` backend for "no keyring").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from app import credentials
from app.cartesia.voices_types import Voice
from app.engine.server import ServerConfig, ThreadedServer
from app.engine.synth.base import SynthEvent, SynthRequest
from app.engine.synth.tones import ToneSynthesizer
from app.settings import BASE_URL, Settings
from app.studio.endpoints import Endpoints
from app.studio.library import LibraryEvent, LoadingChanged
from app.studio.options import RunOptions
from app.takes.take import TakeStatus
from app.ui.library_cards import KEY_TITLE
from app.ui.settings_dialog import SettingsDialog
from app.ui.window import MainWindow
from tests.credentials.test_dotenv import HeaderNotingServer
from tests.ui.conftest import close_window, current, make_window, run, until

KEY = "sk_car_first_run_0123456789WXYZ"
#: More voices than two pages of 100, so the progress has pages to count.
VOICES = 230


class ManyVoices:
    """A server library of ``VOICES`` voices that speak as tones."""

    name = "many"

    def voices(self) -> list[Voice]:
        return [Voice(id=f"12345678-aaaa-4bbb-8ccc-{n:012d}", name=f"Library voice {n}",
                      description="a voice of the server's library", language="en",
                      gender="feminine") for n in range(VOICES)]

    def synthesize(self, request: SynthRequest) -> Iterator[SynthEvent]:
        return ToneSynthesizer().synthesize(request)


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    srv = ThreadedServer([ManyVoices()], ServerConfig(api_key=KEY),
                         server_class=HeaderNotingServer)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder of the test's own, no key in the environment, and a config
    folder with no ``.env``: a first run."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    for name in ("CARTESIA_API_KEY", "CARTESIA_BASE_URL", "CARTESIA_API_VERSION"):
        monkeypatch.delenv(name, raising=False)
    return work


def start(loop: qasync.QEventLoop, tmp_path: Path, settings: Settings | None = None,
          options: RunOptions | None = None) -> MainWindow:
    window = make_window(tmp_path, options or RunOptions(), settings=settings)
    window.resize(1280, 800)
    window.show()
    run(loop, window.studio.start())
    run(loop, window.studio.library.refresh())  # the load start() began, to its end
    return window


def server_rows(window: MainWindow) -> int:
    return sum(not v.offline for v in window.picker.model.voices)


def files_holding(folder: Path, secret: str) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()
            and secret.encode() in path.read_bytes()]


@pytest.mark.sound
def test_first_run_offline_voices_at_once_and_the_key_card(
        folder: Path, tmp_path: Path, loop: qasync.QEventLoop, qtbot: Any,
        no_keyring: None) -> None:
    window = start(loop, tmp_path)
    try:
        card = window.picker.key_card
        assert card.isVisible()
        assert card.title.text() == KEY_TITLE
        for unlocked in ("voice library", "hundreds of voices", "Sonic", "cloned voices"):
            assert unlocked in card.text.text()
        # Only offline voices, and one is chosen and plays now, with no key.
        assert window.picker.model.voices and server_rows(window) == 0
        assert window.voice is not None and window.voice.offline
        window.picker.search.setText("tones")
        window.picker.select_first()
        window.editor.setPlainText("It works with no key.")
        window.editor.revalidate()
        window.play()
        run(loop, until(lambda: (take := current(window)) is not None
                        and take.status is TakeStatus.DONE))
        # The card's button opens the settings at the key field: not a modal in the way.
        card.button.click()
        dialog = window.settings_dialog
        run(loop, until(lambda: dialog.isVisible()
                        and QApplication.focusWidget() is dialog.key))
        run(loop, dialog.wait_idle())
        assert dialog.key_in_use.text().startswith("No key in use: the built-in offline "
                                                   "voices work without one.")
        dialog.reject()
    finally:
        close_window(loop, window)


def test_the_card_stays_away_when_offline_was_chosen(
        folder: Path, tmp_path: Path, loop: qasync.QEventLoop, qtbot: Any,
        no_keyring: None) -> None:
    window = start(loop, tmp_path, options=RunOptions(offline=True))
    try:
        assert not window.picker.key_card.isVisible()
    finally:
        close_window(loop, window)


@pytest.mark.keyring
def test_the_card_goes_once_a_key_works(server: ThreadedServer, folder: Path, tmp_path: Path,
                                        loop: qasync.QEventLoop, qtbot: Any) -> None:
    assert credentials.read_keyring() is None
    window = start(loop, tmp_path)
    try:
        assert window.picker.key_card.isVisible()
        window.picker.key_card.button.click()
        dialog = window.settings_dialog
        run(loop, dialog.wait_idle())
        dialog.key.setText(KEY)
        dialog.store_button.click()
        run(loop, dialog.wait_idle())
        assert dialog.key_in_use.text() == "In use: the key ending …WXYZ, from the keyring."
        dialog.base_url.setText(server.url)
        dialog.accept()  # Save: the studio reconnects and loads the library again
        run(loop, until(lambda: server_rows(window) == VOICES))
        run(loop, window.studio.library.refresh())
        assert not window.picker.key_card.isVisible()
    finally:
        close_window(loop, window)
        credentials.delete_key()
    assert files_holding(tmp_path, KEY) == []


def test_the_window_uses_the_dotenv_key_and_shows_the_pages_loading(
        server: ThreadedServer, folder: Path, tmp_path: Path, loop: qasync.QEventLoop,
        qtbot: Any, no_keyring: None) -> None:
    (folder / ".env").write_text(f"CARTESIA_API_KEY={KEY}\n", encoding="utf-8")
    settings = Settings(tmp_path / "config" / "settings.json")
    settings.set(BASE_URL, server.url)
    window = make_window(tmp_path, RunOptions(), settings=settings)
    shown: list[str] = []

    def note(event: LibraryEvent) -> None:  # after the picker drew the event
        if isinstance(event, LoadingChanged) and event.busy:
            assert window.picker.loading_row.isVisibleTo(window.picker)
            shown.append(window.picker.loading.text())

    window.studio.library.events.connect(note)
    window.show()
    try:
        run(loop, window.studio.start())
        run(loop, window.studio.library.refresh())
        assert server_rows(window) == VOICES
        assert shown[-3:] == ["Loading voices… 100 so far (1 page)",
                              "Loading voices… 200 so far (2 pages)",
                              f"Loading voices… {VOICES} so far (3 pages)"]
        assert not window.picker.loading_row.isVisible()  # done: the bar goes
        assert not window.picker.key_card.isVisible()
        noting = server.server
        assert isinstance(noting, HeaderNotingServer)
        assert f"Bearer {KEY}" in noting.authorizations
        assert not window.picker.load_card.isVisible()
    finally:
        close_window(loop, window)
    # Settings, history, the voice cache: nothing of ours kept the key.
    assert files_holding(tmp_path, KEY) == [folder / ".env"]


def test_a_failed_load_shows_the_reason_and_retry(
        server: ThreadedServer, folder: Path, tmp_path: Path, loop: qasync.QEventLoop,
        qtbot: Any, no_keyring: None) -> None:
    wrong = "sk_car_refused_key_000000ABCD"
    (folder / ".env").write_text(f"CARTESIA_API_KEY={wrong}\n", encoding="utf-8")
    settings = Settings(tmp_path / "config" / "settings.json")
    settings.set(BASE_URL, server.url)
    window = start(loop, tmp_path, settings)
    try:
        card = window.picker.load_card
        assert card.isVisible()
        assert "Invalid or missing API key" in card.message()
        assert card.message().endswith("The offline voices still work.")
        assert wrong not in card.message()
        assert server_rows(window) == 0 and window.picker.model.voices  # offline ones
        noting = server.server
        assert isinstance(noting, HeaderNotingServer)
        asked = len(noting.authorizations)
        card.button.click()  # Retry: the library is asked again
        run(loop, window.studio.library.refresh())
        assert len(noting.authorizations) > asked
        assert card.isVisible()
    finally:
        close_window(loop, window)


def test_a_malformed_dotenv_is_named_in_the_window(
        folder: Path, tmp_path: Path, loop: qasync.QEventLoop, qtbot: Any,
        no_keyring: None) -> None:
    (folder / ".env").write_text("CARTESIA_API_KEY\n", encoding="utf-8")
    window = start(loop, tmp_path)
    try:
        assert f"{folder / '.env'}:1: this line is not NAME=value" in window.banner.message()
        assert window.banner.kind == "warning"  # the app works on: not an error
        assert window.picker.key_card.isVisible()  # no key came of it
    finally:
        close_window(loop, window)


# --- the settings dialog: where the key in use came from ---------------------------------


def dialog_texts(dialog: SettingsDialog) -> str:
    return "\n".join(label.text() for label in (dialog.key_in_use, dialog.key_status,
                                                 dialog.key_files, dialog.test_result))


def open_dialog(loop: qasync.QEventLoop, qtbot: Any, options: RunOptions) -> SettingsDialog:
    settings = Settings(None)
    dialog = SettingsDialog(None, settings, Endpoints(settings, options))
    qtbot.addWidget(dialog)
    run(loop, dialog.wait_idle())
    return dialog


@pytest.mark.parametrize("source", ["argument", "environment", "dotenv"])
def test_the_dialog_says_where_the_key_came_from_and_only_its_last_four(
        source: str, folder: Path, loop: qasync.QEventLoop, qtbot: Any,
        monkeypatch: pytest.MonkeyPatch, no_keyring: None) -> None:
    options = RunOptions()
    origin = {"argument": "from --api-key",
              "environment": "from CARTESIA_API_KEY in the environment",
              "dotenv": f"from {(folder / '.env').resolve()}"}[source]
    if source == "argument":
        options = RunOptions(api_key=KEY)
    elif source == "environment":
        monkeypatch.setenv("CARTESIA_API_KEY", KEY)
    else:
        (folder / ".env").write_text(f"CARTESIA_API_KEY={KEY}\n", encoding="utf-8")
    dialog = open_dialog(loop, qtbot, options)
    assert dialog.key_in_use.text() == f"In use: the key ending …WXYZ, {origin}."
    assert KEY[-5:] not in dialog_texts(dialog)  # never more than the last four


@pytest.mark.keyring
def test_the_dialog_says_the_keyring_key_is_in_use(folder: Path, loop: qasync.QEventLoop,
                                                   qtbot: Any) -> None:
    credentials.store_key(KEY)
    try:
        (folder / ".env").write_text("CARTESIA_API_KEY=sk_car_not_this_one_0000\n",
                                     encoding="utf-8")
        dialog = open_dialog(loop, qtbot, RunOptions())
        assert dialog.key_in_use.text() == "In use: the key ending …WXYZ, from the keyring."
        assert dialog.key_status.text() == "The keyring holds a key ending …WXYZ."
        assert KEY[-5:] not in dialog_texts(dialog)
    finally:
        credentials.delete_key()


def test_the_dialog_says_there_is_no_keyring_in_words(folder: Path, loop: qasync.QEventLoop,
                                                      qtbot: Any, no_keyring: None) -> None:
    (folder / ".env").write_text(f"OTHER=1\n{KEY}\nCARTESIA_API_KEY={KEY}\n",
                                 encoding="utf-8")
    dialog = open_dialog(loop, qtbot, RunOptions())
    assert dialog.key_status.text() == (
        "No keyring on this system: Voicebooth cannot store a key. Set CARTESIA_API_KEY "
        "or put it in a .env file.")
    assert "NoKeyringError" not in dialog_texts(dialog)
    assert not dialog.store_button.isEnabled() and not dialog.remove_button.isEnabled()
    assert dialog.key_files.text() == (f"{folder / '.env'}:2: this line is not NAME=value, "
                                       "so it was skipped")
    assert dialog.key_in_use.text().endswith(f"…WXYZ, from {(folder / '.env').resolve()}.")
    assert KEY[-5:] not in dialog_texts(dialog)


def test_the_first_run_window_fits_1024_by_640(
        folder: Path, tmp_path: Path, loop: qasync.QEventLoop, qtbot: Any,
        no_keyring: None) -> None:
    # The key card sits atop the voices column: its link must wrap, not widen the column
    # past what a 1024 px window gives it (it made the window 1158 px wide).
    window = start(loop, tmp_path)
    try:
        assert window.picker.key_card.isVisible()
        need = window.centralWidget().minimumSizeHint()
        assert need.width() <= 1024, need
    finally:
        close_window(loop, window)


def test_the_settings_dialog_grows_to_show_what_it_says_of_the_key(
        folder: Path, tmp_path: Path, loop: qasync.QEventLoop, qtbot: Any,
        no_keyring: None) -> None:
    # What is said of the key arrives after the dialog is shown and is longer than
    # "Looking for a key…": the dialog must grow, or the lines overlap and are cut.
    window = start(loop, tmp_path)
    try:
        window.picker.key_card.button.click()
        dialog = window.settings_dialog
        run(loop, until(lambda: dialog.isVisible()))
        run(loop, dialog.wait_idle())
        labels = (dialog.key_in_use, dialog.key_status.text_label)
        run(loop, until(lambda: all(label.height() >= label.heightForWidth(label.width())
                                    for label in labels), seconds=2))
        dialog.reject()
    finally:
        close_window(loop, window)
