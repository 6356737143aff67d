"""One way to write a time everywhere a designer reads one: m:ss.s, h:mm:ss.s past an hour."""

from __future__ import annotations

import math


def format_time(seconds: float, *, decimals: int = 1) -> str:
    """``0:03.4``, ``12:00.0``, ``1:02:03.5``; negative times get a leading minus."""
    if not math.isfinite(seconds):
        return "–"
    sign = "-" if seconds < 0 else ""
    scale = 10 ** decimals
    # Rounded once, in whole units of the last digit, so 59.96 s is 1:00.0, not 0:60.0.
    units = round(abs(seconds) * scale)
    whole, frac = divmod(units, scale)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f".{frac:0{decimals}d}" if decimals else ""
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}{tail}"
    return f"{sign}{minutes}:{secs:02d}{tail}"
