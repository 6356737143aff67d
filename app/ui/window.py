"""The main window: voices left, the line and its controls centre, takes right.

Wiring and layout only. The workflow is the studio's (:mod:`app.studio`):
widgets call it, and redraw from its events and the take's; nothing here
builds requests, opens devices, touches files or decides where to connect.
"""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.audio.timefmt import format_time
from app.cartesia.voices_types import Voice
from app.errors import VoiceboothError
from app.markup import Diagnostic, Dialect
from app.markup.lexicon import Entry
from app.settings import LINEUP_PARALLEL, SCRIPT_PATH, VOICE_ID, WINDOW_GEOMETRY, WINDOW_STATE
from app.studio.draft import Draft, language_warning
from app.studio.lab import Candidate, WordInLine, word_in_line
from app.studio.lexicons import LexiconsChanged
from app.studio.recorder import RecorderEvent, RecordingStarted
from app.studio.studio import PreviewFallback, Problem, StatusChanged, Studio, StudioEvent
from app.studio.transport import ABSwitched, GainChanged, PlaybackProblem, TransportEvent
from app.takes.take import Take, TakeStatus
from app.ui import metrics
from app.ui.autosave import Debounce, SettingsSaver
from app.ui.banner import Banner
from app.ui.edit_actions import perform
from app.ui.find_bar import FindBar
from app.ui.history_panel import HistoryPanel
from app.ui.icons import icon
from app.ui.line_controls import LineControls
from app.ui.markup_editor import HEAR_KEYS, IpaPalette, MarkupEditor, insert_actions
from app.ui.menus import add_actions
from app.ui.notice import NoticeLabel
from app.ui.steady_label import SteadyLabel
from app.ui.take_view import TakeView
from app.ui.voice_picker import VoicePicker

if TYPE_CHECKING:
    from app.studio.retakes import Retakes, RetakesEvent
    from app.ui.export_dialog import ExportDialog
    from app.ui.help import AboutDialog, MarkupReference, ShortcutSheet
    from app.ui.lab_panel import LabPanel
    from app.ui.lexicon_dialog import LexiconDialog
    from app.ui.lineup_panel import LineupPanel
    from app.ui.retake_panel import RetakePanel
    from app.ui.script_files import ScriptFiles
    from app.ui.script_panel import EditorFields, ScriptPanel

#: The windows and dialogs that are not on screen when the window opens: imported when
#: first opened, and by the launch right after the first paint (app.ui.main), so that
#: their ~0.1 s of imports is not spent before it.
DEFERRED_MODULES = ("app.ui.help", "app.ui.export_dialog", "app.ui.lineup_panel",
                    "app.ui.lab_panel", "app.ui.retake_panel", "app.ui.lexicon_dialog",
                    "app.ui.settings_dialog")

#: What :meth:`MainWindow.complete` builds from, in the order they import each other: the
#: launch imports them one per turn of the loop after the first paint, so that it keeps
#: answering (the voices listed, a key pressed) while they load.
LATER_MODULES = ("app.studio.script", "app.studio.script_sources", "app.studio.autosave",
                 "app.takes.export", "app.studio.export_jobs", "app.studio.project",
                 "app.studio.script_renders", "app.ui.script_table", "app.ui.script_panel",
                 "app.ui.script_files", "app.takes.splice", "app.studio.retakes")
#: The actions that need the script panel or the retakes: disabled until they are built
#: (:meth:`MainWindow.complete`, right after the window's first paint in the launch).
LATER_ACTIONS = ("new_script", "open_script", "save_script", "save_script_as",
                 "import_lines", "export_lines", "retake", "script")

#: The Edit menu's text commands: (action name, text, keys, command of the text field).
EDIT_ACTIONS = (("undo", "Undo", "Ctrl+Z", "undo"), ("redo", "Redo", "Ctrl+Shift+Z", "redo"),
                ("cut", "Cut", "Ctrl+X", "cut"), ("copy", "Copy", "Ctrl+C", "copy"),
                ("paste", "Paste", "Ctrl+V", "paste"),
                ("select_all", "Select all", "Ctrl+A", "selectAll"))
ACTION_ICONS = {"undo": "undo", "redo": "redo", "cut": "cut", "copy": "copy",
                "paste": "paste", "select_all": "select-all", "find_in_line": "find",
                "shortcut_sheet": "keyboard", "markup_reference": "markup", "about": "about",
                "find": "search", "settings": "settings", "export": "export",
                "open_script": "open", "save_script": "save", "new_script": "new",
                "play": "play", "stop": "stop", "loop": "loop", "ab": "ab",
                "compare": "compare", "pronunciations": "lexicon", "refresh": "refresh"}

DEFAULT_TEXT = ('Welcome to the voice preview. <break time="300ms"/> Every word lights up '
                "as it is spoken.")


