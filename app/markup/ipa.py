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


def known_in_english(phoneme: str) -> bool:
    """Stress marks may be attached to the vowel (``ˈə``), as the docs' examples do."""
    core = phoneme.lstrip("".join(STRESS))
    return not core or core in ENGLISH or core.rstrip("ː") in ENGLISH
