"""Labelling a sentence's phonemes with its words (app.engine.synth.align).

The phoneme strings are espeak's real output (through Piper's phonemizer) for the
cases the engines get wrong word by word: "Dr." ends a sentence of its own,
"$12.50" becomes five words, "in the" fuses into ``ɪnðɪʲ`` with "the" changing its
vowel, and "a" alone is ``ˈeɪ`` but ``ɐ`` inside a sentence.
"""

from __future__ import annotations

from app.engine.synth.align import fill_missing, label_phonemes, word_spans

SENTENCE = "dˈɑːktɚ.smˈɪθ pˈeɪd dˈɑːlɚ twˈɛlv pɔɪnt fˈaɪv zˈiəɹoʊ ɪnðɪʲ ˈɛnd."
OWN = {"Dr.": "dˈɑːktɚ.", "Smith": "smˈɪθ", "paid": "pˈeɪd",
       "$12.50": "dˈɑːlɚ twˈɛlv pɔɪnt fˈaɪv zˈiəɹoʊ", "in": "ˈɪn", "the": "ðə", "end.": "ˈɛnd."}


def words_by_label(words: list[str], sentence: str) -> dict[str, str]:
    labels = label_phonemes([list(OWN.get(w, w)) for w in words], list(sentence))
    out = dict.fromkeys(words, "")
    for symbol, label in zip(sentence, labels, strict=True):
        if label is not None:
            out[words[label]] += symbol
    return out


def test_merged_and_expanded_words_get_their_own_sounds() -> None:
    words = list(OWN)
    got = words_by_label(words, SENTENCE)
    assert got["Dr."] == "dɑktɚ"
    assert got["Smith"] == "smɪθ"
    assert got["$12.50"] == "dɑlɚtwɛlvpɔɪntfaɪvziəɹoʊ"
    assert got["in"] == "ɪn"
    assert got["the"].startswith("ð")  # "ðɪʲ": the fused form still belongs to "the"
    assert got["end."] == "ɛnd"


def test_labels_never_go_back_and_skip_only_non_sounds() -> None:
    words = list(OWN)
    labels = label_phonemes([list(OWN[w]) for w in words], list(SENTENCE))
    seen = [label for label in labels if label is not None]
    assert seen == sorted(seen) and set(seen) == set(range(len(words)))
    for symbol, label in zip(SENTENCE, labels, strict=True):
        assert (label is None) == (symbol in " .ˈˌː")


def test_a_word_pronounced_differently_in_context_takes_the_gap() -> None:
    """'a' alone is 'eɪ' but 'ɐ' in the sentence: none of its sounds match, but the
    unmatched 'ɐ' comes before the first matched word, where only 'a' was skipped."""
    labels = label_phonemes([list("ˈeɪ"), list("kˈæt")], list("ɐ kˈæt"))
    assert labels == [0, None, 1, None, 1, 1]
    # Between two words each still gets a sound, in order (here "the" keeps only
    # "ð": its reduced vowel "ɪ" matches the "ɪ" of "a"'s own "eɪ", a small error).
    labels = label_phonemes([list("ðə"), list("ˈeɪ"), list("kˈæt")], list("ðɪ ɐ kˈæt"))
    seen = [label for label in labels if label is not None]
    assert seen == sorted(seen) and set(seen) == {0, 1, 2}


def test_spans_and_words_without_sounds() -> None:
    labels = [0, 0, None, 2, 2]
    spans = word_spans(labels, [0.0, 0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4, 0.5], 3)
    assert spans == [(0.0, 0.2), None, (0.3, 0.5)]
    # The word espeak swallowed sits, zero-length, where the one before it ended.
    assert fill_missing(spans) == [(0.0, 0.2), (0.2, 0.2), (0.3, 0.5)]


def test_nothing_to_align() -> None:
    assert label_phonemes([], list("abc")) == [None, None, None]
    assert label_phonemes([list("abc")], list(" .")) == [None, None]
