"""The moment rules (measures/moments.py) on hand-built per-frame tables, every expected moment
worked out by hand.

At 10 frames per second a one-second window from frame k holds frames k..k+9 (those shown for a
second from frame k's time: times up to t_k + 1 - half a step); it lies inside its usable
stretch when t_k + 1 <= the stretch's last time + one step, so a stretch needs 10 frames.
"""

import numpy as np
import pandas as pd

from expressiveness.measures.moments import EXPRESSION_COLUMNS, top_moments


def frames(values, fps: float = 10.0, **columns) -> pd.DataFrame:
    """One row per analysed frame at `fps`: timestamp (s), expressivity = values, then `columns`."""
    table = pd.DataFrame({"timestamp": np.arange(len(values)) / fps, "expressivity": np.asarray(values, "float64")})
    for name, column in columns.items():
        table[name] = column
    return table


def moment(start_s, end_s, value, leading_region=None, leading_blendshapes=()):
    return {"start_s": start_s, "end_s": end_s, "value": value, "leading_region": leading_region,
            "leading_blendshapes": list(leading_blendshapes)}


def test_a_moment_is_the_mean_of_the_frames_shown_for_one_second():
    table = frames(np.arange(15.0))  # 0..14 at 0.0..1.4 s: six windows, from 0.0 to 0.5 s
    assert top_moments(table) == [moment(0.5, 1.5, 9.5)]  # frames 5..14; every other window overlaps it
    assert top_moments(table, lowest=True) == [moment(0.0, 1.0, 4.5)]  # frames 0..9
    # Half-second windows (frames k..k+4, k = 0..10), highest first, each touching the one before.
    assert top_moments(table, window_s=0.5) == [moment(1.0, 1.5, 12.0), moment(0.5, 1.0, 7.0), moment(0.0, 0.5, 2.0)]
    assert top_moments(table, window_s=0.5, count=2) == [moment(1.0, 1.5, 12.0), moment(0.5, 1.0, 7.0)]
    assert top_moments(table, window_s=0.5, count=0) == []


def stretches_table() -> pd.DataFrame:
    """32 frames at 10 per second: frames 0-9 usable (exactly 1 s, value 1), frame 10 not usable
    (value 50), frames 11-19 usable but only 0.9 s (value 9), frame 20 without a value, frames
    21-31 usable (1.1 s, value 2)."""
    values = np.r_[np.full(10, 1.0), 50.0, np.full(9, 9.0), np.nan, np.full(11, 2.0)]
    usable = np.ones(32)
    usable[10] = 0
    return frames(values, usable=usable)


def test_a_moment_lies_inside_one_usable_stretch_of_at_least_a_second():
    table = stretches_table()
    # Frames 21-31 allow windows from 2.1 and 2.2 s (a tie: the earlier wins); 2.2 overlaps it.
    assert top_moments(table) == [moment(2.1, 3.1, 2.0), moment(0.0, 1.0, 1.0)]
    assert top_moments(table, lowest=True) == [moment(0.0, 1.0, 1.0), moment(2.1, 3.1, 2.0)]
    # A frame whose usable is missing is not usable either.
    assert top_moments(table.assign(usable=table["usable"].replace(0, np.nan))) == top_moments(table)
    # Without the usable column every frame with a value counts: frames 10-19, (50 + 9 x 9) / 10.
    assert top_moments(table.drop(columns="usable"), count=1) == [moment(1.0, 2.0, 13.1)]
    # Only the 0.9 s stretch left: no moment.
    assert top_moments(table.assign(usable=np.r_[np.zeros(11), np.ones(9), np.zeros(12)])) == []


def test_a_stretch_of_exactly_one_second_counts_wherever_it_falls():
    """Frames 32-41 (3.2 to 4.1 s): in floating point 3.2 + 1 is just above 4.1 + 0.1."""
    usable = np.zeros(45)
    usable[32:42] = 1
    assert top_moments(frames(np.arange(45.0), usable=usable)) == [moment(3.2, 4.2, 36.5)]
    usable[32] = 0  # 0.9 s
    assert top_moments(frames(np.arange(45.0), usable=usable)) == []


