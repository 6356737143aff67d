"""The transport bar under the waveform, on the null sink: Play/Pause follows the
transport, the time reads position / length, Loop loops the selection or the whole
take, A/B is armed only with a pair, the meter shows the level heard; and the meter's
scale, bands and peak hold on their own."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import numpy as np
import pytest
import qasync

from app.audio.level import SILENCE, Level, to_dbfs
from app.audio.timefmt import format_time
from app.settings import MATCH_LOUDNESS, Settings
from app.studio.transport import Transport
from app.takes.take import Take, TakeSettings, TakeStatus
from app.ui import theme
from app.ui.level_meter import FALL_DB, HOLD_TICKS, LevelMeter, band, fraction
from app.ui.transport_bar import AB_HOW, TransportBar
from app.ui.window import MainWindow
from tests.ui.conftest import run, until

RATE = 48000
AMPLITUDE = 0.5


def tone_take(seconds: float, text: str = "a tone") -> Take:
    take = Take(TakeSettings(text=text, voice_id="v", sample_rate=RATE))
    t = np.arange(int(seconds * RATE)) / RATE
    take.append_audio((AMPLITUDE * np.sin(2 * np.pi * 1000 * t)).astype(np.float32))
    take.finish(TakeStatus.DONE)
    return take


def unmatched() -> Transport:
    settings = Settings(None)
    settings.set(MATCH_LOUDNESS, False)  # the tone plays as recorded
    return Transport(settings)


def bar_of(qtbot: Any, transport: Transport,
           selection: tuple[float, float] | None = None) -> TransportBar:
    bar = TransportBar(transport, lambda: selection)
    qtbot.addWidget(bar)
    bar.show()
    return bar


# --- the meter alone ---------------------------------------------------------------------

def test_the_scale_runs_from_minus_60_to_0_dbfs() -> None:
    assert fraction(-math.inf) == fraction(-60.0) == fraction(-80.0) == 0.0
    assert fraction(0.0) == fraction(3.0) == 1.0
    assert fraction(-30.0) == pytest.approx(0.5)
    assert (band(-40.0), band(-18.0), band(-12.0), band(-6.0), band(-0.5)) == \
        ("low", "mid", "mid", "high", "high")


def test_the_meter_holds_the_peak_then_lets_it_fall(qtbot: Any) -> None:
    meter = LevelMeter()
    qtbot.addWidget(meter)
    assert meter.peak_db == meter.hold_db == -math.inf
    meter.set_level(Level(0.5, 0.35))
    assert meter.peak_db == pytest.approx(to_dbfs(0.5))
    assert meter.rms_db == pytest.approx(to_dbfs(0.35))
    loud = meter.hold_db
    meter.set_level(SILENCE)
    # The bars fall gently, not to nothing at once.
    assert meter.peak_db == pytest.approx(loud - FALL_DB)
    for _ in range(HOLD_TICKS - 1):
        meter.set_level(SILENCE)
    assert meter.hold_db == loud  # held for HOLD_TICKS ticks
    assert meter.peak_db == pytest.approx(loud - HOLD_TICKS * FALL_DB)  # the bar fell
    meter.set_level(SILENCE)
    meter.set_level(SILENCE)
    assert meter.hold_db < loud  # then the hold falls too
    for _ in range(round(60 / FALL_DB)):
        meter.set_level(SILENCE)
    assert meter.peak_db == meter.rms_db == meter.hold_db == -math.inf  # down to silence
    meter.reset()
    assert meter.hold_db == meter.peak_db == meter.rms_db == -math.inf


def test_the_meter_draws_each_band_in_the_themes_colour(qtbot: Any) -> None:
    meter = LevelMeter()
    qtbot.addWidget(meter)
    meter.resize(300, meter.sizeHint().height())
    meter.show()
    meter.set_level(Level(1.0, 1.0))  # full scale: every band lit
    image = meter.grab().toImage()
    colors = theme.current()
    y = meter._bar_height() // 2
    for db, colour in ((-40.0, colors.meter_low), (-12.0, colors.meter_mid),
                       (-2.0, colors.meter_high)):
        x = int(fraction(db) * meter.width() * image.devicePixelRatio())
        got = image.pixelColor(x, int(y * image.devicePixelRatio()))
        assert (got.red(), got.green(), got.blue()) == \
            (colour.red(), colour.green(), colour.blue()), db


# --- the bar on a transport ------------------------------------------------------------------

def test_without_a_take_the_bar_is_idle_and_ab_says_how_to_arm(qtbot: Any) -> None:
    bar = bar_of(qtbot, unmatched())
    assert not bar.play_button.isEnabled() and not bar.stop_button.isEnabled()
    assert bar.time_label.text() == f"{format_time(0)} / {format_time(0)}"
    assert not bar.ab_button.isEnabled()
    assert bar.ab_button.toolTip() == AB_HOW and "select two takes" in AB_HOW
    assert bar.meter.peak_db == -math.inf


@pytest.mark.sound
def test_play_pause_follows_the_transport_and_the_meter_hears_the_tone(
        qtbot: Any, loop: qasync.QEventLoop) -> None:
    transport = unmatched()
    take = tone_take(2.0)
    bar = bar_of(qtbot, transport)
    transport.show(take)
    bar.tick()
    assert bar.time_label.text() == f"0:00.0 / {format_time(2.0)}"
    assert bar.play_button.toolTip() == "Play (Space)"
    peaks: list[float] = []

    async def scenario() -> None:
        bar.play_button.click()
        await until(lambda: transport.playing and transport.level().peak > 0)
        for _ in range(5):
            bar.tick()
            peaks.append(bar.meter.peak_db)
            await asyncio.sleep(0.02)
        assert bar.showing_pause and bar.play_button.toolTip() == "Pause (Space)"
        await until(lambda: (transport.playhead() or 0) > 0.2 * RATE)
        bar.play_pause()  # Space
        await until(lambda: transport.paused)  # applied at the device's next block
        bar.tick()
        assert not bar.showing_pause and bar.play_button.toolTip() == "Play (Space)"
        position = bar.time_label.text().split(" / ")[0]
        assert position != "0:00.0"  # where it paused, in the one time format
        bar.play_pause()
        await until(lambda: transport.playing)
        bar.stop_button.click()  # the window connects this to its stop
        transport.stop()
        await until(lambda: transport.level() == SILENCE)
        bar.tick()
        await transport.close()

    run(loop, scenario())
    for peak in peaks:
        assert abs(peak - to_dbfs(AMPLITUDE)) <= 1.0, peaks


async def wraps(transport: Transport) -> list[float]:
    """Playhead readings until it has gone back once (a loop), all in seconds."""
    take = transport.take
    assert take is not None
    seen: list[float] = []

    def went_back() -> bool:
        frame = transport.playhead()
        if frame is not None and transport.playing:
            seen.append(frame / take.sample_rate)
        return len(seen) > 1 and seen[-1] < seen[-2] - 0.05

    await until(went_back, 10)
    return seen


@pytest.mark.sound
def test_loop_plays_the_whole_take_again_when_nothing_is_selected(
        qtbot: Any, loop: qasync.QEventLoop) -> None:
    transport = unmatched()
    take = tone_take(0.4)
    bar = bar_of(qtbot, transport)
    transport.show(take)
    bar.loop_button.click()
    assert bar.looping

    async def scenario() -> None:
        bar.play_pause()
        seen = await wraps(transport)
        assert all(0.0 <= s <= 0.4 + 1e-3 for s in seen)
        bar.loop_button.click()  # off while playing: runs on to the end, once
        assert not bar.looping
        await until(lambda: not transport.playing)
        await transport.close()

    run(loop, scenario())


@pytest.mark.sound
def test_loop_turned_on_while_playing_loops_the_selection(
        qtbot: Any, loop: qasync.QEventLoop) -> None:
    transport = unmatched()
    take = tone_take(3.0)
    bar = bar_of(qtbot, transport, selection=(1.0, 1.4))
    transport.show(take)

    async def scenario() -> None:
        bar.play_pause()
        await until(lambda: transport.playing)
        bar.loop_button.click()
        # Heard in the selection once the jump reaches the DAC (a latency later).
        await until(lambda: 1.05 * RATE <= (transport.playhead() or 0) <= 1.35 * RATE)
        seen = await wraps(transport)
        assert all(1.0 - 1e-3 <= s <= 1.4 + 1e-3 for s in seen), seen
        transport.stop()
        await transport.close()

    run(loop, scenario())


@pytest.mark.sound
def test_ab_is_armed_by_a_pair_and_switches_it(qtbot: Any, loop: qasync.QEventLoop) -> None:
    transport = unmatched()
    a, b = tone_take(1.5, "same words"), tone_take(1.5, "same words")
    bar = bar_of(qtbot, transport)

    async def scenario() -> None:
        transport.start_ab(a, b)
        bar.tick()
        assert bar.ab_button.isEnabled() and bar.ab_button.text() == "A/B: A"
        assert not bar.ab_button.isChecked() and "switch to B" in bar.ab_button.toolTip()
        bar.ab_button.click()
        assert transport.take is b
        assert bar.ab_button.text() == "A/B: B" and bar.ab_button.isChecked()
        bar.ab_button.click()
        assert transport.take is a and bar.ab_button.text() == "A/B: A"
        transport.show(tone_take(1.0, "other words"))  # a take outside the pair
        bar.tick()
        assert not bar.ab_button.isEnabled() and bar.ab_button.toolTip() == AB_HOW
        await transport.close()

    run(loop, scenario())


@pytest.mark.sound
def test_the_windows_space_stop_and_export_go_through_the_bar(
        window: MainWindow, loop: qasync.QEventLoop) -> None:
    transport = window.studio.transport
    transport.set_match_loudness(False)
    take = tone_take(0.4)
    bar = window.take_view.bar
    assert window.play_button is bar.play_button and window.export_button is bar.export_button
    assert window.shortcuts["play"].text() == "Generate"  # Ctrl+Enter: the line, rendered
    assert window.generate_button.toolTip().endswith("(Ctrl+Enter)")

    async def scenario() -> None:
        transport.show(take)
        bar.loop_button.click()
        window.shortcuts["toggle"].trigger()  # Space: Play, looping as the bar says
        await wraps(transport)
        window.shortcuts["stop"].trigger()  # Esc
        await until(lambda: not transport.playing)
        bar.loop_button.click()

    run(loop, scenario())
    window.export_button.click()
    dialog = window.export_dialog
    assert dialog.isVisible()
    dialog.reject()
