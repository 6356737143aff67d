"""The written word stays: word timestamps of a rewritten text, shown as the user wrote it.

A lexicon rewrites "Cartesia" as ``<<k|ɑ|ɹ|ˈ|t|i|ʒ|ə>>`` (or "Kar tee zha")
before the text is sent; the server reports timestamps for what it was sent.
:class:`WrittenWords` follows the reported words through the rewritten text
(in order, so several pieces of one long text continue where the last
stopped) and gives back the written word for each: a replaced span's words
become one word, its written form with the punctuation around it, from the
start of its first word to the end of its last.

Words are found by their letters, so a server that strips or glues
punctuation is still followed; a word it reports that is not in the text
(a number read out, say) passes through as reported. A replaced span the
server reports no word for still shows, timed in the gap between its
neighbours (when it is the last thing said, its end is unknown: it is left out).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from app.markup import ipa
from app.markup.lexicon import Replacement, Rewrite
from app.markup.tokens import tokenize

#: How many words ahead of the last one found a reported word may be looked for.
LOOKAHEAD = 4

WordTime = tuple[str, float, float]


@dataclass(frozen=True)
class _Word:
    """A word of the rewritten text: its letters and its span there."""

    core: str
    start: int
    end: int


def _core(text: str) -> str:
    return "".join(c for c in text if c.isalnum() or ipa.is_ipa_char(c)).casefold()


def _words(text: str) -> list[_Word]:
    """Words as a listener hears them: tags are spaces, a phoneme group is its phonemes."""
    units: list[tuple[str, int, int]] = []  # (letters, start, end), " " between words
    for token in tokenize(text):
        if token.kind == "text":
            units.extend((c, token.span.start + i, token.span.start + i + 1)
                         for i, c in enumerate(token.text))
        elif token.kind == "phonemes":
            units.append(("".join(token.phonemes), token.span.start, token.span.end))
        else:
            units.append((" ", token.span.start, token.span.end))
    words: list[_Word] = []
    current: list[tuple[str, int, int]] = []
    for unit in [*units, (" ", len(text), len(text))]:
        if unit[0].isspace():
            if current:
                words.append(_Word(_core("".join(u[0] for u in current)), current[0][1],
                                   current[-1][2]))
                current = []
        else:
            current.append(unit)
    return words


class WrittenWords:
    def __init__(self, rewrite: Rewrite) -> None:
        self.rewrite = rewrite
        self._words = _words(rewrite.text)
        self._starts = [r.target.start for r in rewrite.replacements]
        self._ends = [r.target.end for r in rewrite.replacements]
        self._next = 0
        #: A replaced span whose words may go on in the next batch: (replacement,
        #: written start, written end, start time, end time).
        self._open: tuple[Replacement, int, int, float, float] | None = None
        #: When the last reported word ended (a skipped span is timed from there).
        self._last_end = 0.0

    def _source_offset(self, offset: int, *, end: bool) -> int:
        """Where an offset of the rewritten text falls in the written text (inside a
        replacement: its written start, or for an ``end`` offset its written end)."""
        replacements = self.rewrite.replacements
        # The last replacement starting before the offset (at it, for a start offset).
        i = (bisect.bisect_left if end else bisect.bisect_right)(self._starts, offset) - 1
        if i < 0:
            return offset
        r = replacements[i]
        if offset < r.target.end or (end and offset == r.target.end):
            return r.source.end if end else r.source.start
        return offset + r.source.end - r.target.end

    def _replacement(self, word: _Word) -> Replacement | None:
        """The first replacement the word overlaps (the replacements are in order)."""
        i = bisect.bisect_right(self._ends, word.start)
        replacements = self.rewrite.replacements
        if i < len(replacements) and replacements[i].target.start < word.end:
            return replacements[i]
        return None

    def _find(self, reported: str) -> int | None:
        core = _core(reported)
        if not core:
            return None
        for i in range(self._next, min(len(self._words), self._next + LOOKAHEAD)):
            if self._words[i].core == core:
                return i
        return None

    def feed(self, words: Iterable[WordTime]) -> list[WordTime]:
        """The written words for a batch of reported ones (a replaced span still open at
        the end of the batch waits for the next batch, or :meth:`flush`)."""
        out: list[WordTime] = []
        for text, start, end in words:
            i = self._find(text)
            if i is None:
                out.extend(self.flush())
                out.append((text, start, end))
                self._last_end = end
                continue
            out.extend(self._unreported(i, start))
            self._next = i + 1
            self._last_end = end
            word = self._words[i]
            replacement = self._replacement(word)
            if replacement is None:
                out.extend(self.flush())
                out.append((text, start, end))  # as reported, like any take's words
                continue
            a = self._source_offset(word.start, end=False)
            b = self._source_offset(word.end, end=True)
            if self._open is not None and self._open[0] is replacement:
                _, a0, _, t0, _ = self._open
                self._open = (replacement, a0, b, t0, end)
            else:
                out.extend(self.flush())
                self._open = (replacement, a, b, start, end)
            if word.end >= replacement.target.end:
                out.extend(self.flush())
        return out

    def _unreported(self, found: int, start: float) -> list[WordTime]:
        """Replaced spans the server skipped before word ``found`` (our test voice drops
        ``<< >>`` groups): the written word still shows, timed in the gap it left."""
        skipped: dict[int, list[_Word]] = {}
        for word in self._words[self._next:found]:
            replacement = self._replacement(word)
            if replacement is not None and (self._open is None
                                            or self._open[0] is not replacement):
                skipped.setdefault(id(replacement), []).append(word)
        if not skipped:
            return []
        out = self.flush()
        gap_start = out[-1][2] if out else self._last_end
        for group in skipped.values():
            a = self._source_offset(group[0].start, end=False)
            b = self._source_offset(group[-1].end, end=True)
            out.append((self.rewrite.source[a:b], min(gap_start, start), start))
        return out

    def flush(self) -> list[WordTime]:
        if self._open is None:
            return []
        _, a, b, start, end = self._open
        self._open = None
        return [(self.rewrite.source[a:b], start, end)]
