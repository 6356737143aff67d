"""The script panel: many lines, each with its voice, settings and chosen take.

A dock under the editor. Selecting a line loads it into the editor and its
controls; what is typed there goes back into the line (which turns stale).
Buttons and shortcuts add, split, merge, move, duplicate and delete lines;
Enter or a double-click plays a line's take (or renders it when it has none).
"Render stale" and "Render all" run the studio's
:class:`~app.studio.script_renders.ScriptRenders` with the lineup's parallel
setting, with a progress bar and Cancel. The script itself, its files and the
rendering are the studio's (:mod:`app.studio.script`); this only draws and wires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import VoiceboothError
from app.settings import LINEUP_PARALLEL
from app.studio.script import Script, ScriptLine
from app.studio.studio import Studio
from app.takes.take import Take
from app.ui.script_table import LineTable, describe

#: The fields of a line the editor and its controls set.
EditorFields = dict[str, Any]


class ScriptPanel(QWidget):
    #: A line was selected: the window loads it into the editor (its index).
    lineChosen = Signal(int)
    #: Something to tell the user in the status bar.
    notice = Signal(str)
    #: Something went wrong: the banner says it.
    failed = Signal(str)

    def __init__(self, studio: Studio, editor_fields: Callable[[], EditorFields],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self._editor_fields = editor_fields
        self.script = Script()
        #: The chosen takes by id (loaded with the project, or rendered here).
        self.takes: dict[str, Take] = {}
        self._unbind: Callable[[], None] | None = None
        self._build()
        self.set_script(self.script, {})

    # --- building ------------------------------------------------------------------

    def _build(self) -> None:
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: 600;")
        self.table = LineTable()
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.playRequested.connect(self.play_line)
        self.table.moveRequested.connect(self.move_current)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.title)
        bar.addStretch()
        self.buttons: dict[str, QToolButton] = {}
        for name, text, tip, keys, slot in (
                ("add", "+ Line", "Add a line after this one, with the editor's settings",
                 "Ctrl+Alt+Return", self.add_line),
                ("split", "Split", "Split the line at the editor's cursor", "Ctrl+Alt+S",
                 self.split_current),
                ("merge", "Merge", "Merge the line with the next one", "Ctrl+Alt+M",
                 self.merge_current),
                ("up", "↑", "Move the line up", "Alt+Up", lambda: self.move_current(-1)),
                ("down", "↓", "Move the line down", "Alt+Down", lambda: self.move_current(1)),
                ("duplicate", "Duplicate", "Duplicate the line", "Ctrl+Alt+D",
                 self.duplicate_current),
                ("delete", "Delete", "Delete the line (Ctrl+Z in the editor does not bring "
                 "it back: Undo delete does)", "Ctrl+Alt+Backspace", self.delete_current),
                ("undo", "Undo delete", "Bring back the line deleted last", "",
                 self.undo_delete)):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(f"{tip} ({keys})" if keys else tip)
            button.setAutoRaise(True)
            if keys and not keys.startswith("Alt+"):  # Alt+Up/Down belong to the table
                button.setShortcut(QKeySequence(keys))
            button.clicked.connect(slot)
            bar.addWidget(button)
            self.buttons[name] = button
        self.render_stale_button = QPushButton("Render stale")
        self.render_stale_button.setToolTip("Render the lines whose take is stale or missing")
        self.render_stale_button.clicked.connect(lambda: self.render(stale_only=True))
        self.render_all_button = QPushButton("Render all")
        self.render_all_button.setToolTip("Render every line again")
        self.render_all_button.clicked.connect(lambda: self.render(stale_only=False))
        bar.addSpacing(8)
        bar.addWidget(self.render_stale_button)
        bar.addWidget(self.render_all_button)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(12)
        self.progress_label = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        progress = QHBoxLayout()
        progress.setContentsMargins(0, 0, 0, 0)
        progress.addWidget(self.progress, 1)
        progress.addWidget(self.progress_label)
        progress.addWidget(self.cancel_button)
        self.progress_box = QWidget()
        self.progress_box.setLayout(progress)
        self.progress_box.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress_box)

    # --- the script ----------------------------------------------------------------

    def set_script(self, script: Script, takes: dict[str, Take]) -> None:
        if self._unbind is not None:
            self._unbind()
        self.script = script
        self.takes = dict(takes)
        self._unbind = script.events.connect(lambda _event: self.redraw())
        self.redraw()
        if script.lines:
            self.table.selectRow(0)

    def redraw(self) -> None:
        lines = self.script.lines
        selected = self.table.currentRow()
        self.table.setUpdatesEnabled(False)
        self.table.setRowCount(len(lines))
        for index, line in enumerate(lines):
            take = self.takes.get(line.take_id) if line.take_id else None
            self.table.show_line(index, line, take, describe(line, take, rendering=False),
                                 "")
        self.table.setUpdatesEnabled(True)
        if 0 <= selected < len(lines) and self.table.currentRow() != selected:
            self.table.selectRow(selected)
        name = self.script.path.name if self.script.path is not None else "Untitled script"
        self.title.setText(f"{name} · {len(lines)} lines")
        self._update_buttons()

    def current_index(self) -> int:
        row = self.table.currentRow()
        return row if 0 <= row < len(self.script.lines) else -1

    def current_line(self) -> ScriptLine | None:
        index = self.current_index()
        return self.script.lines[index] if index >= 0 else None

    def _selection_changed(self) -> None:
        self._update_buttons()
        if self.current_index() >= 0:
            self.lineChosen.emit(self.current_index())

    def _update_buttons(self) -> None:
        index, count = self.current_index(), len(self.script.lines)
        for name, enabled in (("split", index >= 0), ("merge", 0 <= index < count - 1),
                              ("up", index > 0), ("down", 0 <= index < count - 1),
                              ("duplicate", index >= 0), ("delete", index >= 0)):
            self.buttons[name].setEnabled(enabled)

    # --- editing -------------------------------------------------------------------

    def _attempt(self, change: Callable[[], object]) -> bool:
        try:
            change()
        except VoiceboothError as exc:
            self.failed.emit(str(exc))
            return False
        return True

    def add_line(self) -> None:
        pass

    def split_current(self) -> None:
        pass

    def merge_current(self) -> None:
        pass

    def move_current(self, step: int) -> None:
        pass

    def duplicate_current(self) -> None:
        pass

    def delete_current(self) -> None:
        pass

    def undo_delete(self) -> None:
        pass

    # --- rendering and playing --------------------------------------------------------

    def play_line(self, index: int) -> None:
        pass

    def render(self, *, stale_only: bool) -> None:
        _ = self.studio.settings.get(LINEUP_PARALLEL)

    def cancel(self) -> None:
        pass

    def _release(self) -> None:
        if self._unbind is not None:
            self._unbind()
            self._unbind = None


_ = Qt
