"""The voice library: a table model, a filter proxy, and the picker widget.

The model holds every voice (all pages, loaded in the background by the
window); the proxy filters as you type over name and description, and by
language, gender, owner, source (Cartesia or offline) and favourites; the
table sorts by any column. Favourites are toggled in the ★ column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.cartesia.voices_types import Voice
from app.studio.library import (
    FavouritesChanged,
    LibraryEvent,
    LoadingChanged,
    VoiceLibrary,
    VoicesAdded,
    VoicesReset,
)

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("★", "Name", "Lang", "Gender", "Source")
STAR, NAME, LANGUAGE, GENDER, SOURCE = range(5)


class VoiceTableModel(QAbstractTableModel):
    favouriteToggled = Signal(str)  # a voice id; the library decides and tells back

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.voices: list[Voice] = []
        self.favourites: set[str] = set()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.voices)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        voice = self.voices[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (("★" if voice.id in self.favourites else "☆"), voice.name,
                    voice.language, _gender(voice.gender),
                    "Offline" if voice.offline else ("Mine" if voice.is_owner
                                                     else "Cartesia"))[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{voice.name}\n{voice.description}" if column != STAR else \
                "Click to add to or remove from favourites"
        if role == Qt.ItemDataRole.UserRole:
            return voice
        if role == Qt.ItemDataRole.TextAlignmentRole and column == STAR:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def set_voices(self, voices: list[Voice]) -> None:
        self.beginResetModel()
        self.voices = list(voices)
        self.endResetModel()

    def add_voices(self, voices: list[Voice]) -> None:
        known = {v.id for v in self.voices}
        new = [v for v in voices if v.id not in known]
        if new:
            self.beginInsertRows(QModelIndex(), len(self.voices),
                                 len(self.voices) + len(new) - 1)
            self.voices.extend(new)
            self.endInsertRows()

    def set_favourites(self, ids: Iterable[str]) -> None:
        self.favourites = set(ids)
        if self.voices:
            self.dataChanged.emit(self.index(0, STAR), self.index(len(self.voices) - 1, STAR))

    def toggle_favourite(self, row: int) -> None:
        self.favouriteToggled.emit(self.voices[row].id)

    def row_of(self, voice_id: str) -> int | None:
        return next((i for i, v in enumerate(self.voices) if v.id == voice_id), None)


def _gender(value: str | None) -> str:
    return {"masculine": "Masculine", "feminine": "Feminine",
            "gender_neutral": "Neutral"}.get(value or "", value or "—")


class VoiceFilter(QSortFilterProxyModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = ""
        self.language = ""
        self.gender = ""
        self.owner = ""  # "", "mine", "public"
        self.source = ""  # "", "cartesia", "offline"
        self.favourites_only = False
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def set(self, **values: Any) -> None:
        self.beginFilterChange()
        for name, value in values.items():
            setattr(self, name, value)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, VoiceTableModel)
        voice = model.voices[source_row]
        if self.text:
            needle = self.text.lower()
            if needle not in voice.name.lower() and needle not in voice.description.lower():
                return False
        if self.language and not voice.speaks(self.language):
            return False
        if self.gender and voice.gender != self.gender:
            return False
        if self.owner == "mine" and not voice.is_owner:
            return False
        if self.owner == "public" and voice.is_owner:
            return False
        if self.source == "offline" and not voice.offline:
            return False
        if self.source == "cartesia" and voice.offline:
            return False
        return not (self.favourites_only and voice.id not in model.favourites)


class VoicePicker(QWidget):
    voiceSelected = Signal(object)      # Voice
    previewRequested = Signal(object)   # Voice
    refreshRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = VoiceTableModel(self)
        self.proxy = VoiceFilter(self)
        self.proxy.setSourceModel(self.model)
        self._filtering = False
        self._chosen: Voice | None = None
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search voices by name or description (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.language = QComboBox()
        self.gender = QComboBox()
        self.owner = QComboBox()
        self.source = QComboBox()
        self.favourites_only = QCheckBox("★ only")
        for box, items in ((self.gender, [("Any gender", ""), ("Feminine", "feminine"),
                                          ("Masculine", "masculine"),
                                          ("Neutral", "gender_neutral")]),
                           (self.owner, [("Mine and public", ""), ("Mine", "mine"),
                                         ("Public", "public")]),
                           (self.source, [("All sources", ""), ("Cartesia", "cartesia"),
                                          ("Offline", "offline")])):
            for text, value in items:
                box.addItem(text, value)
        self.language.addItem("Any language", "")
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(24)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column, width in ((STAR, 26), (LANGUAGE, 48), (GENDER, 74), (SOURCE, 62)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(column, width)
        self.table.setMinimumWidth(300)
        self.table.setWordWrap(False)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.status = QLabel()
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_button = QPushButton("▶ Preview")
        self.preview_button.setEnabled(False)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Load the voice library again")

        filters = QHBoxLayout()
        for widget in (self.language, self.gender):
            filters.addWidget(widget)
        filters2 = QHBoxLayout()
        filters2.addWidget(self.owner)
        filters2.addWidget(self.source)
        filters2.addWidget(self.favourites_only)
        bottom = QHBoxLayout()
        bottom.addWidget(self.preview_button)
        bottom.addStretch()
        bottom.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addLayout(filters)
        layout.addLayout(filters2)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.details)
        layout.addLayout(bottom)

        self.search.textChanged.connect(lambda text: self.filter(text=text.strip()))
        self._bind(self.language, "language")
        self._bind(self.gender, "gender")
        self._bind(self.owner, "owner")
        self._bind(self.source, "source")
        self.favourites_only.toggled.connect(lambda on: self.filter(favourites_only=on))
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.clicked.connect(self._clicked)
        self.preview_button.clicked.connect(self._preview)
        self.refresh_button.clicked.connect(self.refreshRequested)
        self.proxy.rowsInserted.connect(self._count)
        self.proxy.rowsRemoved.connect(self._count)
        self.proxy.modelReset.connect(self._count)
        self.proxy.layoutChanged.connect(self._count)

    def _bind(self, box: QComboBox, name: str) -> None:
        box.currentIndexChanged.connect(lambda _i: self.filter(**{name: box.currentData()}))

    def filter(self, **values: Any) -> None:
        """Narrow the list; the chosen voice stays chosen even when it is filtered out.

        Without this, Qt moves the current row to a neighbour when the current one
        is filtered away: typing "espeak" in the search box chose Espeak Swedish
        (and Swedish as the language) for the user.
        """
        chosen = self._chosen
        self._filtering = True
        try:
            self.proxy.set(**values)
            if chosen is not None:
                visible = self.select(chosen.id)
                if not visible:
                    self.table.selectionModel().clear()
                self.details.setText(_details(chosen) + (
                    "" if visible else "<br><i>Hidden by the filter; still the chosen voice.</i>"))
                self.preview_button.setEnabled(visible)
        finally:
            self._filtering = False

    # --- contents ------------------------------------------------------------------

    def set_voices(self, voices: list[Voice]) -> None:
        selected = self.selected_voice()
        self.model.set_voices(voices)
        self._languages()
        if selected is not None:
            self.select(selected.id)
        self._count()

    def add_voices(self, voices: list[Voice]) -> None:
        self.model.add_voices(voices)
        self._languages()
        self._count()

    def _languages(self) -> None:
        have = {self.language.itemData(i) for i in range(self.language.count())}
        for code in sorted({v.language for v in self.model.voices if v.language} - have):
            self.language.addItem(code, code)

    def _count(self, *_: object) -> None:
        self.status.setText(f"{self.proxy.rowCount()} of {self.model.rowCount()} voices")

    def show_progress(self, loaded: int, busy: bool, message: str = "") -> None:
        self.progress.setVisible(busy)
        self.progress.setRange(0, 0)
        self.progress.setFormat(message or f"Loading voices… {loaded}")
        self.refresh_button.setEnabled(not busy)

    # --- selection --------------------------------------------------------------------

    def selected_voice(self) -> Voice | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        voice = self.proxy.data(index, Qt.ItemDataRole.UserRole)
        return voice if isinstance(voice, Voice) else None

    def select(self, voice_id: str) -> bool:
        row = self.model.row_of(voice_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, NAME))
        if not index.isValid():
            return False
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)
        return True

    def select_first(self) -> None:
        if self.proxy.rowCount():
            self.table.setCurrentIndex(self.proxy.index(0, NAME))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._filtering:
            return  # not the user's choice: filter() keeps the chosen voice
        voice = self.proxy.data(current, Qt.ItemDataRole.UserRole) if current.isValid() \
            else None
        if isinstance(voice, Voice):
            self._chosen = voice
            self.details.setText(_details(voice))
            self.preview_button.setEnabled(True)
            self.voiceSelected.emit(voice)
        else:
            self.details.setText("")
            self.preview_button.setEnabled(False)

    def _clicked(self, index: QModelIndex) -> None:
        if index.column() == STAR:
            self.model.toggle_favourite(self.proxy.mapToSource(index).row())

    def _preview(self) -> None:
        voice = self.selected_voice()
        if voice is not None:
            self.previewRequested.emit(voice)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def on_favourite_toggled(self, callback: Callable[[str], None]) -> None:
        self.model.favouriteToggled.connect(callback)

    def bind(self, library: VoiceLibrary) -> None:
        """Show the library as it loads; stars and Refresh go back to it."""
        self.model.set_favourites(library.favourites)
        self.on_favourite_toggled(library.toggle_favourite)
        self.refreshRequested.connect(library.refresh)
        library.events.connect(lambda event: self._on_library(library, event))

    def _on_library(self, library: VoiceLibrary, event: LibraryEvent) -> None:
        if isinstance(event, VoicesReset):
            self.set_voices(list(event.voices))
        elif isinstance(event, VoicesAdded):
            self.add_voices(list(event.voices))
        elif isinstance(event, LoadingChanged):
            self.show_progress(event.loaded, event.busy)
        elif isinstance(event, FavouritesChanged):
            self.model.set_favourites(event.ids)
        if isinstance(event, VoicesReset | VoicesAdded) and self.selected_voice() is None \
                and not any(self.select(i) for i in library.preferred_ids()):
            self.select_first()


def _details(voice: Voice) -> str:
    locales = ", ".join(loc.locale for loc in voice.locales) or voice.language
    source = "Offline voice (built-in engine)" if voice.offline else (
        "Your voice" if voice.is_owner else "Cartesia voice library")
    description = voice.description.replace("<", "&lt;")
    return (f"<b>{voice.name}</b> — {source}<br>{description}<br>"
            f"<small>{locales} · {_gender(voice.gender)} · <code>{voice.id}</code></small>")
