"""IPA phonemes: which symbols a pronunciation may use, and the editor's palette.

sonic-3 and sonic-3.5 use charsiu phonesets, sonic-2 and sonic-turbo the
Montreal Forced Aligner's (docs: build-with-cartesia/capability-guides/
phonemes and specify-custom-pronunciations). Neither publishes a complete
machine-readable inventory, so we check two things: every phoneme is made of
IPA characters (an error otherwise: it would be read as text), and for
English, that it is one of the American English phonemes of the docs' table
(a warning otherwise: it may still be valid in another accent or language).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

STRESS: Final = ("ˈ", "ˌ")
LENGTH: Final = ("ː",)

# The docs' American English table (charsiu) plus the common variants MFA uses.
ENGLISH_VOWELS: Final = ("i", "ɪ", "eɪ", "ɛ", "æ", "ɑ", "ɔ", "oʊ", "ʊ", "u", "ʌ", "ə", "ɚ",
                         "ɝ", "aɪ", "aʊ", "ɔɪ", "iː", "uː", "ɑː", "ɔː", "ɜː", "ɒ", "ɐ", "ᵻ",
                         "ɜ", "e", "o", "a")
ENGLISH_CONSONANTS: Final = ("p", "b", "t", "d", "k", "ɡ", "g", "f", "v", "θ", "ð", "s", "z",
                             "ʃ", "ʒ", "h", "tʃ", "dʒ", "m", "n", "ŋ", "l", "ɹ", "r", "j", "w",
                             "ʔ", "ɾ", "ɫ", "n̩", "l̩", "m̩", "ʍ", "x")
ENGLISH: Final = frozenset(ENGLISH_VOWELS + ENGLISH_CONSONANTS + STRESS + LENGTH)

#: The palette the editor shows: (group, phonemes).
PALETTE: Final = (
    ("Stress", STRESS + LENGTH),
    ("Vowels", ("i", "ɪ", "eɪ", "ɛ", "æ", "ɑ", "ɔ", "oʊ", "ʊ", "u", "ʌ", "ə", "ɚ", "ɝ")),
    ("Diphthongs", ("aɪ", "aʊ", "ɔɪ")),
    ("Consonants", ("p", "b", "t", "d", "k", "ɡ", "f", "v", "θ", "ð", "s", "z", "ʃ", "ʒ",
                    "h", "tʃ", "dʒ", "m", "n", "ŋ", "l", "ɹ", "j", "w", "ʔ", "ɾ")),
)



@dataclass(frozen=True)
class Example:
    """How a palette symbol sounds: a hint in letters and a word that has it."""

    symbol: str
    hint: str
    word: str
    #: The word's phonemes, in the palette's symbols (heard when the symbol is).
    phonemes: tuple[str, ...]

    def describe(self) -> str:
        """"ʃ — sh as in ship": what the palette's button says on hover."""
        return f"{self.symbol} — {self.hint} {self.word}"

    def markup(self) -> str:
        """The word as a ``<< >>`` pronunciation: what is rendered to hear the symbol."""
        return markup(self.phonemes)


def _example(symbol: str, hint: str, word: str, phonemes: str) -> Example:
    return Example(symbol, hint, word, tuple(phonemes.split()))


