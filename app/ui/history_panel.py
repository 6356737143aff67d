"""The history of takes: replay, rename, delete, re-run, export, and A/B two takes."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.studio.history import HistoryChanged, HistoryService
from app.takes.history import TakeRecord
from app.takes.take import TakeStatus


class HistoryPanel(QWidget):
    replayRequested = Signal(str)
    rerunRequested = Signal(str)
    exportRequested = Signal(str)
    deleteRequested = Signal(str)
    renameRequested = Signal(str, str)
    abRequested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # F2 renames; a double click replays.
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        buttons = QVBoxLayout()
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        self.replay_button = QPushButton("▶")
        self.replay_button.setToolTip("Replay the selected take")
        self.rerun_button = QPushButton("Re-run")
        self.rerun_button.setToolTip("Generate again with the same text and settings")
        self.export_button = QPushButton("Export…")
        self.delete_button = QPushButton("Delete")
        self.ab_button = QPushButton("A/B")
        self.ab_button.setToolTip("Select two takes, then switch between them at the same "
                                  "position (Ctrl+B)")
        for button in (self.replay_button, self.rerun_button, self.ab_button):
            row1.addWidget(button)
        for button in (self.export_button, self.delete_button):
            row2.addWidget(button)
        buttons.addLayout(row1)
        buttons.addLayout(row2)
        self.setMinimumWidth(200)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Takes</b>"))
        layout.addWidget(self.list, 1)
        self.details = QLabel()
        self.details.setWordWrap(True)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        self.replay_button.clicked.connect(lambda: self._one(self.replayRequested))
        self.rerun_button.clicked.connect(lambda: self._one(self.rerunRequested))
        self.export_button.clicked.connect(lambda: self._one(self.exportRequested))
        self.delete_button.clicked.connect(self._delete)
        self.ab_button.clicked.connect(self._ab)
        self.list.itemDoubleClicked.connect(lambda item: self.replayRequested.emit(
            item.data(Qt.ItemDataRole.UserRole)))
        self.list.itemChanged.connect(self._renamed)
        self.list.itemSelectionChanged.connect(self._selection_changed)
        self._selection_changed()

    def set_records(self, records: list[TakeRecord]) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for record in records:
            item = QListWidgetItem(record.name)
            item.setData(Qt.ItemDataRole.UserRole, record.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            s = record.settings
            ttfa = f"{record.time_to_first_audio * 1000:.0f} ms" \
                if record.time_to_first_audio is not None else "—"
            status = "" if record.status is TakeStatus.DONE else f" · {record.status.value}"
            item.setToolTip(f"{record.text}\n{s.voice_name or s.voice_id} · {s.model_id} · "
                            f"{s.language}\n{record.created_at} · {record.duration:.2f} s · "
                            f"first audio {ttfa}{status}"
                            + (f"\n{record.error}" if record.error else ""))
            item.setData(Qt.ItemDataRole.UserRole + 1,
                         f"{s.voice_name or s.voice_id} · {s.model_id} · "
                         f"{record.duration:.1f} s · first audio {ttfa}{status}")
            self.list.addItem(item)
        self.list.blockSignals(False)
        self._selection_changed()

    def bind(self, history: HistoryService) -> None:
        self.set_records(list(history.records))
        history.events.connect(lambda event: self.set_records(list(event.records))
                               if isinstance(event, HistoryChanged) else None)

    def ids(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.list.count())]

    def selected_ids(self) -> list[str]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in self.list.selectedItems()]

    def select(self, take_id: str) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setSelected(item.data(Qt.ItemDataRole.UserRole) == take_id)

    def _one(self, signal: SignalInstance) -> None:
        ids = self.selected_ids()
        if ids:
            signal.emit(ids[0])

    def _delete(self) -> None:
        for take_id in self.selected_ids():
            self.deleteRequested.emit(take_id)

    def _ab(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 2:
            self.abRequested.emit(ids[0], ids[1])

    def _renamed(self, item: QListWidgetItem) -> None:
        self.renameRequested.emit(item.data(Qt.ItemDataRole.UserRole), item.text().strip())

    def _selection_changed(self) -> None:
        items = self.list.selectedItems()
        count = len(items)
        self.details.setText(items[0].data(Qt.ItemDataRole.UserRole + 1) if count == 1 else
                             "Select two takes for A/B." if count == 0 else
                             f"{count} takes selected")
        for button in (self.replay_button, self.rerun_button, self.export_button):
            button.setEnabled(count == 1)
        self.delete_button.setEnabled(count >= 1)
        self.ab_button.setEnabled(count == 2)
