"""Pronunciations: the project's lexicons, their files, and Cartesia's dictionaries.

Three tabs over :class:`app.studio.lexicons.Lexicons` and
:class:`app.studio.dictionaries.PronunciationDicts`: every entry (filterable; the user
lexicon's entries added, edited and removed here), the ordered lexicon files, and the
pronunciation dictionaries on the server generations go to (push, pull, use). Above
them, the user's choice of how the lexicons reach the model. All file and network
work runs as tasks on the loop (the studio does the blocking parts off it); errors
show inline, under the part that failed, and change nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.cartesia.dictionaries_types import PronunciationDict
from app.errors import VoiceboothError
from app.markup.lexicon import Entry, Lexicon
from app.markup.lexicon_formats import read_lexicon, write_lexicon
from app.settings import LEXICON_VIA, PRONUNCIATION_DICT_ID, Settings
from app.studio.lexicons import USER, LexiconsChanged, LexiconSource
from app.studio.studio import Studio
from app.ui import theme
from app.ui.metrics import TITLE, scaled, spaced

T = TypeVar("T")
FILE_FILTER = "Lexicons (*.pls *.xml *.csv *.json);;PLS (*.pls *.xml);;CSV (*.csv);;" \
              "Cartesia JSON (*.json)"
EMPTY_ENTRIES = ("No pronunciations yet. Add one below, import a PLS, CSV or JSON file, "
                 "or keep one from the pronunciation lab.")
EMPTY_FILES = ("No lexicon files. Add a PLS, CSV or JSON file to use its pronunciations "
               "in every line; your own entries always come first.")
EMPTY_DICTS = "No pronunciation dictionaries on this server yet. Push your lexicon to make one."


class LexiconDialog(QDialog):
    #: A short message for the window's status bar (a push, a pull, an export).
    notice = Signal(str)

    def __init__(self, parent: QWidget | None, studio: Studio, settings: Settings) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pronunciations")
        self.resize(820, 600)
        self.studio = studio
        self.lexicons = studio.lexicons
        self.settings = settings
        self.dicts: list[PronunciationDict] = []
        self._tasks: set[asyncio.Future[None]] = set()
        tabs = QTabWidget()
        tabs.addTab(self._entries_tab(), "Entries")
        tabs.addTab(self._files_tab(), "Lexicon files")
        tabs.addTab(self._dicts_tab(), "Cartesia dictionaries")
        self.tabs = tabs
        self._listed = False
        tabs.currentChanged.connect(self._tab_shown)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        spaced(layout)
        layout.addWidget(self._mode_box())
        layout.addWidget(tabs, 1)
        layout.addWidget(buttons)
        # Unbound when the dialog closes: the lexicons outlive it.
        unbind = self.lexicons.events.connect(self._on_lexicons)
        self.finished.connect(lambda _: unbind())
        self.refresh()

    # --- building ------------------------------------------------------------------

    def _mode_box(self) -> QWidget:
        self.via_markup = QRadioButton("Rewrite the text here (every model, and offline)")
        self.via_dictionary = QRadioButton("Send a Cartesia pronunciation dictionary")
        self.via_group = QButtonGroup(self)
        self.via_group.addButton(self.via_markup)
        self.via_group.addButton(self.via_dictionary)
        self.mode_note = _note("")
        dictionary = self.settings.get(LEXICON_VIA) == "dictionary"
        (self.via_dictionary if dictionary else self.via_markup).setChecked(True)
        self.via_markup.toggled.connect(self._mode_toggled)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("How pronunciations reach the voice")
        title.setFont(scaled(self.font(), TITLE, bold=True))
        layout.addWidget(title)
        row = QHBoxLayout()
        row.addWidget(self.via_markup)
        row.addWidget(self.via_dictionary)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.mode_note)
        return box

    def _entries_tab(self) -> QWidget:
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by word, pronunciation or source")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(lambda _: self._show_entries())
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Word", "Pronunciation", "Language", "Source"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, 180)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._entry_selected)
        self.entries_empty = _note(EMPTY_ENTRIES)
        self.word = QLineEdit()
        self.word.setPlaceholderText("Cartesia")
        self.pronunciation = QLineEdit()
        self.pronunciation.setPlaceholderText("<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>  or sounds-like: kar-TEE-zha")
        self.language = QLineEdit()
        self.language.setPlaceholderText("any")
        self.language.setMaximumWidth(80)
        self.save_button = QPushButton("Save to my lexicon")
        self.save_button.setDefault(False)
        self.save_button.setAutoDefault(False)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAutoDefault(False)
        self.import_button = QPushButton("Import…")
        self.import_button.setAutoDefault(False)
        self.export_button = QPushButton("Export…")
        self.export_button.setAutoDefault(False)
        self.entry_message = _note("")
        self.save_button.clicked.connect(self.save_entry)
        self.pronunciation.returnPressed.connect(self.save_entry)
        self.remove_button.clicked.connect(self.remove_entry)
        self.import_button.clicked.connect(self._ask_import)
        self.export_button.clicked.connect(self._ask_export)
        form = QHBoxLayout()
        for label, field, stretch in (("Word", self.word, 1),
                                      ("Pronunciation", self.pronunciation, 2),
                                      ("Language", self.language, 0)):
            form.addWidget(QLabel(label))
            form.addWidget(field, stretch)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.export_button)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.entries_empty)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.entry_message)
        return tab

    def _files_tab(self) -> QWidget:
        self.files = QListWidget()
        self.files.currentRowChanged.connect(lambda _: self._update_file_buttons())
        self.files_empty = _note(EMPTY_FILES)
        self.add_file_button = QPushButton("Add file…")
        self.remove_file_button = QPushButton("Remove from project")
        self.up_button = QPushButton("Move up")
        self.down_button = QPushButton("Move down")
        self.file_message = _note("")
        self.add_file_button.clicked.connect(self._ask_add_file)
        self.remove_file_button.clicked.connect(
            lambda: self._with_file(lambda f: self.lexicons.remove_file(f)))
        self.up_button.clicked.connect(lambda: self.move_file(-1))
        self.down_button.clicked.connect(lambda: self.move_file(1))
        buttons = QHBoxLayout()
        for button in (self.add_file_button, self.remove_file_button, self.up_button,
                       self.down_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(_note("Where two lexicons say the same word, the one higher in "
                               "this list wins; your own entries come before every file."))
        layout.addWidget(self.files, 1)
        layout.addWidget(self.files_empty)
        layout.addLayout(buttons)
        layout.addWidget(self.file_message)
        return tab

    def _dicts_tab(self) -> QWidget:
        self.server_note = _note("")
        self.dict_table = QTableWidget(0, 3)
        self.dict_table.setHorizontalHeaderLabels(["Name", "Entries", "Id"])
        self.dict_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.dict_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.dict_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.dict_table.verticalHeader().hide()
        self.dict_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self.dict_table.itemSelectionChanged.connect(self._update_dict_buttons)
        self.dicts_empty = _note("")
        self.dict_name = QLineEdit()
        self.dict_name.setPlaceholderText("a name, e.g. Brand names")
        self.push_button = QPushButton("Push my lexicon")
        self.refresh_button = QPushButton("Refresh")
        self.pull_button = QPushButton("Pull into my lexicon")
        self.use_button = QPushButton("Use this dictionary")
        self.dict_message = _note("")
        self.refresh_button.clicked.connect(lambda: self._start(self.list_dicts()))
        self.push_button.clicked.connect(
            lambda: self._start(self.push(self.dict_name.text())))
        self.dict_name.returnPressed.connect(self.push_button.click)
        self.pull_button.clicked.connect(self._pull_selected)
        self.use_button.clicked.connect(self._use_selected)
        push_row = QFormLayout()
        name_row = QHBoxLayout()
        name_row.addWidget(self.dict_name, 1)
        name_row.addWidget(self.push_button)
        push_row.addRow("Dictionary name", name_row)
        buttons = QHBoxLayout()
        for button in (self.refresh_button, self.push_button, self.pull_button,
                       self.use_button):
            button.setAutoDefault(False)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(self.pull_button)
        buttons.addWidget(self.use_button)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(self.server_note)
        layout.addWidget(self.dict_table, 1)
        layout.addWidget(self.dicts_empty)
        layout.addLayout(buttons)
        layout.addLayout(push_row)
        layout.addWidget(self.dict_message)
        return tab

    # --- showing -------------------------------------------------------------------

    def refresh(self) -> None:
        self._show_entries()
        self._show_files()
        self._show_mode()
        self._show_dicts()

    def _on_lexicons(self, event: LexiconsChanged) -> None:
        self._show_entries()
        self._show_files()

    def shown_entries(self) -> list[Entry]:
        """The entries the table shows, in its order (every lexicon's, filtered)."""
        wanted = self.filter.text().strip().casefold()
        return [e for e in self.lexicons.entries()
                if not wanted or any(wanted in part.casefold() for part in
                                     (e.text, e.pronunciation, e.source, e.language or ""))]

    def _show_entries(self) -> None:
        entries = self.shown_entries()
        winners = {id(e) for e in _winners(self.lexicons.entries())}
        muted = self.palette().color(self.palette().ColorGroup.Disabled,
                                     self.palette().ColorRole.Text)
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            source = "my lexicon" if entry.source == USER else entry.source
            used = id(entry) in winners
            if not used:
                source += " (not used)"
            cells = (entry.text, entry.pronunciation, entry.language or "any", source)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setData(Qt.ItemDataRole.UserRole, entry)
                if not used:
                    item.setForeground(muted)
                    item.setToolTip(f"Not used: a lexicon higher up says “{entry.text}” "
                                    "first")
                elif entry.source != USER:
                    item.setToolTip(f"From {entry.source}: change it there, or save a "
                                    "different one to your lexicon, which comes first")
                self.table.setItem(row, column, item)
        total = len(self.lexicons.entries())
        self.entries_empty.setVisible(total == 0)
        if total and not entries:
            self.entries_empty.setText(f"No entry matches “{self.filter.text()}”.")
            self.entries_empty.show()
        else:
            self.entries_empty.setText(EMPTY_ENTRIES)
        self.table.setVisible(bool(entries))
        self._entry_selected()

    def _show_files(self) -> None:
        self.files.clear()
        for source in self.lexicons.files:
            count = len(source.entries)
            text = f"{source.name}  —  {count} {'entry' if count == 1 else 'entries'}"
            if source.problem:
                text = f"{source.name}  —  cannot be read: {source.problem}"
            item = QListWidgetItem(text)
            item.setToolTip(str(source.path))
            if source.problem:
                item.setForeground(theme.current().error)
            self.files.addItem(item)
        self.files_empty.setVisible(not self.lexicons.files)
        self.files.setVisible(bool(self.lexicons.files))
        self._update_file_buttons()

    def _show_mode(self) -> None:
        dict_id = self.settings.get(PRONUNCIATION_DICT_ID)
        name = next((d.name for d in self.dicts if d.id == dict_id), "")
        if self.via_markup.isChecked():
            self.mode_note.setText("Each line is rewritten before it is sent; the script, "
                                   "transcript and subtitles keep your words.")
        elif not dict_id:
            self.mode_note.setText("Choose a dictionary in “Cartesia dictionaries” and "
                                   "press “Use this dictionary”; until then the text is "
                                   "rewritten here.")
        else:
            label = f"“{name}” ({dict_id})" if name else dict_id
            # (Models outside the sonic-3 family get the text rewritten; the window
            # says so when such a line plays.)
            self.mode_note.setText(f"Lines go as written, with dictionary {label}.")

    def _show_dicts(self) -> None:
        self.dict_table.setRowCount(len(self.dicts))
        used = self.settings.get(PRONUNCIATION_DICT_ID)
        for row, found in enumerate(self.dicts):
            name = f"{found.name}  (in use)" if found.id == used and \
                self.via_dictionary.isChecked() else found.name
            cells = (name, str(len(found.items)), found.id)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, found.id)
                item.setToolTip(f"{found.name}: {found.id}")
                self.dict_table.setItem(row, column, item)
        self.dict_table.setVisible(bool(self.dicts))
        self.dicts_empty.setVisible(not self.dicts and bool(self.dicts_empty.text()))
        self._update_dict_buttons()

    def _entry_selected(self) -> None:
        entry = self.selected_entry()
        self.remove_button.setEnabled(entry is not None and entry.source == USER)
        if entry is not None:
            self.word.setText(entry.text)
            self.pronunciation.setText(entry.pronunciation)
            self.language.setText(entry.language or "")

    def _update_file_buttons(self) -> None:
        row, count = self.files.currentRow(), self.files.count()
        self.remove_file_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < count - 1)

    def _update_dict_buttons(self) -> None:
        chosen = self.selected_dict() is not None
        self.pull_button.setEnabled(chosen)
        self.use_button.setEnabled(chosen)

    def selected_entry(self) -> Entry | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return value if isinstance(value, Entry) else None

    def selected_dict(self) -> str | None:
        rows = self.dict_table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.dict_table.item(rows[0].row(), 0)
        value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return value if isinstance(value, str) else None

    # --- the mode ------------------------------------------------------------------

    def _mode_toggled(self) -> None:
        self.settings.set(LEXICON_VIA,
                          "markup" if self.via_markup.isChecked() else "dictionary")
        self._save_settings()
        self._show_mode()
        self._show_dicts()

    def use_dictionary(self, dict_id: str) -> None:
        """Send this dictionary with every line from now on (the "dictionary" mode)."""
        self.settings.set(PRONUNCIATION_DICT_ID, dict_id)
        self.via_dictionary.setChecked(True)  # saves the mode
        self.settings.set(LEXICON_VIA, "dictionary")
        self._save_settings()
        self._show_mode()
        self._show_dicts()
        self.dict_message.setText("Lines now go as written, with this dictionary.")

    def _save_settings(self) -> None:
        try:
            self.settings.save()
        except VoiceboothError as exc:
            self.mode_note.setText(f"The choice is used now but could not be saved: {exc}")

    # --- entries -------------------------------------------------------------------

    def save_entry(self) -> None:
        entry = Entry(self.word.text().strip(), self.pronunciation.text().strip(),
                      self.language.text().strip() or None)
        if not entry.text or not entry.pronunciation:
            self._fail(self.entry_message, "Type the word and how it is said.")
            return

        async def save() -> None:
            await self.lexicons.add(entry)
            self._tell(self.entry_message, f"“{entry.text}” is saved in your lexicon.")
        self._start(save(), self.entry_message)

    def remove_entry(self) -> None:
        entry = self.selected_entry()
        if entry is None or entry.source != USER:
            return

        async def remove() -> None:
            await self.lexicons.remove(entry.text, language=entry.language)
            self._tell(self.entry_message, f"“{entry.text}” is removed from your lexicon.")
        self._start(remove(), self.entry_message)

    def import_file(self, path: Path) -> None:
        """Bring a PLS, CSV or JSON file into the user lexicon: all of it, or, when the
        file has a problem, nothing (the message names its line and column)."""
        async def bring() -> None:
            lexicon = await _off_loop(lambda: read_lexicon(path))
            count = await self.lexicons.merge_user(list(lexicon.entries))
            self._tell(self.entry_message,
                       f"{count} {'entry' if count == 1 else 'entries'} imported from "
                       f"{path.name}.")
        self._start(bring(), self.entry_message)

    def export_file(self, path: Path) -> None:
        """Write the user lexicon in the format of the extension (PLS, CSV, JSON)."""
        lexicon = Lexicon(self.lexicons.user.entries)
        if not lexicon.entries:
            self._fail(self.entry_message, "Your lexicon is empty: nothing to export.")
            return

        async def write() -> None:
            await _off_loop(lambda: write_lexicon(lexicon, path))
            self._tell(self.entry_message, f"Your lexicon is exported to {path.name}.")
            self.notice.emit(f"Lexicon exported to {path}")
        self._start(write(), self.entry_message)

    def _ask_import(self) -> None:
        self._ask_file("Import pronunciations", QFileDialog.AcceptMode.AcceptOpen,
                       self.import_file)

    def _ask_export(self) -> None:
        self._ask_file("Export your lexicon", QFileDialog.AcceptMode.AcceptSave,
                       self.export_file)

    def _ask_file(self, title: str, mode: QFileDialog.AcceptMode,
                  then: Callable[[Path], None]) -> None:
        chooser = QFileDialog(self, title, "", FILE_FILTER)
        chooser.setAcceptMode(mode)
        if mode is QFileDialog.AcceptMode.AcceptSave:
            chooser.setDefaultSuffix("pls")
        else:
            chooser.setFileMode(QFileDialog.FileMode.ExistingFile)
        chooser.fileSelected.connect(lambda name: then(Path(name)))
        self._chooser = chooser
        chooser.open()

    # --- files ---------------------------------------------------------------------

    def add_file(self, path: Path) -> None:
        async def add() -> None:
            source = await self.lexicons.add_file(path)
            self._tell(self.file_message, f"{source.name} is added: {len(source.entries)} "
                                          "entries.")
        self._start(add(), self.file_message)

    def move_file(self, offset: int) -> None:
        row = self.files.currentRow()
        if not 0 <= row < len(self.lexicons.files):
            return
        source = self.lexicons.files[row]

        async def move() -> None:
            await self.lexicons.move(source, offset)
            self.files.setCurrentRow(self.lexicons.files.index(source))
        self._start(move(), self.file_message)

    def _ask_add_file(self) -> None:
        self._ask_file("Add a lexicon file", QFileDialog.AcceptMode.AcceptOpen, self.add_file)

    def _with_file(self, work: Callable[[LexiconSource], Coroutine[Any, Any, None]]) -> None:
        row = self.files.currentRow()
        if 0 <= row < len(self.lexicons.files):
            self._start(work(self.lexicons.files[row]), self.file_message)

    # --- Cartesia dictionaries -----------------------------------------------------

    def _tab_shown(self, index: int) -> None:
        if self.tabs.tabText(index) == "Cartesia dictionaries" and not self._listed:
            self._start(self.list_dicts())

    async def list_dicts(self) -> None:
        self._listed = True
        self.dict_message.setText("Listing the dictionaries…")
        try:
            config = await self.studio.dictionaries.server()
            self.dicts = await self.studio.dictionaries.list()
        except VoiceboothError as exc:
            self._fail(self.dict_message, f"The dictionaries could not be listed: {exc}")
            return
        where = "the built-in offline engine" if config.base_url.startswith(
            ("http://127.0.0.1", "http://localhost")) else config.base_url
        self.server_note.setText(f"Dictionaries on {where}. A dictionary is used by the "
                                 "sonic-3 family only.")
        self.dicts_empty.setText(EMPTY_DICTS)
        self.dict_message.setText("")
        self._show_dicts()
        self._show_mode()

    async def push(self, name: str) -> None:
        """Create the dictionary ``name`` from the user lexicon, or update it."""
        if not self.lexicons.user.entries:
            self._fail(self.dict_message, "Your lexicon is empty: add or import entries "
                                          "before pushing it.")
            return
        try:
            dict_id = await self.studio.dictionaries.push(
                Lexicon(self.lexicons.user.entries), name)
        except VoiceboothError as exc:
            self._fail(self.dict_message, f"Not pushed: {exc}")
            return
        await self.list_dicts()
        self._select_dict(dict_id)
        self._tell(self.dict_message, f"Your lexicon is in “{name.strip()}” ({dict_id}).")
        self.notice.emit(f"Lexicon pushed to dictionary {dict_id}")

    async def pull(self, dict_id: str) -> None:
        """Bring a dictionary's entries into the user lexicon."""
        try:
            lexicon = await self.studio.dictionaries.pull(dict_id)
            count = await self.lexicons.merge_user(list(lexicon.entries))
        except VoiceboothError as exc:
            self._fail(self.dict_message, f"Not pulled: {exc}")
            return
        self._tell(self.dict_message, f"{count} {'entry' if count == 1 else 'entries'} "
                                      "pulled into your lexicon.")

    def _pull_selected(self) -> None:
        dict_id = self.selected_dict()
        if dict_id is not None:
            self._start(self.pull(dict_id))

    def _use_selected(self) -> None:
        dict_id = self.selected_dict()
        if dict_id is not None:
            self.use_dictionary(dict_id)

    def _select_dict(self, dict_id: str) -> None:
        for row in range(self.dict_table.rowCount()):
            item = self.dict_table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == dict_id:
                self.dict_table.selectRow(row)

    # --- tasks ---------------------------------------------------------------------

    def _start(self, work: Coroutine[Any, Any, None], message: QLabel | None = None) -> None:
        async def guarded() -> None:
            try:
                await work
            except VoiceboothError as exc:
                if message is None:
                    raise
                self._fail(message, str(exc))
        task = asyncio.ensure_future(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self) -> None:
        """Until the work the dialog started is done (tests, closing)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def _fail(self, label: QLabel, text: str) -> None:
        label.setStyleSheet(f"color: {theme.current().error.name()}")
        label.setText(text)

    def _tell(self, label: QLabel, text: str) -> None:
        label.setStyleSheet("")
        label.setText(text)


def _winners(entries: list[Entry]) -> list[Entry]:
    """The entries that can be used: those no earlier entry for the same word hides (one
    for every language, or for the same language), as the lexicons' order decides."""
    kept: list[Entry] = []
    for entry in entries:
        hidden = any(e.text == entry.text and (
            e.language is None or (entry.language is not None and e.speaks(entry.language)))
            for e in kept)
        if not hidden:
            kept.append(entry)
    return kept


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


async def _off_loop(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, work)
