"""The transport bar under the waveform: Play/Pause, Stop, time, Loop, A/B, level.

Laid out as Audacity and Ocenaudio lay theirs out: the big Play/Pause first
(the button a hand looks for), Stop beside it, then the position and length of
the take in the one time format, then the modes (Loop, A/B), the output
meter, and Export of the take shown at the far end. The bar draws the
transport's state; it keeps none of its own except whether Loop is on.
:meth:`TransportBar.tick` is called at display rate by the take view (one
timer for the playhead and the bar).

Loop plays the waveform's selection over and over, or the whole take when
nothing is selected; turning it on while playing starts the loop, turning it
off lets playback run on to the end from where it is.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from app.audio.timefmt import format_time
from app.studio.transport import Transport
from app.ui import metrics
from app.ui.icons import icon
from app.ui.level_meter import LevelMeter

#: The big button's icon, and the others', in device-independent pixels.
BIG_ICON = 2 * metrics.LOOSE
ICON = metrics.LOOSE + metrics.TIGHT

AB_HOW = ("A/B: select two takes in the take list and press A/B there (or show one take "
          "and A/B another against it); then this switches between them at the same word "
          "(Ctrl+B)")


class TransportBar(QWidget):
    #: Stop was pressed (the window also stops a take being generated).
    stopRequested = Signal()
    #: Export… was pressed: export the take shown.
    exportRequested = Signal()

    def __init__(self, transport: Transport,
                 selection: Callable[[], tuple[float, float] | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.transport = transport
        self._selection = selection
        self.play_button = _tool(icon("play"), "Play (Space)", BIG_ICON)
        self.play_button.setObjectName("transport_play")
        self.stop_button = _tool(icon("stop"), "Stop (Esc)", ICON)
        self.time_label = QLabel()
        self.time_label.setObjectName("transport_time")
        font = metrics.scaled(self.font(), metrics.TITLE)
        font.setFeature(QFont.Tag("tnum"), 1)  # digits of one width: the time does not jitter
        font.setStyleHint(QFont.StyleHint.Monospace, QFont.StyleStrategy.PreferDefault)
        self.time_label.setFont(font)
        self.time_label.setToolTip("Position / length of the take shown")
        self.loop_button = _tool(icon("loop"), "Loop the selection, or the whole take when "
                                 "nothing is selected", ICON)
        self.loop_button.setCheckable(True)
        self.ab_button = _tool(icon("ab"), AB_HOW, ICON)
        self.ab_button.setCheckable(True)
        self.ab_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.ab_button.setText("A/B")
        self.meter = LevelMeter()
        self.export_button = _tool(icon("export"), "Export the take shown… (Ctrl+E)", ICON)
        layout = QHBoxLayout(self)
        # Tight inside a group, a gap between groups: the bar must fit the centre
        # column of a 1024 px window.
        metrics.spaced(layout, margin=metrics.TIGHT, spacing=metrics.TIGHT)
        layout.addWidget(self.play_button)
        layout.addWidget(self.stop_button)
        layout.addSpacing(metrics.TIGHT)
        layout.addWidget(self.time_label)
        layout.addStretch(1)
        layout.addWidget(self.loop_button)
        layout.addWidget(self.ab_button)
        layout.addSpacing(metrics.TIGHT)
        layout.addWidget(self.meter, 2)
        layout.addWidget(self.export_button)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.play_button.clicked.connect(self.play_pause)
        self.stop_button.clicked.connect(self.stopRequested)
        self.export_button.clicked.connect(self.exportRequested)
        self.loop_button.toggled.connect(self.set_loop)
        self.ab_button.clicked.connect(self.switch_ab)
        self.showing_pause = False
        self._time_text = ""
        self._ab_state: tuple[bool, str] | None = None
        # As the buttons start (enabled): the first tick disables them without a take.
        self._has_take = True
        self.tick()

    # --- commands -------------------------------------------------------------------

    @property
    def looping(self) -> bool:
        return self.loop_button.isChecked()

    def loop_region(self) -> tuple[float, float] | None:
        """The selection, or the whole take; ``None`` with no take or no audio."""
        take = self.transport.take
        if take is None or take.duration <= 0:
            return None
        return self._selection() or (0.0, take.duration)

    def play_pause(self) -> None:
        """Space: pause or resume; from a standstill, play (the loop when Loop is on)."""
        transport = self.transport
        region = self.loop_region() if self.looping else None
        if region is not None and not transport.playing and not transport.paused:
            transport.replay(*region, loop=True)
        else:
            transport.toggle()
        self.tick()

    def set_loop(self, on: bool) -> None:
        if self.loop_button.isChecked() != on:
            self.loop_button.setChecked(on)  # comes back here through toggled
            return
        transport = self.transport
        if not transport.playing:
            return
        if on:
            region = self.loop_region()
            if region is not None:
                transport.replay(*region, loop=True)
        else:
            take, frame = transport.take, transport.playhead()
            if take is not None and frame is not None:
                transport.replay(frame / take.sample_rate)  # on to the end, no loop

    def switch_ab(self) -> None:
        self.transport.switch_ab()
        self.tick()

    # --- drawing the state -------------------------------------------------------------

    def tick(self) -> None:
        """Redraw from the transport: only what changed is set."""
        self.show_state(self.transport.playhead())

    def show_state(self, frame: float | None) -> None:
        """Redraw from the transport with the playhead ``frame`` just read (the take view
        reads the clock once per display tick for the waveform, the words and this)."""
        transport = self.transport
        playing = transport.playing
        if playing != self.showing_pause:
            self.showing_pause = playing
            self.play_button.setIcon(icon("pause" if playing else "play"))
            self.play_button.setToolTip("Pause (Space)" if playing else "Play (Space)")
            self.play_button.setAccessibleName("Pause" if playing else "Play")
        take = transport.take
        position = frame / take.sample_rate if take is not None and frame is not None else 0.0
        total = take.duration if take is not None else 0.0
        text = f"{format_time(min(position, total))} / {format_time(total)}"
        if text != self._time_text:
            self._time_text = text
            self.time_label.setText(text)
        self.meter.set_level(transport.level())
        pair = transport.ab
        armed = pair is not None and take in pair
        side = "B" if armed and pair is not None and take is pair[1] else "A"
        if (armed, side) != self._ab_state:
            self._ab_state = (armed, side)
            self.ab_button.setEnabled(armed)
            self.ab_button.setChecked(armed and side == "B")
            self.ab_button.setText(f"A/B: {side}" if armed else "A/B")
            self.ab_button.setToolTip(
                f"Playing {side}: switch to {'A' if side == 'B' else 'B'} at the same word "
                "(Ctrl+B)" if armed else AB_HOW)
        if (take is not None) != self._has_take:
            self._has_take = take is not None
            for button in (self.play_button, self.stop_button, self.export_button):
                button.setEnabled(self._has_take)


def _tool(glyph: QIcon, tip: str, size: int) -> QToolButton:
    button = QToolButton()
    button.setIcon(glyph)
    button.setIconSize(QSize(size, size))
    button.setToolTip(tip)
    button.setAutoRaise(True)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # reachable with Tab, ring shown
    return button
