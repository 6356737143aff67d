"""The window's layout: it fits 1024×640 with every panel usable and nothing clipped,
the editor keeps its place whatever the gain beside Match loudness says, renders sharp
at 200 % (a 4K screen), keeps the output format in a collapsed Advanced section, shows
the markup each tag button inserts, and the waveform re-fits on resize."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import qasync
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QWidget

from app.studio.options import RunOptions
from app.takes.take import Take, TakeSettings, TakeStatus
from app.ui.line_controls import DEFAULT_ENCODING, DEFAULT_RATE, LineControls
from app.ui.markup_editor import MarkupEditor, insert_actions
from app.ui.waveform import WaveformView
from app.ui.window import MainWindow
from tests.ui.conftest import close_window, make_window, run

SMALL = (1024, 640)


def rect_in(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def test_the_minimum_size_fits_1024_by_640(window: MainWindow) -> None:
    chrome = window.menuBar().sizeHint().height() + window.statusBar().sizeHint().height()
    need = window.centralWidget().minimumSizeHint()
    assert need.width() <= SMALL[0], need
    assert need.height() <= SMALL[1] - chrome, (need, chrome)


def test_at_1024_by_640_every_panel_is_visible_and_whole(
        window: MainWindow, loop: qasync.QEventLoop) -> None:
    window.resize(*SMALL)
    run(loop, _settle())
    assert (window.width(), window.height()) == SMALL
    panels = {"take list": window.history_panel.list, "editor": window.editor,
              "picker": window.picker.table, "play": window.take_view.bar.play_button,
              "generate": window.generate_button, "waveform": window.take_view.waveform,
              "meter": window.take_view.bar.meter,
              "compare": window.compare_button}
    inside = window.rect()
    for name, widget in panels.items():
        assert widget.isVisible(), name
        where = rect_in(widget, window)
        assert inside.contains(where), (name, where, inside)
        # Not cut by a parent or covered by a sibling: all of it is drawn.
        assert widget.visibleRegion().boundingRect() == widget.rect(), name
    # Every column keeps at least the room its contents ask for.
    for column in (window.main_split.widget(i) for i in range(window.main_split.count())):
        assert column.width() >= column.minimumSizeHint().width()
    assert window.take_view.bar.width() >= window.take_view.bar.minimumSizeHint().width()


def test_the_editor_keeps_its_place_whatever_the_gain_says(
        window: MainWindow, loop: qasync.QEventLoop) -> None:
    """The gain's text changes at each Play (nothing, then "as recorded while streaming"
    while it streams, then the gain): the row it is in must not grow and shrink, or the
    editor above it jumps twice per take."""
    for size in (SMALL, (1280, 800)):
        window.resize(*size)
        places = set()
        for text in ("", "as recorded while streaming", "−3.2 dB",
                     "+1.5 dB (peak-limited) from the next play", ""):
            window.gain_label.setText(text)
            run(loop, _settle())
            places.add((rect_in(window.editor, window), rect_in(window.generate_button,
                                                                window)))
        assert len(places) == 1, (size, places)
    # And it says it whole: two lines are room enough.
    assert window.gain_label.heightForWidth(window.gain_label.width()) <= \
        window.gain_label.height()


def test_the_window_fits_1024_before_any_voice_has_arrived(
        loop: qasync.QEventLoop, tmp_path: Path) -> None:
    """At start the picker is empty: nothing there may ask for more room than later (a
    Source filter shown before the voices said there were two sources did)."""
    window = make_window(tmp_path, RunOptions(offline=True))
    try:
        assert window.picker.model.voices == []
        assert window.minimumSizeHint().width() <= SMALL[0]
    finally:
        close_window(loop, window)


async def _settle() -> None:
    import asyncio
    for _ in range(5):
        await asyncio.sleep(0.02)


def test_the_window_is_sharp_on_a_4k_screen_at_200_percent(tmp_path: Path) -> None:
    """In a process of its own: the scale factor is read when Qt starts."""
    script = textwrap.dedent(f"""
        import asyncio, json, sys
        from pathlib import Path
        from PySide6.QtCore import QSize
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        import qasync
        from app.studio.options import RunOptions
        from tests.ui.conftest import close_window, make_window, run
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        window = make_window(Path({str(tmp_path)!r}), RunOptions(offline=True))
        window.resize(1920, 1080)
        window.show()
        run(loop, window.studio.start())
        run(loop, window.studio.library.refresh())
        app.processEvents()
        shot = window.grab()
        play = window.take_view.bar.play_button
        icon = play.icon().pixmap(play.iconSize())
        tool = window.insert_toolbar
        tag = window.insert_actions[0].icon().pixmap(tool.iconSize())
        out = dict(ratio=window.devicePixelRatioF(), shot=[shot.width(), shot.height()],
                   shot_ratio=shot.devicePixelRatio(), icon_ratio=icon.devicePixelRatio(),
                   icon=[icon.width(), icon.height()], icon_size=play.iconSize().width(),
                   tag_ratio=tag.devicePixelRatio(), tag=tag.width(),
                   tag_size=tool.iconSize().width(), size=[window.width(), window.height()])
        shot.save(str(Path({str(tmp_path)!r}) / "4k.png"))
        close_window(loop, window)
        app.processEvents()
        loop.close()  # its executor's threads end before Qt does
        print(json.dumps(out))
    """)
    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["ratio"] == 2.0 and got["size"] == [1920, 1080]
    assert got["shot"] == [3840, 2160] and got["shot_ratio"] == 2.0
    # Icons are drawn from the font at the device's pixels, not scaled up.
    assert got["icon_ratio"] == 2.0 and got["icon"] == [2 * got["icon_size"]] * 2
    assert got["tag_ratio"] == 2.0 and got["tag"] == 2 * got["tag_size"]


def test_the_output_format_is_in_a_collapsed_advanced_section(qtbot: Any) -> None:
    controls = LineControls()
    qtbot.addWidget(controls)
    controls.show()
    assert not controls.advanced.isVisible()  # collapsed by default
    assert not controls.encoding.isVisible() and not controls.rate.isVisible()
    header = controls.advanced_button.text()
    assert f"{DEFAULT_ENCODING}, {DEFAULT_RATE} Hz" in header  # what is in use, stated
    assert (DEFAULT_ENCODING, DEFAULT_RATE) == ("pcm_f32le", 44100)
    # The draft still carries the format, collapsed or not.
    controls.rate.setCurrentIndex(controls.rate.findData(24000))
    controls.encoding.setCurrentIndex(controls.encoding.findData("pcm_s16le"))
    draft = controls.draft("Hello")
    assert (draft.encoding, draft.sample_rate) == ("pcm_s16le", 24000)
    assert "pcm_s16le, 24000 Hz" in controls.advanced_button.text()
    controls.advanced_button.click()
    assert controls.advanced.isVisible() and controls.rate.isVisible()
    controls.advanced_button.click()
    assert not controls.advanced.isVisible()


def test_each_tag_button_shows_the_markup_it_inserts(qtbot: Any) -> None:
    editor = MarkupEditor()
    qtbot.addWidget(editor)
    actions = insert_actions(editor, editor)
    assert all(not action.icon().isNull() for action in actions)
    for action in actions:
        markup = action.data()
        if not markup or "…" in markup or "<<" in markup:
            continue  # wraps the selection or opens a palette
        assert markup in html.unescape(action.toolTip()), action.text()
        editor.setPlainText("")
        action.trigger()
        assert editor.toPlainText() == markup, action.text()  # the tooltip tells true
    tips = {a.text(): html.unescape(a.toolTip()) for a in actions}
    assert '<break time="500ms"/>' in tips["Break"]
    assert "<spell>" in tips["Spell"]


def _take(seconds: float = 4.0, rate: int = 8000) -> Take:
    take = Take(TakeSettings(text="one two", voice_id="v", sample_rate=rate))
    take.append_audio((0.5 * np.sin(np.arange(int(seconds * rate)) / 4)).astype(np.float32))
    take.finish(TakeStatus.DONE)
    return take


def test_the_waveform_refits_on_resize_unless_zoomed(qtbot: Any) -> None:
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(400, 160)
    view.show()
    take = _take()
    view.set_take(take)
    view.resize(800, 160)
    qtbot.waitUntil(lambda: view.canvas.width() == 800)
    assert view.visible_span()[1] >= take.n_frames - 1  # the whole take, on the new width
    assert view.frames_per_pixel() == take.n_frames / 800
    # Zoomed in then all the way out: fitted again, so a resize re-fits.
    view.zoom(0.25)
    assert not view.fitted()
    view.zoom(100.0)
    assert view.fitted()
    view.resize(500, 160)
    qtbot.waitUntil(lambda: view.canvas.width() == 500)
    assert view.visible_span()[0] == 0 and view.visible_span()[1] >= take.n_frames - 1
    # Zoomed in by the user: the scale is kept through a resize.
    view.zoom(0.25)
    scale = view.frames_per_pixel()
    view.resize(700, 160)
    qtbot.waitUntil(lambda: view.canvas.width() == 700)
    assert view.frames_per_pixel() == scale and not view.fitted()
    # Scrolled to the end, then wider: the span is pulled back inside the take.
    view.scrollbar.setValue(view.scrollbar.maximum())
    view.resize(900, 160)
    qtbot.waitUntil(lambda: view.canvas.width() == 900)
    first, last = view.visible_span()
    assert first >= 0 and last <= take.n_frames + scale, (first, last, take.n_frames)
    assert view.scrollbar.maximum() == take.n_frames - int(scale * 900)
    # Drawn across the whole new width: the right edge holds wave, not background.
    view.zoom(100.0)
    image = view.canvas.grab().toImage()
    column = int((view.canvas.width() - 3) * image.devicePixelRatio())
    colours = {image.pixelColor(column, y).rgb() for y in range(image.height())}
    assert len(colours) > 2