class MainWindow(QMainWindow):
    """``complete=False`` builds what is on screen when the window opens (the launch
    paints it, then calls :meth:`complete`): the script panel and the retakes, with the
    project files, the script's renders and table and the splicing they import (0.1 s
    before the first paint), come then."""

    script_panel: ScriptPanel
    script_files: ScriptFiles
    retakes: Retakes

    def __init__(self, studio: Studio, *, complete: bool = True) -> None:
        super().__init__()
        self.setWindowTitle("Voicebooth")
        self.studio = studio
        self.settings = studio.settings
        self.voice: Voice | None = None
        self._started_at = 0.0
        self.saver = SettingsSaver(self.settings)
        #: The line and its controls are saved while the user works (a crash loses
        #: at most the last two seconds), not only on a clean close.
        self.autosave = Debounce(self._autosave_line, parent=self)
        #: Whether the script panel and the retakes are built (:meth:`complete`).
        self.completed = False
        self._loading_line = False
        self._build()
        self._wire()
        self._restore()
        if complete:
            self.complete()
        self.autosave.stop()  # what was just restored is what the file holds

    # --- building -----------------------------------------------------------------

    def _build(self) -> None:
        self.banner = Banner()
        self.picker = VoicePicker()
        self.controls = LineControls()
        self.editor = MarkupEditor()
        self.take_view = TakeView(self.studio.transport)
        self.history_panel = HistoryPanel()
        self.problems = NoticeLabel()
        # Generate is the line's primary action, beside the editor it reads; playing,
        # stopping and exporting the take shown are the transport bar's, under its
        # waveform (as in Audacity and Ocenaudio).
        self.generate_button = QPushButton(icon("generate"), "Generate")
        self.generate_button.setToolTip("Say the line in the chosen voice and play it as it "
                                        "streams (Ctrl+Enter)")
        self.generate_button.setDefault(True)
        self.generate_button.setFont(metrics.scaled(self.generate_button.font(), metrics.BODY,
                                                    bold=True))
        bar = self.take_view.bar
        self.play_button, self.stop_button = bar.play_button, bar.stop_button
        self.export_button = bar.export_button
        self.insert_toolbar = QToolBar("Insert")
        self.insert_toolbar.setIconSize(QSize(metrics.LOOSE + metrics.TIGHT,
                                              metrics.LOOSE + metrics.TIGHT))
        self.insert_actions = insert_actions(self.editor, self)
        for action in self.insert_actions:
            self.insert_toolbar.addAction(action)
        self.match_box = QCheckBox("Match loudness")
        self.match_box.setToolTip("Play every take at the same loudness (−20 LUFS), so an "
                                  "A/B is won by the voice, not the level")
        self.lexicons_box = QCheckBox("Use lexicons")
        self.lexicons_box.setToolTip(
            "Say the line with the pronunciations of your lexicons (dotted words). Off: "
            "as written. Play without lexicons (Ctrl+Shift+Enter) renders it once as "
            "written, to A/B against the take with them")
        # Wrapped: "as recorded while streaming" must not widen the window; two lines
        # tall whatever it says, so the editor above does not move at each Play.
        self.gain_label = SteadyLabel()
        self.gain_label.setToolTip("The gain the take shown plays at")
        # Above the text what changes how it is said (tags, lexicons); below it what
        # is done with it (Generate) and how takes are heard (matched loudness).
        tools = QHBoxLayout()
        tools.setSpacing(metrics.GAP)
        tools.addWidget(self.insert_toolbar)
        tools.addStretch()
        tools.addWidget(self.lexicons_box)
        buttons = QHBoxLayout()
        buttons.setSpacing(metrics.GAP)
        buttons.addWidget(self.generate_button)
        buttons.addStretch()
        buttons.addWidget(self.match_box)
        buttons.addWidget(self.gain_label)
        editor_box = QWidget()
        editor_layout = QVBoxLayout(editor_box)
        metrics.spaced(editor_layout, margin=0, spacing=metrics.TIGHT)
        editor_layout.addWidget(self.controls)
        editor_layout.addLayout(tools)
        editor_layout.addWidget(self.editor, 1)
        editor_layout.addWidget(self.problems)
        editor_layout.addLayout(buttons)
        self.center_split = QSplitter(Qt.Orientation.Vertical)
        self.center_split.addWidget(editor_box)
        self.center_split.addWidget(self.take_view)
        self.center_split.setChildrenCollapsible(False)
        self.center_split.setSizes([330, 330])
        center = QWidget()
        center_layout = QVBoxLayout(center)
        metrics.spaced(center_layout, margin=metrics.GAP, spacing=metrics.GAP)
        center_layout.addWidget(self.banner)
        center_layout.addWidget(self.center_split, 1)
        self.compare_button = QPushButton(icon("compare"), "Compare voices…")
        self.compare_button.setToolTip("Hear the line in several voices, one after another "
                                       "(Ctrl+Shift+C)")
        voices_box = QWidget()
        voices_layout = QVBoxLayout(voices_box)
        metrics.spaced(voices_layout, margin=metrics.GAP, spacing=metrics.GAP)
        voices_layout.setContentsMargins(metrics.MARGIN, metrics.GAP, 0, metrics.GAP)
        voices_layout.addWidget(self.picker, 1)
        voices_layout.addWidget(self.compare_button)
        self.lineup_panel: LineupPanel | None = None
        self.lab_panel: LabPanel | None = None
        self.retake_panel: RetakePanel | None = None
        self.lexicon_dialog: LexiconDialog | None = None
        self._wired_palettes: set[int] = set()
        takes_box = QWidget()
        takes_layout = QVBoxLayout(takes_box)
        metrics.spaced(takes_layout, margin=0, spacing=0)
        takes_layout.setContentsMargins(0, metrics.GAP, metrics.MARGIN, metrics.GAP)
        takes_layout.addWidget(self.history_panel)
        self.main_split = QSplitter(Qt.Orientation.Horizontal)
        self.main_split.addWidget(voices_box)
        self.main_split.addWidget(center)
        self.main_split.addWidget(takes_box)
        self.main_split.setChildrenCollapsible(False)
        self.main_split.setSizes([480, 500, 280])  # voice names whole at 1280 px
        # A narrower window takes from the voices and the line alike (not the line
        # alone, which would leave the voices at their minimum, names cut short); a
        # wider one gives the voices no more than names need, the rest to the line.
        self.main_split.setStretchFactor(0, 1)
        self.main_split.setStretchFactor(1, 1)
        voices_box.setMaximumWidth(40 * metrics.LOOSE)
        self.setCentralWidget(self.main_split)
        self.connection_label = QLabel("starting…")
        self.take_label = QLabel()
        self.statusBar().addWidget(self.connection_label)
        self.statusBar().addPermanentWidget(self.take_label)
        # The script's dock now (its place is restored with the window's state), its
        # panel with complete().
        self.script_dock = QDockWidget("Script", self)
        self.script_dock.setObjectName("script_dock")  # saveState() keeps where it is
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.script_dock)
        self.script_dock.hide()
        self._build_actions()

    def complete(self) -> None:
        """Build what is not on screen when the window opens: the script panel, docked
        under the editor (hidden until a script is used), and the retakes; then enable
        the actions that use them."""
        if self.completed:
            return
        from app.studio.project import untitled_path
        from app.studio.retakes import Retakes
        from app.ui.script_files import ScriptFiles
        from app.ui.script_panel import ScriptPanel

        data = self.studio.lexicons.folder  # the data folder, beside the user lexicon
        self.script_panel = ScriptPanel(
            self.studio, self._editor_fields, lambda: self.voice,
            lambda: self.editor.textCursor().position(),
            untitled_path(data) if data is not None else None)
        self.script_panel.importRequested.connect(self.import_lines)
        self.script_panel.exportRequested.connect(self.export_lines)
        self.script_dock.setWidget(self.script_panel)
        self.script_files = ScriptFiles(
            self.script_panel, self.settings, self, self.banner.show_error,
            lambda text: self.statusBar().showMessage(text, 6000), self.autosave.touch)
        panel = self.script_panel
        panel.lineChosen.connect(self.load_line)
        panel.notice.connect(lambda text: self.statusBar().showMessage(text, 6000))
        panel.failed.connect(self.banner.show_error)
        #: Retakes of the take shown: its variants and the splices Undo can take back.
        self.retakes = Retakes(self.studio.endpoints, self.studio.history,
                               max_parallel=self.settings.get(LINEUP_PARALLEL))
        self.retakes.events.connect(self._on_retakes)
        self.completed = True
        for name in LATER_ACTIONS:
            self.shortcuts[name].setEnabled(True)
        self.recent_menu.setEnabled(True)

    def _build_actions(self) -> None:
        transport, view = self.studio.transport, self.take_view
        self.find_bar = FindBar(self.editor)
        self.shortcuts = add_actions(self, self.menuBar(), [
            ("&File", [("new_script", "New script", "Ctrl+Alt+N", self.new_script),
                       ("open_script", "Open script…", "Ctrl+O", self.open_script),
                       ("save_script", "Save script", "Ctrl+S", self.save_script),
                       ("save_script_as", "Save script as…", "Ctrl+Shift+S",
                        self.save_script_as),
                       ("import_lines", "Import lines (CSV/JSON Lines)…", "Ctrl+Shift+I",
                        self.import_lines),
                       ("export_lines", "Export all lines…", "Ctrl+Shift+E",
                        self.export_lines),
                       ("export", "Export…", "Ctrl+E", lambda: self.open_export(view.take)),
                       ("settings", "Settings…", "Ctrl+,", self.open_settings),
                       ("quit", "Quit", "Ctrl+Q", self.close)]),
            ("&Edit", [(name, text, keys, lambda *_, c=command: self.edit(c))
                       for name, text, keys, command in EDIT_ACTIONS]
             + [("find_in_line", "Find…", "Ctrl+F", self.find_bar.open_bar),
                ("find_next", "Find next", "F3", self.find_bar.find_next),
                ("find_previous", "Find previous", "Shift+F3", self.find_bar.find_previous)]),
            ("&Playback", [("play", "Generate", "Ctrl+Return", self.play),
                           ("play_plain", "Play without lexicons", "Ctrl+Shift+Return",
                            self.play_without_lexicons),
                           ("use_lexicons", "Use lexicons", "",
                            lambda: self.set_use_lexicons(
                                not self.studio.use_lexicons)),
                           ("hear_word", "Hear this word", HEAR_KEYS, self.editor.request_hear),
                           ("stop", "Stop", "Esc", self.stop),
                           ("toggle", "Play/Pause", "Space", view.bar.play_pause),
                           ("selection", "Play selection", "Ctrl+Shift+Space",
                            self.play_selection),
                           ("loop", "Loop selection", "Ctrl+L",
                            lambda: self.play_selection(True)),
                           ("ab", "Switch A/B", "Ctrl+B", self.switch_ab),
                           ("retake", "Retake selection…", "Ctrl+Shift+R",
                            self.open_retake),
                           ("match", "Match loudness", "Ctrl+Shift+M",
                            lambda: transport.set_match_loudness(
                                not transport.match_loudness))]),
            ("&Voices", [("find", "Find voice", "Ctrl+K", self.picker.focus_search),
                         ("use_id", "Use voice id…", "Ctrl+Shift+F", self.ask_voice_id),
                         ("refresh", "Refresh voices", "F5", self.studio.library.refresh),
                         ("compare", "Compare voices…", "Ctrl+Shift+C", self.open_lineup),
                         ("pronunciations", "Pronunciations…", "Ctrl+Shift+D",
                          self.open_pronunciations)])])
        self.shortcuts["match"].setCheckable(True)
        self.shortcuts["use_lexicons"].setCheckable(True)
        self.shortcuts["match"].setChecked(transport.match_loudness)
        file_menu = next(o for o in self.shortcuts["export_lines"].associatedObjects()
                         if isinstance(o, QMenu))
        self.recent_menu = QMenu("Recent scripts", self)
        self.recent_menu.aboutToShow.connect(lambda: self.script_files.fill_recent(
            self.recent_menu, lambda path: self._attempt(self.script_files.open(path))))
        file_menu.insertMenu(self.shortcuts["export_lines"], self.recent_menu)
        file_menu.insertSeparator(self.shortcuts["export"])
        view_menu = self.menuBar().addMenu("&View")
        script_toggle = self.script_dock.toggleViewAction()
        script_toggle.setText("Script")
        script_toggle.setShortcut("Ctrl+Shift+L")
        view_menu.addAction(script_toggle)
        self.shortcuts["script"] = script_toggle
        # Right-click on the waveform: what can be done with its selection.
        canvas = view.waveform.canvas
        canvas.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for name in ("selection", "loop", "retake"):
            canvas.addAction(self.shortcuts[name])
        insert_menu = self.menuBar().addMenu("&Insert")
        for action in self.insert_actions:
            insert_menu.addAction(action)
        self.shortcuts.update(add_actions(self, self.menuBar(), [("&Help", [
            ("shortcut_sheet", "Keyboard shortcuts", "Ctrl+/", self.open_shortcut_sheet),
            ("markup_reference", "Markup reference", "F1", self.open_markup_reference),
            ("about", "About Voicebooth", "", self.open_about),
            ("about_qt", "About Qt", "", lambda: QMessageBox.aboutQt(self, "About Qt"))])]))
        self.shortcuts["redo"].setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for name, _text, _keys, _command in EDIT_ACTIONS:
            # The text fields answer these keys themselves (and the history its Ctrl+Z);
            # a window-wide shortcut would make them ambiguous. The menu shows the keys.
            self.shortcuts[name].setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        for name, glyph in ACTION_ICONS.items():
            self.shortcuts[name].setIcon(icon(glyph))
        for name in LATER_ACTIONS:  # until complete()
            self.shortcuts[name].setEnabled(False)
        self.recent_menu.setEnabled(False)
        self.shortcut_sheet: ShortcutSheet | None = None
        self.markup_reference: MarkupReference | None = None
        self.about_dialog: AboutDialog | None = None

    def edit(self, command: str) -> None:
        """An Edit menu command, for the field that has the keyboard."""
        focus = QApplication.focusWidget()
        if command == "undo" and self.history_panel.undo_bar.isVisible() and (
                focus is None or self.history_panel.isAncestorOf(focus)):
            self.undo_delete()  # in the takes list, Undo brings the deleted take back
            return
        perform(command, focus, self.editor)

    def open_shortcut_sheet(self) -> ShortcutSheet:
        from app.ui.help import ShortcutSheet, menu_order

        actions = menu_order(self.menuBar(), self.findChildren(QAction))
        self.shortcut_sheet = ShortcutSheet(actions, self)
        self.shortcut_sheet.show()
        self.shortcut_sheet.search.setFocus()
        return self.shortcut_sheet

    def open_markup_reference(self) -> MarkupReference:
        from app.ui.help import MarkupReference

        if self.markup_reference is None:
            self.markup_reference = MarkupReference(self)
        self.markup_reference.show()
        self.markup_reference.raise_()
        return self.markup_reference

    def open_about(self) -> AboutDialog:
        from app.ui.help import AboutDialog

        if self.about_dialog is None:
            self.about_dialog = AboutDialog(self)
        self.about_dialog.show()
        self.about_dialog.raise_()
        return self.about_dialog

    def _wire(self) -> None:
        studio, history = self.studio, self.history_panel
        self.generate_button.clicked.connect(self.play)
        self.take_view.bar.stopRequested.connect(self.stop)
        self.take_view.bar.exportRequested.connect(
            lambda: self.open_export(self.take_view.take))
        self.compare_button.clicked.connect(self.open_lineup)
        self.controls.dialectChanged.connect(self._dialect_changed)
        self.editor.diagnosticsChanged.connect(self._diagnostics_changed)
        self.editor.textChanged.connect(self._update_play_enabled)
        self.editor.textChanged.connect(self.autosave.touch)
        self.controls.changed.connect(self.autosave.touch)
        self.editor.textChanged.connect(self._line_edited)
        self.controls.changed.connect(self._line_edited)
        self.editor.labRequested.connect(self.open_lab)
        self.editor.paletteOpened.connect(self._palette_opened)
        self.editor.hearRequested.connect(self.hear_word)
        self.controls.language_box.currentIndexChanged.connect(self._mark_lexicon)
        studio.lexicons.events.connect(self._on_lexicons)
        self.lexicons_box.toggled.connect(self.set_use_lexicons)
        self._show_use_lexicons()
        self.picker.voiceSelected.connect(self._voice_selected)
        self.picker.previewRequested.connect(
            lambda voice: studio.preview(voice, self.draft()))
        self.picker.bind(studio.library)
        self.picker.addKeyRequested.connect(lambda: self.open_settings(at_key=True))
        history.bind(studio.history)
        history.replayRequested.connect(lambda i: self._with_take(i, studio.transport.play_take))
        history.rerunRequested.connect(lambda i: self._with_take(i, self.rerun))
        history.exportRequested.connect(lambda i: self._with_take(i, self.open_export))
        history.openRequested.connect(lambda i: self._with_take(i, self.open_in_editor))
        history.selected.connect(lambda i: self._attempt(studio.show(i)))
        history.deleteRequested.connect(lambda ids: self._attempt(studio.history.delete(*ids)))
        history.undoRequested.connect(self.undo_delete)
        history.renameRequested.connect(lambda i, n: self._attempt(studio.rename(i, n)))
        history.ratingRequested.connect(
            lambda i, n: self._attempt(studio.history.set_rating(i, n)))
        history.noteRequested.connect(lambda i, n: self._attempt(studio.history.set_note(i, n)))
        history.filterChanged.connect(lambda f: self._attempt(studio.history.set_filter(f)))
        history.abRequested.connect(self.start_ab)
        self.match_box.setChecked(studio.transport.match_loudness)
        self.match_box.toggled.connect(studio.transport.set_match_loudness)
        self._show_gain(studio.transport.gain())
        studio.events.connect(self._on_studio)
        studio.recorder.events.connect(self._on_recorder)
        studio.transport.events.connect(self._on_transport)

    def _restore(self) -> None:
        s = self.settings
        draft = Draft.from_settings(s)
        self.controls.set_draft(draft)
        self.editor.setPlainText(draft.text or DEFAULT_TEXT)
        self._mark_lexicon()
        for setting, restore in ((WINDOW_GEOMETRY, self.restoreGeometry),
                                 (WINDOW_STATE, self.restoreState)):
            if s.get(setting):
                restore(QByteArray(base64.b64decode(s.get(setting))))
        if self.studio.history.store is not None and self.studio.history.store.recovered:
            self.banner.show_error(self.studio.history.store.recovered)
        if s.recovered:
            self.banner.show_error(s.recovered)

    def draft(self) -> Draft:
        return self.controls.draft(self.editor.toPlainText()).with_lexicon_choice(self.settings)

    def _keep_line(self) -> None:
        """The line, its controls and its voice into the settings (in memory)."""
        self.draft().save_to(self.settings)
        if self.voice is not None:
            self.settings.set(VOICE_ID, self.voice.id)
        if self.completed:  # else no script was opened: the one to open next is unchanged
            script = self.script_panel.script.path
            self.settings.set(SCRIPT_PATH, str(script) if script is not None else "")

    def _autosave_line(self) -> None:
        self._keep_line()

        async def save() -> None:
            try:
                await self.saver.save()
            except VoiceboothError as exc:
                self.banner.show_error(f"The line could not be saved: {exc}")
        self.studio.background(save())

    def closeEvent(self, event: QCloseEvent) -> None:
        s = self.settings
        self.autosave.stop()
        self._keep_line()
        s.set(WINDOW_GEOMETRY, base64.b64encode(self.saveGeometry().data()).decode())
        s.set(WINDOW_STATE, base64.b64encode(self.saveState().data()).decode())
        try:
            self.saver.save_now()
        except VoiceboothError as exc:
            self.banner.show_error(str(exc))
        self.take_view.close_view()
        if self.lineup_panel is not None:
            self.lineup_panel.stop_playing()
            self.lineup_panel.close()
        if self.lab_panel is not None:
            self.studio.background(self.lab_panel.aclose())
            self.lab_panel.close()
        if self.retake_panel is not None:
            self.studio.background(self.retake_panel.aclose())
            self.retake_panel.close()
        if self.completed:
            self.studio.background(self.retakes.close())
            self.studio.background(self.script_panel.aclose())
        self.history_panel.close_panel()
        super().closeEvent(event)

    # --- the line -----------------------------------------------------------------------

    def _dialect_changed(self, dialect: Dialect) -> None:
        self.editor.set_dialect(dialect)
        self._check_language()

    def ask_voice_id(self) -> None:
        """A voice id from Cartesia's site or a colleague: looked up, then chosen."""
        text, ok = QInputDialog.getText(
            self, "Use voice id", "Paste a voice id (like a0e99841-438c-4a64-b679-"
            "ae501e7d6091):")
        if ok and text.strip():
            self.picker.use_voice_id(text)

    def _voice_selected(self, voice: Voice) -> None:
        self.voice = voice
        self.autosave.touch()
        self._line_edited()
        self.controls.set_language(voice.language)
        self._check_language()
        self._update_play_enabled()

    def _check_language(self, *_: object) -> None:
        warning = language_warning(self.voice, self.controls.language())
        self.controls.language_warning.set_notice("warning", warning or "")

    def _diagnostics_changed(self, diagnostics: list[Diagnostic]) -> None:
        errors = [d.describe() for d in diagnostics if d.severity == "error"]
        warnings = [f"(warning) {d.describe()}" for d in diagnostics if d.severity != "error"]
        self.problems.set_notice("error" if errors else "warning",
                                 "\n".join(errors[:3] + warnings[:2]))
        self._update_play_enabled()

    def _update_play_enabled(self) -> None:
        ok = self.voice is not None and self.editor.is_valid()
        self.generate_button.setEnabled(ok)
        self.shortcuts["play"].setEnabled(ok)
        self.shortcuts["play_plain"].setEnabled(ok)

    # --- the script ---------------------------------------------------------------------

    def _editor_fields(self) -> EditorFields:
        """A script line's fields as the editor, its controls and the voice say."""
        draft = self.draft()
        fields: EditorFields = {
            "text": draft.text, "model_id": draft.model_id, "language": draft.language,
            "speed": draft.speed, "volume": draft.volume, "emotion": draft.emotion}
        if self.voice is not None:
            fields.update(voice_id=self.voice.id, voice_name=self.voice.name)
        return fields

    def load_line(self, index: int) -> None:
        """A script line into the editor, its controls and the picker (not generated),
        and its take into the waveform."""
        line = self.script_panel.script.lines[index]
        self._loading_line = True
        try:
            self.controls.set_draft(replace(self.draft(), text=line.text,
                                            model_id=line.model_id, language=line.language,
                                            speed=line.speed, volume=line.volume,
                                            emotion=line.emotion))
            if self.editor.toPlainText() != line.text:
                self.editor.setPlainText(line.text)
            # Its own voice, else the script's: the picker shows who says the line.
            voice = self.script_panel.resolve(line) if line.voice[0] else None
            if voice is not None and voice.id and (self.voice is None or
                                                   self.voice.id != voice.id):
                self.use_voice(voice)
            take = self.script_panel.script.take_of(line)
            if take is not None:  # its waveform and words, to hear or retake a part
                self.studio.transport.show(take)
        finally:
            self._loading_line = False

    def _line_edited(self) -> None:
        """What is typed or set in the editor goes into the chosen line (while the
        script is shown)."""
        if self._loading_line or not self.completed or not self.script_dock.isVisible():
            return
        fields = self._editor_fields()
        line = self.script_panel.current_line()
        if line is not None and not line.voice_id and self.voice is not None and \
                self.voice.id == self.script_panel.script.defaults.voice_id:
            del fields["voice_id"], fields["voice_name"]  # still the script's voice
        self.script_panel.edit_current(**fields)

    async def open_first_script(self, path: Path | None = None) -> None:
        """The script given on the command line, else the one open last (or the untitled
        script a crash left)."""
        await self.script_files.start_with(path)

    def new_script(self) -> None:
        self.leave_untitled(lambda: self._attempt(self.script_files.new()))

    def open_script(self) -> None:
        path = self.script_files.ask_open()
        if path is not None:
            self.leave_untitled(lambda: self._attempt(self.script_files.open(path)))

    def leave_untitled(self, then: Callable[[], None]) -> QMessageBox | None:
        """Do ``then`` (another script replaces the one shown), asking first when the
        one shown is untitled and has lines: it has no file to come back from."""
        script = self.script_panel.script
        if script.path is not None or not len(script):
            then()
            return None
        box = QMessageBox(QMessageBox.Icon.Question, "Untitled script",
                          f"The untitled script has {len(script)} lines and no file yet. "
                          "Save it first?", parent=self)
        save = box.addButton("Save as…", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard it", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(save)

        def chosen(button: object) -> None:
            if button is discard:
                then()
            elif button is save:
                self.save_script_as()
        box.buttonClicked.connect(chosen)
        self.leave_box = box
        box.open()  # not exec(): the loop keeps running
        return box

    def save_script(self) -> None:
        if self.script_panel.script.path is None:
            self.save_script_as()
        else:
            self._attempt(self.script_files.save())

    def save_script_as(self) -> None:
        path = self.script_files.ask_save_as()
        if path is not None:
            self._attempt(self.script_files.save(path))

    def import_lines(self) -> None:
        path = self.script_files.ask_import()
        if path is not None:
            self._attempt(self.script_files.import_lines(path))

    def export_lines(self) -> ExportDialog | None:
        """Every line's chosen take into a folder, named by the template ({n} is the
        line's number, {id} its id); lines without a take are said, not exported."""
        from app.ui.export_dialog import ExportDialog

        items, missing = self.script_panel.export_items()
        if not items:
            self.statusBar().showMessage("No line has a take yet: render the script first "
                                         "(Render stale).", 6000)
            return None
        dialog = self.export_dialog = ExportDialog(self, self.studio, items)
        dialog.failed.connect(self.banner.show_error)
        dialog.exported.connect(lambda files: self.statusBar().showMessage(
            f"Exported {len(files)} files to {files[0].parent}" if files else
            "Nothing was exported.", 8000))
        if missing:
            self.statusBar().showMessage(missing, 10000)
        dialog.open()
        return dialog

    # --- playing --------------------------------------------------------------------------

    def play(self) -> None:
        self._play(None)

    def play_without_lexicons(self) -> None:
        """Say the line as written, whatever the switch says: the take to A/B against
        the one with the lexicons (both say the same written text)."""
        if self._play(False):
            self.statusBar().showMessage(
                "Saying the line as written, without the lexicons: select it and the take "
                "with them in the history to A/B (Ctrl+B).", 8000)

    def _play(self, lexicons: bool | None) -> bool:
        """Say the line (``lexicons`` overrides the switch); whether it started."""
        if self.voice is None:
            self.banner.show_error("Choose a voice first.")
            return False
        if not self.editor.is_valid():
            first = self.problems.text().split("\n")[0] or "the text is empty"
            self.banner.show_error(f"Fix the markup first: {first}")
            return False
        self.banner.dismiss()
        draft = self.draft()
        if draft.dictionary_problem():
            self.statusBar().showMessage(draft.dictionary_problem(), 8000)
        try:
            self.studio.play(draft, self.voice, lexicons=lexicons)
        except VoiceboothError as exc:
            self.banner.show_error(str(exc), retry=lambda: self._play(lexicons))
            return False
        return True

    def stop(self) -> None:
        self.studio.recorder.stop()
        self.studio.transport.stop()

    def play_selection(self, loop: bool = False) -> None:
        if not self.take_view.play_selection(loop):
            self.statusBar().showMessage("Drag over the waveform to select a region first.", 4000)

    # --- retakes ---------------------------------------------------------------------------

    def open_retake(self) -> RetakePanel | None:
        """Variants of the words selected in the waveform, to hear in place and splice in."""
        from app.ui.retake_panel import RetakePanel

        take, seconds = self.take_view.take, self.take_view.selection_seconds()
        if take is None or seconds is None:
            self.statusBar().showMessage("Drag over words in the waveform to choose what to "
                                         "retake.", 5000)
            return None
        from app.studio.retakes import words_between

        try:
            first, last = words_between(take, *seconds)
        except VoiceboothError as exc:
            self.statusBar().showMessage(f"Retake: {exc}", 6000)
            return None
        if self.retake_panel is not None:
            self.studio.background(self.retake_panel.aclose())
            self.retake_panel.close()
            self.retake_panel.deleteLater()
        panel = self.retake_panel = RetakePanel(
            self.retakes, self.studio.transport, take, first, last,
            parallel=self.settings.get(LINEUP_PARALLEL), parent=self)
        panel.show()
        panel.raise_()
        panel.activateWindow()
        panel.generate()
        return panel

    def _on_retakes(self, event: RetakesEvent) -> None:
        """The spliced take (or, undone, the one before it) is the take shown."""
        from app.studio.retakes import Spliced, SpliceUndone

        if isinstance(event, Spliced):
            self.script_panel.repoint_take(event.previous.id, event.take)
            self.studio.transport.show(event.take)
            self.statusBar().showMessage(f"Spliced a retake into “{event.take.name}”.", 5000)
        elif isinstance(event, SpliceUndone):
            self.script_panel.repoint_take(event.take.id, event.previous)
            self.studio.transport.show(event.previous)
            self.statusBar().showMessage("Splice undone.", 5000)

    def _with_take(self, take_id: str, use: Callable[[Take], object]) -> None:
        """Load a take of the history (off the loop), then use it."""
        async def load() -> None:
            use(await self.studio.take(take_id))
        self.studio.background(load())

    def _attempt(self, work: Awaitable[object]) -> None:
        """Run a history action; what goes wrong is said in the banner (no retry: the
        same action would fail the same way)."""
        async def attempt() -> None:
            try:
                await work
            except VoiceboothError as exc:
                self.banner.show_error(str(exc))
        self.studio.background(attempt())

    def open_in_editor(self, take: Take) -> bool:
        """The take's text, voice and settings back in the editor, without generating."""
        draft = Draft.from_take(take.settings)
        self.controls.set_draft(draft)
        self.editor.setPlainText(draft.text)
        voice = next((v for v in self.studio.library.voices
                      if v.id == take.settings.voice_id), None)
        if voice is not None:
            # Chosen even when the picker's search hides it, like the comparison's winner.
            self.use_voice(voice)
            self.statusBar().showMessage(f"Opened “{take.name}” in the editor.", 4000)
            return True
        self.banner.show_error(f"The voice {take.settings.voice_name or take.settings.voice_id}"
                               " is not in the library any more.")
        return False

    def rerun(self, take: Take) -> None:
        if self.open_in_editor(take):
            self.play()

    def undo_delete(self) -> None:
        async def undo() -> None:
            records = await self.studio.history.undo_delete()
            self.history_panel.hide_undo()
            if not records:
                self.statusBar().showMessage("No deleted take to bring back.", 4000)
                return
            self.history_panel.select(*(record.id for record in records))
            self.statusBar().showMessage(
                f"“{records[0].name}” is back." if len(records) == 1 else
                f"{len(records)} takes are back.", 4000)
        self._attempt(undo())

    def start_ab(self, first_id: str, second_id: str) -> None:
        """A/B two takes of the history; ``second_id`` "": against the take shown."""
        current = self.studio.transport.take
        if not second_id:
            if current is None or current.id == first_id:
                self.banner.show_error("A/B needs two takes: select two in the history, or "
                                       "show one take and A/B another against it.")
                return
            second_id, first_id = first_id, current.id
        self._attempt(self.studio.start_ab(first_id, second_id))

    def switch_ab(self) -> None:
        if not self.studio.transport.switch_ab():
            self.statusBar().showMessage("Select two takes in the history, then A/B.", 4000)

    # --- events ---------------------------------------------------------------------------

    def _on_studio(self, event: StudioEvent) -> None:
        if isinstance(event, StatusChanged):
            self.connection_label.setText(event.text)
        elif isinstance(event, Problem) and event.area in ("keyring", "key file"):
            # The app works without a keyring (the environment, a .env file): a warning.
            self.banner.show("warning", event.message)
        elif isinstance(event, Problem):
            self.banner.show_error(event.message, retry=self.studio.reconnect
                                   if event.area == "connection" else None)
        elif isinstance(event, PreviewFallback):
            self.statusBar().showMessage(f"Preview clip unavailable ({event.reason}); playing "
                                         "a generated sample instead.", 6000)

    def _on_recorder(self, event: RecorderEvent) -> None:
        take = event.recording.take
        if isinstance(event, RecordingStarted):
            self.take_label.setText("streaming…")
            self._started_at = time.perf_counter()
            return
        elapsed = time.perf_counter() - self._started_at
        ttfa = "—" if take.time_to_first_audio is None else \
            f"{take.time_to_first_audio * 1000:.0f} ms"
        rtf = take.duration / elapsed if elapsed > 0 else 0.0
        self.take_label.setText(f"first audio {ttfa} · {take.duration:.2f} s in "
                                f"{elapsed:.2f} s ({rtf:.1f}× real time)")
        if take.status is TakeStatus.FAILED:
            self.banner.show_error(f"The take failed: {take.error}", retry=self.play)

    def _on_transport(self, event: TransportEvent) -> None:
        if isinstance(event, PlaybackProblem):
            self.banner.show_error(f"No playback: {event.message}. Generation, the waveform "
                                   "and export still work.")
        elif isinstance(event, ABSwitched):
            self.statusBar().showMessage(self._ab_status(event), 8000)
        elif isinstance(event, GainChanged):
            self._show_gain(event)

    def _ab_status(self, event: ABSwitched) -> str:
        pair = self.studio.transport.ab
        if pair is None:
            return f"A/B: {event.label} “{event.take.name}”"
        a, b = _ab_names(*pair)
        now, other = (f"A “{a}”", f"B “{b}”") if event.label == "A" else \
            (f"B “{b}”", f"A “{a}”")
        return f"A/B: ▶ {now} at {format_time(event.seconds)} · Ctrl+B: {other}"

    def _show_gain(self, event: GainChanged) -> None:
        for toggle in (self.match_box, self.shortcuts["match"]):
            toggle.blockSignals(True)
            toggle.setChecked(event.matched)
            toggle.blockSignals(False)
        self.gain_label.setText(event.describe() if event.take is not None or
                                not event.matched else "")

    # --- dialogs -----------------------------------------------------------------------------

    def open_export(self, take: Take | None) -> None:
        from app.ui.export_dialog import ExportDialog, ExportItem

        if take is None or take.n_frames == 0:
            self.statusBar().showMessage("Nothing to export yet: play a take first.", 4000)
            return
        selection = self.take_view.selection_seconds() if take is self.take_view.take \
            else None
        self.export_dialog = ExportDialog(self, self.studio, [ExportItem(take, 1, take.id)],
                                          selection)
        self.export_dialog.failed.connect(self.banner.show_error)
        self.export_dialog.exported.connect(lambda files: self.statusBar().showMessage(
            "Exported " + ", ".join(f.name for f in files), 6000))
        self.export_dialog.open()

    def open_lineup(self) -> None:
        """The comparison of voices (one window, kept between uses)."""
        from app.ui.lineup_panel import LineupPanel

        if self.lineup_panel is None:
            self.lineup_panel = LineupPanel(self.studio, self.draft, self)
            self.lineup_panel.voiceChosen.connect(self.use_voice)
            if self.voice is not None:
                self.lineup_panel.tick([self.voice.id])
        self.lineup_panel.show()
        self.lineup_panel.raise_()
        self.lineup_panel.activateWindow()

    def use_voice(self, voice: Voice) -> None:
        """Make ``voice`` the line's voice (the comparison's winner)."""
        if not self.picker.select(voice.id):  # filtered out of the picker's view
            self._voice_selected(voice)

    # --- pronunciations --------------------------------------------------------------------

    def open_lab(self, start: int, end: int) -> LabPanel | None:
        """The pronunciation lab for the word at ``start``–``end`` of the line."""
        from app.ui.lab_panel import LabPanel

        if self.voice is None:
            self.banner.show_error("Choose a voice first: the lab says the line in it.")
            return None
        try:
            word = word_in_line(self.editor.toPlainText(), start, end)
        except VoiceboothError as exc:
            self.statusBar().showMessage(f"Pronunciation lab: {exc}", 6000)
            return None
        if self.lab_panel is not None:
            self.lab_panel.stop_playing()
            self.studio.background(self.lab_panel.aclose())
            self.lab_panel.close()
            self.lab_panel.deleteLater()
        panel = self.lab_panel = LabPanel(self.studio, self.draft(), self.voice, word, self)
        panel.kept.connect(lambda w, p, scope: self._kept(word, p, scope,
                                                          panel.keep_in.currentData()))
        entry = self.studio.lexicons.entry_for(word.word)
        if entry is not None:  # what the lexicon says now is the one to beat
            panel.add(Candidate(entry.pronunciation, "lexicon"))
        panel.add_engine()  # the engine's own reading is always a candidate
        panel.show()
        panel.raise_()
        panel.activateWindow()
        return panel

    def _kept(self, word: WordInLine, pronunciation: str, scope: str,
              lexicon: str | None = None) -> None:
        if scope == "everywhere":
            self.keep_everywhere(word.word, pronunciation, lexicon)
        else:
            self.keep_occurrence(word, pronunciation)

    def keep_occurrence(self, word: WordInLine, pronunciation: str) -> bool:
        """Write ``pronunciation`` at the lab's word in the line, then say the line again
        (``False`` when the line no longer has the word where it was)."""
        text = self.editor.toPlainText()
        if text[word.start:word.end] != word.word:
            self.banner.show_error(f"The line changed since the lab opened: “{word.word}” "
                                   "is not where it was. Open the lab on it again.")
            return False
        # One undoable edit, as keep_inline(word, …) gives the whole text.
        self.editor.replace_span(word.start, word.end, pronunciation)
        self.statusBar().showMessage(f"“{word.word}” is now said {pronunciation} here.", 6000)
        if self.editor.is_valid() and self.voice is not None:
            self.play()
        return True

    def keep_everywhere(self, word: str, pronunciation: str,
                        lexicon: str | None = None) -> None:
        """Keep ``pronunciation`` for ``word`` in a lexicon of the project (by name; the
        user lexicon by default): every line says it so from now on, while the script,
        the transcript and the subtitles keep the word."""
        self.studio.pronunciations.remember(word, pronunciation)
        lexicons = self.studio.lexicons
        source = next((s for s in lexicons.sources if s.name == lexicon), lexicons.user)

        async def keep() -> None:
            await lexicons.add(Entry(word, pronunciation), source)
            self.statusBar().showMessage(
                f"“{word}” is now said {pronunciation} in every line ({source.name}).",
                8000)
            if word in self.editor.toPlainText():
                self.play()  # hear it in this line, as the lexicon now says it
        self._attempt(keep())

    def _palette_opened(self, palette: IpaPalette) -> None:
        if id(palette) not in self._wired_palettes:
            self._wired_palettes.add(id(palette))
            palette.hearRequested.connect(self.hear_phonemes)
            palette.chosenEverywhere.connect(self.keep_everywhere)
            palette.chosen.connect(
                lambda said: self.studio.pronunciations.remember(palette.word, said))
        word = palette.word
        if palette.phonemes or not word.strip() or word.startswith("<<"):
            return
        earlier = self.studio.pronunciations.for_word(word)
        if earlier and earlier[0].is_ipa:
            palette.prefill(word, list(earlier[0].phonemes))
            return

        async def prefill() -> None:
            with contextlib.suppress(VoiceboothError):  # nothing to prefill: start empty
                said = await self.studio.pronunciation(word, self.draft().language)
                palette.prefill(word, list(said.phonemes))
        self.studio.background(prefill())

    def _on_lexicons(self, _event: LexiconsChanged) -> None:
        self._mark_lexicon()
        if self.completed:  # else the panel reads them when it is built
            self.script_panel.lexicons_changed()

    def _mark_lexicon(self, *_: object) -> None:
        """Mark the words the lexicons change in the line's language."""
        self.editor.set_lexicon(
            self.studio.lexicons.lexicon().for_language(self.controls.language()))

    def set_use_lexicons(self, on: bool) -> None:
        self.studio.set_use_lexicons(on)
        self._show_use_lexicons()
        if self.completed:
            self.script_panel.lexicons_changed()

    def _show_use_lexicons(self) -> None:
        on = self.studio.use_lexicons
        for toggle in (self.lexicons_box, self.shortcuts["use_lexicons"]):
            toggle.blockSignals(True)
            toggle.setChecked(on)
            toggle.blockSignals(False)

    def hear_word(self, start: int, end: int) -> None:
        """Say the word at ``start``–``end`` alone, then in its sentence (not kept)."""
        if self.voice is None:
            self.statusBar().showMessage("Choose a voice to hear the word in.", 4000)
            return
        try:
            word = word_in_line(self.editor.toPlainText(), start, end)
        except VoiceboothError as exc:
            self.statusBar().showMessage(f"Hear this word: {exc}", 6000)
            return
        self.statusBar().showMessage(f"“{word.word}” alone, then in its sentence…", 4000)
        self._attempt(self.studio.hear_word(self.draft(), self.voice, word))

    def hear_phonemes(self, markup: str) -> None:
        """Say a palette example (or the pronunciation being built) in the line's voice."""
        if not markup:
            return
        if self.voice is None:
            self.statusBar().showMessage("Choose a voice to hear the symbols in.", 4000)
            return
        try:
            self.studio.hear_phonemes(self.draft(), self.voice, markup)
        except VoiceboothError as exc:
            self.statusBar().showMessage(str(exc), 6000)

    def open_pronunciations(self) -> LexiconDialog:
        """The project's lexicons, their files and Cartesia's dictionaries (one dialog,
        raised again when already open)."""
        from app.ui.lexicon_dialog import LexiconDialog

        dialog = self.lexicon_dialog
        if dialog is None or not dialog.isVisible():
            dialog = LexiconDialog(self, self.studio, self.settings)
            dialog.notice.connect(lambda text: self.statusBar().showMessage(text, 6000))
            self.lexicon_dialog = dialog
            dialog.open()
        dialog.raise_()
        return dialog

    def open_settings(self, at_key: bool = False) -> None:
        """``at_key``: the first run's "Add key…", straight to the key field."""
        from app.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self, self.settings, self.studio.endpoints)
        dialog.accepted.connect(self.studio.reconnect)
        self.settings_dialog = dialog
        dialog.open()
        if at_key:
            dialog.focus_key()


def _ab_names(a: Take, b: Take) -> tuple[str, str]:
    """The two takes' names, told apart by the time each was made when they are the
    same (one line, one voice, generated twice)."""
    if a.name != b.name:
        return a.name, b.name
    return f"{a.name} ({_clock(a.created_at)})", f"{b.name} ({_clock(b.created_at)})"


def _clock(created_at: str) -> str:
    try:
        return datetime.fromisoformat(created_at).astimezone().strftime("%H:%M:%S")
    except ValueError:
        return created_at
