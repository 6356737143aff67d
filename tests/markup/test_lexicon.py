"""Lexicon matching by Cartesia's dictionary rules, and the written word kept through a rewrite."""

from __future__ import annotations

import pytest

from app.markup import sonic3
from app.markup.lexicon import (
    Entry,
    Lexicon,
    entry_problems,
    from_ipa_string,
    ipa_group,
    ipa_string,
)
from app.markup.tokens import Span
from app.markup.written import WrittenWords

CARTESIA = "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>"


def lex(*pairs: tuple[str, str]) -> Lexicon:
    return Lexicon(Entry(t, p) for t, p in pairs)


def test_whole_words_only_and_case_sensitive() -> None:
    lexicon = lex(("cat", "KAT"), ("Dog", "DAWG"))
    assert lexicon.apply("cat catalog concat cat's bobcat") == "KAT catalog concat KAT's bobcat"
    # A lowercase entry also matches its capitalised form (a sentence start) ...
    assert lexicon.apply("Cat. CAT cAt") == "KAT. CAT cAt"
    # ... but a capitalised entry does not match lowercase.
    assert lexicon.apply("Dog dog DOG") == "DAWG dog DOG"


def test_punctuation_next_to_words_stays() -> None:
    lexicon = lex(("Cartesia", CARTESIA))
    assert lexicon.apply('"Cartesia," (Cartesia). Cartesia\'s Cartesia!') == (
        f'"{CARTESIA}," ({CARTESIA}). {CARTESIA}\'s {CARTESIA}!')
    assert lexicon.apply("Cartesia-based Cartesia_x") == f"{CARTESIA}-based Cartesia_x"


def test_phrases_longest_first_and_overlaps_leftmost() -> None:
    lexicon = lex(("York", "YORK"), ("New York", "NOO YAWK"), ("York City", "YC"))
    assert lexicon.apply("New York and York.") == "NOO YAWK and YORK."
    # Two entries overlap in "New York City": the leftmost match wins, the rest is left.
    assert lexicon.apply("New York City") == "NOO YAWK City"
    assert lexicon.apply("old York City") == "old YC"
    # Entries that are not plain words (symbols, dots) match as written.
    assert lex(("AT&T", "A T and T"), ("C++", "see plus plus")).apply(
        "AT&T uses C++.") == "A T and T uses see plus plus."


def test_tags_and_existing_pronunciations_are_untouched() -> None:
    lexicon = lex(("time", "TIME"), ("emotion", "EMO"), ("k", "KAY"))
    source = '<emotion value="time"/>time <<k|æ|t>> <break time="1s"/>time'
    assert lexicon.apply(source) == '<emotion value="time"/>TIME <<k|æ|t>> <break time="1s"/>TIME'


def test_the_earlier_entry_wins_for_the_same_word() -> None:
    lexicon = Lexicon([Entry("tomato", "A", source="user"), Entry("tomato", "B", source="file")])
    assert lexicon.apply("tomato") == "A"
    assert lexicon.lookup("tomato") == Entry("tomato", "A", source="user")


def test_entries_for_another_language_are_left_out() -> None:
    lexicon = Lexicon([Entry("Paris", "pa-REE", "fr"), Entry("Paris", "PAIR-iss", "en-US"),
                       Entry("Berlin", "ber-LIN")])
    assert lexicon.for_language("en").apply("Paris Berlin") == "PAIR-iss ber-LIN"
    assert lexicon.for_language("fr").apply("Paris Berlin") == "pa-REE ber-LIN"


def test_rewrite_records_each_replacement_and_the_entries_used() -> None:
    cartesia, bayou = Entry("Cartesia", CARTESIA), Entry("bayou", "BY-you")
    rewrite = Lexicon([cartesia, bayou, Entry("unused", "x")]).rewrite(
        "Cartesia, the Bayou and Cartesia.")
    assert rewrite.text == f"{CARTESIA}, the BY-you and {CARTESIA}."
    assert [(r.source, r.written, rewrite.text[r.target.start:r.target.end])
            for r in rewrite.replacements] == [
        (Span(0, 8), "Cartesia", CARTESIA), (Span(14, 19), "Bayou", "BY-you"),
        (Span(24, 32), "Cartesia", CARTESIA)]
    assert rewrite.entries == (cartesia, bayou)


