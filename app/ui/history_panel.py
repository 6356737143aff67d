"""The history of takes: find one again (text, voice, stars), rate it, note it, play it,
open it in the editor, A/B it, rename it, delete it with Undo.

Each row shows the take's name, a one-line summary (voice · model · language ·
controls set · duration · when), its stars (click one to rate; click the same
one again to clear) and its note. Selecting a row shows that take in the take
view. Filtering is the history service's (SQLite), not this widget's: the
panel only asks for it.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import QAction, QFont, QKeySequence, QMouseEvent, QPainter, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.studio.history import (
    HistoryChanged,
    HistoryEvent,
    HistoryService,
    TakeDeleted,
    summary,
    summary_parts,
)
from app.takes.history import MAX_RATING, HistoryFilter, TakeRecord
from app.ui.icons import icon
from app.ui.metrics import GAP, TIGHT, TITLE, scaled, spaced

ID_ROLE = Qt.ItemDataRole.UserRole
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1
#: How long "Deleted … Undo" stays: long enough to notice a slip of the finger.
UNDO_SECONDS = 10
STAR, NO_STAR = "★", "☆"
_PAD = 6
_STAR_WIDTH = 15


def stars(rating: int) -> str:
    return STAR * rating + NO_STAR * (MAX_RATING - rating)


class _TakeDelegate(QStyledItemDelegate):
    """Paints a take in three lines (name and stars, summary, note) and turns a click
    on a star into a rating."""

    def __init__(self, panel: HistoryPanel) -> None:
        super().__init__(panel)
        self.panel = panel

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        record: TakeRecord | None = index.data(RECORD_ROLE)
        lines = 3 if record is not None and record.note else 2
        return QSize(option.rect.width(), lines * option.fontMetrics.height() + 2 * _PAD)

    def star_rect(self, rect: QRect, i: int) -> QRect:
        """Where star ``i`` (0-4) is drawn in a row drawn in ``rect``."""
        left = rect.right() - _PAD - MAX_RATING * _STAR_WIDTH + i * _STAR_WIDTH
        return QRect(left, rect.top() + _PAD - 2, _STAR_WIDTH, _STAR_WIDTH + 4)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        record: TakeRecord | None = index.data(RECORD_ROLE)
        if record is None:
            super().paint(painter, option, index)
            return
        style = option.widget.style() if option.widget is not None else None
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, background, painter,
                              option.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text = palette.highlightedText().color() if selected else palette.text().color()
        dim = palette.highlightedText().color() if selected else \
            palette.placeholderText().color()
        line = option.fontMetrics.height()
        rect = option.rect.adjusted(_PAD, _PAD, -_PAD, -_PAD)
        painter.save()
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text)
        name_width = rect.width() - MAX_RATING * _STAR_WIDTH - _PAD
        painter.drawText(QRect(rect.left(), rect.top(), name_width, line),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(record.name,
                                                          Qt.TextElideMode.ElideRight,
                                                          name_width))
        painter.setFont(option.font)
        for i in range(MAX_RATING):
            painter.setPen(text if i < record.rating else dim)
            painter.drawText(self.star_rect(option.rect, i), Qt.AlignmentFlag.AlignCenter,
                             STAR if i < record.rating else NO_STAR)
        painter.setPen(dim)
        fm = option.fontMetrics
        made, timing = summary_parts(record)
        timing_width = fm.horizontalAdvance(timing)
        second = QRect(rect.left(), rect.top() + line, rect.width(), line)
        painter.drawText(second, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         timing)
        painter.drawText(second.adjusted(0, 0, -timing_width - _PAD, 0),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(made, Qt.TextElideMode.ElideRight,
                                       rect.width() - timing_width - _PAD))
        if record.note:
            italic = QFont(option.font)
            italic.setItalic(True)
            painter.setFont(italic)
            painter.setPen(text)
            painter.drawText(QRect(rect.left(), rect.top() + 2 * line, rect.width(), line),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             painter.fontMetrics().elidedText(
                                 record.note, Qt.TextElideMode.ElideRight, rect.width()))
        painter.restore()

    def star_at(self, rect: QRect, point: QPoint) -> int | None:
        """Which star (1-5) is at ``point`` in a row drawn in ``rect``."""
        for i in range(MAX_RATING):
            if self.star_rect(rect, i).contains(point):
                return i + 1
        return None

    def editorEvent(self, event: QEvent, model: QAbstractItemModel,
                    option: QStyleOptionViewItem,
                    index: QModelIndex | QPersistentModelIndex) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent) \
                and event.button() == Qt.MouseButton.LeftButton:
            record: TakeRecord | None = index.data(RECORD_ROLE)
            star = self.star_at(option.rect, event.position().toPoint())
            if record is not None and star is not None:
                # The same star again clears the rating (as in music players).
                self.panel.ratingRequested.emit(record.id, 0 if star == record.rating
                                                else star)
                return True
        return super().editorEvent(event, model, option, index)


class HistoryPanel(QWidget):
    selected = Signal(str)
    replayRequested = Signal(str)
    openRequested = Signal(str)
    rerunRequested = Signal(str)
    exportRequested = Signal(str)
    deleteRequested = Signal(list)  # the ids deleted together (one Undo)
    renameRequested = Signal(str, str)
    ratingRequested = Signal(str, int)
    noteRequested = Signal(str, str)
    #: Two takes of the history; or one and "" for "this one against the current take".
    abRequested = Signal(str, str)
    filterChanged = Signal(HistoryFilter)
    undoRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._records: dict[str, TakeRecord] = {}
        self._build_filters()
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # F2 renames; a double click plays.
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setAlternatingRowColors(True)
        self.delegate = _TakeDelegate(self)
        self.list.setItemDelegate(self.delegate)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.empty = QLabel()
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Add a note (Enter keeps it)…")
        self.note.setClearButtonEnabled(True)
        self._build_buttons()
        self._build_undo_bar()
        self.heading = QLabel("Takes")
        self.heading.setFont(scaled(self.font(), TITLE, bold=True))
        layout = QVBoxLayout(self)
        spaced(layout, margin=GAP)  # a side panel: the splitter handle adds its own room
        layout.addWidget(self.heading)
        layout.addLayout(self.filter_row)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.undo_bar)
        layout.addWidget(self.note)
        layout.addLayout(self.buttons)
        self.setMinimumWidth(260)
        self._wire()
        self._selection_changed()
        self._update_empty()

    # --- building --------------------------------------------------------------------

    def _build_filters(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find text, name or note")
        self.search.setClearButtonEnabled(True)
        self.voice_filter = QComboBox()
        self.voice_filter.addItem("All voices", "")
        self.voice_filter.setToolTip("Only the takes of one voice")
        self.rating_filter = QComboBox()
        self.rating_filter.addItem("Any rating", 0)
        for n in range(1, MAX_RATING + 1):
            self.rating_filter.addItem(STAR * n + ("+" if n < MAX_RATING else ""), n)
        self.rating_filter.setToolTip("Only the takes rated at least this many stars")
        self.filter_row = QVBoxLayout()
        self.filter_row.setSpacing(TIGHT)
        self.filter_row.addWidget(self.search)
        combos = QHBoxLayout()
        combos.addWidget(self.voice_filter, 1)
        combos.addWidget(self.rating_filter)
        self.filter_row.addLayout(combos)

    def _build_buttons(self) -> None:
        self.replay_button = QPushButton(icon("play"), "Play")
        self.replay_button.setToolTip("Play the selected take (double-click)")
        self.open_button = QPushButton("Open in editor")
        self.open_button.setToolTip("Put the take's text, voice and settings back in the "
                                    "editor, without generating")
        self.ab_button = QPushButton(icon("ab"), "A/B")
        self.ab_button.setToolTip("Two takes selected: switch between them at the same word "
                                  "(Ctrl+B). One: against the take shown.")
        # Rename and Delete are icons (named in their tooltips and by F2 and Delete), so
        # the row fits the take list at its narrowest (a 1024 px window) with whole words.
        self.rename_button = QPushButton(icon("rename"), "")
        self.rename_button.setToolTip("Rename the selected take (F2)")
        self.rename_button.setAccessibleName("Rename")
        self.delete_button = QPushButton(icon("delete"), "")
        self.delete_button.setToolTip("Delete the selected takes (Delete; Ctrl+Z undoes)")
        self.delete_button.setAccessibleName("Delete")
        self.rerun_button = QPushButton(icon("rerun"), "Re-run")
        self.rerun_button.setToolTip("Generate again with the same text and settings")
        self.export_button = QPushButton(icon("export"), "Export…")
        self.export_button.setToolTip("Export the selected take (Ctrl+E)")
        self.buttons = QVBoxLayout()
        self.buttons.setSpacing(TIGHT)
        for group in ((self.replay_button, self.open_button, self.ab_button),
                      (self.rerun_button, self.export_button, self.rename_button,
                       self.delete_button)):
            row = QHBoxLayout()
            row.setSpacing(TIGHT)
            for button in group:
                row.addWidget(button, 0 if button.text() == "" else 1)
            self.buttons.addLayout(row)

    def _build_undo_bar(self) -> None:
        self.undo_bar = QFrame()
        self.undo_bar.setFrameShape(QFrame.Shape.StyledPanel)
        self.undo_bar.setStyleSheet("QFrame { background: palette(alternate-base); }")
        self.undo_label = QLabel()
        self.undo_label.setWordWrap(True)
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Bring the take back (Ctrl+Z in the history)")
        bar = QHBoxLayout(self.undo_bar)
        bar.setContentsMargins(GAP, TIGHT, TIGHT, TIGHT)
        bar.addWidget(self.undo_label, 1)
        bar.addWidget(self.undo_button)
        self.undo_bar.hide()
        self.undo_timer = QTimer(self)
        self.undo_timer.setSingleShot(True)
        self.undo_timer.setInterval(UNDO_SECONDS * 1000)
        self.undo_timer.timeout.connect(self.undo_bar.hide)

    def _wire(self) -> None:
        self.search.textChanged.connect(self._filter_changed)
        self.voice_filter.currentIndexChanged.connect(self._filter_changed)
        self.rating_filter.currentIndexChanged.connect(self._filter_changed)
        self.replay_button.clicked.connect(lambda: self._one(self.replayRequested))
        self.open_button.clicked.connect(lambda: self._one(self.openRequested))
        self.rerun_button.clicked.connect(lambda: self._one(self.rerunRequested))
        self.export_button.clicked.connect(lambda: self._one(self.exportRequested))
        self.rename_button.clicked.connect(self._rename)
        self.delete_button.clicked.connect(self._delete)
        self.ab_button.clicked.connect(self._ab)
        self.undo_button.clicked.connect(self.undoRequested.emit)
        self.note.editingFinished.connect(self._note_edited)
        self.list.itemDoubleClicked.connect(lambda item: self.replayRequested.emit(
            item.data(ID_ROLE)))
        self.list.itemChanged.connect(self._renamed)
        self.list.itemSelectionChanged.connect(self._selection_changed)
        self.list.customContextMenuRequested.connect(self._context_menu)
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self._delete)
        # In the history only: in the editor, Ctrl+Z undoes typing.
        undo = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self)
        undo.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        undo.activated.connect(self._undo_shortcut)

    # --- showing -----------------------------------------------------------------------

    def set_records(self, records: list[TakeRecord]) -> None:
        chosen = set(self.selected_ids())
        self._records = {r.id: r for r in records}
        self.list.blockSignals(True)
        self.list.clear()
        for record in records:
            item = QListWidgetItem(record.name)
            item.setData(ID_ROLE, record.id)
            item.setData(RECORD_ROLE, record)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            item.setToolTip(_tooltip(record))
            self.list.addItem(item)
            item.setSelected(record.id in chosen)
        self.list.blockSignals(False)
        self._selection_changed(announce=False)
        self._update_empty()

    def set_voices(self, voices: list[tuple[str, str]]) -> None:
        """The voice filter's choices (every voice with a kept take), keeping the choice."""
        chosen = self.voice_filter.currentData()
        self.voice_filter.blockSignals(True)
        self.voice_filter.clear()
        self.voice_filter.addItem("All voices", "")
        for voice_id, name in voices:
            self.voice_filter.addItem(name, voice_id)
        at = self.voice_filter.findData(chosen)
        self.voice_filter.setCurrentIndex(max(at, 0))
        self.voice_filter.blockSignals(False)

    def bind(self, history: HistoryService) -> None:
        self.set_records(list(history.records))
        self.set_voices(list(history.voices))
        history.events.connect(self._on_history)

    def _on_history(self, event: HistoryEvent) -> None:
        if isinstance(event, HistoryChanged):
            self.set_voices(list(event.voices))
            self.set_records(list(event.records))
        elif isinstance(event, TakeDeleted):
            self.show_undo(event.records)

    def show_undo(self, records: tuple[TakeRecord, ...]) -> None:
        self.undo_label.setText(f"Deleted “{records[0].name}”." if len(records) == 1 else
                                f"Deleted {len(records)} takes.")
        self.undo_bar.show()
        self.undo_timer.start()

    def hide_undo(self) -> None:
        self.undo_timer.stop()
        self.undo_bar.hide()

    def _undo_shortcut(self) -> None:
        if self.undo_bar.isVisible():
            self.hide_undo()
        self.undoRequested.emit()

    def filter(self) -> HistoryFilter:
        return HistoryFilter(text=self.search.text(),
                             voice_id=str(self.voice_filter.currentData() or ""),
                             min_rating=int(self.rating_filter.currentData() or 0))

    def _filter_changed(self, *_: object) -> None:
        self.filterChanged.emit(self.filter())

    def _update_empty(self) -> None:
        empty = self.list.count() == 0
        self.empty.setVisible(empty)
        self.empty.setText("No take matches the filter." if self.filter().active else
                           "Takes you play are kept here.")

    # --- reading -----------------------------------------------------------------------

    def ids(self) -> list[str]:
        return [self.list.item(i).data(ID_ROLE) for i in range(self.list.count())]

    def selected_ids(self) -> list[str]:
        return [item.data(ID_ROLE) for item in self.list.selectedItems()]

    def select(self, *take_ids: str) -> None:
        """Select exactly these takes."""
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setSelected(item.data(ID_ROLE) in take_ids)

    def star_point(self, take_id: str, star: int) -> QPoint | None:
        """The middle of a take's ``star`` (1-5) in the list's viewport."""
        for i in range(self.list.count()):
            if self.list.item(i).data(ID_ROLE) == take_id:
                row = self.list.visualItemRect(self.list.item(i))
                return self.delegate.star_rect(row, star - 1).center()
        return None

    # --- acting ------------------------------------------------------------------------

    def _one(self, signal: SignalInstance) -> None:
        ids = self.selected_ids()
        if ids:
            signal.emit(ids[0])

    def _delete(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.deleteRequested.emit(ids)

    def _rename(self) -> None:
        items = self.list.selectedItems()
        if items:
            self.list.editItem(items[0])

    def _ab(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 2:
            self.abRequested.emit(ids[0], ids[1])
        elif len(ids) == 1:
            self.abRequested.emit(ids[0], "")

    def _renamed(self, item: QListWidgetItem) -> None:
        self.renameRequested.emit(item.data(ID_ROLE), item.text().strip())

    def _note_edited(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            record = self._records.get(ids[0])
            note = self.note.text().strip()
            if record is not None and note != record.note:
                self.noteRequested.emit(ids[0], note)

    def _context_menu(self, point: QPoint) -> None:
        item = self.list.itemAt(point)
        if item is None:
            return
        if not item.isSelected():
            self.list.setCurrentItem(item)
        menu = QMenu(self)
        for button in (self.replay_button, self.open_button, self.ab_button,
                       self.rename_button, self.rerun_button, self.export_button,
                       self.delete_button):
            action = QAction(button.text(), menu)
            action.setEnabled(button.isEnabled())
            action.triggered.connect(button.click)
            menu.addAction(action)
        menu.popup(self.list.viewport().mapToGlobal(point))

    def _selection_changed(self, announce: bool = True) -> None:
        ids = self.selected_ids()
        count = len(ids)
        for button in (self.replay_button, self.open_button, self.rerun_button,
                       self.export_button, self.rename_button):
            button.setEnabled(count == 1)
        self.delete_button.setEnabled(count >= 1)
        self.ab_button.setEnabled(count in (1, 2))
        # The label stays short (the row is narrow); the tooltip says against what.
        self.ab_button.setToolTip("A/B against the take shown (Ctrl+B switches)" if count == 1
                                  else "Two takes selected: switch between them at the same "
                                  "word (Ctrl+B). One: against the take shown.")
        record = self._records.get(ids[0]) if count == 1 else None
        self.note.setEnabled(record is not None)
        if not self.note.hasFocus() or record is None:
            self.note.setText(record.note if record is not None else "")
        if announce and record is not None:
            self.selected.emit(record.id)

    def close_panel(self) -> None:
        self.hide_undo()


def _tooltip(record: TakeRecord) -> str:
    lines = [record.text, summary(record)]
    if record.time_to_first_audio is not None:
        lines.append(f"first audio {record.time_to_first_audio * 1000:.0f} ms")
    if record.loudness is not None:
        lines.append(f"{record.loudness.lufs:.1f} LUFS, peak {record.loudness.peak_dbfs:.1f} "
                     "dBFS")
    if record.error:
        lines.append(record.error)
    return "\n".join(lines)
