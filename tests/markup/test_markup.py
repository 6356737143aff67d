"""Markup: tokens cover the source, positions, validation per model, segments, lexicon."""

from __future__ import annotations

import itertools
import random

import pytest

from app.cartesia.models import catalog
from app.markup import (
    Entry,
    Lexicon,
    MarkupError,
    MarkupInvalid,
    Pause,
    Pronounce,
    Spell,
    Text,
    check,
    plain_text,
    position,
    sonic3,
    to_segments,
    tokenize,
    validate,
)
from app.markup.tokens import Position

SONIC3 = catalog().get("sonic-3").dialect()
SONIC35 = catalog().get("sonic-3.5").dialect()
SONIC2 = catalog().get("sonic-2").dialect()

PIECES = ["a", " ", "\n", "<", ">", "<<", ">>", "|", "/", '"', "'", "=", "é", "ɑ", "<break",
          ' time="1s"', "/>", "<spell>", "</spell>", "<<k|ɑ>>", "<speed ratio=1.2/>", "x y",
          "<emotion value='sad'/>", "<bad>", "\t"]


def test_tokens_cover_every_character_of_random_sources() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        source = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 25)))
        tokens = tokenize(source)
        assert "".join(t.text for t in tokens) == source
        assert all(t.span.end > t.span.start for t in tokens)
        assert all(a.span.end == b.span.start for a, b in itertools.pairwise(tokens))
        # Validation and rendering never crash on anything.
        validate(source, SONIC3)
        to_segments(source)


def test_positions_are_one_based_lines_and_character_columns() -> None:
    source = "ab\nçé <brek/>\n"
    offset = source.index("<")
    assert position(source, offset) == Position(2, 4)
    (diag,) = validate(source, SONIC3)
    assert diag.describe().startswith("line 2, column 4: unknown tag <brek>; did you mean "
                                      "<break>?")


@pytest.mark.parametrize("source", [
    'Hello <break time="1s"/> world', "<break time='500ms'/>", "<break time=\"1.5s\"/>",
    '<speed ratio="0.6"/><volume ratio="2"/> <emotion value="excited"/> hi',
    "<spell>ABC-123</spell>", "Say <<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>> now", "<<ˈ|b|ɑ|ˈ|j|u>>",
    "<<h|ɑː|l|ˈə|p|eɪ|n|j|ˌoʊ|>>", "plain text, no tags at all"])
def test_valid_on_sonic3(source: str) -> None:
    assert [d for d in validate(source, SONIC3) if d.severity == "error"] == []
    check(source, SONIC3)


@pytest.mark.parametrize(("source", "message"), [
    ('<brake time="1s"/>', "unknown tag <brake>; did you mean <break>?"),
    ('<break time="1 minute"/>', "is not a duration"),
    ("<break/>", 'needs time="…"'),
    ('<break time="1s" loud="yes"/>', "has no attribute 'loud'"),
    ('<break time="1s">', "must be self-closing"),
    ('<speed ratio="2.0"/>', "speed ratio 2 is outside 0.6–1.5 on sonic-3"),
    ('<volume ratio="0.1"/>', "volume ratio 0.1 is outside 0.5–2 on sonic-3"),
    ('<speed ratio="fast"/>', "is not a number"),
    ('<emotion value="hapy"/>', "unknown emotion 'hapy'; did you mean 'happy'?"),
    ("<spell>ABC", "<spell> is never closed"),
    ("ABC</spell>", "</spell> without an opening <spell>"),
    ("<spell>A<spell>B</spell>", "<spell> inside <spell>"),
    ("<spell/>", "is empty"),
    ("<<>>", "empty pronunciation"),
    ("<<k|ɑ r>>", "no spaces inside << >>"),
    ("<<k|ɑ|R>>", "'R' is not an IPA phoneme"),
    ("<<k|ɑ", "never closed with '>>'"),
    ('<break time="1s"', "is not closed with '>'"),
    ('<break time="1s/>', "unclosed quote"),
])
def test_errors_with_messages(source: str, message: str) -> None:
    errors = [d for d in validate(source, SONIC3) if d.severity == "error"]
    assert errors, source
    assert message in errors[0].message
    with pytest.raises(MarkupInvalid, match="line 1, column"):
        check(source, SONIC3)


def test_rules_per_model() -> None:
    speed = '<speed ratio="1.2"/> hi'
    assert validate(speed, SONIC3) == []
    (on35,) = validate(speed, SONIC35)
    assert on35.message == "<speed> is not supported on sonic-3.5"
    assert validate('<volume ratio="1.2"/>', SONIC2)[0].message == \
        "<volume> is not supported on sonic-2"
    assert validate('<emotion value="sad"/>', SONIC2)[0].message == \
        "<emotion> is not supported on sonic-2"
    assert validate("<spell>A1</spell> <break time=\"1s\"/>", SONIC2) == []


def test_unusual_english_phoneme_is_a_warning_only() -> None:
    (diag,) = validate("<<ʀ|a>>", SONIC3)
    assert diag.severity == "warning" and "American English" in diag.message
    german = catalog().get("sonic-3").dialect("de")
    assert validate("<<ʀ|a>>", german) == []


def test_segments_carry_settings_forward() -> None:
    source = ('One <speed ratio="1.2"/>two <break time="250ms"/><volume ratio="0.8"/>'
              '<spell>AB</spell> <<k|ɑ>> <emotion value="sad"/>end <unknown/>x')
    segments = to_segments(source)
    assert segments[0] == Text("One ", segments[0].span)
    assert isinstance(segments[1], Text) and segments[1].text == "two " and \
        segments[1].speed == 1.2
    assert isinstance(segments[2], Pause) and segments[2].seconds == 0.25
    assert isinstance(segments[3], Spell) and segments[3].text == "AB" and \
        (segments[3].speed, segments[3].volume) == (1.2, 0.8)
    pron = next(s for s in segments if isinstance(s, Pronounce))
    assert pron.phonemes == ("k", "ɑ")
    last = segments[-1]
    assert isinstance(last, Text) and last.text == "end x" and last.emotion == "sad"
    assert "<" not in plain_text(source) and "unknown" not in plain_text(source)


def test_lexicon_like_a_pronunciation_dictionary() -> None:
    lexicon = Lexicon([Entry("bayou", "<<ˈ|b|ɑ|ˈ|j|u>>"), Entry("New York", "Noo Yawk"),
                       Entry("York", "Yowk"), Entry("SQL", "sequel")])
    source = ('Bayou, bayou, bayous. New York and York. sql SQL <emotion value="bayou"/> '
              "<<b|ɑ|j|u>>")
    assert lexicon.apply(source) == (
        '<<ˈ|b|ɑ|ˈ|j|u>>, <<ˈ|b|ɑ|ˈ|j|u>>, bayous. Noo Yawk and Yowk. sql sequel '
        '<emotion value="bayou"/> <<b|ɑ|j|u>>')
    again = Lexicon.from_json(lexicon.to_json())
    assert again.apply("bayou") == lexicon.apply("bayou")
    assert Lexicon.from_json([{"text": "a", "alias": "b"}]).apply("a") == "b"
    with pytest.raises(MarkupError, match="item 1"):
        Lexicon.from_json([{"text": 1}])


def test_default_dialect_accepts_any_emotion() -> None:
    assert validate('<emotion value="whatever"/>', sonic3()) == []
