"""The moments of a video worth a look: its most expressive stretches of at least a second.

A moment is a window of MOMENT_S seconds inside one usable stretch (consecutive analysed frames
that are all usable, measures/quality.py, with a value): a face cut by the border, turned away or
lost never makes or joins a moment. Its value is the mean of the measure over the window's
frames; the highest windows are taken one by one, each not overlapping those taken before.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from expressiveness.measures.blendshapes import BLENDSHAPE_REGIONS
from expressiveness.measures.quality import usable_mask, usable_rows

MOMENT_S = 1.0
TOP_MOMENTS = 3
LANDMARK_REGIONS = ("brows", "eyes", "mouth")
LEADING_BLENDSHAPES = 3
EXPRESSION_COLUMNS = tuple(f"bs_{name}" for names in BLENDSHAPE_REGIONS.values() for name in names)  # no gaze


def _stretches(table: pd.DataFrame, measure: str) -> list[pd.DataFrame]:
    """Runs of consecutive rows (time order) that are usable and have a value of `measure`."""
    good = table[measure].notna().to_numpy() & usable_mask(table)
    runs, start = [], None
    for index, ok in enumerate(np.append(good, False)):
        if ok and start is None:
            start = index
        elif not ok and start is not None:
            runs.append(table.iloc[start:index])
            start = None
    return runs


def top_moments(table: pd.DataFrame, measure: str = "expressivity", count: int = TOP_MOMENTS,
                window_s: float = MOMENT_S, lowest: bool = False, avoid: list[dict] = ()) -> list[dict]:
    """Up to `count` highest (lowest: lowest), non-overlapping windows of `window_s` seconds of
    `measure` (module docstring), highest (lowest) first, none overlapping a moment in `avoid`:
    {start_s, end_s, value, leading_region, leading_blendshapes} and, when the table has the
    `speaking` column, speaking (true for most of the window's frames, null without sound).
    leading_region: the landmark region (brows, eyes, mouth) that deformed most in the window;
    leading_blendshapes: the LEADING_BLENDSHAPES expression blendshapes (not gaze) whose mean
    score in the window rose most above their median over the video's usable frames (only rises
    above 0). [] when no
    usable stretch lasts window_s."""
    if measure not in table.columns or "timestamp" not in table.columns or len(table) < 2:
        return []
    table = table.sort_values("timestamp", kind="stable").reset_index(drop=True)
    step_s = float(np.median(np.diff(table["timestamp"].to_numpy(dtype="float64"))))
    stretches = _stretches(table, measure)
    windows = []  # (value, start_s, end_s, stretch, first row, end row)
    for number, stretch in enumerate(stretches):
        times = stretch["timestamp"].to_numpy(dtype="float64")
        values = stretch[measure].to_numpy(dtype="float64")
        sums = np.concatenate([[0.0], np.cumsum(values)])
        # a window of frames [first, last): the frames shown for window_s seconds from the first
        ends = np.searchsorted(times, times + window_s - step_s / 2, side="right")
        for first, last in enumerate(ends):
            if times[first] + window_s <= times[-1] + step_s + 1e-9:  # the window lies inside the stretch
                windows.append(((sums[last] - sums[first]) / (last - first), times[first], times[first] + window_s,
                                number, first, last))
    windows.sort(key=lambda window: window[0] if lowest else -window[0])
    usual = usable_rows(table)
    bs_present = [column for column in EXPRESSION_COLUMNS if column in table.columns]
    median_bs = usual[bs_present].median() if bs_present else None
    chosen = []
    for value, start_s, end_s, number, first, last in windows:
        if len(chosen) == count:
            break
        if any(start_s < other["end_s"] and other["start_s"] < end_s for other in [*chosen, *avoid]):
            continue
        rows = stretches[number].iloc[first:last]
        chosen.append({"start_s": round(float(start_s), 3), "end_s": round(float(end_s), 3), "value": round(float(value), 4),
                       "leading_region": _leading_region(rows),
                       "leading_blendshapes": _leading_blendshapes(rows, bs_present, median_bs)})
        if "speaking" in rows.columns:  # the sound's voice activity was read (audio on)
            chosen[-1]["speaking"] = _speaking(rows["speaking"])
    return chosen


def _speaking(speaking: pd.Series) -> bool | None:
    """True when more than half of the moment's frames are speaking, None when none has sound."""
    if speaking.notna().sum() == 0:
        return None
    return bool((speaking == 1).sum() > len(speaking) / 2)


def _leading_region(rows: pd.DataFrame) -> str | None:
    means = {region: rows.get(f"expressivity_{region}", pd.Series(dtype="float64")).mean() for region in LANDMARK_REGIONS}
    means = {region: value for region, value in means.items() if isinstance(value, float) and math.isfinite(value)}
    return max(means, key=means.get) if means else None


def _leading_blendshapes(rows: pd.DataFrame, present: list[str], median_bs) -> list[str]:
    if not present:
        return []
    rise = (rows[present].mean() - median_bs).dropna()
    rise = rise[rise > 0].sort_values(ascending=False, kind="stable")
    return [column[3:] for column in rise.index[:LEADING_BLENDSHAPES]]
