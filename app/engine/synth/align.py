"""Which word each synthesized phoneme belongs to.

Engines phonemize a whole sentence at once and, on the way, merge words
("in the" → ``ɪnðɪ``) or expand them ("$12.50" → "twelve dollars fifty").
Phonemizing each word alone gives its own phonemes; aligning the concatenated
words' phonemes to the sentence's (difflib on the phoneme symbols, ignoring
spaces and punctuation) labels every sentence phoneme with a word. Phonemes
left unmatched join the word before them (or after, at the start).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

#: Symbols that are not sounds: word gaps, punctuation, stress and length marks.
NOT_SOUNDS = frozenset(" \t\n.,;:!?¡¿—–-…\"'()[]^$_ˈˌː")


def label_phonemes(words: Sequence[Sequence[str]], sentence: Sequence[str]) -> list[int | None]:
    """For each symbol of ``sentence``, the index of its word (``None`` for non-sounds)."""
    flat: list[str] = []
    owner: list[int] = []
    for index, phonemes in enumerate(words):
        for p in phonemes:
            if p not in NOT_SOUNDS:
                flat.append(p)
                owner.append(index)
    sounds = [i for i, p in enumerate(sentence) if p not in NOT_SOUNDS]
    labels: list[int | None] = [None] * len(sentence)
    if not flat or not sounds:
        return labels
    matcher = difflib.SequenceMatcher(None, flat, [sentence[i] for i in sounds],
                                      autojunk=False)
    matched: list[int | None] = [None] * len(sounds)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            matched[block.b + k] = owner[block.a + k]
    _fill_gaps(matched, len(words))
    first = next((m for m in matched if m is not None), 0)
    for k, sound_index in enumerate(sounds):
        label = matched[k]
        labels[sound_index] = first if label is None else label
    # Words never go backwards in time.
    highest = 0
    for i, label in enumerate(labels):
        if label is not None:
            highest = max(highest, label)
            labels[i] = highest
    return labels


def _fill_gaps(matched: list[int | None], n_words: int) -> None:
    """Give unmatched sounds a word, in place.

    A run of unmatched sounds between two matched words goes to the words
    skipped between them, if any ("a" alone is "eɪ", in a sentence "ɐ"), split
    evenly; otherwise it belongs to the word before it (the one it follows in
    time), or to the first word at the very start.
    """
    k = 0
    while k < len(matched):
        if matched[k] is not None:
            k += 1
            continue
        end = k
        while end < len(matched) and matched[end] is None:
            end += 1
        before = matched[k - 1] if k > 0 else -1
        after = matched[end] if end < len(matched) else n_words
        assert before is not None and after is not None
        skipped = list(range(before + 1, after))
        if skipped:
            run = end - k
            for j in range(run):
                matched[k + j] = skipped[min(len(skipped) - 1, j * len(skipped) // run)]
        else:
            for j in range(k, end):
                matched[j] = before if before >= 0 else (after if after < n_words else None)
        k = end


def word_spans(labels: Sequence[int | None], starts: Sequence[float], ends: Sequence[float],
               n_words: int) -> list[tuple[float, float] | None]:
    """Start and end of each word from its phonemes' times (``None`` if it got none)."""
    spans: list[tuple[float, float] | None] = [None] * n_words
    for label, start, end in zip(labels, starts, ends, strict=True):
        if label is None or label >= n_words:
            continue
        current = spans[label]
        spans[label] = (start, end) if current is None else (min(current[0], start),
                                                             max(current[1], end))
    return spans


def fill_missing(spans: list[tuple[float, float] | None]) -> list[tuple[float, float]]:
    """Words merged into a neighbour share its boundary, so each word still has a time."""
    out: list[tuple[float, float]] = []
    for i, span in enumerate(spans):
        if span is not None:
            start = max(span[0], out[-1][0]) if out else span[0]
            out.append((start, max(span[1], start)))
            continue
        after = next((s for s in spans[i + 1:] if s is not None), None)
        at = out[-1][1] if out else (after[0] if after else 0.0)
        out.append((at, at))
    return out
