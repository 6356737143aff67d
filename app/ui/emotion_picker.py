"""The emotion control: a button that opens the catalog's emotions, grouped and searchable.

Sixty names in one flat combo box are hard to scan; the list here shows
Cartesia's primary emotions first and the rest in the docs' groups (the
grouping is data, :attr:`app.cartesia.models.Catalog.emotion_groups`). Typing
filters by name or group; Enter takes the first match, Escape closes.
"no emotion" (the API's default: the model reads the transcript's mood) is
always the first choice.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.cartesia.models import catalog

NO_EMOTION = "no emotion"
_VALUE = Qt.ItemDataRole.UserRole
_GROUP = Qt.ItemDataRole.UserRole + 1  # the group's name on its header and its emotions


class EmotionPicker(QWidget):
    #: The chosen emotion changed: the name, or ``None`` for no emotion.
    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value: str | None = None
        self.button = QPushButton()
        self.button.setMinimumWidth(150)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button)
        self.popup = QFrame(self, Qt.WindowType.Popup)
        self.popup.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search emotions")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setUniformItemSizes(True)
        box = QVBoxLayout(self.popup)
        box.setContentsMargins(4, 4, 4, 4)
        box.setSpacing(4)
        box.addWidget(self.search)
        box.addWidget(self.list)
        self.popup.resize(260, 380)
        self._fill()
        self.button.clicked.connect(self.open_list)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._take_current)
        self.search.installEventFilter(self)
        self.list.itemClicked.connect(self._take)
        self.list.itemActivated.connect(self._take)
        self._show_value()

    def _fill(self) -> None:
        none = QListWidgetItem(NO_EMOTION)
        none.setData(_VALUE, "")
        none.setData(_GROUP, "")
        self.list.addItem(none)
        bold = QFont(self.list.font())
        bold.setBold(True)
        for group in catalog().emotion_groups:
            header = QListWidgetItem(f"{group.name} · {group.note}" if group.note
                                     else group.name)
            header.setFont(bold)
            # A heading: enabled (so it reads as text, not greyed out) but not a choice.
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)
            header.setData(_GROUP, group.name)
            self.list.addItem(header)
            for name in group.emotions:
                item = QListWidgetItem(f"   {name}")
                item.setData(_VALUE, name)
                item.setData(_GROUP, group.name)
                self.list.addItem(item)

    # --- the value ----------------------------------------------------------------

    def value(self) -> str | None:
        return self._value

    def set_value(self, emotion: str | None) -> None:
        """Show ``emotion``; a name the catalog does not know shows as no emotion."""
        value = emotion if emotion in catalog().emotions else None
        if value != self._value:
            self._value = value
            self._show_value()
            self.changed.emit(value)

    def _show_value(self) -> None:
        self.button.setText(f"emotion: {self._value}  ▾" if self._value
                            else f"{NO_EMOTION}  ▾")

    # --- the list -----------------------------------------------------------------

    def open_list(self) -> None:
        self.search.clear()
        self.filter("")
        self.popup.move(self.button.mapToGlobal(QPoint(0, self.button.height())))
        self.popup.show()
        self.search.setFocus()
        target = self._value or ""
        for row in range(self.list.count()):  # the current choice, ready for the arrows
            if self.list.item(row).data(_VALUE) == target:
                self.list.setCurrentRow(row)
                self.list.scrollToItem(self.list.item(row))
                break

    def close_list(self) -> None:
        self.popup.hide()

    def filter(self, text: str) -> None:
        """Show the emotions whose name (or group) contains ``text``, under their headers."""
        query = text.strip().lower()
        shown_groups: set[str] = set()
        for row in range(self.list.count()):
            item = self.list.item(row)
            value = item.data(_VALUE)
            if value is None:
                continue  # headers: decided below, once their emotions are
            group = str(item.data(_GROUP))
            hit = not query or query in item.text().lower() or query in group.lower()
            item.setHidden(not hit)
            if hit and value:
                shown_groups.add(group)
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(_VALUE) is None:
                item.setHidden(str(item.data(_GROUP)) not in shown_groups)
        first = self._first_choice()
        if first is not None and query:
            self.list.setCurrentItem(first)

    def shown(self) -> list[str]:
        """What the list shows, top to bottom: headers as ``# name``, then emotions."""
        out = []
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.isHidden():
                continue
            value = item.data(_VALUE)
            out.append(f"# {item.data(_GROUP)}" if value is None else (value or NO_EMOTION))
        return out

    def _first_choice(self) -> QListWidgetItem | None:
        query = self.search.text().strip()
        for row in range(self.list.count()):
            item = self.list.item(row)
            # While searching, "no emotion" is never the match Enter takes by surprise.
            if not item.isHidden() and item.data(_VALUE) is not None \
                    and (item.data(_VALUE) or not query):
                return item
        return None

    def _take_current(self) -> None:
        item: QListWidgetItem | None = self.list.currentItem()
        if item is None or item.isHidden() or item.data(_VALUE) is None:
            item = self._first_choice()
        if item is not None:
            self._take(item)

    def _take(self, item: QListWidgetItem) -> None:
        value = item.data(_VALUE)
        if value is None:
            return  # a header
        self.close_list()
        self.set_value(str(value) or None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The arrows move through the list while the caret stays in the search field.
        if watched is self.search and isinstance(event, QKeyEvent) \
                and event.type() == QEvent.Type.KeyPress \
                and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            self._step(1 if event.key() == Qt.Key.Key_Down else -1)
            return True
        return super().eventFilter(watched, event)

    def _step(self, direction: int) -> None:
        row = self.list.currentRow()
        while 0 <= row + direction < self.list.count():
            row += direction
            item = self.list.item(row)
            if not item.isHidden() and item.data(_VALUE) is not None:
                self.list.setCurrentRow(row)
                return

    def setToolTip(self, text: str) -> None:
        super().setToolTip(text)
        self.button.setToolTip(text)
