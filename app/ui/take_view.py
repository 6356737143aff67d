"""The current take drawn twice, bound to the transport: waveform and transcript,
with the transport bar (Play/Pause, time, Loop, A/B, level) under the waveform.

Whatever the transport makes current (a new recording, a take from the
history, a preview, the other side of an A/B) is shown here; the playhead and
the spoken word move at display rate from the DAC clock (the transport reads
it from the player), never from a wall-clock timer. Clicking the waveform or
a word seeks; a drag selects a region to play or loop.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from app.studio.transport import CurrentTakeChanged, Transport, TransportEvent
from app.takes.take import Take, TakeEvent, WordsAdded
from app.ui import metrics
from app.ui.transcript import TranscriptView
from app.ui.transport_bar import TransportBar
from app.ui.waveform import WaveformView


class TakeView(QSplitter):
    def __init__(self, transport: Transport, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.transport = transport
        self.waveform = WaveformView()
        self.transcript = TranscriptView()
        self.bar = TransportBar(transport, self.selection_seconds)
        # The bar sits right under the waveform it plays (Ocenaudio, Audacity's
        # play-at-speed bar): the pair resizes together, the transcript below.
        wave_box = QWidget()
        wave_layout = QVBoxLayout(wave_box)
        metrics.spaced(wave_layout, margin=0, spacing=metrics.TIGHT)
        wave_layout.addWidget(self.waveform, 1)
        wave_layout.addWidget(self.bar)
        self.addWidget(wave_box)
        self.addWidget(self.transcript)
        self.setChildrenCollapsible(False)
        self.setSizes([220, 110])
        self._unsubscribe_take: Callable[[], None] | None = None
        self._unsubscribe = transport.events.connect(self._on_transport)
        self.waveform.seekRequested.connect(transport.seek)
        self.transcript.wordClicked.connect(self._word_clicked)
        self.timer = QTimer(self)
        self.timer.setInterval(16)  # display rate
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    @property
    def take(self) -> Take | None:
        return self.transport.take

    def _on_transport(self, event: TransportEvent) -> None:
        if isinstance(event, CurrentTakeChanged):
            self._show(event.take)

    def _show(self, take: Take | None) -> None:
        if self._unsubscribe_take is not None:
            self._unsubscribe_take()
            self._unsubscribe_take = None
        self.waveform.set_take(take)
        self.transcript.set_words(take.words if take is not None else [])
        if take is not None:
            self._unsubscribe_take = take.events.connect(self._on_take)

    def _on_take(self, event: TakeEvent) -> None:
        take = self.take
        if isinstance(event, WordsAdded) and take is not None:
            self.transcript.add_words(take.words[event.first_index:
                                                 event.first_index + event.count])

    def _word_clicked(self, index: int) -> None:
        take = self.take
        if take is not None and index < len(take.words):
            self.transport.seek(round(take.words[index].start * take.sample_rate))

    def selection_seconds(self) -> tuple[float, float] | None:
        take, selection = self.take, self.waveform.selection()
        if take is None or selection is None:
            return None
        return selection[0] / take.sample_rate, selection[1] / take.sample_rate

    def play_selection(self, loop: bool = False) -> bool:
        """Play (or loop) the dragged region; ``False`` when there is none."""
        seconds = self.selection_seconds()
        if seconds is None:
            return False
        self.transport.replay(*seconds, loop=loop)
        return True

    def tick(self) -> None:
        frame = self.transport.playhead()  # one clock reading for everything drawn
        self.bar.show_state(frame)
        if frame is None:
            return
        self.waveform.set_playhead(int(frame))
        word = self.transport.playing_word(frame)
        self.waveform.set_current_word(word)
        self.transcript.set_current(word)

    def close_view(self) -> None:
        self.timer.stop()
        self.bar.meter.reset()
        self._unsubscribe()
        if self._unsubscribe_take is not None:
            self._unsubscribe_take()
        self.waveform.set_take(None)
