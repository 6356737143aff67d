"""The main window: voices left, the line and its controls centre, takes right.

Widgets bind to plain objects (the take, the session, the settings); the
window wires them together and holds no protocol or DSP logic.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.audio.codecs import ENCODINGS, SAMPLE_RATES
from app.cartesia.errors import ConfigError
from app.cartesia.models import Model, catalog
from app.cartesia.voices_types import Voice
from app.errors import VoiceboothError
from app.settings import Settings
from app.takes.errors import TakeError
from app.takes.export import export_take
from app.takes.history import History
from app.takes.take import Take, TakeEvent, TakeSettings, TakeStatus, WordsAdded, ab_position
from app.ui.banner import Banner
from app.ui.export_dialog import ExportDialog
from app.ui.history_panel import HistoryPanel
from app.ui.markup_editor import MarkupEditor, insert_actions
from app.ui.session import Session
from app.ui.settings_dialog import SettingsDialog
from app.ui.transcript import TranscriptView
from app.ui.voice_picker import VoicePicker
from app.ui.waveform import WaveformView

log = logging.getLogger(__name__)
SAMPLE_TEXT = "Hello! This is how I sound in Voicebooth."


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings, history: History | None,
                 session: Session | None = None, cache_dir: Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Voicebooth")
        self.settings = settings
        self.history = history
        self.session = session or Session(settings, history)
        self.cache_dir = cache_dir or Path(platformdirs.user_cache_dir("voicebooth",
                                                                       appauthor=False))
        self.voice: Voice | None = None
        self.take: Take | None = None
        self._unsubscribe_take: Any = None
        self._ab: tuple[Take, Take] | None = None
        self._previews: dict[str, Take] = {}
        self._voices_task: asyncio.Task[None] | None = None
        self._build()
        self._wire()
        self._restore()
        self.timer = QTimer(self)
        self.timer.setInterval(16)  # the playhead moves at display rate from the DAC clock
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    # --- building -----------------------------------------------------------------

    def _build(self) -> None:
        self.banner = Banner()
        self.picker = VoicePicker()
        self.editor = MarkupEditor()
        self.waveform = WaveformView()
        self.transcript = TranscriptView()
        self.history_panel = HistoryPanel()
        self.model_box = QComboBox()
        for model in catalog().models:
            self.model_box.addItem(model.label, model.id)
        self.language_box = QComboBox()
        self.language_warning = QLabel()
        self.language_warning.setStyleSheet("color: #c77700;")
        self.speed = QDoubleSpinBox()
        self.speed.setRange(*catalog().ranges["speed"])
        self.speed.setSingleStep(0.05)
        self.speed.setPrefix("speed ")
        self.volume = QDoubleSpinBox()
        self.volume.setRange(*catalog().ranges["volume"])
        self.volume.setSingleStep(0.1)
        self.volume.setPrefix("volume ")
        self.emotion = QComboBox()
        self.emotion.addItem("no emotion", "")
        for emotion in catalog().emotions:
            self.emotion.addItem(emotion, emotion)
        self.encoding = QComboBox()
        for encoding in ENCODINGS:
            self.encoding.addItem(encoding, encoding)
        self.rate = QComboBox()
        for rate in SAMPLE_RATES:
            self.rate.addItem(f"{rate} Hz", rate)
        self.play_button = QPushButton("▶ Play")
        self.play_button.setToolTip("Generate and play (Ctrl+Enter)")
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setToolTip("Stop (Esc)")
        self.export_button = QPushButton("Export…")
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #d32f2f;")

        self.language_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.language_box.setMinimumContentsLength(12)
        controls = QVBoxLayout()
        first_row, second_row = QHBoxLayout(), QHBoxLayout()
        for widget in (self.model_box, self.language_box):
            first_row.addWidget(widget)
        first_row.addWidget(self.language_warning, 1)
        for widget in (self.speed, self.volume, self.emotion, self.encoding, self.rate):
            second_row.addWidget(widget)
        second_row.addStretch()
        controls.addLayout(first_row)
        controls.addLayout(second_row)
        self.insert_toolbar = QToolBar("Insert")
        self.insert_actions = insert_actions(self.editor, self)
        for action in self.insert_actions:
            self.insert_toolbar.addAction(action)
        transport = QHBoxLayout()
        for widget in (self.play_button, self.stop_button, self.export_button):
            transport.addWidget(widget)
        transport.addStretch()

        editor_box = QWidget()
        editor_layout = QVBoxLayout(editor_box)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.addLayout(controls)
        editor_layout.addWidget(self.insert_toolbar)
        editor_layout.addWidget(self.editor, 1)
        editor_layout.addWidget(self.problems)
        editor_layout.addLayout(transport)
        self.center_split = QSplitter(Qt.Orientation.Vertical)
        self.center_split.addWidget(editor_box)
        self.center_split.addWidget(self.waveform)
        self.center_split.addWidget(self.transcript)
        self.center_split.setSizes([330, 220, 110])
        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.setContentsMargins(4, 4, 4, 4)
        center_layout.addWidget(self.banner)
        center_layout.addWidget(self.center_split, 1)
        self.main_split = QSplitter(Qt.Orientation.Horizontal)
        self.main_split.addWidget(self.picker)
        self.main_split.addWidget(center)
        self.main_split.addWidget(self.history_panel)
        self.main_split.setSizes([330, 690, 260])
        self.main_split.setStretchFactor(1, 1)
        self.setCentralWidget(self.main_split)

        self.connection_label = QLabel("starting…")
        self.take_label = QLabel()
        self.statusBar().addWidget(self.connection_label)
        self.statusBar().addPermanentWidget(self.take_label)

        self.actions: dict[str, QAction] = {}
        for name, text, keys, slot in (
                ("play", "Play", "Ctrl+Return", self.play),
                ("stop", "Stop", "Esc", self.stop),
                ("toggle", "Play/Pause", "Space", self.toggle_pause),
                ("selection", "Play selection", "Ctrl+Shift+Space", self.play_selection),
                ("loop", "Loop selection", "Ctrl+L", lambda: self.play_selection(loop=True)),
                ("ab", "Switch A/B", "Ctrl+B", self.switch_ab),
                ("export", "Export…", "Ctrl+E", self.open_export),
                ("find", "Find voice", "Ctrl+F", self.picker.focus_search),
                ("refresh", "Refresh voices", "F5", self.refresh_voices),
                ("settings", "Settings…", "Ctrl+,", self.open_settings),
                ("quit", "Quit", "Ctrl+Q", self.close)):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            self.addAction(action)
            self.actions[name] = action
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        for name in ("export", "settings", "quit"):
            file_menu.addAction(self.actions[name])
        insert_menu = menus.addMenu("&Insert")
        for action in self.insert_actions:
            insert_menu.addAction(action)
        play_menu = menus.addMenu("&Playback")
        for name in ("play", "stop", "toggle", "selection", "loop", "ab"):
            play_menu.addAction(self.actions[name])
        voice_menu = menus.addMenu("&Voices")
        for name in ("find", "refresh"):
            voice_menu.addAction(self.actions[name])

    def _wire(self) -> None:
        self.play_button.clicked.connect(self.play)
        self.stop_button.clicked.connect(self.stop)
        self.export_button.clicked.connect(self.open_export)
        self.model_box.currentIndexChanged.connect(self._model_changed)
        self.language_box.currentIndexChanged.connect(self._language_changed)
        self.editor.diagnosticsChanged.connect(self._diagnostics_changed)
        self.editor.textChanged.connect(self._update_play_enabled)
        self.picker.voiceSelected.connect(self._voice_selected)
        self.picker.previewRequested.connect(self.preview)
        self.picker.refreshRequested.connect(self.refresh_voices)
        self.picker.on_favourites(self._favourites_changed)
        self.waveform.seekRequested.connect(self.seek)
        self.transcript.wordClicked.connect(self._word_clicked)
        self.history_panel.replayRequested.connect(self.replay)
        self.history_panel.rerunRequested.connect(self.rerun)
        self.history_panel.exportRequested.connect(self._export_from_history)
        self.history_panel.deleteRequested.connect(self._delete_take)
        self.history_panel.renameRequested.connect(self._rename_take)
        self.history_panel.abRequested.connect(self.start_ab)
        self.session.takeStarted.connect(self._take_started)
        self.session.takeFinished.connect(self._take_finished)
        self.session.problem.connect(self._problem)
        self.session.statusChanged.connect(self.connection_label.setText)

    def _restore(self) -> None:
        s = self.settings
        self.editor.setPlainText(s.get("text") or "Welcome to the voice preview. "
                                 '<break time="300ms"/> Every word lights up as it is spoken.')
        self.model_box.setCurrentIndex(max(0, self.model_box.findData(s.get("model"))))
        self._model_changed()
        self.speed.setValue(s.get("speed"))
        self.volume.setValue(s.get("volume"))
        self.emotion.setCurrentIndex(max(0, self.emotion.findData(s.get("emotion"))))
        self.encoding.setCurrentIndex(max(0, self.encoding.findData(s.get("encoding"))))
        self.rate.setCurrentIndex(max(0, self.rate.findData(s.get("sample_rate"))))
        self.picker.model.set_favourites(s.get("favourites"))
        for key, restore in (("window_geometry", self.restoreGeometry),
                             ("window_state", self.restoreState)):
            if s.get(key):
                restore(QByteArray(base64.b64decode(s.get(key))))
        if self.history is not None:
            if self.history.recovered:
                self.banner.show_error(self.history.recovered)
            self.refresh_history()
        if s.recovered:
            self.banner.show_error(s.recovered)

    # --- start and stop -------------------------------------------------------------

    async def start(self) -> None:
        """Open the sockets and load the voice library (cache first, then fresh)."""
        cached = self._read_cache()
        if cached:
            self.picker.set_voices(cached)
            self._select_initial_voice()
        await self.session.connect()
        self.refresh_voices()

    def refresh_voices(self) -> None:
        if self._voices_task is not None and not self._voices_task.done():
            return
        self._voices_task = asyncio.ensure_future(self._load_voices())

    async def _load_voices(self) -> None:
        loaded: list[Voice] = []
        self.picker.show_progress(0, True)
        try:
            async for page in self.session.voice_pages():
                loaded.extend(page)
                self.picker.add_voices(page)
                self.picker.show_progress(len(loaded), True)
                if self.voice is None:
                    self._select_initial_voice()
        except VoiceboothError as exc:
            self.banner.show_error(f"Loading the voice library failed: {exc}. Offline voices "
                                   "are still available.", retry=self.refresh_voices)
        finally:
            self.picker.show_progress(len(loaded), False)
        if loaded:
            self.picker.set_voices(loaded)  # drop voices the library no longer has
            self._write_cache(loaded)
            if self.voice is None:
                self._select_initial_voice()

    def _cache_path(self) -> Path:
        config = self.session.online_config()
        name = "voices-offline.json" if config is None else \
            f"voices-{abs(hash(config.base_url)) % 10**8}.json"
        return self.cache_dir / name

    def _read_cache(self) -> list[Voice]:
        try:
            data = json.loads(self._cache_path().read_text("utf-8"))
            return [Voice.from_json(item) for item in data]
        except (OSError, ValueError, KeyError, TypeError):
            return []

    def _write_cache(self, voices: list[Voice]) -> None:
        from app.atomic import write_bytes

        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            write_bytes(self._cache_path(), json.dumps([v.to_json(with_preview=True)
                                                        for v in voices]).encode())
        except (OSError, VoiceboothError) as exc:
            log.info("voice cache not written: %s", exc)

    def _select_initial_voice(self) -> None:
        wanted = self.settings.get("voice_id")
        if not (wanted and self.picker.select(wanted)):
            from app.engine.synth.registry import DEFAULT_OFFLINE_VOICE_ID

            if not self.picker.select(DEFAULT_OFFLINE_VOICE_ID):
                self.picker.select_first()

    async def shutdown(self) -> None:
        self.timer.stop()
        if self._voices_task is not None:
            self._voices_task.cancel()
        await self.session.shutdown()
        if self.history is not None:
            self.history.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._remember()
        super().closeEvent(event)

    def _remember(self) -> None:
        s = self.settings
        s.set("text", self.editor.toPlainText())
        s.set("model", self.model_box.currentData())
        s.set("language", self.language_box.currentData() or "en")
        s.set("speed", self.speed.value())
        s.set("volume", self.volume.value())
        s.set("emotion", self.emotion.currentData() or "")
        s.set("encoding", self.encoding.currentData())
        s.set("sample_rate", self.rate.currentData())
        if self.voice is not None:
            s.set("voice_id", self.voice.id)
        s.set("window_geometry", base64.b64encode(bytes(self.saveGeometry())).decode())
        s.set("window_state", base64.b64encode(bytes(self.saveState())).decode())
        try:
            s.save()
        except VoiceboothError as exc:
            log.warning("%s", exc)

    # --- model, language, voice ---------------------------------------------------------

    def model(self) -> Model:
        return catalog().get(self.model_box.currentData())

    def _model_changed(self, *_: object) -> None:
        model = self.model()
        current = self.language_box.currentData() or self.settings.get("language")
        self.language_box.blockSignals(True)
        self.language_box.clear()
        for code in model.languages:
            self.language_box.addItem(f"{catalog().language_name(code)} ({code})", code)
        self.language_box.setCurrentIndex(max(0, self.language_box.findData(current)))
        self.language_box.blockSignals(False)
        self.speed.setEnabled(model.supports("speed"))
        self.volume.setEnabled(model.supports("volume"))
        self.emotion.setEnabled(model.supports("emotion"))
        tip = model.note or ""
        for widget in (self.speed, self.volume, self.emotion):
            widget.setToolTip(tip if not widget.isEnabled() else "")
        self._language_changed()

    def _language_changed(self, *_: object) -> None:
        self.editor.set_dialect(self.model().dialect(self.language_box.currentData() or "en"))
        self._check_language()

    def _voice_selected(self, voice: Voice) -> None:
        self.voice = voice
        language = voice.language
        index = self.language_box.findData(language)
        if index >= 0:
            self.language_box.setCurrentIndex(index)
        self._check_language()
        self._update_play_enabled()

    def _check_language(self) -> None:
        voice, chosen = self.voice, self.language_box.currentData()
        if voice is None or not chosen:
            self.language_warning.setText("")
            return
        speaks = {voice.language} | {loc.locale.split("-")[0] for loc in voice.locales}
        self.language_warning.setText(
            "" if chosen in speaks else
            f"⚠ {voice.name} speaks {', '.join(sorted(speaks))}, not {chosen}")

    def _favourites_changed(self, ids: list[str]) -> None:
        self.settings.set("favourites", ids)

    def _diagnostics_changed(self, diagnostics: list[Any]) -> None:
        errors = [d for d in diagnostics if d.severity == "error"]
        warnings = [d for d in diagnostics if d.severity != "error"]
        lines = [d.describe() for d in errors[:3]] + [f"(warning) {d.describe()}"
                                                       for d in warnings[:2]]
        self.problems.setText("\n".join(lines))
        self._update_play_enabled()

    def _update_play_enabled(self) -> None:
        ok = self.voice is not None and self.editor.is_valid()
        self.play_button.setEnabled(ok)
        self.actions["play"].setEnabled(ok)

    # --- generating -------------------------------------------------------------------------

    def take_settings(self, text: str | None = None) -> TakeSettings:
        assert self.voice is not None
        model = self.model()
        offline = self.voice.offline
        config = self.session.offline_config() if offline else self.session.online_config()
        return TakeSettings(
            text=self.editor.toPlainText() if text is None else text,
            voice_id=self.voice.id, voice_name=self.voice.name, model_id=model.id,
            language=self.language_box.currentData(),
            speed=self.speed.value() if self.speed.isEnabled() and
            self.speed.value() != 1.0 else None,
            volume=self.volume.value() if self.volume.isEnabled() and
            self.volume.value() != 1.0 else None,
            emotion=(self.emotion.currentData() or None) if self.emotion.isEnabled() else None,
            encoding=self.encoding.currentData(), sample_rate=self.rate.currentData(),
            base_url=config.base_url if config else "", offline=offline)

    def play(self) -> None:
        if self.voice is None:
            self.banner.show_error("Choose a voice first.")
            return
        if not self.editor.is_valid():
            self.editor.revalidate()
            self.banner.show_error("Fix the markup first: " + (self.problems.text().split(
                "\n")[0] or "the text is empty"))
            return
        self.banner.dismiss()
        self._ab = None
        try:
            self.session.play(self.take_settings(), self.voice)
        except (VoiceboothError, ConfigError) as exc:
            self.banner.show_error(str(exc), retry=self.play)

    def preview(self, voice: Voice) -> None:
        cached = self._previews.get(voice.id)
        if cached is not None and cached.status is TakeStatus.DONE:
            self._bind_take(cached)
            self.session.replay(cached)
            return
        if voice.preview_file_url and not voice.offline:
            self._preview_task = asyncio.ensure_future(self._preview_clip(voice))
            return
        self._generate_preview(voice)

    async def _preview_clip(self, voice: Voice) -> None:
        """The voice's own clip when the API gives one; a generated sample otherwise."""
        try:
            take = await self.session.preview_clip(voice)
        except VoiceboothError as exc:
            self.statusBar().showMessage(f"Preview clip unavailable ({exc}); playing a "
                                         "generated sample instead.", 6000)
            self._generate_preview(voice)
            return
        self._previews[voice.id] = take
        self._bind_take(take)
        self.session.replay(take)

    def _generate_preview(self, voice: Voice) -> None:
        previous = self.voice
        self.voice = voice
        try:
            take = self.session.play(self.take_settings(SAMPLE_TEXT), voice, keep=False)
            self._previews[voice.id] = take
        except VoiceboothError as exc:
            self.banner.show_error(str(exc))
        finally:
            self.voice = previous

    def stop(self) -> None:
        self.session.stop()

    def toggle_pause(self) -> None:
        player = self.session.player
        if player is None:
            return
        if player.active:
            player.pause()
        elif player.state.value == "paused":
            player.resume()
        elif self.take is not None:
            self.session.replay(self.take)

    def seek(self, frame: int) -> None:
        take, player = self.take, self.session.player
        if take is None:
            return
        if player is not None and self.session.take is take:
            if player.state.value in ("finished", "stopped"):
                player.play(frame)
            else:
                player.seek(frame)
        else:
            self.session.replay(take, frame / take.sample_rate)

    def _word_clicked(self, index: int) -> None:
        if self.take is not None and index < len(self.take.words):
            self.seek(round(self.take.words[index].start * self.take.sample_rate))

    def play_selection(self, loop: bool = False) -> None:
        take, selection = self.take, self.waveform.selection()
        if take is None or selection is None:
            self.statusBar().showMessage("Drag over the waveform to select a region first.", 4000)
            return
        rate = take.sample_rate
        self.session.replay(take, selection[0] / rate, selection[1] / rate, loop=loop)

    # --- takes -------------------------------------------------------------------------------

    def _bind_take(self, take: Take) -> None:
        if self._unsubscribe_take is not None:
            self._unsubscribe_take()
        self.take = take
        self.waveform.set_take(take)
        self.transcript.set_words(take.words)
        self._unsubscribe_take = take.subscribe(self._on_take_event)

    def _on_take_event(self, event: TakeEvent) -> None:
        if isinstance(event, WordsAdded) and self.take is not None:
            self.transcript.add_words(self.take.words[event.first_index:
                                                      event.first_index + event.count])

    def _take_started(self, take: Take) -> None:
        self._bind_take(take)
        self.take_label.setText("streaming…")
        self._started_at = time.perf_counter()

    def _take_finished(self, take: Take) -> None:
        elapsed = time.perf_counter() - getattr(self, "_started_at", time.perf_counter())
        ttfa = f"{take.time_to_first_audio * 1000:.0f} ms" \
            if take.time_to_first_audio is not None else "—"
        rtf = take.duration / elapsed if elapsed > 0 else 0.0
        self.take_label.setText(f"first audio {ttfa} · {take.duration:.2f} s in "
                                f"{elapsed:.2f} s ({rtf:.1f}× real time)")
        if take.status is TakeStatus.FAILED:
            self.banner.show_error(f"The take failed: {take.error}", retry=self.play)
        self.refresh_history()

    def _problem(self, area: str, message: str) -> None:
        if area == "generation":
            return  # shown when the take finishes, with what was kept
        if area == "playback":
            self.banner.show_error(f"No playback: {message}. Generation, the waveform and "
                                   "export still work.", retry=None)
        else:
            self.banner.show_error(message)

    def refresh_history(self) -> None:
        if self.history is not None:
            self.history_panel.set_records(self.history.list())

    def _load(self, take_id: str) -> Take | None:
        if self.history is None:
            return None
        if self.take is not None and self.take.id == take_id:
            return self.take
        try:
            return self.history.load(take_id)
        except TakeError as exc:
            self.banner.show_error(str(exc))
            return None

    def replay(self, take_id: str) -> None:
        take = self._load(take_id)
        if take is not None:
            self._ab = None
            self._bind_take(take)
            self.session.replay(take)

    def rerun(self, take_id: str) -> None:
        take = self._load(take_id)
        if take is None:
            return
        s = take.settings
        self.editor.setPlainText(s.text)
        self.model_box.setCurrentIndex(max(0, self.model_box.findData(s.model_id)))
        if s.language:
            self.language_box.setCurrentIndex(max(0, self.language_box.findData(s.language)))
        self.speed.setValue(s.speed or 1.0)
        self.volume.setValue(s.volume or 1.0)
        self.emotion.setCurrentIndex(max(0, self.emotion.findData(s.emotion or "")))
        self.encoding.setCurrentIndex(max(0, self.encoding.findData(s.encoding)))
        self.rate.setCurrentIndex(max(0, self.rate.findData(s.sample_rate)))
        if self.picker.select(s.voice_id):
            self.play()
        else:
            self.banner.show_error(f"The voice {s.voice_name or s.voice_id} is not in the "
                                   "library any more.")

    def _delete_take(self, take_id: str) -> None:
        if self.history is not None:
            self.history.delete(take_id)
            self.refresh_history()

    def _rename_take(self, take_id: str, name: str) -> None:
        if self.history is not None:
            self.history.rename(take_id, name)
            if self.take is not None and self.take.id == take_id:
                self.take.rename(name)

    def start_ab(self, first_id: str, second_id: str) -> None:
        a, b = self._load(first_id), self._load(second_id)
        if a is None or b is None:
            return
        self._ab = (a, b)
        self._bind_take(a)
        self.session.replay(a)
        self.statusBar().showMessage(f"A/B: playing A ({a.name}); Ctrl+B switches to B "
                                     "at the same word", 6000)

    def switch_ab(self) -> None:
        if self._ab is None or self.take is None:
            self.statusBar().showMessage("Select two takes in the history, then A/B.", 4000)
            return
        a, b = self._ab
        current, other = (a, b) if self.take is a else (b, a)
        player = self.session.player
        seconds = player.playhead_seconds() if player is not None else 0.0
        position = ab_position(current, other, seconds)
        self._bind_take(other)
        self.session.replay(other, position)
        self.statusBar().showMessage(f"A/B: {'B' if other is b else 'A'} ({other.name}) "
                                     f"from {position:.2f} s", 4000)

    # --- export -----------------------------------------------------------------------------

    def open_export(self, take: Take | None = None) -> None:
        take = take if isinstance(take, Take) else self.take
        if take is None or take.n_frames == 0:
            self.statusBar().showMessage("Nothing to export yet: play a take first.", 4000)
            return
        selection = self.waveform.selection() if take is self.take else None
        seconds = (selection[0] / take.sample_rate, selection[1] / take.sample_rate) \
            if selection else None
        s = self.settings
        dialog = ExportDialog(self, folder=s.get("export_folder"), name=take.name,
                              fmt=s.get("export_format"), selection=seconds,
                              timings_json=s.get("export_json"), srt=s.get("export_srt"))
        dialog.accepted.connect(lambda: self.export(take, **dialog.choice()))
        self.export_dialog = dialog
        dialog.open()

    def _export_from_history(self, take_id: str) -> None:
        take = self._load(take_id)
        if take is not None:
            self.open_export(take)

    def export(self, take: Take, *, path: Path, fmt: Any, selection: Any,
               timings_json: Any, srt: Any, overwrite: Any) -> list[Path]:
        try:
            files = export_take(take, path, fmt=fmt, selection=selection,
                                timings_json=bool(timings_json), srt=bool(srt),
                                overwrite=bool(overwrite))
        except TakeError as exc:
            self.banner.show_error(str(exc))
            return []
        s = self.settings
        s.set("export_folder", str(Path(path).parent))
        s.set("export_format", str(fmt))
        s.set("export_json", bool(timings_json))
        s.set("export_srt", bool(srt))
        self.statusBar().showMessage("Exported " + ", ".join(f.name for f in files), 6000)
        return files

    def open_settings(self) -> None:
        dialog = SettingsDialog(self, self.settings)
        dialog.accepted.connect(self._settings_saved)
        self.settings_dialog = dialog
        dialog.open()

    def _settings_saved(self) -> None:
        self.refresh_voices()
        self._connect_task = asyncio.ensure_future(self.session.connect())

    # --- the clock ------------------------------------------------------------------------------

    def _tick(self) -> None:
        take, player = self.take, self.session.player
        if take is None or player is None or self.session.take is not take:
            return
        frame = player.playhead()
        self.waveform.set_playhead(int(frame))
        word = take.word_at(frame / take.sample_rate) if player.active else None
        self.waveform.set_current_word(word)
        self.transcript.set_current(word)
