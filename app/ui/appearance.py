"""Light and dark: the palette, the style sheet, and the setting that picks them.

Voicebooth draws with Qt's Fusion style and a palette of its own, so it looks the
same on every desktop, in light or dark. "system" follows the desktop's colour
scheme (``QStyleHints.colorScheme()``; with no preference, as offscreen, light),
and keeps following it while the app runs. The style sheet in
``resources/styles/base.qss`` gives focus a visible ring and buttons one height;
its ``$names`` are filled from the palette, so one sheet serves both.
"""

from __future__ import annotations

from string import Template
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QComboBox, QHBoxLayout, QLabel, QWidget

from app.resources import resource
from app.settings import APPEARANCE, Settings
from app.ui import theme
from app.ui.metrics import GAP

CHOICES: Final = ("system", "light", "dark")
LABELS: Final = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
STYLE_SHEET: Final = ("styles", "base.qss")

_R = QPalette.ColorRole
#: Our two palettes: neutral greys with one blue accent (the playground's restraint),
#: text at more than 7:1 on its background in both.
PALETTES: Final[dict[str, dict[QPalette.ColorRole, str]]] = {
    "light": {
        _R.Window: "#f4f5f7", _R.WindowText: "#1d2230", _R.Base: "#ffffff",
        _R.AlternateBase: "#eef0f3", _R.Text: "#1d2230", _R.Button: "#fbfbfc",
        _R.ButtonText: "#1d2230", _R.Highlight: "#2f6fd6", _R.HighlightedText: "#ffffff",
        _R.PlaceholderText: "#6b7280", _R.Light: "#ffffff", _R.Midlight: "#e3e6eb",
        _R.Mid: "#c6cbd3", _R.Dark: "#9aa1ac", _R.Shadow: "#50555f",
        _R.ToolTipBase: "#1d2230", _R.ToolTipText: "#ffffff", _R.Link: "#1f5fbf",
        _R.LinkVisited: "#6a3fb5", _R.BrightText: "#ffffff",
    },
    "dark": {
        _R.Window: "#1f2228", _R.WindowText: "#e4e6eb", _R.Base: "#17191e",
        _R.AlternateBase: "#23262d", _R.Text: "#e4e6eb", _R.Button: "#2b2f37",
        _R.ButtonText: "#e4e6eb", _R.Highlight: "#4c8df6", _R.HighlightedText: "#ffffff",
        _R.PlaceholderText: "#8d939e", _R.Light: "#3c414b", _R.Midlight: "#33373f",
        _R.Mid: "#43484f", _R.Dark: "#121418", _R.Shadow: "#000000",
        _R.ToolTipBase: "#2b2f37", _R.ToolTipText: "#e4e6eb", _R.Link: "#7aaefc",
        _R.LinkVisited: "#b39ddb", _R.BrightText: "#ffffff",
    },
}
#: Text that cannot be used: dimmed, but still legible.
DISABLED: Final = {"light": "#a0a5ae", "dark": "#6b707a"}
#: The property on the application that remembers the user's choice, so a change of
#: the desktop's scheme re-applies "system" without a module-level variable.
CHOICE_PROPERTY: Final = "voicebooth_appearance"


def resolve(app: QApplication, choice: str) -> str:
    """``"light"`` or ``"dark"``: what ``choice`` means on this desktop now."""
    if choice not in CHOICES:
        raise ValueError(f"unknown appearance {choice!r}: one of {', '.join(CHOICES)}")
    if choice != "system":
        return choice
    return "dark" if app.styleHints().colorScheme() == Qt.ColorScheme.Dark else "light"


def palette(variant: str) -> QPalette:
    """Our palette ``"light"`` or ``"dark"``."""
    result = QPalette()
    for role, colour in PALETTES[variant].items():
        result.setColor(role, QColor(colour))
    for role in (_R.WindowText, _R.Text, _R.ButtonText, _R.PlaceholderText):
        result.setColor(QPalette.ColorGroup.Disabled, role, QColor(DISABLED[variant]))
    result.setColor(QPalette.ColorGroup.Disabled, _R.Highlight, QColor(DISABLED[variant]))
    return result


def style_sheet(pal: QPalette) -> str:
    """The style sheet with ``pal``'s colours (and the focus colour) filled in."""
    colours = theme.for_palette(pal)
    dark = colours.dark

    def c(role: QPalette.ColorRole) -> str:
        return pal.color(role).name()

    def mix(a: QColor, b: QColor, part: float) -> str:
        return QColor(round(a.red() + (b.red() - a.red()) * part),
                      round(a.green() + (b.green() - a.green()) * part),
                      round(a.blue() + (b.blue() - a.blue()) * part)).name()

    button, text = pal.color(_R.Button), pal.color(_R.ButtonText)
    template = Template(resource(*STYLE_SHEET).read_text("utf-8"))
    return template.substitute(
        border=c(_R.Mid), button=c(_R.Button), button_text=c(_R.ButtonText),
        hover=mix(button, text, 0.08), pressed=mix(button, text, 0.16),
        disabled_text=pal.color(QPalette.ColorGroup.Disabled, _R.ButtonText).name(),
        disabled_border=c(_R.Midlight), accent=colours.accent.name(),
        accent_text=c(_R.HighlightedText), focus=colours.focus.name(), base=c(_R.Base),
        alternate=c(_R.AlternateBase), muted=c(_R.PlaceholderText), window=c(_R.Window),
        tooltip=c(_R.ToolTipBase), tooltip_text=c(_R.ToolTipText),
        control_height=28, field_height=26, dark="1" if dark else "0")


def apply_appearance(app: QApplication, choice: str) -> None:
    """Give ``app`` the look ``choice`` names, now (every open window follows)."""
    variant = resolve(app, choice)
    # Always: with a style sheet on, app.style() is the sheet's proxy and does not
    # say which style is under it; setting Fusion again is cheap.
    app.setStyle("Fusion")
    pal = palette(variant)
    app.setPalette(pal)
    app.setStyleSheet(style_sheet(pal))
    if app.property(CHOICE_PROPERTY) is None:  # the first call: follow the desktop
        app.styleHints().colorSchemeChanged.connect(lambda _scheme: _follow_system(app))
    app.setProperty(CHOICE_PROPERTY, choice)


def _follow_system(app: QApplication) -> None:
    choice = app.property(CHOICE_PROPERTY)
    if choice == "system":
        apply_appearance(app, choice)


class AppearanceBox(QWidget):
    """The settings dialog's choice of appearance; a change applies at once."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.combo = QComboBox()
        for choice in CHOICES:
            self.combo.addItem(LABELS[choice], choice)
        stored = settings.get(APPEARANCE)
        self.combo.setCurrentIndex(CHOICES.index(stored) if stored in CHOICES else 0)
        self.combo.setToolTip("Light or dark; \"Follow the system\" switches with the "
                              "desktop")
        self.hint = QLabel()
        self.hint.setForegroundRole(_R.PlaceholderText)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(GAP)
        layout.addWidget(self.combo)
        layout.addWidget(self.hint, 1)
        self.combo.currentIndexChanged.connect(self._chosen)
        self._show_hint()

    def choice(self) -> str:
        return str(self.combo.currentData())

    def _chosen(self) -> None:
        choice = self.choice()
        self.settings.set(APPEARANCE, choice)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_appearance(app, choice)
        self._show_hint()

    def _show_hint(self) -> None:
        app = QApplication.instance()
        if self.choice() == "system" and isinstance(app, QApplication):
            self.hint.setText(f"now {resolve(app, 'system')}")
        else:
            self.hint.clear()
