"""Render the app icon (resources/voicebooth.svg) to the PNG sizes desktops ask for.

Run from the repository after changing the SVG, and commit the PNGs:
``QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py``. Qt's own SVG
renderer (QtSvg, in PySide6-Essentials) draws them, so no other tool is needed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "voicebooth.svg"
#: Drawn for 16 and 24 px: the full icon's thin strokes and bars blur at that size.
SMALL_SVG = ROOT / "resources" / "icons" / "voicebooth-small.svg"
SMALL = (16, 24)
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def png_path(size: int) -> Path:
    return ROOT / "resources" / "icons" / f"voicebooth-{size}.png"


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    _app = QGuiApplication(sys.argv)
    renderers = {svg: QSvgRenderer(str(svg)) for svg in (SVG, SMALL_SVG)}
    for svg, renderer in renderers.items():
        if not renderer.isValid():
            print(f"{svg} is not a valid SVG", file=sys.stderr)
            return 1
    for size in SIZES:
        renderer = renderers[SMALL_SVG if size in SMALL else SVG]
        path = png_path(size)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not render(renderer, size).save(str(path), "PNG"):
            print(f"could not write {path}", file=sys.stderr)
            return 1
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
