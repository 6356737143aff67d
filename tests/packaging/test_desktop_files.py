"""The desktop entry, the metainfo and the app icon: valid for the stores and launchers,
and naming the same app as the running window."""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET

from PySide6.QtGui import QImage
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from app.resources import resource
from app.ui.main import APP_ID, APP_NAME, ICON_SIZES, app_icon, identify
from tests.packaging.desktop import (
    DESKTOP,
    METAINFO,
    ROOT,
    entry,
    validate_desktop,
    validate_metainfo,
)


def test_the_desktop_entry_validates() -> None:
    done = validate_desktop(DESKTOP)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in done.stdout + done.stderr


def test_the_metainfo_validates() -> None:
    done = validate_metainfo(METAINFO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_desktop_entry_names_the_window_it_starts(qapp: QApplication) -> None:
    """A dock groups the running window under the entry only if these agree."""
    fields = entry(DESKTOP)
    assert DESKTOP.name == f"{APP_ID}.desktop"
    assert fields["Icon"] == APP_ID
    assert fields["Exec"] == "voicebooth"
    assert fields["Categories"].split(";")[:2] == ["AudioVideo", "Audio"]
    identify(qapp)
    # X11: Qt's WM_CLASS class is the application name; Wayland: app_id is this.
    assert fields["StartupWMClass"] == qapp.applicationName() == APP_NAME
    assert qapp.desktopFileName() == APP_ID
    assert not qapp.windowIcon().isNull()


def test_the_metainfo_describes_the_same_app() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findtext("project_license") == "GPL-3.0-or-later"
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("provides/binary") == "voicebooth"
    releases = root.findall("releases/release")
    assert releases[0].get("version") == "0.1.0"
    assert releases[0].findall("description/ul/li")
    assert root.find("content_rating") is not None


def test_each_screenshot_is_a_picture_in_docs() -> None:
    """The URLs point at the repository's docs/ on its public host, over https."""
    images = [i.text or "" for i in ET.parse(METAINFO).getroot().iterfind(
        "screenshots/screenshot/image")]
    assert images
    for url in images:
        match = re.fullmatch(
            r"https://raw\.githubusercontent\.com/voicebooth/voicebooth/main/(docs/.+\.png)", url)
        assert match, url
        assert (ROOT / match.group(1)).is_file(), url


def test_the_icon_is_drawn_at_every_size() -> None:
    assert QSvgRenderer(str(resource("voicebooth.svg"))).isValid()
    for size in ICON_SIZES:
        image = QImage(str(resource("icons", f"voicebooth-{size}.png")))
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel()  # the tile's rounded corners are transparent


def test_small_sizes_use_their_own_drawing(qapp: QApplication) -> None:
    """16 px comes from its PNG (the bolder drawing), not the 512 px one scaled down."""
    premultiplied = QImage.Format.Format_ARGB32_Premultiplied  # as a pixmap holds it
    drawn = QImage(str(resource("icons", "voicebooth-16.png"))).convertToFormat(premultiplied)
    shown = app_icon().pixmap(16, 16).toImage().convertToFormat(premultiplied)
    assert shown == drawn


def test_the_pngs_are_the_svgs_rendered(qapp: QApplication) -> None:
    """An SVG changed without running packaging/render_icons.py shows here."""
    spec = importlib.util.spec_from_file_location("render_icons",
                                                  ROOT / "packaging" / "render_icons.py")
    assert spec and spec.loader
    render_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render_icons)
    assert render_icons.SIZES == ICON_SIZES
    premultiplied = QImage.Format.Format_ARGB32_Premultiplied
    for size in ICON_SIZES:
        svg = render_icons.SMALL_SVG if size in render_icons.SMALL else render_icons.SVG
        fresh = render_icons.render(QSvgRenderer(str(svg)), size)
        committed = QImage(str(render_icons.png_path(size)))
        assert fresh.convertToFormat(premultiplied) == committed.convertToFormat(
            premultiplied), f"resources/icons/voicebooth-{size}.png is stale"
