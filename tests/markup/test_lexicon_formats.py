"""Lexicon files: PLS, CSV and Cartesia JSON read, written, round-tripped; bad files refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.atomic import TargetExists
from app.markup.errors import MarkupError
from app.markup.lexicon import Entry, Lexicon
from app.markup.lexicon_formats import (
    LexiconFileError,
    format_of,
    lexicon_text,
    parse_lexicon,
    read_lexicon,
    write_lexicon,
)

DATA = Path(__file__).parent / "data"
FORMATS = ("pls", "csv", "json")


def test_a_real_world_pls_file() -> None:
    lexicon = read_lexicon(DATA / "brands.pls")
    en = "en-US"
    assert lexicon.entries == [
        Entry("Cartesia", "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>", en, "brands.pls"),
        # one lexeme, two graphemes: two entries said the same way
        Entry("bayou", "<<ˈ|b|ɑ|j|u>>", en, "brands.pls"),
        Entry("Bayou", "<<ˈ|b|ɑ|j|u>>", en, "brands.pls"),
        Entry("W3C", "World Wide Web Consortium", en, "brands.pls"),  # an alias
        Entry("New York", "<<n|u>> <<ˈ|j|ɔ|ɹ|k>>", en, "brands.pls"),  # one group per word
        Entry("tomato", "<<t|ə|ˈ|m|ɑ|t|oʊ>>", en, "brands.pls"),  # prefer="true"
        Entry("AT&T", "A T and T", en, "brands.pls"),  # an XML entity reference
    ]
    assert lexicon.apply("Cartesia in New York") == (
        "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>> in <<n|u>> <<ˈ|j|ɔ|ɹ|k>>")


def test_csv_and_json_files() -> None:
    csv = read_lexicon(DATA / "words.csv")
    assert csv.entries == [
        Entry("Cartesia", "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>", "en", "words.csv"),
        Entry("chopitulas", "chop-uh-TOO-liss", None, "words.csv"),
        Entry("Smith, Jr.", "smith junior", "en", "words.csv"),  # quoted comma
    ]
    json = read_lexicon(DATA / "dict.json")
    assert [e.to_json() for e in json.entries] == [
        {"text": "Cartesia", "pronunciation": "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>"},
        {"text": "bayou", "pronunciation": "<<ˈ|b|ɑ|j|u>>"},
        {"text": "chopitulas", "pronunciation": "chop-uh-TOO-liss"}]
    # CSV without a header, Windows line ends
    assert parse_lexicon("GIF,<<dʒ|ɪ|f>>\r\nSQL,sequel\r\n", "csv").to_json() == [
        {"text": "GIF", "pronunciation": "<<dʒ|ɪ|f>>"},
        {"text": "SQL", "pronunciation": "sequel"}]


@pytest.mark.parametrize("name", ["brands.pls", "words.csv", "dict.json"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trips_are_exact(tmp_path: Path, name: str, fmt: str) -> None:
    original = read_lexicon(DATA / name)
    target = tmp_path / f"{Path(name).stem}.{fmt}"
    write_lexicon(original, target)
    again = read_lexicon(target)
    assert [(e.text, e.pronunciation, e.language) for e in again.entries] == [
        (e.text, e.pronunciation, e.language) for e in original.entries]
    # and once more: the written file is a fixed point
    write_lexicon(again, tmp_path / f"again.{fmt}")
    assert (tmp_path / f"again.{fmt}").read_bytes() == target.read_bytes()


def test_pls_export_groups_neighbours_and_marks_other_languages() -> None:
    lexicon = Lexicon([Entry("colour", "KUL-er", "en-GB"), Entry("color", "KUL-er", "en-GB"),
                       Entry("Paris", "<<p|a|ʁ|i>>", "fr"), Entry("R&D", "R and D", "en-GB")])
    text = lexicon_text(lexicon, "pls")
    assert 'xml:lang="en-GB"' in text.splitlines()[1]
    assert "<grapheme>colour</grapheme>\n    <grapheme>color</grapheme>" in text
    assert '<lexeme xml:lang="fr">' in text and "<phoneme>paʁi</phoneme>" in text
    assert "<grapheme>R&amp;D</grapheme>" in text
    assert parse_lexicon(text, "pls", "").entries == lexicon.entries


def test_pls_without_namespace_or_with_foreign_elements_still_reads() -> None:
    text = ('<lexicon version="1.0" alphabet="ipa" xml:lang="en" xmlns:x="urn:x">'
            "<x:note>ignored <b>inside</b></x:note><lexeme><grapheme>gif</grapheme>"
            "<x:note/><phoneme>dʒɪf"
            "</phoneme></lexeme></lexicon>")
    assert parse_lexicon(text, "pls").entries == [Entry("gif", "<<dʒ|ɪ|f>>", "en", "lexicon")]


BAD = [
    ("pls", '<lexicon alphabet="ipa" xml:lang="en">\n  <lexeme>\n    <grapheme>a</grapheme>\n'
            "  </lexeme>\n</lexicon>", 2, 3, "no <phoneme> or <alias>"),
    ("pls", '<lexicon alphabet="x-sampa" xml:lang="en"/>', 1, 1, "'x-sampa' is not supported"),
    ("pls", '<lexicon alphabet="ipa">\n<lexeme><grapheme>a</grapheme>\n<phoneme>a</phonem>',
            3, 13, "mismatched tag"),
    ("pls", '<lexicon alphabet="ipa"><lexeme>\n <grapheme>car</grapheme>\n <phoneme>kQr'
            "</phoneme></lexeme></lexicon>", 3, 2, "'Q' is not an IPA symbol"),
    ("pls", '<?xml version="1.0"?>\n<!DOCTYPE lexicon [<!ENTITY a "aaaaaaaa">]>\n'
            '<lexicon alphabet="ipa"/>', 2, 19, "DTD or entity"),
    ("csv", "text,pronunciation\nok,fine\nCartesia\n", 3, 9, "has no pronunciation"),
    ("csv", 'text,pronunciation\nCartesia,<<k|Q|r>>\n', 2, 14, "'Q' is not an IPA symbol"),
    ("csv", 'a,"unclosed\n', 1, 1, "unexpected end of data"),
    ("json", '[\n {"text": "a", "pronunciation": "b"},\n {"text": "c"}\n]', 3, 2,
             "needs a \"pronunciation\""),
    ("json", '[\n {"text": "a", "pronunciation": "b"}\n {"text": "c"}]', 3, 2,
             "Expecting ','"),
    ("json", '{"text": "a"}', 1, 1, "JSON array"),
    ("pls", '<lexicon xmlns="urn:other" alphabet="ipa"/>', 1, 1, "is not a PLS lexicon"),
]


@pytest.mark.parametrize(("fmt", "text", "line", "column", "message"), BAD)
def test_a_bad_file_names_line_and_column_and_imports_nothing(
        tmp_path: Path, fmt: str, text: str, line: int, column: int, message: str) -> None:
    path = tmp_path / f"bad.{fmt}"
    path.write_text(text, "utf-8")
    with pytest.raises(LexiconFileError) as caught:
        read_lexicon(path)
    error = caught.value
    assert (error.line, error.column) == (line, column), str(error)
    assert message in error.problem
    assert str(error).startswith(f"bad.{fmt}:{line}:{column}: ")


def test_entity_expansion_is_refused_before_it_expands(tmp_path: Path) -> None:
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE lexicon [\n<!ENTITY a "aaaaaaaaaa">\n'
            + "".join(f'<!ENTITY {n} "&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};">\n'
                      for p, n in zip("abcdefgh", "bcdefghi", strict=True))
            + ']>\n<lexicon alphabet="ipa"><lexeme><grapheme>&i;</grapheme>'
              "<alias>x</alias></lexeme></lexicon>")
    path = tmp_path / "bomb.pls"
    path.write_text(bomb, "utf-8")
    with pytest.raises(LexiconFileError, match="DTD or entity"):
        read_lexicon(path)


def test_not_utf8_and_unknown_formats(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"caf\xe9,kah-FAY\n")
    with pytest.raises(LexiconFileError, match=r"latin1\.csv:1:4: not UTF-8"):
        read_lexicon(path)
    with pytest.raises(MarkupError, match=r"unknown lexicon format '\.txt'"):
        format_of("words.txt")
    assert format_of("words", "  [") == "json" and format_of("x", "<?xml") == "pls"


def test_writing_is_atomic_and_keeps_an_existing_file_unless_asked(tmp_path: Path) -> None:
    target = tmp_path / "words.json"
    target.write_text("keep me", "utf-8")
    with pytest.raises(TargetExists):
        write_lexicon(Lexicon([Entry("a", "b")]), target, overwrite=False)
    assert target.read_text("utf-8") == "keep me"
    write_lexicon(Lexicon([Entry("a", "b")]), target)
    assert read_lexicon(target).to_json() == [{"text": "a", "pronunciation": "b"}]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["words.json"]
