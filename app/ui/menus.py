"""Menus and shortcuts from one table: every action reachable from the menu bar and the keyboard."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar, QWidget

#: (name, text, shortcut, slot)
ActionSpec = tuple[str, str, str, Callable[[], object]]


def add_actions(owner: QWidget, bar: QMenuBar,
                menus: Sequence[tuple[str, Sequence[ActionSpec]]]) -> dict[str, QAction]:
    """Create the actions (shortcuts active anywhere in ``owner``) and their menus."""
    actions: dict[str, QAction] = {}
    for title, specs in menus:
        menu = bar.addMenu(title)
        for name, text, keys, slot in specs:
            action = QAction(text, owner)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            owner.addAction(action)
            menu.addAction(action)
            actions[name] = action
    return actions
