"""Settings: the API key (kept in the OS keyring), server, sound and offline mode.

The key is written to the keyring only, never to the settings file; the dialog
shows whether one is stored (its last four characters) and never shows it.
Reading the keyring is a D-Bus call: it runs off the loop. Options given for
this run only (``--offline``, ``--base-url``) are shown as such, not saved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

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
        self.key.setPlaceholderText("paste a Cartesia API key to store it")
        self.store_button = QPushButton("Store in keyring")
        self.remove_button = QPushButton("Remove")
        self.test_button = QPushButton("Test")
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        for button in (self.store_button, self.remove_button, self.test_button):
            key_row.addWidget(button)
        self.key_status = QLabel()
        self.key_status.setWordWrap(True)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
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
        form = QFormLayout(self)
        form.addRow("Cartesia API key", key_row)
        form.addRow("", self.key_status)
        form.addRow("", self.test_result)
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
        self.key_status.setText("Looking in the keyring…")
        self._later(self.refresh_status())

    def _later(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def refresh_status(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            stored = await loop.run_in_executor(None, credentials.read_keyring)
        except credentials.KeyringUnavailable as exc:
            self.key_status.setText(str(exc))
            self.store_button.setEnabled(False)
            self.remove_button.setEnabled(False)
            return
        env = credentials.find_key(None, use_keyring=False).key
        if stored:
            text = f"A key is stored in the keyring ({credentials.mask(stored)})."
        else:
            text = "No key is stored in the keyring."
        if env is not None:
            text += f" {credentials.ENV_VAR} is set and is used first."
        self.key_status.setText(text)
        self.remove_button.setEnabled(stored is not None)

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
            self.key_status.setText(str(exc))
            return
        self.key.clear()
        if self.endpoints is not None:
            self.endpoints.key_changed()
        await self.refresh_status()

    def _start_test(self) -> None:
        self._later(self.test_key())

    async def test_key(self) -> None:
        """List one page of voices with the key typed (or the stored one)."""
        self.test_result.setText("Testing…")
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
            self.test_result.setText(f"✗ {exc}")
            return
        self.test_result.setText(f"✓ The server answered with {len(voices)} voices.")

    def save(self) -> None:
        self.settings.set(BASE_URL, self.base_url.text().strip())
        self.settings.set(API_VERSION, self.api_version.text().strip() or DEFAULT_API_VERSION)
        self.settings.set(OUTPUT_DEVICE, self.device.currentData() or "")
        self.settings.set(PREBUFFER_MS, self.prebuffer.value())
        self.settings.set(OFFLINE_ONLY, self.offline_only.isChecked())
        try:
            self.settings.save()
        except VoiceboothError as exc:
            self.key_status.setText(str(exc))

    async def wait_idle(self) -> None:
        """Until the keyring work started by the dialog is done (tests, closing)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))


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