def ranking_table() -> pd.DataFrame:
    """40 frames at 10 per second, value 3 in frames 5-14, 2 in 20-29, 1 in 30-39, else 0."""
    values = np.zeros(40)
    values[5:15], values[20:30], values[30:40] = 3.0, 2.0, 1.0
    return frames(values)


def test_the_highest_windows_are_taken_one_by_one_without_overlap():
    table = ranking_table()
    expected = [moment(0.5, 1.5, 3.0), moment(2.0, 3.0, 2.0), moment(3.0, 4.0, 1.0)]  # the last two touch
    assert top_moments(table) == expected
    assert top_moments(table, count=2) == expected[:2]
    assert top_moments(table, count=5) == expected  # nothing else fits between them
    # Avoiding 1.4-2.1 s: frames 4-13 (27 / 10) touch it, frames 21-30 ((9 x 2 + 1) / 10) follow it.
    assert top_moments(table, avoid=[{"start_s": 1.4, "end_s": 2.1}]) == [moment(0.4, 1.4, 2.7),
                                                                          moment(2.1, 3.1, 1.9)]
    assert top_moments(table, avoid=[{"start_s": 3.0, "end_s": 4.0}]) == expected[:2]  # touching is no overlap
    # Lowest: frames 15-24 ((5 x 0 + 5 x 2) / 10) and 30-39 tie at 1 (the earlier first); then, before
    # 1.5 s, frames 0-9 ((5 x 0 + 5 x 3) / 10).
    assert top_moments(table, lowest=True) == [moment(1.5, 2.5, 1.0), moment(3.0, 4.0, 1.0), moment(0.0, 1.0, 1.5)]


def test_ties_go_to_the_earliest_window():
    table = frames(np.ones(30))  # 21 windows, all worth 1
    expected = [moment(0.0, 1.0, 1.0), moment(1.0, 2.0, 1.0), moment(2.0, 3.0, 1.0)]
    assert top_moments(table) == expected
    assert top_moments(table, lowest=True) == expected


def test_times_are_rounded_to_the_millisecond_and_values_to_four_decimals():
    """At 30 frames per second: a window holds 30 frames; frames 7-36 are worth 1/3, the rest 0."""
    values = np.zeros(45)
    values[7:37] = 1 / 3
    assert top_moments(frames(values, fps=30.0), count=1) == [moment(0.233, 1.233, 0.3333)]


def test_a_frame_half_a_step_before_the_end_is_in_the_window():
    """Frames every 0.1 s and one more at 0.95 s (value 11, the rest 0): the window from 0 s holds
    the frames shown before 1 s, those up to 1 - 0.1 / 2 = 0.95 s, so 11 frames."""
    times = np.r_[np.arange(10) / 10, 0.95, np.arange(10, 20) / 10]
    values = np.r_[np.zeros(10), 11.0, np.zeros(10)]
    table = pd.DataFrame({"timestamp": times, "expressivity": values})
    assert top_moments(table, count=1) == [moment(0.0, 1.0, 1.0)]  # (10 x 0 + 11) / 11
    # At 0.96 s it is shown mostly after 1 s: the first window that holds it starts at 0.1 s
    # (frames 0.1-0.9, 0.96 and 1.0), tied with the one from 0.96 s.
    table["timestamp"] = np.r_[np.arange(10) / 10, 0.96, np.arange(10, 20) / 10]
    assert top_moments(table, count=1) == [moment(0.1, 1.1, 1.0)]


def test_rows_in_any_order_and_tables_too_short():
    table = stretches_table()
    assert top_moments(table.sample(frac=1.0, random_state=1)) == top_moments(table)
    assert top_moments(frames([4.0, 6.0], fps=2.0)) == [moment(0.0, 1.0, 5.0)]  # two frames half a second apart
    assert top_moments(frames([4.0], fps=2.0)) == []
    assert top_moments(table.drop(columns="expressivity")) == []
    assert top_moments(table.drop(columns="timestamp")) == []
    other = table.assign(blendshape_expressivity=table["expressivity"] * 2)
    assert top_moments(other, measure="blendshape_expressivity", count=1) == [moment(2.1, 3.1, 4.0)]


