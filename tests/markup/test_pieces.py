"""Long transcripts split into pieces: at good places, never inside markup, and the
"from here on" tags carried over."""

from __future__ import annotations

from app.markup.pieces import split


def test_a_short_text_is_one_piece() -> None:
    assert [p.text for p in split("Hello there.", 100)] == ["Hello there."]


def test_pieces_end_after_sentences_and_join_to_the_text() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(200))
    pieces = split(text, 300)
    assert "".join(p.text for p in pieces) == text
    assert all(len(p.text) <= 300 for p in pieces)
    assert all(p.text.rstrip().endswith(".") for p in pieces)


def test_a_paragraph_break_is_preferred_to_a_sentence() -> None:
    first = "One. Two. Three. Four. Five. Six. Seven. Eight. Nine. Ten."
    text = first + "\n\nA new paragraph starts here. And goes on for a while longer."
    (a, b) = split(text, 100)
    assert a.text == first + "\n\n"
    assert b.text.startswith("A new paragraph")


def test_a_piece_never_ends_inside_markup() -> None:
    unit = ('Say <break time="300ms"/> this <spell>ABC 123 DEF</spell> and '
            '<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>> again. ')
    text = unit * 40
    for limit in range(20, 120, 7):
        pieces = split(text, limit)
        assert "".join(p.text for p in pieces) == text
        for piece in pieces:
            assert piece.text.count("<spell>") == piece.text.count("</spell>")
            assert piece.text.count("<<") == piece.text.count(">>")
            assert piece.text.count("<break") == piece.text.count("/>")


def test_speed_volume_and_emotion_carry_over() -> None:
    text = ('<speed ratio="1.2"/>Fast here. <volume ratio="0.8"/>Quiet too. '
            + "Filler words go on. " * 10 + '<speed ratio="0.9"/>Slower now. '
            + "More filler words. " * 10)
    pieces = split(text, 120)
    assert pieces[0].prefix == ""
    assert pieces[1].prefix == '<speed ratio="1.2"/><volume ratio="0.8"/>'
    assert pieces[-1].prefix == '<speed ratio="0.9"/><volume ratio="0.8"/>'
    assert pieces[1].transcript.startswith(pieces[1].prefix + pieces[1].text[:5])


def test_a_word_longer_than_a_piece_stays_whole() -> None:
    text = "short " + "x" * 50 + " end"
    assert [p.text for p in split(text, 20)] == ["short ", "x" * 50 + " ", "end"]
