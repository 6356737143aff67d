"""Settings: the API key (kept in the OS keyring), server, sound and offline mode.

The key is written to the keyring only, never to the settings file; the dialog
shows whether one is stored (its last four characters) and never shows it.
"""

from __future__ import annotations

import asyncio

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
from app.cartesia.voices import RetryPolicy, VoicesClient
from app.errors import VoiceboothError
from app.settings import Settings


class SettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None, settings: Settings) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
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
        self.base_url = QLineEdit(settings.get("base_url"))
        self.base_url.setPlaceholderText(DEFAULT_BASE_URL)
        self.api_version = QLineEdit(settings.get("api_version") or DEFAULT_API_VERSION)
        self.device = QComboBox()
        self.device.addItem("System default", "")
        try:
            for device in output_devices():
                self.device.addItem(f"{device.name} ({device.host_api})", device.name)
        except NoAudioDevice as exc:
            self.device.addItem(f"no devices: {exc}", "")
        wanted = settings.get("output_device")
        if wanted and self.device.findData(wanted) < 0:
            self.device.addItem(f"{wanted} (not found)", wanted)
        self.device.setCurrentIndex(max(0, self.device.findData(wanted)))
        self.prebuffer = QSpinBox()
        self.prebuffer.setRange(10, 1000)
        self.prebuffer.setSuffix(" ms")
        self.prebuffer.setValue(settings.get("prebuffer_ms"))
        self.offline_only = QCheckBox("Use only the built-in offline engine")
        self.offline_only.setChecked(settings.get("offline_only"))
        form = QFormLayout(self)
        form.addRow("Cartesia API key", key_row)
        form.addRow("", self.key_status)
        form.addRow("", self.test_result)
        form.addRow("Base URL", self.base_url)
        form.addRow("API version", self.api_version)
        form.addRow("Output device", self.device)
        form.addRow("Prebuffer", self.prebuffer)
        form.addRow("", self.offline_only)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.store_button.clicked.connect(self.store_key)
        self.remove_button.clicked.connect(self.remove_key)
        self.test_button.clicked.connect(self._start_test)
        self.accepted.connect(self.save)
        self._test: asyncio.Future[None] | None = None
        self.refresh_status()

    def refresh_status(self) -> None:
        try:
            stored = credentials.read_keyring()
        except credentials.KeyringUnavailable as exc:
            self.key_status.setText(str(exc))
            self.store_button.setEnabled(False)
            self.remove_button.setEnabled(False)
            return
        env = credentials.resolve_key(None, use_keyring=False)
        if stored:
            text = f"A key is stored in the keyring ({credentials.mask(stored)})."
        else:
            text = "No key is stored in the keyring."
        if env is not None:
            text += f" {credentials.ENV_VAR} is set and is used first."
        self.key_status.setText(text)
        self.remove_button.setEnabled(stored is not None)

    def store_key(self) -> None:
        try:
            credentials.store_key(self.key.text())
        except credentials.CredentialsError as exc:
            self.key_status.setText(str(exc))
            return
        self.key.clear()
        self.refresh_status()

    def remove_key(self) -> None:
        try:
            credentials.delete_key()
        except credentials.CredentialsError as exc:
            self.key_status.setText(str(exc))
            return
        self.refresh_status()

    def _start_test(self) -> None:
        self._test = asyncio.ensure_future(self.test_key())

    async def test_key(self) -> None:
        """List one page of voices with the key typed (or the stored one)."""
        typed = self.key.text().strip()
        key = credentials.ApiKey(typed, "argument") if typed else credentials.resolve_key()
        self.test_result.setText("Testing…")
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
        self.settings.set("base_url", self.base_url.text().strip())
        self.settings.set("api_version", self.api_version.text().strip() or DEFAULT_API_VERSION)
        self.settings.set("output_device", self.device.currentData() or "")
        self.settings.set("prebuffer_ms", self.prebuffer.value())
        self.settings.set("offline_only", self.offline_only.isChecked())
        self.settings.save()