def regions_table(**regions) -> pd.DataFrame:
    """22 frames at 10 per second; the top window is frames 10-19 (value 5)."""
    values = np.r_[np.ones(10), np.full(10, 5.0), 0.0, 0.0]
    return frames(values, **{f"expressivity_{region}": column for region, column in regions.items()})


def around_the_window(before, inside, after):
    """Frames 0-9 `before`, 10-19 `inside`, 20-21 `after`."""
    return np.r_[np.full(10, before), np.full(10, inside), np.full(2, after)]


def test_the_leading_region_deformed_most_in_the_window():
    table = regions_table(brows=around_the_window(0.0, 1.0, 100.0), eyes=around_the_window(100.0, 2.0, 0.0),
                          mouth=around_the_window(0.0, 3.0, 0.0))
    assert top_moments(table, count=1) == [moment(1.0, 2.0, 5.0, "mouth")]  # the frames next to it do not count
    tie = table.assign(expressivity_eyes=around_the_window(0.0, 3.0, 0.0))
    assert top_moments(tie, count=1)[0]["leading_region"] == "eyes"  # eyes before mouth on a tie
    tie = tie.assign(expressivity_brows=around_the_window(0.0, 3.0, 0.0))
    assert top_moments(tie, count=1)[0]["leading_region"] == "brows"  # brows, eyes, mouth
    assert top_moments(table.drop(columns="expressivity_mouth"), count=1)[0]["leading_region"] == "eyes"
    unknown = table.assign(expressivity_mouth=np.nan)
    assert top_moments(unknown, count=1)[0]["leading_region"] == "eyes"  # no value: not a candidate
    assert top_moments(unknown.assign(expressivity_brows=np.nan, expressivity_eyes=np.nan),
                       count=1)[0]["leading_region"] is None


def test_the_leading_blendshapes_rose_most_above_the_usable_median():
    """40 frames: 0-29 usable, the top window frames 10-19; frames 30-39 not usable (value 100).
    Medians over the 30 usable frames are the values outside the window (20 of 30)."""
    values = np.r_[np.ones(10), np.full(10, 5.0), np.ones(10), np.full(10, 100.0)]
    usable = np.r_[np.ones(30), np.zeros(10)]

    def score(outside, inside, unusable=None):
        return np.r_[np.full(10, outside), np.full(10, inside), np.full(10, outside),
                     np.full(10, outside if unusable is None else unusable)]

    table = frames(values, usable=usable,
                   bs_mouthSmileRight=score(0.2, 0.5),  # rise 0.3, columns in reverse order on purpose
                   bs_mouthSmileLeft=score(0.2, 0.5),  # rise 0.3: ties keep the blendshapes' order
                   bs_jawOpen=score(0.1, 0.6, unusable=0.9),  # rise 0.5 (0.25 were the unusable frames counted)
                   bs_browInnerUp=score(0.0, 0.2),  # rise 0.2: fourth, left out
                   bs_eyeLookUpLeft=score(0.0, 0.9),  # gaze: not an expression
                   bs_eyeBlinkLeft=score(0.5, 0.2),  # fell
                   bs_cheekPuff=score(0.25, 0.25))  # did not rise (exactly 0: not listed)
    leading = ["jawOpen", "mouthSmileLeft", "mouthSmileRight"]
    assert top_moments(table, count=1) == [moment(1.0, 2.0, 5.0, None, leading)]
    only_falls = table[["timestamp", "expressivity", "usable", "bs_eyeBlinkLeft", "bs_cheekPuff"]]
    assert top_moments(only_falls, count=1)[0]["leading_blendshapes"] == []


def test_many_tied_blendshapes_keep_their_order():
    """Every expression blendshape rises in the window: the 27 of the mouth and jaw by 0.5, the others
    by 0.25. The first three mouth and jaw ones, in MediaPipe's order, lead."""
    values = np.r_[np.ones(10), np.full(10, 5.0), np.ones(10)]
    rises = {column: (0.5 if column[3:].startswith(("mouth", "jaw")) else 0.25) for column in EXPRESSION_COLUMNS}
    table = frames(values, **{column: np.r_[np.zeros(10), np.full(10, rise), np.zeros(10)]
                              for column, rise in rises.items()})
    assert top_moments(table, count=1)[0]["leading_blendshapes"] == ["jawForward", "jawLeft", "jawOpen"]
