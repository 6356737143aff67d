"""The script model: its operations, the events they announce, and a line's state."""

from __future__ import annotations

import numpy as np
import pytest

from app.markup.lexicon import Entry, Lexicon
from app.studio.script import (
    DefaultsChanged,
    LexiconSet,
    LineAdded,
    LineChanged,
    LineMoved,
    LineRemoved,
    LineState,
    Script,
    ScriptDefaults,
    ScriptError,
    ScriptEvent,
    ScriptLine,
    TakeSet,
)
from app.takes.take import Take


def script_of(*texts: str) -> tuple[Script, list[ScriptEvent]]:
    script = Script([ScriptLine(f"l{i}", text, voice_id="v1", speed=1.2)
                     for i, text in enumerate(texts)], defaults=ScriptDefaults(
                         voice_id="default-voice", sample_rate=16000))
    events: list[ScriptEvent] = []
    script.events.connect(events.append)
    return script, events


def take_for(line: ScriptLine) -> Take:
    return Take.from_audio(line.take_settings(), np.zeros(160, np.float32))


def test_add_insert_and_fresh_ids() -> None:
    script, events = script_of("One.")
    assert not script.dirty
    added = script.add("Two.", model_id="sonic-2")
    first = script.insert(0, "Zero.", id="intro")
    assert [line.id for line in script] == ["intro", "l0", "line-1"]
    assert added.model_id == "sonic-2" and added.defaults is script.defaults
    assert events == [LineAdded(1, added), LineAdded(0, first)]
    assert script.dirty and script.revision == 2
    with pytest.raises(ScriptError, match="'intro' is already used"):
        script.add("Again.", id="intro")
    with pytest.raises(ScriptError, match="a line has no pitch"):
        script.add("Again.", pitch=2)
    assert len(script) == 3 and script.revision == 2  # refused: nothing changed


def test_split_at_the_cursor_keeps_the_settings_and_not_the_take() -> None:
    script, events = script_of("Hello there. How are you?")
    line = script[0]
    script.set_take(0, take_for(line))
    second = script.split(0, 12)
    assert [x.text for x in script] == ["Hello there.", "How are you?"]
    assert second.id == "line-1" and second.take_id is None
    assert (second.voice_id, second.speed, second.model_id) == ("v1", 1.2, "sonic-3")
    assert script[0].state is LineState.STALE  # its take says the whole text
    assert second.state is LineState.MISSING
    assert isinstance(events[-2], LineChanged) and events[-2].changed == ("text",)
    assert events[-1] == LineAdded(1, second)
    for cursor in (0, 12, 40):
        with pytest.raises(ScriptError, match="both parts need some text"):
            script.split(0, cursor)


def test_merge_joins_with_one_space_and_drops_the_take() -> None:
    script, events = script_of("Hello there.  ", "  How are you?", "Bye.")
    script.update(1, speed=0.8)
    script.set_take(0, take_for(script[0]))
    merged = script.merge(0)
    assert merged.text == "Hello there. How are you?"
    assert merged.speed == 1.2 and merged.take_id is None and merged.take_key is None
    assert [x.id for x in script] == ["l0", "l2"]
    assert isinstance(events[-2], LineRemoved) and isinstance(events[-1], LineChanged)
    with pytest.raises(ScriptError, match="no next line"):
        script.merge(1)


def test_move_duplicate_remove() -> None:
    script, events = script_of("A.", "B.", "C.")
    script.move(0, 2)
    assert [x.text for x in script] == ["B.", "C.", "A."]
    assert events[-1] == LineMoved(0, 2, script[2])
    script.set_take(0, take_for(script[0]))
    copy = script.duplicate(0)
    assert [x.text for x in script] == ["B.", "B.", "C.", "A."]
    assert copy.id == "line-1" and copy.take_id is None and copy.speed == 1.2
    removed = script.remove(2)
    assert removed.text == "C." and events[-1] == LineRemoved(2, removed)
    with pytest.raises(ScriptError, match="there is no line 9"):
        script.remove(8)