def test_words_timed_for_the_rewrite_come_back_as_written() -> None:
    lexicon = lex(("Cartesia", CARTESIA), ("New York", "Noo Yawk"), ("bayou", "by you"))
    rewrite = lexicon.rewrite("Hello (Cartesia), from New York. Bayou now.")
    written = WrittenWords(rewrite)
    # The server times what it was sent: one word for the IPA group (with the
    # punctuation it glued on), the sounds-like spellings' own words.
    first = written.feed([("Hello", 0.0, 0.5), ("(kɑɹˈtiʒə),", 0.5, 1.0), ("from", 1.0, 1.2),
                          ("Noo", 1.2, 1.4)])
    # "New York" may go on in the next batch: it waits.
    assert first == [("Hello", 0.0, 0.5), ("(Cartesia),", 0.5, 1.0), ("from", 1.0, 1.2)]
    second = written.feed([("Yawk.", 1.4, 1.8), ("by", 2.0, 2.1), ("you", 2.1, 2.3),
                           ("now.", 2.4, 2.6)])
    assert second == [("New York.", 1.2, 1.8), ("Bayou", 2.0, 2.3), ("now.", 2.4, 2.6)]
    assert written.flush() == []


def test_a_word_the_text_does_not_have_passes_through_and_the_rest_still_maps() -> None:
    rewrite = lex(("Cartesia", "kar TEE zha")).rewrite("Call 5 Cartesia")
    written = WrittenWords(rewrite)
    assert written.feed([("Call", 0, 1), ("five", 1, 2), ("kar", 2, 3), ("TEE", 3, 4)]) == [
        ("Call", 0, 1), ("five", 1, 2)]
    assert written.feed([("zha", 4, 5)]) == [("Cartesia", 2, 5)]


def test_a_span_left_open_at_the_end_is_flushed() -> None:
    written = WrittenWords(lex(("Cartesia", "kar TEE zha")).rewrite("Cartesia"))
    assert written.feed([("kar", 0, 1), ("TEE", 1, 2)]) == []
    assert written.flush() == [("Cartesia", 0, 2)]


@pytest.mark.parametrize(("ipa", "group"), [
    ("kɑɹˈtiʒə", "<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>"),
    ("ˈtʃeɪndʒ", "<<ˈ|tʃ|eɪ|n|dʒ>>"),
    ("kɑːtʰn̩", "<<k|ɑː|tʰ|n̩>>"),
])
def test_ipa_strings_split_into_phonemes_and_join_back(ipa: str, group: str) -> None:
    assert ipa_group(ipa) == group
    assert ipa_string(group) == ipa
    assert from_ipa_string(f"{ipa} {ipa}") == f"{group} {group}"
    assert ipa_string("sounds like") is None


def test_entry_problems_point_into_the_pronunciation() -> None:
    dialect = sonic3()
    assert entry_problems(Entry("car", "<<k|ɑ|ɹ>>"), dialect) == []
    assert entry_problems(Entry("car", "kar"), dialect) == []
    (offset, message), = entry_problems(Entry("car", "<<k|Q|r>>"), dialect)
    assert offset == 4 and "'Q' is not an IPA symbol" in message
    assert entry_problems(Entry("car", ""), dialect)[0][1] == "no pronunciation"
    assert "tag" in entry_problems(Entry("car", 'k<break time="1s"/>r'), dialect)[0][1]
    assert "markup" in entry_problems(Entry("<b>car", "kar"), dialect)[0][1]


def test_a_replaced_word_the_server_did_not_report_is_timed_in_its_gap() -> None:
    rewrite = lex(("Cartesia", CARTESIA), ("New York", "<<n|u>> <<j|ɔ|ɹ|k>>")).rewrite(
        "Say Cartesia, from New York now.")
    written = WrittenWords(rewrite)
    assert written.feed([("Say", 0.0, 0.5), ("from", 0.7, 0.9), ("now.", 1.5, 1.8)]) == [
        ("Say", 0.0, 0.5), ("Cartesia,", 0.5, 0.7), ("from", 0.7, 0.9),
        ("New York", 0.9, 1.5), ("now.", 1.5, 1.8)]
