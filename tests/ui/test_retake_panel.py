"""Retakes in the real window, offline (the tone voice): words dragged over in the
waveform are retaken from the Playback menu, the variants render into the panel, the
keyboard moves between them, plays one in place and keeps it; the waveform then marks
the spliced part, the history holds the spliced take, and Undo splice brings the
take back."""

from __future__ import annotations

from typing import Any

import pytest
import qasync
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.audio.timefmt import format_time
from app.engine.synth.tones import VOICE_ID
from app.studio.lineup import RowState
from app.takes.splice import retaken_parts
from app.takes.take import Take, TakeStatus
from app.ui.retake_panel import WAVE, SpanWave
from app.ui.waveform import _RULER as RULER_PX
from app.ui.waveform import WaveformView
from app.ui.window import MainWindow
from tests.ui.conftest import current, run, until
from tests.ui.test_waveform_labels import drag

TEXT = "Welcome to the show. Try the fastest voices, then keep the best one. Goodbye!"


def x_of(view: WaveformView, seconds: float) -> int:
    first, _ = view.visible_span()
    return round((seconds * view.take.sample_rate - first)  # type: ignore[union-attr]
                 / view.frames_per_pixel())


def press(widget: Any, key: Qt.Key) -> None:
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier))


def is_band(colour: QColor) -> bool:
    """The band's colour (the phonemes' orange) rather than the background or wave."""
    return colour.red() - colour.blue() > 60


async def played_through(window: MainWindow, take: Take) -> None:
    transport = window.studio.transport
    await until(lambda: transport.take is take and transport.holds_current
                and not transport.playing)


@pytest.mark.sound
def test_retake_words_hear_a_variant_in_place_keep_it_and_undo(
        window: MainWindow, loop: qasync.QEventLoop) -> None:
    async def scenario() -> None:
        window.use_voice(next(v for v in window.studio.library.voices if v.id == VOICE_ID))
        window.editor.setPlainText(TEXT)
        window.play()
        await until(lambda: current(window) is not None
                    and current(window).status is TakeStatus.DONE)  # type: ignore[union-attr]
        take = current(window)
        assert take is not None
        await played_through(window, take)
        # Drag over "fastest voices," in the waveform, then Playback ▸ Retake selection…
        view = window.take_view.waveform
        words = take.words
        drag(view, x_of(view, words[6].start + 0.01), x_of(view, words[7].end - 0.01))
        assert window.take_view.selection_seconds() is not None
        # Offered on the waveform's right-click menu, and in the Playback menu.
        assert window.shortcuts["retake"] in view.canvas.actions()
        assert window.shortcuts["retake"].shortcut().toString() == "Ctrl+Shift+R"
        window.shortcuts["retake"].trigger()
        panel = window.retake_panel
        assert panel is not None and (panel.first, panel.last) == (6, 7)
        assert "fastest voices," in panel.heading.text()
        renders = panel.renders
        assert renders is not None and renders.span.text == (
            "Try the fastest voices, then keep the best one.")
        await until(lambda: renders.finished)
        assert [v.state for v in renders.variants] == [RowState.DONE] * 3
        assert panel.table.rowCount() == 3
        for index, row in enumerate(renders.variants):
            wave = panel.table.cellWidget(index, WAVE)
            assert isinstance(wave, SpanWave) and wave.take is row.take
            assert wave.span == (row.take.words[2].start,  # type: ignore[union-attr]
                                 row.take.words[3].end)  # type: ignore[union-attr]
        assert panel.table.item(0, 2).text().startswith("0:00.")  # m:ss.s
        # Keyboard: Down to the second variant, Space plays it in place (the take with
        # it spliced in, from a second before the words).
        panel.table.setFocus()
        press(panel.table, Qt.Key.Key_Down)
        assert panel.table.currentRow() == 1
        press(panel.table, Qt.Key.Key_Space)
        preview = current(window)
        assert preview is not None and preview is not take
        assert preview.origin is not None and preview.origin.parent_id == take.id
        where = window.retakes.in_place(renders.variants[1])
        assert where.take is preview and where.start == pytest.approx(where.span_start - 1)
        assert f"in place: {format_time(where.start)} to" in panel.status.text()
        await played_through(window, preview)
        # Up to the first variant; Enter keeps it (heard or not): the window shows it.
        press(panel.table, Qt.Key.Key_Up)
        press(panel.table, Qt.Key.Key_Return)
        await until(lambda: window.retakes.can_undo)
        spliced = window.retakes.splices[-1].take
        await until(lambda: current(window) is spliced)
        assert spliced is not preview and spliced.origin is not None
        assert spliced.origin.parent_id == take.id
        assert renders.variants[0].take is not None
        assert spliced.origin.segments[1].source_take_id == renders.variants[0].take.id
        assert view.take is spliced
        # The waveform marks the retaken part with a band along its bottom, only there.
        ((start, end),) = retaken_parts(spliced)
        image = view.canvas.grab().toImage()
        band = view.canvas.height() - RULER_PX - 2
        x0, x1 = x_of(view, start), x_of(view, end)
        assert all(is_band(image.pixelColor(x, band)) for x in range(x0 + 2, x1 - 2, 5))
        assert not any(is_band(image.pixelColor(x, band)) for x in range(2, x0 - 2, 5))
        assert "Kept variant 1" in panel.status.text()
        assert panel.undo_button.isEnabled()
        history = window.studio.history
        await until(lambda: history.record(spliced.id) is not None)
        stored = await history.load(spliced.id)
        assert stored.origin == spliced.origin and stored.words == spliced.words
        # Undo splice: the take is current again, the spliced one leaves the history.
        panel.undo_button.click()
        await until(lambda: current(window) is take)
        await until(lambda: history.record(spliced.id) is None)
        assert not panel.undo_button.isEnabled()
        assert "Splice undone" in panel.status.text()
        # Whole sentence: the span widens to the sentence and renders again.
        assert panel.sentence_button.isEnabled()
        panel.sentence_button.click()
        assert (panel.first, panel.last) == (4, 12)
        assert not panel.sentence_button.isEnabled()
        wider = panel.renders
        assert wider is not None and wider is not renders
        await until(lambda: wider.finished)
        assert [v.state for v in wider.variants] == [RowState.DONE] * 3
        assert "“Try the fastest voices, then keep the best one.”" in panel.heading.text()
        # Escape closes the panel, as it closes the lab and the comparison.
        assert panel.isVisible()
        QTest.keyClick(panel.table, Qt.Key.Key_Escape)
        assert not panel.isVisible()
        await panel.aclose()

    run(loop, scenario(), timeout=90)


def test_retake_without_a_selection_says_what_to_do(window: MainWindow) -> None:
    assert window.open_retake() is None
    assert "Drag over words" in window.statusBar().currentMessage()
