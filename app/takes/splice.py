"""A retake spliced into a take: some of its words replaced by the same words said again.

Pure computation on two finished takes (no I/O). Words ``first..last`` of the
take give way to words ``v_first..v_last`` of the variant. Each cut lies in the
silence around the span, where a listener hears nothing to miss: in the middle of
the gap between two words (at the word edge when they touch), moved to the
nearest zero crossing within :data:`ZERO_SEARCH_SECONDS`. Each joint is an
equal-power crossfade of :data:`CROSSFADE_SECONDS` centred on the cut, so the
result is exactly as long as the parts kept. Word and phoneme timings follow the
audio: those before the span stay, the variant's move into place, those after
shift by the change in length. The new take remembers its parent and its parts
(:class:`~app.takes.take.Origin`), composed with the parent's own when the parent
was spliced already.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from app.audio.codecs import Float32Array
from app.takes.errors import SpliceError
from app.takes.take import Origin, Segment, Take, TakeStatus
from app.takes.timings import Timing

#: Each joint's crossfade: long enough to hide a step between two recordings' room
#: tone, short enough to fit in the pause between two words.
CROSSFADE_SECONDS = 0.008
#: How far a cut may move to reach a zero crossing (a few ms: within the same pause).
ZERO_SEARCH_SECONDS = 0.004


@dataclass(frozen=True)
class Cut:
    """Where the span begins and ends in one take, in frames."""

    start: int
    end: int


@dataclass(frozen=True)
class SpliceResult:
    """The spliced take, and where the new words lie in it (seconds)."""

    take: Take
    span_start: float
    span_end: float
    #: The cuts made in the take and in the variant (frames).
    cut: Cut
    variant_cut: Cut


def splice(take: Take, first_word: int, last_word: int, variant: Take, v_first: int,
           v_last: int, *, crossfade: float = CROSSFADE_SECONDS,
           zero_search: float = ZERO_SEARCH_SECONDS) -> SpliceResult:
    """Words ``first_word..last_word`` of ``take`` replaced by words ``v_first..v_last``
    of ``variant`` (both inclusive); :class:`SpliceError` when the two cannot be
    joined (another sample rate, a word out of range, audio not kept)."""
    _check(take, first_word, last_word, "the take")
    _check(variant, v_first, v_last, "the retake")
    if take.sample_rate != variant.sample_rate:
        raise SpliceError(f"the retake is at {variant.sample_rate} Hz and the take at "
                          f"{take.sample_rate} Hz: both must have the same sample rate")
    a, b = take.samples, variant.samples
    rate = take.sample_rate
    search = max(0, round(zero_search * rate))
    cut = word_cut(a, rate, take.words, first_word, last_word, search)
    v_cut = word_cut(b, rate, variant.words, v_first, v_last, search)
    half = max(0, round(crossfade * rate / 2))
    samples = _join(a, cut, b, v_cut, half)

    length = v_cut.end - v_cut.start
    shift_in = (cut.start - v_cut.start) / rate  # the variant's time → the new take's
    shift_after = (length - (cut.end - cut.start)) / rate
    t0, t1 = cut.start / rate, cut.end / rate
    v0, v1 = v_cut.start / rate, v_cut.end / rate
    words = (take.words[:first_word]
             + _shifted(variant.words[v_first:v_last + 1], shift_in)
             + _shifted(take.words[last_word + 1:], shift_after))
    phonemes = (_within(take.phonemes, 0.0, t0, 0.0)
                + _within(variant.phonemes, v0, v1, shift_in)
                + _within(take.phonemes, t1, float("inf"), shift_after))
    span_start, span_end = t0, t0 + length / rate
    segments = (_segments_of(take, 0.0, t0, 0.0)
                + _segments_of(variant, v0, v1, span_start)
                + _segments_of(take, t1, take.duration, span_end))
    new = Take.from_audio(replace(take.settings), samples, words, phonemes,
                          name=take.name, status=TakeStatus.DONE,
                          origin=Origin(take.id, _merged(segments)))
    return SpliceResult(new, span_start, span_end, cut, v_cut)


def _check(take: Take, first: int, last: int, what: str) -> None:
    if not take.keep_audio:
        raise SpliceError(f"{what}'s audio was not kept: it cannot be spliced")
    if not 0 <= first <= last < len(take.words):
        raise SpliceError(f"{what} has {len(take.words)} words: words {first + 1} to "
                          f"{last + 1} are not all in it")


def word_span(take: Take, first: int, last: int) -> tuple[float, float]:
    """Seconds from the start of word ``first`` to the end of word ``last``."""
    return take.words[first].start, take.words[last].end


def word_cut(samples: Float32Array, rate: int, words: Sequence[Timing], first: int,
             last: int, search: int) -> Cut:
    """The frames where a span of words is cut out: in the gap before its first word
    and after its last (the middle of the pause, the edge when words touch), each
    moved to the nearest zero crossing within ``search`` frames; the take's own start
    or end around its first or last word."""
    n = len(samples)
    # Around a take's first and last words the silence belongs to the span: replacing
    # them all gives the retake as it is, its own start and end included.
    start = 0 if first == 0 else _to_zero(
        samples, _gap_point(words[first - 1].end, words[first].start, rate, n), search)
    end = n if last + 1 == len(words) else _to_zero(
        samples, _gap_point(words[last].end, words[last + 1].start, rate, n), search)
    return Cut(start, max(start, end))


def _gap_point(gap_start: float, gap_end: float, rate: int, n: int) -> int:
    """The middle of a pause; its start when the words overlap (timestamps can)."""
    middle = (gap_start + max(gap_start, gap_end)) / 2
    return max(0, min(n, round(middle * rate)))


def _to_zero(samples: Float32Array, frame: int, search: int) -> int:
    """The nearest frame within ``search`` where the wave crosses (or touches) zero;
    the quietest frame there when it does not cross."""
    n = len(samples)
    if search <= 0 or n < 2 or frame in (0, n):
        return frame
    lo, hi = max(1, frame - search), min(n - 1, frame + search)
    if lo > hi:
        return frame
    window = samples[lo - 1:hi + 1].astype(np.float64)
    # A crossing "at" frame i: the wave changes sign (or is zero) between i-1 and i.
    crossing = np.flatnonzero(window[:-1] * window[1:] <= 0.0) + lo
    if len(crossing):
        return int(crossing[np.argmin(np.abs(crossing - frame))])
    return int(lo + np.argmin(np.abs(window[1:])))


def _join(a: Float32Array, cut: Cut, b: Float32Array, v_cut: Cut, half: int
          ) -> Float32Array:
    """``a`` before its cut, ``b`` between its cuts, ``a`` after: each joint an
    equal-power crossfade centred on the cut (narrower where a take ends)."""
    head, middle, tail = a[:cut.start], b[v_cut.start:v_cut.end], a[cut.end:]
    out = np.concatenate([head, middle, tail]).astype(np.float32)
    # The joint at the span's start: a fades out over b's frames around its cut.
    h = min(half, cut.start, v_cut.start, len(a) - cut.start, len(b) - v_cut.start,
            len(middle) // 2)
    if h > 0:
        at = cut.start
        out[at - h:at + h] = _crossfade(a[cut.start - h:cut.start + h],
                                        b[v_cut.start - h:v_cut.start + h])
    h = min(half, cut.end, v_cut.end, len(a) - cut.end, len(b) - v_cut.end,
            len(middle) // 2)
    if h > 0:
        at = cut.start + len(middle)
        out[at - h:at + h] = _crossfade(b[v_cut.end - h:v_cut.end + h],
                                        a[cut.end - h:cut.end + h])
    return out


def _crossfade(leaving: Float32Array, entering: Float32Array) -> Float32Array:
    """Equal power: the gains' squares sum to one, so uncorrelated room tone keeps
    its level through the joint."""
    t = (np.arange(len(leaving), dtype=np.float64) + 0.5) / len(leaving)
    mixed = leaving * np.cos(t * np.pi / 2) + entering * np.sin(t * np.pi / 2)
    return mixed.astype(np.float32)


def _shifted(items: Sequence[Timing], by: float) -> list[Timing]:
    return [Timing(t.text, t.start + by, t.end + by) for t in items]


def _within(items: Sequence[Timing], start: float, end: float, by: float) -> list[Timing]:
    """The timings whose middle lies in ``start..end``, shifted by ``by``."""
    return [Timing(t.text, t.start + by, t.end + by) for t in items
            if start <= (t.start + t.end) / 2 < end]


def segments(take: Take) -> tuple[Segment, ...]:
    """Where each part of ``take`` came from (all of it its own when not spliced)."""
    if take.origin is not None:
        return take.origin.segments
    return (Segment(0.0, take.duration, take.id, 0.0),)


def retaken_parts(take: Take) -> list[tuple[float, float]]:
    """The stretches (seconds) of a spliced take that came from retakes: every part not
    from the source most of it came from (its first generation). Empty when unspliced."""
    origin = take.origin
    if origin is None:
        return []
    length: dict[str, float] = {}
    for s in origin.segments:
        length[s.source_take_id] = length.get(s.source_take_id, 0.0) + s.end - s.start
    base = max(length, key=lambda k: length[k])
    return [(s.start, s.end) for s in origin.segments if s.source_take_id != base]


def _segments_of(take: Take, start: float, end: float, at: float) -> list[Segment]:
    """The parts of ``take`` between ``start`` and ``end`` seconds, placed from ``at``."""
    out = []
    for s in segments(take):
        a, b = max(s.start, start), min(s.end, end)
        if b > a:
            out.append(Segment(a - start + at, b - start + at, s.source_take_id,
                               s.source_start + (a - s.start)))
    return out


def _merged(parts: list[Segment]) -> tuple[Segment, ...]:
    """Neighbours that continue the same source are one part."""
    out: list[Segment] = []
    for s in parts:
        last = out[-1] if out else None
        if (last is not None and last.source_take_id == s.source_take_id
                and abs(last.source_start + (last.end - last.start) - s.source_start) < 1e-6):
            out[-1] = Segment(last.start, s.end, last.source_take_id, last.source_start)
        else:
            out.append(s)
    return tuple(out)
