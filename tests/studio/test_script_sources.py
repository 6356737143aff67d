"""Reading scripts from CSV and JSON Lines: what is kept, and every problem reported at
its 1-based line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.studio.script import ScriptSourceError
from app.studio.script_sources import read_script


def write(tmp_path: Path, name: str, text: str, *, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def error_of(path: Path) -> ScriptSourceError:
    with pytest.raises(ScriptSourceError) as caught:
        read_script(path)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}:{caught.value.line}:{caught.value.column}: ")
    return caught.value


def test_csv_keeps_every_column_quoted_fields_and_a_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "lines.csv",
                 'ID,Text,voice,model,language,speed,volume,emotion\r\n'
                 'intro,"Hello, world.",Joe,sonic-2,fr,1.2,0.8,\r\n'
                 '\r\n'
                 'q2,"Two\nlines, ""quoted""",a0e99841-438c-4a64-b679-ae501e7d6091,,,,,happy\r\n',
                 bom=True)
    script = read_script(path)
    first, second = script.lines
    assert (first.id, first.text, first.voice_id, first.model_id, first.language,
            first.speed, first.volume, first.emotion) == \
        ("intro", "Hello, world.", "Joe", "sonic-2", "fr", 1.2, 0.8, None)
    assert (second.id, second.text, second.voice_id, second.model_id, second.language,
            second.emotion) == ("q2", 'Two\nlines, "quoted"',
                                "a0e99841-438c-4a64-b679-ae501e7d6091", "sonic-3", "en",
                                "happy")
    assert script.path is None and not script.dirty


def test_ids_are_made_up_when_absent(tmp_path: Path) -> None:
    script = read_script(write(tmp_path, "a.csv", "text\nOne.\nTwo.\n"))
    assert [line.id for line in script.lines] == ["line-1", "line-2"]
    script = read_script(write(tmp_path, "b.csv", "id,text\n,One.\nx,Two.\n,Three.\n"))
    assert [line.id for line in script.lines] == ["line-1", "x", "line-3"]
    assert script.fresh_id() == "line-4"


def test_jsonl_keeps_the_same_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "lines.jsonl",
                 '{"id": "a", "text": "Hello.", "speed": 1.1, "voice": "Joe"}\n\n'
                 '{"text": "Again.", "volume": "1.5", "id": 7}\n')
    first, second = read_script(path).lines
    assert (first.id, first.text, first.speed, first.voice_id) == ("a", "Hello.", 1.1, "Joe")
    assert (second.id, second.text, second.volume) == ("7", "Again.", 1.5)


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    ("id,voice\na,Joe\n", 1, 1, "no text column"),
    ("id,text,colour\na,Hello,red\n", 1, 9, "unknown column 'colour'"),
    ("id,text,txt\n", 1, 9, "unknown column 'txt' (did you mean 'text'?)"),
    ("id,text,id\n", 1, 9, "appears twice"),
    ("id,text\na,Hello\nb,   \n", 3, 3, "the text is empty"),
    ("id,text\na,Hello\nb,Two\na,Three\n", 4, 1, "'a' is already used on line 2"),
    ("id,text,speed\na,Hello,fast\n", 2, 9, "speed must be a number"),
    ("id,text,speed\na,Hello,2.5\n", 2, 9, "speed 2.5 is outside 0.6–1.5"),
    ("id,text,volume\na,Hello,0.1\n", 2, 9, "volume 0.1 is outside 0.5–2"),
    ("id,text,model\na,Hello,sonic-9\n", 2, 9, "unknown model 'sonic-9'"),
    ("id,text,language\na,Hello,xx\n", 2, 9, "does not speak 'xx'"),
    ("id,text,emotion\na,Hello,hapy\n", 2, 9, "unknown emotion 'hapy' (did you mean 'happy'?)"),
    ('id,text\na,"Hello\n\nb,Two\n', 2, 3, "never closed"),
    ('id,text\na,"Hello"x\n', 2, 10, "after a closing quote"),
    ("id,text\na,Hello,extra\n", 2, 9, "3 fields but the header names 2 columns"),
    ("id,voice,text\na,Joe\n", 2, 6, "this line has no text"),
    ('id,text\na,"multi\nline"\nb,"x\ny",z\n', 5, 4, "3 fields"),
    ('id,text\na,"multi\nline",\n', 3, 7, "3 fields"),
])
def test_csv_problems_are_reported_where_they_are(tmp_path: Path, text: str, line: int,
                                                   column: int, words: str) -> None:
    error = error_of(write(tmp_path, "bad.csv", text))
    assert words in error.message
    assert (error.line, error.column) == (line, column)


def test_an_unknown_column_lists_the_known_ones(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "bad.csv", "id,text,pitch\n"))
    assert error.message.endswith(
        "the columns are id, text, voice, model, language, speed, volume, emotion")


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    ('{"text": "One."}\n{"text": "Two.",}\n', 2, 17, "bad JSON"),
    ('{"text": "One."}\n["Two."]\n', 2, 1, "one JSON object"),
    ('{"text": "One."}\n  {"id": "b", "txt": "Two."}\n', 2, 15, "unknown key 'txt'"),
    ('{"text": "One.", "speed": "quick"}\n', 1, 27, "speed must be a number"),
    ('{"text": "One.", "speed": true}\n', 1, 27, "speed must be a number"),
    ('{"text": ""}\n', 1, 10, "the text is empty"),
    ('{"text": 5}\n', 1, 10, "text must be text"),
    ('{"id": "a", "text": "One."}\n{"id": "a", "text": "Two."}\n', 2, 8,
     "'a' is already used on line 1"),
    ('{"id": "a"}\n', 1, 12, "no text"),
])
def test_jsonl_problems_are_reported_where_they_are(tmp_path: Path, text: str, line: int,
                                                     column: int, words: str) -> None:
    error = error_of(write(tmp_path, "bad.jsonl", text))
    assert words in error.message
    assert (error.line, error.column) == (line, column)


def test_files_that_are_not_scripts(tmp_path: Path) -> None:
    assert "unknown kind of script '.txt'" in error_of(write(tmp_path, "a.txt", "x")).message
    assert "has no lines" in error_of(write(tmp_path, "a.csv", "id,text\n")).message
    assert "file is empty" in error_of(write(tmp_path, "b.csv", "")).message
    assert "cannot read" in error_of(tmp_path / "missing.csv").message
    bad = tmp_path / "latin.csv"
    bad.write_bytes(b"id,text\na,caf\xe9\n")
    error = error_of(bad)
    assert (error.line, error.column) == (2, 6) and "not UTF-8" in error.message
