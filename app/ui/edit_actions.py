"""The Edit menu's commands, done by whichever text field has the keyboard.

Text fields handle their own keys (Ctrl+Z in the editor undoes typing there);
the menu items do the same for the field that had the focus when the menu was
opened, so the menu and the keys never disagree.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

COMMANDS: Final = ("undo", "redo", "cut", "copy", "paste", "selectAll")
_TEXT: Final = (QLineEdit, QPlainTextEdit, QTextEdit)


def text_field(widget: QWidget | None) -> QWidget | None:
    """The text field ``widget`` is (or edits, for a spin box), if it is one."""
    if isinstance(widget, QAbstractSpinBox):
        return widget.findChild(QLineEdit)
    return widget if isinstance(widget, _TEXT) else None


def perform(command: str, focus: QWidget | None, fallback: QPlainTextEdit) -> bool:
    """Do ``command`` in the focused text field; undo/redo fall back to the editor.

    Select all also works in lists and tables. Returns whether anything acted.
    """
    if command not in COMMANDS:
        raise ValueError(f"unknown edit command {command!r}")
    field = text_field(focus)
    if field is None and command == "selectAll" and isinstance(focus, QAbstractItemView):
        focus.selectAll()
        return True
    if field is None:
        if command not in ("undo", "redo"):
            return False
        field = fallback  # the line being written is what a designer means to undo
    getattr(field, command)()
    return True
