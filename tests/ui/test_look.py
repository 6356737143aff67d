"""The look: light and dark palettes, the style sheet, message kinds, keyboard focus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.settings import APPEARANCE, Settings
from app.ui import theme
from app.ui.appearance import AppearanceBox, apply_appearance, palette, resolve, style_sheet
from app.ui.banner import Banner
from app.ui.icons import icon
from app.ui.notice import NoticeLabel
from app.ui.window import MainWindow
from tests.ui.conftest import run, until


@pytest.fixture
def appearance(qapp: QApplication) -> Iterator[QApplication]:
    """The application, put back as it was afterwards (other tests draw unstyled)."""
    style, pal, sheet = qapp.style().name(), QPalette(qapp.palette()), qapp.styleSheet()
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
    qapp.setPalette(pal)


def hue(colour: QColor) -> int:
    return colour.hslHue()


def test_light_and_dark_switch_the_palette_and_the_theme(appearance: QApplication) -> None:
    apply_appearance(appearance, "light")
    light = theme.current()
    assert appearance.palette().color(QPalette.ColorRole.Window).lightness() > 200
    assert not light.dark
    apply_appearance(appearance, "dark")
    dark = theme.current()
    assert appearance.palette().color(QPalette.ColorRole.Window).lightness() < 60
    assert dark.dark
    for field in ("background", "error", "warning", "info", "tag", "accent", "focus"):
        assert getattr(light, field) != getattr(dark, field), field
    # The style sheet is filled from the palette in use: its focus ring is dark's.
    assert dark.focus.name() in appearance.styleSheet()
    assert "$" not in appearance.styleSheet()


def test_kept_colours_follow_a_switch_of_the_appearance(appearance: QApplication) -> None:
    """What a widget painting many times a second keeps (made once per palette) is the
    palette of the moment's theme, before and after a switch."""
    colours = theme.Colours()
    apply_appearance(appearance, "light")
    assert colours() == theme.current() and not colours().dark
    assert colours() is colours()  # made once while the palette stays
    apply_appearance(appearance, "dark")
    assert colours() == theme.current() and colours().dark


def test_system_means_the_desktops_scheme_and_light_without_one(
        appearance: QApplication) -> None:
    # Offscreen there is no desktop preference: "system" is light.
    assert appearance.styleHints().colorScheme() != Qt.ColorScheme.Dark
    assert resolve(appearance, "system") == "light"
    apply_appearance(appearance, "dark")
    apply_appearance(appearance, "system")
    assert not theme.current().dark
    with pytest.raises(ValueError, match="unknown appearance 'purple': one of system"):
        apply_appearance(appearance, "purple")


def test_kinds_have_their_own_colours_and_warnings_are_not_red(
        appearance: QApplication) -> None:
    for variant in ("light", "dark"):
        apply_appearance(appearance, variant)
        colours = theme.current()
        assert hue(colours.error) < 15 or hue(colours.error) > 345, variant  # red
        assert 25 <= hue(colours.warning) <= 50, variant  # amber, far from red
        assert 195 <= hue(colours.info) <= 225, variant  # blue
        assert 90 <= hue(colours.success) <= 150, variant  # green
        # Readable on the window in both: the message colour stands off the background.
        window = appearance.palette().color(QPalette.ColorRole.Window)
        for kind in (colours.error, colours.warning, colours.info):
            assert abs(kind.lightness() - window.lightness()) > 70, (variant, kind.name())


def test_banner_kinds_colour_icon_and_follow_the_palette(
        appearance: QApplication, qtbot: Any) -> None:
    apply_appearance(appearance, "light")
    banner = Banner()
    qtbot.addWidget(banner)
    retried: list[bool] = []
    for kind in ("error", "warning", "info"):
        banner.show(kind, f"a {kind}", lambda: retried.append(True))
        assert banner.isVisible() and banner.message() == f"a {kind}"
        assert banner.kind == kind
        assert banner.colour() == getattr(theme.current(), kind)
        assert banner.colour().name() in banner.styleSheet()
        assert not banner.icon_label.pixmap().isNull()
    banner.show("warning", "amber")
    light_warning = theme.current().warning.name()
    apply_appearance(appearance, "dark")  # switched live: the banner follows
    assert theme.current().warning.name() in banner.styleSheet()
    assert light_warning not in banner.styleSheet()
    banner.show_error("still an error", retry=lambda: retried.append(True))
    assert banner.kind == "error" and banner.retry_button.isVisibleTo(banner)
    banner.retry_button.click()
    assert retried == [True] and not banner.isVisible()
    with pytest.raises(ValueError, match="unknown banner kind 'fatal'"):
        banner.show("fatal", "no")


def test_notice_label_shows_a_kind_and_follows_the_palette(
        appearance: QApplication, qtbot: Any) -> None:
    apply_appearance(appearance, "light")
    notice = NoticeLabel()
    qtbot.addWidget(notice)
    notice.set_notice("warning", "The voice speaks de, not fr")
    assert notice.text() == "The voice speaks de, not fr" and not notice.isHidden()
    assert notice.colour() == theme.current().warning
    assert not notice.icon_label.pixmap().isNull()
    apply_appearance(appearance, "dark")
    assert notice.colour() == theme.current().warning  # the dark amber now
    notice.set_notice("info", "")  # no text: nothing to show
    assert notice.text() == "" and notice.isHidden()
    with pytest.raises(ValueError, match="unknown message kind 'loud'"):
        notice.set_notice("loud", "x")


