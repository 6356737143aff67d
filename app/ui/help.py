"""The Help menu's windows: the keyboard shortcuts, the markup reference, About.

The shortcut sheet is read from the window's actions when it opens, and the
markup reference from :mod:`app.markup`'s tables, so neither can go stale.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.markup import ipa
from app.markup.dialect import ALL_TAGS, sonic3
from app.resources import ResourceMissing, resource
from app.ui.icons import icon
from app.ui.metrics import DISPLAY, GAP, LOOSE, TITLE, scaled, spaced

# --- keyboard shortcuts ------------------------------------------------------------


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str, str]]:
    """(menu, action, keys) for every action that has a shortcut, in menu order."""
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for action in actions:
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                         for k in action.shortcuts() if not k.isEmpty())
        if not keys:
            continue
        menus = [o for o in action.associatedObjects() if isinstance(o, QMenu)]
        menu = menus[0].title().replace("&", "") if menus else "Other"
        text = action.text().replace("&", "").rstrip("…").rstrip(".")
        if (text, keys) in seen:
            continue
        seen.add((text, keys))
        rows.append((menu, text, keys))
    return rows


class ShortcutSheet(QDialog):
    """Every action with its keys, searchable: what the menus hold, in one table."""

    def __init__(self, actions: Iterable[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 620)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search actions or keys")
        self.search.setClearButtonEnabled(True)
        self.rows = shortcut_rows(actions)
        self.table = QTableWidget(len(self.rows), 3)
        self.table.setHorizontalHeaderLabels(["Action", "Keys", "Menu"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        for row, (menu, text, keys) in enumerate(self.rows):
            self.table.setItem(row, 0, QTableWidgetItem(text))
            key_item = QTableWidgetItem(keys)
            key_item.setFont(scaled(self.font(), 1.0, bold=True))
            self.table.setItem(row, 1, key_item)
            self.table.setItem(row, 2, QTableWidgetItem(menu))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        spaced(layout, spacing=GAP)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self.filter)

    def filter(self, text: str) -> None:
        needle = text.casefold().strip()
        for row, fields in enumerate(self.rows):
            self.table.setRowHidden(row, bool(needle) and not any(
                needle in field.casefold() for field in fields))

    def visible_actions(self) -> list[str]:
        return [self.rows[r][1] for r in range(len(self.rows)) if not self.table.isRowHidden(r)]


# --- markup reference --------------------------------------------------------------

#: tag -> (what it does, an example). Every tag of :data:`ALL_TAGS` has one (a test
#: checks it, and checks that each example passes the validator).
TAGS: Final[dict[str, tuple[str, str]]] = {
    "break": ("A pause, in seconds (s) or milliseconds (ms). Counts as one character; no "
              "spaces are needed around it.", 'Wait for it <break time="500ms"/> now.'),
    "speed": ("Faster or slower from here on (sonic-3).", 'Calm. <speed ratio="1.3"/> Then '
              "hurry!"),
    "volume": ("Louder or softer from here on (sonic-3).", '<volume ratio="0.7"/> A '
               "whisper."),
    "emotion": ("Guides the emotion from here on (beta, sonic-3); works best with voices "
                "tagged Emotive.", '<emotion value="excited"/> We won!'),
    "spell": ("Spells out letters and digits one by one.", "Your code is "
              "<spell>AB-123</spell>."),
}
TAG_ORDER: Final = ("break", "speed", "volume", "emotion", "spell")


def _ranges() -> dict[str, str]:
    dialect = sonic3()
    low, high = dialect.speed_range
    v_low, v_high = dialect.volume_range
    return {"break": f"up to {dialect.max_break_seconds:g} s",
            "speed": f"ratio {low:g} to {high:g}", "volume": f"ratio {v_low:g} to {v_high:g}",
            "emotion": "an emotion name", "spell": "wraps text"}


def markup_reference_html() -> str:
    """The reference as HTML, built from the markup package's tables."""
    missing = ALL_TAGS - set(TAGS)
    if missing:  # a new tag in app.markup must be explained here
        raise AssertionError(f"the markup reference has no entry for {sorted(missing)}")
    ranges = _ranges()
    out = ["<h2>Tags</h2><p>Cartesia's tags go inside the line. Insert them from the "
           "Insert menu or the toolbar; the editor colours them and underlines mistakes."
           "</p><table cellpadding='6'>"
           "<tr><th align='left'>Tag</th><th align='left'>What it does</th>"
           "<th align='left'>Values</th></tr>"]
    for tag in TAG_ORDER:
        what, example = TAGS[tag]
        out.append(f"<tr><td><b>{tag}</b></td><td>{html.escape(what)}<br>"
                   f"<code>{html.escape(example)}</code></td>"
                   f"<td>{html.escape(ranges[tag])}</td></tr>")
    out.append("</table>")
    word = ipa.EXAMPLES["ʃ"]
    out.append(
        "<h2>Pronunciation (IPA)</h2><p>Say a word exactly: its phonemes between double "
        "angle brackets, separated by <code>|</code>, no spaces, one word per pair: "
        f"<code>{html.escape('<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>')}</code>. Put a stress mark before the "
        "stressed syllable. Sonic-3 reads the charsiu IPA phoneset (sonic-2 the MFA one). "
        f"Example: <code>{html.escape(word.word)} → {html.escape(word.markup())}"
        "</code>. Select a word and choose Insert ▸ Pronunciation… to build one from the "
        "palette and hear it.</p>")
    for group, symbols in ipa.PALETTE:
        out.append(f"<h3>{html.escape(group)}</h3><table cellpadding='4'>")
        for symbol in symbols:
            sample = ipa.EXAMPLES.get(symbol)
            if sample is None:
                continue
            out.append(f"<tr><td><b>{html.escape(symbol)}</b></td>"
                       f"<td>{html.escape(sample.hint)} <i>{html.escape(sample.word)}</i>"
                       f"</td><td><code>{html.escape(sample.markup())}</code></td></tr>")
        out.append("</table>")
    return "".join(out)


class MarkupReference(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Markup reference")
        self.resize(640, 720)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(markup_reference_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        spaced(layout, spacing=GAP)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)


# --- about -------------------------------------------------------------------------


def app_version() -> str:
    try:
        return version("voicebooth")
    except PackageNotFoundError:  # run from a folder that was never installed
        return "development"


def licences_text() -> str:
    """resources/LICENSES.md: what ships under which licence."""
    try:
        return resource("LICENSES.md").read_text("utf-8")
    except (ResourceMissing, OSError) as exc:
        return f"The licence list could not be read: {exc}"


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Voicebooth")
        self.resize(640, 560)
        logo = QLabel()
        logo.setPixmap(icon("tag-pronunciation").pixmap(48, 48))
        title = QLabel("Voicebooth")
        title.setFont(scaled(self.font(), DISPLAY, bold=True))
        self.version = QLabel(f"Version {app_version()}")
        self.version.setFont(scaled(self.font(), TITLE))
        blurb = QLabel("Audition Cartesia voices, tune pronunciations and export clips. "
                       "Works offline with its built-in engine.")
        blurb.setWordWrap(True)
        self.licences = QTextBrowser()
        self.licences.setOpenExternalLinks(True)
        self.licences.setMarkdown(licences_text())
        self.about_qt = QPushButton("About Qt")
        self.about_qt.clicked.connect(lambda: QMessageBox.aboutQt(self, "About Qt"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.about_qt, QDialogButtonBox.ButtonRole.HelpRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        spaced(layout, margin=LOOSE, spacing=GAP)
        for widget in (logo, title, self.version, blurb):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.licences, 1)
        layout.addWidget(buttons)
