"""The emotion picker: grouped as Cartesia's docs order them, searchable, and the line
controls that disable (and leave out) what the chosen model ignores."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.ui.emotion_picker import EmotionPicker
from app.ui.line_controls import LineControls

# The list is a popup, which grabs the keyboard: a thing the offscreen platform cannot do.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard",
                                       extend=True)


def picker(qtbot: Any) -> EmotionPicker:
    widget = EmotionPicker()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_no_emotion_first_then_the_primary_group(qtbot: Any) -> None:
    widget = picker(qtbot)
    shown = widget.shown()
    assert shown[:8] == ["no emotion", "# Primary", "neutral", "angry", "excited", "content",
                         "sad", "scared"]
    assert shown[8] == "# Happy and excited"
    assert shown.count("angry") == 1 and "joking/comedic" in shown
    assert widget.value() is None and widget.button.text().startswith("no emotion")


def test_typing_filters_and_enter_takes_the_first_match(qtbot: Any) -> None:
    widget = picker(qtbot)
    chosen: list[object] = []
    widget.changed.connect(chosen.append)
    widget.open_list()
    assert widget.popup.isVisible()
    qtbot.keyClicks(widget.search, "pan")
    assert widget.shown() == ["# Afraid", "panicked"]
    qtbot.keyClick(widget.search, Qt.Key.Key_Return)
    assert widget.value() == "panicked" and chosen == ["panicked"]
    assert not widget.popup.isVisible() and "panicked" in widget.button.text()
    # A group's name finds its emotions; nothing matching shows nothing at all.
    widget.open_list()
    qtbot.keyClicks(widget.search, "afraid")
    assert widget.shown() == ["# Afraid", "anxious", "panicked", "alarmed"]
    widget.search.setText("zzz")
    assert widget.shown() == []
    qtbot.keyClick(widget.search, Qt.Key.Key_Return)  # no match: nothing changes
    assert widget.value() == "panicked"
    qtbot.keyClick(widget.search, Qt.Key.Key_Escape)
    assert not widget.popup.isVisible() and widget.value() == "panicked"


def test_arrows_skip_headers_and_no_emotion_can_be_chosen_again(qtbot: Any) -> None:
    widget = picker(qtbot)
    widget.set_value("scared")
    widget.open_list()
    qtbot.keyClick(widget.search, Qt.Key.Key_Down)  # past the "Happy and excited" header
    qtbot.keyClick(widget.search, Qt.Key.Key_Return)
    assert widget.value() == "happy"
    widget.open_list()
    widget.search.setText("no emo")
    assert widget.shown() == ["no emotion"]
    widget.list.itemClicked.emit(widget.list.item(0))
    assert widget.value() is None


def test_an_unknown_name_shows_as_no_emotion(qtbot: Any) -> None:
    widget = picker(qtbot)
    widget.set_value("grumpy")
    assert widget.value() is None


def test_controls_the_model_ignores_are_disabled_with_the_reason_and_not_sent(
        qtbot: Any) -> None:
    controls = LineControls()
    qtbot.addWidget(controls)
    controls.show()
    controls.model_box.setCurrentIndex(controls.model_box.findData("sonic-3"))
    controls.emotion.set_value("sad")
    controls.speed.setValue(1.2)
    draft = controls.draft("Hello")
    assert (draft.emotion, draft.speed) == ("sad", 1.2)
    assert controls.emotion.isEnabled() and controls.emotion.toolTip() == ""

    controls.model_box.setCurrentIndex(controls.model_box.findData("sonic-2"))
    assert not controls.emotion.isEnabled()
    assert controls.emotion.toolTip() == "sonic-2 has no emotion control; use sonic-3.5"
    assert controls.emotion.button.toolTip() == controls.emotion.toolTip()
    assert controls.speed.toolTip().startswith("sonic-2 has no speed control; use sonic-3")
    draft = controls.draft("Hello")
    assert (draft.emotion, draft.speed, draft.volume) == (None, None, None)

    controls.model_box.setCurrentIndex(controls.model_box.findData("sonic-3.5"))
    assert controls.emotion.isEnabled() and not controls.speed.isEnabled()
    assert "sonic-3.5 has no speed control" in controls.speed.toolTip()
    draft = controls.draft("Hello")
    assert (draft.emotion, draft.speed) == ("sad", None)  # the value came back

    controls.model_box.setCurrentIndex(controls.model_box.findData("sonic-3"))
    assert controls.speed.isEnabled() and controls.speed.toolTip() == ""
    assert controls.draft("Hello").speed == 1.2
