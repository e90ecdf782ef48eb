"""Numbers of a summary as the report writes them: a finite value or None (number), a share in
percent (percent). Shared by findings.py and speech_words.py."""

from __future__ import annotations

import math


def number(summary: dict, key: str) -> float | None:
    """summary[key] when it is a finite number (not a bool), else None."""
    value = summary.get(key)
    finite = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return value if finite else None


def percent(share) -> str:
    """0.4286 -> "43%"; never rounds a share that is not 0 or 1 to "0%" or "100%"."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "n/a"
    if 0 < share < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{share:.0%}"