def test_the_appearance_box_applies_at_once_and_is_kept(
        appearance: QApplication, qtbot: Any, tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")
    box = AppearanceBox(settings)
    qtbot.addWidget(box)
    assert box.choice() == "system"
    box.combo.setCurrentIndex(box.combo.findData("dark"))
    assert settings.get(APPEARANCE) == "dark" and theme.current().dark
    box.combo.setCurrentIndex(box.combo.findData("light"))
    assert settings.get(APPEARANCE) == "light" and not theme.current().dark


def test_focus_draws_a_visible_ring(appearance: QApplication, qtbot: Any,
                                    loop: Any) -> None:
    apply_appearance(appearance, "light")
    sheet = style_sheet(appearance.palette())
    for selector in ("QPushButton:focus", "QLineEdit:focus", "QComboBox:focus",
                     "QListView:focus", "QTableView:focus", "QPlainTextEdit:focus",
                     "QToolButton:focus"):
        assert selector in sheet, selector
    host = QWidget()
    qtbot.addWidget(host)
    layout = QVBoxLayout(host)
    button, field = QPushButton("Play"), QLineEdit()
    layout.addWidget(button)
    layout.addWidget(field)
    host.show()
    host.activateWindow()
    qtbot.waitExposed(host)
    focus = theme.current().focus

    def ring_pixels(widget: QWidget) -> int:
        image = widget.grab().toImage()
        return sum(1 for x in range(image.width()) for y in (0, 1, image.height() - 1)
                   if QColor(image.pixel(x, y)) == focus)

    for widget in (button, field):
        other = field if widget is button else button
        other.setFocus()
        run(loop, until(other.hasFocus))
        before = ring_pixels(widget)
        widget.setFocus()
        run(loop, until(widget.hasFocus))
        assert ring_pixels(widget) > before + widget.width(), type(widget).__name__


def test_the_editor_recolours_its_tags_when_the_appearance_changes(
        appearance: QApplication, window: MainWindow) -> None:
    apply_appearance(appearance, "light")
    window.editor.setPlainText('Hi <break time="1s"/> there')

    def tag_colour() -> QColor:
        block = window.editor.document().firstBlock()
        ranges = block.layout().formats()
        at = next(r for r in ranges if r.start <= 4 < r.start + r.length)
        return at.format.foreground().color()

    QApplication.processEvents()
    assert tag_colour() == theme.current().tag
    apply_appearance(appearance, "dark")
    QApplication.processEvents()
    assert tag_colour() == theme.current().tag and theme.current().dark


def test_tab_reaches_the_picker_the_editor_generate_and_the_takes(
        appearance: QApplication, window: MainWindow, loop: Any) -> None:
    apply_appearance(appearance, "light")
    window.activateWindow()
    window.picker.search.setFocus()
    run(loop, until(window.picker.search.hasFocus))
    visited: list[QWidget] = []
    for _ in range(120):
        focused = QApplication.focusWidget()
        assert focused is not None
        visited.append(focused)
        QTest.keyClick(focused, Qt.Key.Key_Tab)
    wanted = {"voice search": window.picker.search, "editor": window.editor,
              "Generate": window.generate_button, "takes list": window.history_panel.list}
    missing = [name for name, widget in wanted.items() if widget not in visited]
    assert not missing, f"Tab never reached {missing}"


def test_icons_are_drawn_in_the_palette_of_the_moment(appearance: QApplication) -> None:
    play = icon("play")  # made once, as a button keeps it

    def ink() -> int:
        image = play.pixmap(32, 32).toImage()
        inked = [QColor.fromRgba(image.pixel(x, y)) for x in range(32) for y in range(32)]
        solid = [c for c in inked if c.alpha() > 200]
        assert solid
        return round(sum(c.lightness() for c in solid) / len(solid))

    apply_appearance(appearance, "light")
    assert ink() < 80  # dark glyph on light
    apply_appearance(appearance, "dark")
    assert ink() > 180  # light glyph on dark, without making the icon again
    # Drawn once per size and ink: a button repainting asks again and again.
    assert play.pixmap(32, 32).cacheKey() == play.pixmap(32, 32).cacheKey()


def test_following_the_system_reapplies_when_the_desktop_switches(
        appearance: QApplication) -> None:
    hints = appearance.styleHints()
    apply_appearance(appearance, "system")
    appearance.setPalette(palette("dark"))  # what stands until the desktop says otherwise
    hints.colorSchemeChanged.emit(hints.colorScheme())  # the desktop switched (to none: light)
    assert not theme.current().dark
    apply_appearance(appearance, "dark")  # a fixed choice ignores the desktop
    hints.colorSchemeChanged.emit(hints.colorScheme())
    assert theme.current().dark
