"""Settings: the API key (kept in the OS keyring), server, sound and offline mode.

The key is written to the keyring only, never to the settings file or a
``.env`` file; the dialog says which key is in use and where it came from
("from the keyring", "from /path/.env"…), shows at most its last four
characters, and says in words when the system has no keyring. Reading the
keyring and the ``.env`` files is blocking: it runs off the loop. Options given
for this run only (``--offline``, ``--base-url``) are shown as such, not saved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import credentials
from app.audio.devices import output_devices
from app.audio.errors import NoAudioDevice
from app.cartesia.config import DEFAULT_BASE_URL, ClientConfig
from app.cartesia.messages import DEFAULT_API_VERSION
from app.cartesia.rest import RetryPolicy
from app.cartesia.voices import VoicesClient
from app.errors import VoiceboothError
from app.settings import (
    API_VERSION,
    BASE_URL,
    OFFLINE_ONLY,
    OUTPUT_DEVICE,
    PREBUFFER_MS,
    Settings,
)
from app.studio.endpoints import Endpoints
from app.ui.appearance import AppearanceBox
from app.ui.icons import icon
from app.ui.metrics import BODY, GAP, LOOSE, MARGIN, TIGHT, scaled, spaced
from app.ui.notice import NoticeLabel


class SettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None, settings: Settings,
                 endpoints: Endpoints | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.endpoints = endpoints
        self._tasks: set[asyncio.Future[None]] = set()
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("Paste a Cartesia API key")
        self.store_button = QPushButton(icon("key"), "Store in keyring")
        self.remove_button = QPushButton(icon("delete"), "Remove")
        self.remove_button.setToolTip("Remove the key from the keyring (a .env file or "
                                      f"{credentials.ENV_VAR} is left as it is)")
        self.test_button = QPushButton(icon("cloud"), "Test")
        self.test_button.setToolTip("List a page of voices with the key typed, or the key "
                                    "in use")
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        for button in (self.store_button, self.remove_button, self.test_button):
            key_row.addWidget(button)
        #: Which key is in use and where it came from; then what the keyring holds,
        #: and what was wrong in a .env file.
        self.key_in_use = QLabel()
        self.key_in_use.setWordWrap(True)
        self.key_in_use.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_status = NoticeLabel()
        self.key_files = NoticeLabel()
        self.test_result = NoticeLabel()
        self.base_url = QLineEdit(settings.get(BASE_URL))
        self.base_url.setPlaceholderText(DEFAULT_BASE_URL)
        self.api_version = QLineEdit(settings.get(API_VERSION) or DEFAULT_API_VERSION)
        self.device = QComboBox()
        self.device.addItem("System default", "")
        try:
            for device in output_devices():
                self.device.addItem(f"{device.name} ({device.host_api})", device.name)
        except NoAudioDevice as exc:
            self.device.addItem(f"no devices: {exc}", "")
        wanted = settings.get(OUTPUT_DEVICE)
        if wanted and self.device.findData(wanted) < 0:
            self.device.addItem(f"{wanted} (not found)", wanted)
        self.device.setCurrentIndex(max(0, self.device.findData(wanted)))
        self.prebuffer = QSpinBox()
        self.prebuffer.setRange(10, 1000)
        self.prebuffer.setSuffix(" ms")
        self.prebuffer.setValue(settings.get(PREBUFFER_MS))
        self.offline_only = QCheckBox("Use only the built-in offline engine")
        self.offline_only.setChecked(settings.get(OFFLINE_ONLY))
        self.run_note = QLabel(_run_note(endpoints))
        self.run_note.setWordWrap(True)
        # The key's row and what is said about it, as one block on the grid: in a form
        # row each wrapped label would get a row's spacing of its own.
        key_box = QWidget()
        key_layout = QVBoxLayout(key_box)
        spaced(key_layout, 0, TIGHT)
        key_layout.setContentsMargins(0, 0, 0, LOOSE - GAP)  # a group apart from the rest
        key_layout.addLayout(key_row)
        for label in (self.key_in_use, self.key_status, self.key_files, self.test_result):
            key_layout.addWidget(label)
        self.key.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 30))
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 90))
        form = QFormLayout(self)
        spaced(form, MARGIN, GAP)
        # A heading over the whole width: the key's messages are long (a .env path),
        # and a form label beside wrapped text gets squeezed.
        key_label = QLabel("&Cartesia API key")
        key_label.setFont(scaled(self.font(), BODY, bold=True))
        key_label.setBuddy(self.key)
        form.addRow(key_label)
        form.addRow(key_box)
        form.addRow("Base URL", self.base_url)
        form.addRow("API version", self.api_version)
        self.appearance = AppearanceBox(settings)  # applies at once, like the desktop's
        form.addRow("Appearance", self.appearance)
        form.addRow("Output device", self.device)
        form.addRow("Prebuffer", self.prebuffer)
        form.addRow("", self.offline_only)
        if self.run_note.text():
            form.addRow("", self.run_note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.store_button.clicked.connect(self.store_key)
        self.remove_button.clicked.connect(self.remove_key)
        self.test_button.clicked.connect(self._start_test)
        self.accepted.connect(self.save)
        self.key_in_use.setText("Looking for a key…")
        self._later(self.refresh_status())

    def _later(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def focus_key(self) -> None:
        """The first run's "Add key…": the cursor in the key field."""
        self.key.setFocus(Qt.FocusReason.OtherFocusReason)

    async def refresh_status(self) -> None:
        explicit = self.endpoints.options.api_key if self.endpoints is not None else None
        report = await asyncio.get_running_loop().run_in_executor(
            None, credentials.key_report, explicit)
        self.key_in_use.setText(in_use_text(report.in_use))
        problem = report.keyring_problem is not None
        self.key_status.set_notice("warning" if problem else "info", keyring_text(report))
        self.store_button.setEnabled(not problem)
        self.remove_button.setEnabled(not problem and report.stored is not None)
        self.key.setPlaceholderText(
            "Paste a key to test it" if problem else "Paste a Cartesia API key")
        self.key_files.set_notice("warning", "\n".join(report.file_problems))
        self.adjustSize()  # longer than "Looking for a key…": grow, or the lines overlap

    def store_key(self) -> None:
        self._later(self._change_key(self.key.text()))

    def remove_key(self) -> None:
        self._later(self._change_key(None))

    async def _change_key(self, value: str | None) -> None:
        loop = asyncio.get_running_loop()
        try:
            if value is None:
                await loop.run_in_executor(None, credentials.delete_key)
            else:
                await loop.run_in_executor(None, credentials.store_key, value)
        except credentials.CredentialsError as exc:
            self.key_status.set_notice("error", str(exc))
            return
        self.key.clear()
        if self.endpoints is not None:
            self.endpoints.key_changed()
        await self.refresh_status()

    def _start_test(self) -> None:
        self._later(self.test_key())

    async def test_key(self) -> None:
        """List one page of voices with the key typed (or the stored one)."""
        self.test_result.set_notice("info", "Testing…")
        lookup = await asyncio.get_running_loop().run_in_executor(
            None, credentials.find_key, self.key.text())
        key = lookup.key
        try:
            config = ClientConfig(self.base_url.text().strip() or DEFAULT_BASE_URL,
                                  key.value if key else None,
                                  self.api_version.text().strip() or DEFAULT_API_VERSION)
            async with VoicesClient(config, RetryPolicy(attempts=1)) as client:
                voices = await client.list(limit=10, page_size=10)
        except VoiceboothError as exc:
            self.test_result.set_notice("error", f"The test failed: {exc}")
            return
        self.test_result.set_notice(
            "success", f"The key works: the server answered with {len(voices)} voices.")

    def save(self) -> None:
        self.settings.set(BASE_URL, self.base_url.text().strip())
        self.settings.set(API_VERSION, self.api_version.text().strip() or DEFAULT_API_VERSION)
        self.settings.set(OUTPUT_DEVICE, self.device.currentData() or "")
        self.settings.set(PREBUFFER_MS, self.prebuffer.value())
        self.settings.set(OFFLINE_ONLY, self.offline_only.isChecked())
        try:
            self.settings.save()
        except VoiceboothError as exc:
            self.key_status.set_notice("error", str(exc))

    async def wait_idle(self) -> None:
        """Until the keyring work started by the dialog is done (tests, closing)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))


def in_use_text(key: credentials.ApiKey | None) -> str:
    """Which key this window uses, in words: where it came from and its last four
    characters, never more."""
    if key is None:
        return ("No key in use: the built-in offline voices work without one. Store a key "
                f"here, set {credentials.ENV_VAR}, or put it in a .env file to use "
                "Cartesia's voices.")
    return f"In use: the key ending {credentials.mask(key.value)}, {key.origin}."


def keyring_text(report: credentials.KeyReport) -> str:
    if report.keyring_problem is not None:
        return report.keyring_problem
    if report.stored is None:
        return "The keyring holds no key."
    text = f"The keyring holds a key ending {credentials.mask(report.stored)}."
    if report.in_use is not None and report.in_use.source in ("argument", "environment"):
        text += f" The key {report.in_use.origin} is used first."
    return text


def _run_note(endpoints: Endpoints | None) -> str:
    """What this run was started with, which these settings do not change."""
    if endpoints is None:
        return ""
    options = endpoints.options
    given = [flag for flag, on in (("--offline", options.offline),
                                   ("--api-key", options.api_key),
                                   ("--base-url", options.base_url),
                                   ("--api-version", options.api_version)) if on]
    if not given:
        return ""
    return (f"This run was started with {', '.join(given)}: those win over the settings "
            "above until the app is started without them.")