def test_update_announces_only_real_changes_and_refuses_unknown_fields() -> None:
    script, events = script_of("A.", "B.")
    revision = script.revision
    script.update(0, text="A.", speed=1.2)
    assert script.revision == revision and events == []
    script.update(0, text="Ay.", speed=1.2, emotion="happy")
    assert events == [LineChanged(0, script[0], ("text", "emotion"))]
    with pytest.raises(ScriptError, match="'l1' is already used"):
        script.update(0, id="l1")
    with pytest.raises(ScriptError, match="a line has no colour"):
        script.update(0, colour="red")


def test_a_line_is_missing_current_or_stale() -> None:
    script, events = script_of("Hello.")
    line = script[0]
    assert line.state is LineState.MISSING
    take = take_for(line)
    script.set_take(0, take)
    assert line.state is LineState.CURRENT and script.take_of(line) is take
    assert events[-1] == TakeSet(0, line, take)
    script.update(0, text="Hello!")
    assert line.state is LineState.STALE
    script.update(0, text="Hello.")
    assert line.state is LineState.CURRENT
    for change in ({"speed": 0.9}, {"language": "fr"}, {"emotion": "sad"},
                   {"model_id": "sonic-2"}, {"voice_id": "v2"}):
        key = line.render_key()
        script.update(0, **change)
        assert line.render_key() != key and line.state is LineState.STALE, change
    script.set_take(0, take_for(line))
    script.set_defaults(sample_rate=24000)  # the format the script renders in
    assert events[-1] == DefaultsChanged(script.defaults)
    assert line.state is LineState.STALE and line.take_settings().sample_rate == 24000
    script.set_take(0, None)
    assert line.state is LineState.MISSING


def test_the_render_key_is_stable_and_ignores_what_does_not_change_the_audio() -> None:
    # sonic-2 has no speed or emotion control: setting them changes nothing it says.
    a = ScriptLine("a", "Hello.", speed=1.3, emotion="sad", model_id="sonic-2")
    assert a.render_key() == ScriptLine("x", "Hello.", model_id="sonic-2").render_key()
    # 1.0 is the API's own default, sent as nothing; an error or an id is no setting.
    b = ScriptLine("b", "Hello.", error="failed once")
    assert b.render_key() == ScriptLine("c", "Hello.", speed=1.0).render_key()
    # Stable across runs and machines: a batch manifest and a project file keep it.
    assert b.render_key() == \
        "0b08e2928e5c507e41170e2266807a319e825a796caa6b1babb467ee37534c7f"
    assert b.render_key() != a.render_key()


def test_tuning_a_word_makes_the_lines_that_say_it_stale_and_no_others() -> None:
    script, events = script_of("Try Cartesia today.", "Nothing to tune.")
    brand, plain = script[0], script[1]
    keys = [brand.render_key(), plain.render_key()]
    for index, line in enumerate(script):
        script.set_take(index, take_for(line))
    revision = script.revision
    script.set_lexicon(Lexicon([Entry("Cartesia", "kɑɹˈteɪziə")]))
    assert brand.state is LineState.STALE and plain.state is LineState.CURRENT
    assert plain.render_key() == keys[1]
    # A word no line says changes nothing; as it was, the line is current again.
    script.set_lexicon(Lexicon([Entry("Voicebooth", "voice booth")]))
    assert brand.state is LineState.CURRENT and brand.render_key() == keys[0]
    # Another language's entry is not said by an English line.
    script.set_lexicon(Lexicon([Entry("Cartesia", "kartezja", language="pl")]))
    assert brand.state is LineState.CURRENT
    # The pronunciations are the project's, not the script's: nothing to save.
    assert script.revision == revision and isinstance(events[-1], LexiconSet)
    added = script.add("Cartesia again.")
    assert added.lexicon is script.lexicon


def test_a_line_without_a_voice_uses_the_scripts_default() -> None:
    script, _ = script_of("Hello.")
    line = script.add("Hi.", voice_id="")
    settings = line.take_settings()
    assert (settings.voice_id, settings.sample_rate) == ("default-voice", 16000)
    key = line.render_key()
    script.set_defaults(voice_id="other")
    assert line.render_key() != key
