"""Export file names from a template: fields, format specs, and names every system takes."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.takes.errors import ExportError
from app.takes.naming import DEFAULT_TEMPLATE, NamingError, check_template, render_name

DATE = datetime(2026, 11, 27, 23, 5)


def name(template: str, *, n: int = 7, id: str = "intro", voice: str = "Joe",
         text: str = "Hello there.") -> str:
    return render_name(template, n=n, id=id, voice=voice, text=text, date=DATE)


def test_the_fields() -> None:
    assert name(DEFAULT_TEMPLATE) == "7_intro"
    assert name("{n:03}_{id}") == "007_intro"
    assert name("{date}-{voice}-{text}") == "2026-11-27-Joe-Hello_there"
    assert name("{{literal}} {n}") == "{literal} 7"


def test_text_is_the_first_words_heard_without_markup() -> None:
    text = ('<emotion value="calm"/>Welcome, traveller, to the <break time="1s"/> old '
            'lighthouse by the sea tonight!')
    assert name("{text}", text=text) == "Welcome_traveller_to_the_old_lighthouse"
    assert len(name("{text}", text="Supercalifragilistic" * 5)) <= 40


@pytest.mark.parametrize(("voice", "expected"), [
    ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),
    ("...hidden", "hidden"),
    ("trailing. ", "trailing"),
    ("CON", "_CON"),
    ("nul.txt", "_nul.txt"),
    ("Lpt1", "_Lpt1"),
    ("CONSOLE", "CONSOLE"),
    ("tab\there\x00", "tab_here_"),
    ("Zoë 日本", "Zoë 日本"),
])
def test_unsafe_names_become_safe(voice: str, expected: str) -> None:
    assert name("{voice}", voice=voice) == expected


def test_never_empty_never_too_long() -> None:
    assert name("{text}", text="", id="line-3") == "line-3"
    assert name("{voice}", voice="...", id="") == "take"
    long = name("{voice}", voice="é" * 500)
    assert len(long.encode("utf-8")) <= 200 and long == "é" * 100


@pytest.mark.parametrize(("template", "message"), [
    ("{number}_{id}", r"unknown field \{number\}"),
    ("{n.real}", r"unknown field \{n.real\}"),
    ("{}", r"empty field \{\}"),
    ("{0}", r"empty field \{\}"),
    ("take_{n", "malformed"),
    ("{id:03d}", r"format spec such as \{n:03\} works on \{n\} only"),
])
def test_bad_templates_name_the_fault(template: str, message: str) -> None:
    with pytest.raises(NamingError, match=message) as caught:
        name(template)
    assert isinstance(caught.value, ExportError)
    if "{" in template and "format spec" not in message:
        with pytest.raises(NamingError):
            check_template(template)
