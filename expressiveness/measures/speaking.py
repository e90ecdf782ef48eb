"""Speaking and listening: which frames each side of the split holds, and how long it lasts
(numpy and pandas only).

The per-frame `speaking` column (audio/align.py) is 1.0 where the recording holds speech, 0.0
where it holds sound without speech and NaN where there is no sound. A frame is on the speaking
side when speaking == 1, on the listening side when speaking == 0, on neither without sound.
It is voice activity in the recording, not who speaks: an interviewer's question counts as
speech too.

A side's figures need MIN_SIDE_USABLE_S usable seconds (the time its usable frames stand for,
measures/timebase.frame_durations, on the whole video's time base). Why 3.0 s: at 30 frames/s
that is 90 frames, so a 90th percentile rests on 9 frames above it rather than one or two, and
it holds three of the 1-s windows the moments are cut in; an answer in RecruitView lasts 30 s to
2 min, so a side shorter than 3 s is a few words or a breath, not a way of speaking or
listening. Blinks are the roughest figure at that length (a person blinks every 3-4 s): read
blinks_per_minute of a short side with care.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from expressiveness.measures.quality import usable_mask

MIN_SIDE_USABLE_S = 3.0
SIDES = {"speaking": 1.0, "listening": 0.0}  # side: its value of the speaking column

# speech_split's status: the sides were made, there is no sound to split by, or the sound holds no speech.
SPLIT_OK, NO_SOUND, NO_SPEECH = "ok", "no_sound", "no_speech"


def side_mask(table: pd.DataFrame, side: str) -> np.ndarray:
    """(n,) bool: the rows of a per-frame table on one side (SIDES), usable or not; all False
    without a speaking column."""
    if side not in SIDES:
        raise ValueError(f"side is {side!r}; expected one of {', '.join(SIDES)}.")
    if "speaking" not in table.columns:
        return np.zeros(len(table), dtype=bool)
    return table["speaking"].to_numpy(dtype="float64") == SIDES[side]


def side_seconds(table: pd.DataFrame, durations: np.ndarray) -> dict[str, float]:
    """{side: usable seconds} from the per-frame durations (timebase.frame_durations of the
    whole table, in its row order): the time the usable frames of each side stand for."""
    usable = usable_mask(table)
    return {side: float(np.asarray(durations)[usable & side_mask(table, side)].sum()) for side in SIDES}


def split_status(table: pd.DataFrame) -> str:
    """NO_SOUND when no frame has sound, NO_SPEECH when no frame with sound is speaking, else SPLIT_OK."""
    if "speaking" not in table.columns or not table["speaking"].notna().any():
        return NO_SOUND
    return SPLIT_OK if side_mask(table, "speaking").any() else NO_SPEECH


def side_note(side: str, status: str, usable_s: float, minimum_s: float = MIN_SIDE_USABLE_S) -> str | None:
    """Why a side has no figures, in plain words; None when it has them."""
    if status == NO_SOUND:
        return "no sound to tell speaking from listening"
    if status == NO_SPEECH and side == "speaking":
        return "no speech in the sound"
    if usable_s < minimum_s:
        return f"{usable_s:.1f} usable seconds of {side}, under the {minimum_s:.1f} s minimum"
    return None