#: An example for every symbol of :data:`PALETTE` (American English, as the docs' table).
EXAMPLES: Final = {e.symbol: e for e in (
    _example("ˈ", "main stress, before the stressed syllable, as in", "about",
             "ə ˈb aʊ t"),
    _example("ˌ", "secondary stress, as in", "information",
             "ˌɪ n f ɚ ˈm eɪ ʃ ə n"),
    _example("ː", "long sound, as in British", "father", "f ɑː ð ə"),
    _example("i", "ee as in", "see", "s i"),
    _example("ɪ", "i as in", "sit", "s ɪ t"),
    _example("eɪ", "ay as in", "say", "s eɪ"),
    _example("ɛ", "e as in", "bed", "b ɛ d"),
    _example("æ", "a as in", "cat", "k æ t"),
    _example("ɑ", "a as in", "father", "f ɑ ð ɚ"),
    _example("ɔ", "aw as in", "law", "l ɔ"),
    _example("oʊ", "o as in", "go", "ɡ oʊ"),
    _example("ʊ", "oo as in", "book", "b ʊ k"),
    _example("u", "oo as in", "food", "f u d"),
    _example("ʌ", "u as in", "cup", "k ʌ p"),
    _example("ə", "a as in", "about", "ə b aʊ t"),
    _example("ɚ", "er as in", "butter", "b ʌ ɾ ɚ"),
    _example("ɝ", "ir as in", "bird", "b ɝ d"),
    _example("aɪ", "i as in", "time", "t aɪ m"),
    _example("aʊ", "ow as in", "now", "n aʊ"),
    _example("ɔɪ", "oy as in", "boy", "b ɔɪ"),
    _example("p", "p as in", "pen", "p ɛ n"),
    _example("b", "b as in", "bad", "b æ d"),
    _example("t", "t as in", "tea", "t i"),
    _example("d", "d as in", "did", "d ɪ d"),
    _example("k", "c as in", "cat", "k æ t"),
    _example("ɡ", "g as in", "go", "ɡ oʊ"),
    _example("f", "f as in", "fall", "f ɔ l"),
    _example("v", "v as in", "van", "v æ n"),
    _example("θ", "th as in", "thin", "θ ɪ n"),
    _example("ð", "th as in", "this", "ð ɪ s"),
    _example("s", "s as in", "see", "s i"),
    _example("z", "z as in", "zoo", "z u"),
    _example("ʃ", "sh as in", "ship", "ʃ ɪ p"),
    _example("ʒ", "s as in", "vision", "v ɪ ʒ ə n"),
    _example("h", "h as in", "hat", "h æ t"),
    _example("tʃ", "ch as in", "chair", "tʃ ɛ ɹ"),
    _example("dʒ", "j as in", "jam", "dʒ æ m"),
    _example("m", "m as in", "man", "m æ n"),
    _example("n", "n as in", "no", "n oʊ"),
    _example("ŋ", "ng as in", "sing", "s ɪ ŋ"),
    _example("l", "l as in", "leg", "l ɛ ɡ"),
    _example("ɹ", "r as in", "red", "ɹ ɛ d"),
    _example("j", "y as in", "yes", "j ɛ s"),
    _example("w", "w as in", "wet", "w ɛ t"),
    _example("ʔ", "the catch in", "uh-oh", "ʌ ʔ oʊ"),
    _example("ɾ", "the quick t in American", "water", "w ɔ ɾ ɚ"),
)}


def markup(phonemes: tuple[str, ...] | list[str]) -> str:
    """``<<k|ɑ|ɹ>>`` for ``("k", "ɑ", "ɹ")`` (empty for no phonemes)."""
    return "<<" + "|".join(phonemes) + ">>" if phonemes else ""


_EXTRA_LETTERS: Final = frozenset("æçðøŋœßþħɸβθχʁʀɣʝʎɲɳɭɻɽʂʐɕʑʈɖɟɢʡʢɦɬɮɰɱʋⱱ")


def is_ipa_char(ch: str) -> bool:
    code = ord(ch)
    if "a" <= ch <= "z":
        return True
    if 0x0250 <= code <= 0x02FF:  # IPA Extensions, Spacing Modifier Letters
        return True
    if 0x0300 <= code <= 0x036F:  # combining diacritics (nasal, syllabic, …)
        return True
    if 0x1D00 <= code <= 0x1DBF:  # phonetic extensions (ᵻ, ᵊ, …)
        return True
    return ch in _EXTRA_LETTERS or unicodedata.category(ch) == "Mn"


def is_ipa(phoneme: str) -> bool:
    return bool(phoneme) and all(is_ipa_char(c) for c in phoneme)


def first_non_ipa(phoneme: str) -> int | None:
    """Where in ``phoneme`` the first symbol outside IPA is (``None`` if all are IPA):
    the position an error points at, so ``<<kQr>>`` is reported at the ``Q``."""
    return next((i for i, c in enumerate(phoneme) if not is_ipa_char(c)), None)


def known_in_english(phoneme: str) -> bool:
    """Stress marks may be attached to the vowel (``ˈə``), as the docs' examples do."""
    core = phoneme.lstrip("".join(STRESS))
    return not core or core in ENGLISH or core.rstrip("ː") in ENGLISH
