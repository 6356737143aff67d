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
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.cartesia.voices_types import Voice
from app.errors import VoiceboothError
from app.markup import Lexicon
from app.settings import LINEUP_PARALLEL
from app.studio.autosave import ScriptAutosave
from app.studio.export_jobs import ExportItem
from app.studio.lineup import LineupEvent, LineupFinished, RowChanged, RowState
from app.studio.script import (
    LineChanged,
    LineState,
    Script,
    ScriptEvent,
    ScriptLine,
    TakeSet,
    resolve_voice,
)
from app.studio.script_renders import RenderProgress, ScriptRenders, ScriptRow, Which
from app.studio.studio import Studio
from app.takes.take import Take
from app.ui.metrics import GAP, TIGHT, TITLE, scaled, spaced
from app.ui.script_table import STATE, LineTable, describe

#: The fields of a line the editor and its controls set.
EditorFields = dict[str, Any]


class ScriptPanel(QWidget):
    #: A line was selected: the window loads it into the editor (its index).
    lineChosen = Signal(int)
    #: Something to tell the user in the status bar.
    notice = Signal(str)
    #: Something went wrong: the banner says it.
    failed = Signal(str)
    #: The panel's Import… and Export all… buttons: the window owns the dialogs.
    importRequested = Signal()
    exportRequested = Signal()

    def __init__(self, studio: Studio, editor_fields: Callable[[], EditorFields],
                 voice: Callable[[], Voice | None], cursor: Callable[[], int],
                 untitled: Path | None, parent: QWidget | None = None) -> None:
        """``editor_fields``: the line's fields as the editor and its controls hold them
        now; ``voice``: the voice chosen in the window (the script's voice when it has
        none); ``cursor``: the editor's cursor in the line's text; ``untitled``: where a
        script without a file is autosaved (None: it is not)."""
        super().__init__(parent)
        self.studio = studio
        self._editor_fields = editor_fields
        self._voice = voice
        self._cursor = cursor
        self.untitled = untitled
        self.script = Script()
        self.autosave: ScriptAutosave | None = None
        self.renders: ScriptRenders | None = None
        #: Lines deleted, newest last, with where they were (Undo delete).
        self.deleted: list[tuple[int, ScriptLine]] = []
        self._chosen: ScriptLine | None = None
        self._unbind: Callable[[], None] | None = None
        self._unbind_renders: Callable[[], None] | None = None
        self._build()
        self._bind(self.script)

    # --- building ------------------------------------------------------------------

    def _build(self) -> None:
        self.title = QLabel()
        self.title.setFont(scaled(self.font(), TITLE, bold=True))
        # The counts may be long: the buttons keep their room at 1024 px, the title
        # gives way (its tooltip has all of it).
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title.setMinimumWidth(160)
        self.table = LineTable()
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.playRequested.connect(self.play_line)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.title, 1)
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
            if keys:  # while the panel is shown, from the editor too
                button.setShortcut(QKeySequence(keys))
            button.clicked.connect(slot)
            bar.addWidget(button)
            self.buttons[name] = button
        self.render_stale_button = QPushButton("Render stale")
        self.render_stale_button.setToolTip("Render the lines whose take is stale or missing")
        self.render_stale_button.clicked.connect(lambda: self.render_lines("stale"))
        self.render_all_button = QPushButton("Render all")
        self.render_all_button.setToolTip("Render every line again")
        self.render_all_button.clicked.connect(lambda: self.render_lines("all"))
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip("Add lines from a CSV or JSON Lines file "
                                      "(id,text[,voice,model,language,speed,volume,emotion])")
        self.import_button.clicked.connect(self.importRequested)
        self.export_button = QPushButton("Export all…")
        self.export_button.setToolTip("Export every line's take into a folder, named by a "
                                      "template, at a loudness and format you choose")
        self.export_button.clicked.connect(self.exportRequested)
        bar.addSpacing(8)
        bar.addWidget(self.import_button)
        bar.addWidget(self.render_stale_button)
        bar.addWidget(self.render_all_button)
        bar.addWidget(self.export_button)
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
        #: How many lines are in each state, under the table (always shown).
        self.counts = QLabel()
        self.counts.setStyleSheet("color: palette(placeholder-text);")
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.counts)
        bottom.addWidget(self.progress_box, 1)
        layout = QVBoxLayout(self)
        spaced(layout, margin=GAP, spacing=TIGHT)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

    # --- the script ----------------------------------------------------------------

    async def set_script(self, script: Script) -> None:
        """Show ``script`` (the one shown before is saved first, then let go)."""
        await self._stop_rendering()
        if self.autosave is not None:
            await self.autosave.close()
            self.autosave = None
        self.deleted.clear()
        self._bind(script)
        if script.lines:
            self.table.selectRow(0)

    def _bind(self, script: Script) -> None:
        if self._unbind is not None:
            self._unbind()
        self.script = script
        self._chosen = None
        self._unbind = script.events.connect(self._on_script)
        script.set_lexicon(self._lexicon())
        # Autosaved to its file, else (untitled) to the data folder's untitled script.
        untitled = self.untitled or script.path
        if untitled is not None:
            self.autosave = ScriptAutosave(script, untitled=untitled)
        self.redraw()

    def _lexicon(self) -> Lexicon | None:
        """What the lines are said with: the project's lexicons, unless switched off."""
        return self.studio.lexicons.lexicon() if self.studio.use_lexicons else None

    def lexicons_changed(self) -> None:
        """A pronunciation was kept, removed or switched off: the lines that say the word
        become stale (and come back to current when it is as it was)."""
        self.script.set_lexicon(self._lexicon())

    @property
    def takes(self) -> dict[str, Take]:
        """The chosen takes that are loaded, by id."""
        return self.script.takes

    def _on_script(self, event: ScriptEvent) -> None:
        # Typing into a line changes that row only: redrawing all of a long script on
        # every key would make typing lag (40 ms a key at 200 lines).
        if isinstance(event, LineChanged | TakeSet):
            self.redraw_line(event.index)
        else:
            self.redraw()

    def _default_voice(self) -> str:
        default = self.script.defaults.voice_name or self.script.defaults.voice_id
        if not default:
            voice = self._voice()
            default = f"({voice.name})" if voice is not None else "(the window's voice)"
        return default

    def _show(self, index: int, line: ScriptLine, rows: dict[int, RowState],
              default: str) -> None:
        take = self.script.take_of(line)
        row = rows.get(id(line))
        shown = describe(line, take, rendering=row is RowState.RENDERING,
                         waiting=row in (RowState.QUEUED, RowState.WAITING))
        self.table.show_line(index, line, take, shown, default)

    def redraw_line(self, index: int) -> None:
        """Redraw one row (and the counts) after a change of that line alone."""
        if not 0 <= index < len(self.script) or self.table.rowCount() != len(self.script):
            self.redraw()
            return
        self._show(index, self.script[index], self._rows_rendering(), self._default_voice())
        self._redraw_summary()

    def redraw(self) -> None:
        lines = self.script.lines
        rows = self._rows_rendering()
        default = self._default_voice()
        selected = self.table.currentRow()
        self.table.blockSignals(True)
        self.table.setUpdatesEnabled(False)
        self.table.setRowCount(len(lines))
        for index, line in enumerate(lines):
            self._show(index, line, rows, default)
        if self._chosen is not None:  # the chosen line may have moved
            where = self.script.index_of(self._chosen)
            selected = where if where is not None else min(selected, len(lines) - 1)
        if 0 <= selected < len(lines) and self.table.currentRow() != selected:
            self.table.selectRow(selected)
        self.table.setUpdatesEnabled(True)
        self.table.blockSignals(False)
        self._chosen_changed()
        self._redraw_summary()

    def _redraw_summary(self) -> None:
        title = self._title()
        self.title.setText(title)
        self.title.setToolTip(title)
        self.counts.setText(self._counts())
        self._update_buttons()

    def _title(self) -> str:
        script = self.script
        name = script.path.name if script.path is not None else "Untitled script"
        mark = " •" if script.dirty and script.path is not None else ""
        return f"{name}{mark} · {len(script.lines)} lines"

    def _counts(self) -> str:
        """"29 current · 2 stale · 8 missing · 1 failed", as the state column says."""
        shown = [self.table.item(i, STATE) for i in range(self.table.rowCount())]
        labels = [item.text().rstrip("…") for item in shown if item is not None]
        return " · ".join(f"{labels.count(label)} {label}" for label in
                          ("current", "stale", "missing", "failed", "queued", "rendering")
                          if labels.count(label))

    def _rows_rendering(self) -> dict[int, RowState]:
        renders = self.renders
        if renders is None or renders.finished:
            return {}
        return {id(row.line): row.state for row in renders.all_rows}

    def current_index(self) -> int:
        row = self.table.currentRow()
        return row if 0 <= row < len(self.script.lines) else -1

    def current_line(self) -> ScriptLine | None:
        index = self.current_index()
        return self.script.lines[index] if index >= 0 else None

    def _selection_changed(self) -> None:
        self._update_buttons()
        self._chosen_changed()

    def _chosen_changed(self) -> None:
        """Tell the window when another line (not a redraw of the same) is chosen."""
        line = self.current_line()
        if line is not self._chosen:
            self._chosen = line
            if line is not None:
                self.lineChosen.emit(self.current_index())
                if line.error:  # the table has room for "failed", not for why
                    self.notice.emit(f"Line {line.id} failed: {line.error}")

    def _update_buttons(self) -> None:
        index, count = self.current_index(), len(self.script.lines)
        for name, enabled in (("split", index >= 0), ("merge", 0 <= index < count - 1),
                              ("up", index > 0), ("down", 0 <= index < count - 1),
                              ("duplicate", index >= 0), ("delete", index >= 0),
                              ("undo", bool(self.deleted))):
            self.buttons[name].setEnabled(enabled)

    # --- editing -------------------------------------------------------------------

    def _attempt(self, change: Callable[[], object]) -> bool:
        """Do a change of the script; what cannot be done is said, and changes nothing."""
        try:
            change()
        except VoiceboothError as exc:
            self.failed.emit(str(exc))
            return False
        return True

    def edit_current(self, **fields: Any) -> None:
        """The editor changed: the chosen line follows (it turns stale if it had a take)."""
        index = self.current_index()
        if index >= 0:
            self._attempt(lambda: self.script.update(index, **fields))

    def add_line(self) -> None:
        """A new empty line after the chosen one, with the editor's voice and settings."""
        fields = {k: v for k, v in self._editor_fields().items() if k != "text"}
        index = self.current_index() + 1 if self.current_index() >= 0 else len(self.script)
        self._attempt(lambda: self.script.insert(index, "", **fields))
        self.table.selectRow(index)

    def split_current(self) -> None:
        index = self.current_index()
        if index >= 0 and self._attempt(lambda: self.script.split(index, self._cursor())):
            self._reload()

    def _reload(self) -> None:
        """The chosen line's text changed here, not in the editor: load it again."""
        self._chosen = None
        self._chosen_changed()

    def merge_current(self) -> None:
        index = self.current_index()
        if index >= 0 and self._attempt(lambda: self.script.merge(index)):
            self._reload()

    def move_current(self, step: int) -> None:
        index = self.current_index()
        if index >= 0 and 0 <= index + step < len(self.script):
            self._attempt(lambda: self.script.move(index, index + step))

    def duplicate_current(self) -> None:
        index = self.current_index()
        if index >= 0 and self._attempt(lambda: self.script.duplicate(index)):
            self.table.selectRow(index + 1)

    def delete_current(self) -> None:
        index = self.current_index()
        if index < 0:
            return
        self.deleted.append((index, self.script[index]))
        line = self.script.remove(index)
        self.notice.emit(f"Line {line.id!r} deleted: Undo delete brings it back.")

    def undo_delete(self) -> None:
        if not self.deleted:
            self.notice.emit("No deleted line to bring back.")
            return
        index, line = self.deleted.pop()
        if self._attempt(lambda: self.script.insert_line(index, line)):
            self.table.selectRow(min(index, len(self.script) - 1))

    def repoint_take(self, previous_id: str, take: Take) -> int:
        """A retake was spliced into a line's take (or the splice undone): the lines
        that chose ``previous_id`` choose ``take`` now, with the key they had (the
        splice says the same text with the same settings, so they stay current). How
        many lines moved."""
        moved = 0
        for index, line in enumerate(self.script.lines):
            if line.take_id == previous_id:
                self.script.set_take(index, take, key=line.take_key)
                moved += 1
        return moved

    def export_items(self) -> tuple[list[ExportItem], str]:
        """The lines' chosen takes to export (numbered by line), and what to say about
        the lines left out or exported stale ("" when every line is current)."""
        items: list[ExportItem] = []
        left_out: list[str] = []
        stale: list[str] = []
        for n, line in enumerate(self.script.lines, start=1):
            take = self.script.take_of(line)
            if take is None or not take.n_frames:
                left_out.append(line.id)
                continue
            items.append(ExportItem(take, n, line.id))
            if line.state is LineState.STALE:
                stale.append(line.id)
        notes = []
        if left_out:
            notes.append(("1 line has no take and is left out" if len(left_out) == 1 else
                          f"{len(left_out)} lines have no take and are left out")
                         + f" ({_some(left_out)})")
        if stale:
            notes.append(("1 take is stale" if len(stale) == 1 else
                          f"{len(stale)} takes are stale")
                         + f" ({_some(stale)}): Render stale first to export what the "
                         "lines say now")
        return items, "; ".join(notes) + ("." if notes else "")

    # --- rendering and playing --------------------------------------------------------

    def resolve(self, line: ScriptLine) -> Voice:
        """The voice a line is said in: its own (by id, or by name as a CSV may give
        it), else the script's, else the window's."""
        voice_id, name = line.voice
        voices = self.studio.library.voices
        if voice_id:
            found = resolve_voice(voice_id, voices) or (
                resolve_voice(name, voices) if name else None)
            return found or Voice(id=voice_id, name=name or voice_id)
        chosen = self._voice()
        if chosen is None:
            return Voice(id="", name="")  # the check before sending says what is missing
        return chosen

    def play_line(self, index: int) -> None:
        """Play the line's take; a line without one is rendered (Enter again plays it)."""
        if not 0 <= index < len(self.script):
            return
        take = self.script.take_of(self.script[index])
        if take is not None and take.n_frames:
            self.studio.transport.play_take(take)
            return
        self.render_lines([index])

    def render_lines(self, which: Which = "stale") -> bool:
        """Render ``which`` lines ("all", "stale" and missing, or these indices); whether
        it started."""
        if self.renders is not None and not self.renders.finished:
            self.notice.emit("Lines are rendering: wait, or Cancel first.")
            return False
        if not self.script.defaults.voice_id:
            voice = self._voice()
            if voice is None and any(not line.voice_id for line in self.script.lines):
                self.failed.emit("Choose a voice first: some lines have no voice of their "
                                 "own, and the script has none.")
                return False
            if voice is not None:  # the script keeps the voice it was rendered in
                self.script.set_defaults(voice_id=voice.id, voice_name=voice.name)
        self.script.set_lexicon(self._lexicon())
        try:
            renders = ScriptRenders(self.studio.endpoints, self.script, which,
                                    voices=self.resolve, lexicon=self.script.lexicon,
                                    max_parallel=self.studio.settings.get(LINEUP_PARALLEL),
                                    history=self.studio.history)
        except VoiceboothError as exc:
            self.notice.emit(str(exc))
            return False
        if self._unbind_renders is not None:  # the last render's, finished
            self._unbind_renders()
        self.renders = renders
        unbind_rows = renders.events.connect(self._on_renders)
        unbind_progress = renders.progress.connect(self._show_progress)

        def unbind() -> None:
            unbind_rows()
            unbind_progress()
        self._unbind_renders = unbind
        self.progress_box.show()
        self.cancel_button.setEnabled(True)
        self._show_progress(renders.counts())
        renders.start()
        self.redraw()
        return True

    def _on_renders(self, event: LineupEvent) -> None:
        if isinstance(event, RowChanged) and isinstance(event.row, ScriptRow):
            index = self.script.index_of(event.row.line)
            if index is not None:
                self.redraw_line(index)
        elif isinstance(event, LineupFinished):
            self.cancel_button.setEnabled(False)
            self._show_progress(self.renders.counts() if self.renders else None)
            self.redraw()

    def _show_progress(self, progress: RenderProgress | None) -> None:
        if progress is None:
            return
        self.progress.setMaximum(max(1, progress.total))
        self.progress.setValue(progress.done + progress.failed)
        parts = [f"{progress.done} done", f"{progress.failed} failed",
                 f"{progress.remaining} remaining"]
        if progress.stopped:
            parts.append(f"{progress.stopped} cancelled")
        self.progress_label.setText(" · ".join(parts))

    def cancel(self) -> None:
        """Stop rendering: lines already rendered keep their takes, the rest stay as
        they were."""
        if self.renders is not None:
            self.renders.stop()

    async def _stop_rendering(self) -> None:
        if self._unbind_renders is not None:
            self._unbind_renders()
            self._unbind_renders = None
        if self.renders is not None:
            await self.renders.close()
            self.renders = None
        self.progress_box.hide()

    async def aclose(self) -> None:
        """Stop rendering and write what the autosave still holds (the window closes)."""
        await self._stop_rendering()
        if self.autosave is not None:
            await self.autosave.close()
            self.autosave = None
        if self._unbind is not None:
            self._unbind()
            self._unbind = None



def _some(ids: list[str], shown: int = 4) -> str:
    return ", ".join(ids[:shown]) + (", …" if len(ids) > shown else "")
