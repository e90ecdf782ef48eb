"""Blendshape expressivity: how far a face's 52 blendshape scores rise above the person's own
neutral in that video, and per-video blendshape figures.

The blendshapes are MediaPipe's appearance-based estimates of ARKit-style facial actions, each a
score in [0, 1] (not FACS action units coded by people). People differ in their resting scores
(a face at rest may score eyeSquint 0.4 and mouthSmile 0.1), so each score is read against the
person's neutral: its NEUTRAL_PERCENTILE-th percentile over the reference faces (usable faces
spread over the whole video, a baseline segment or a baseline video; measures/facial.py).

Per frame, for blendshape b with score s_b and neutral n_b: rise_b = max(0, s_b - n_b - BLENDSHAPE_NOISE).
BLENDSHAPE_NOISE (0.05) is the scores' own noise: the same still face moved rigidly in the image
changes them by up to about that much (measured on a rigid camera path over a still demo frame:
without it, that path scored 0.15 of real talk; with it, 0.04, real talk keeping ~80 %).
blendshape_expressivity_<region> is the mean rise of the region's blendshapes
(BLENDSHAPE_REGIONS), blendshape_expressivity the mean of the four regions (each region counts
the same, whatever its number of blendshapes). All are in [0, 1): 0 within the noise of the
neutral, near 1 only if every blendshape went from 0 to 1. Gaze (the eight eyeLook* scores) and `_neutral`
are left out: where a person looks is not a facial expression. Because the scores come from
the face's appearance in an aligned crop, a rigid move of the head or camera changes them far
less than it moves landmarks.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from expressiveness.face import BLENDSHAPE_COLUMNS, BLENDSHAPE_NAMES

BLENDSHAPE_REGIONS = {
    "brows": ("browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight"),
    "eyes": ("eyeBlinkLeft", "eyeBlinkRight", "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight"),
    "cheeks_nose": ("cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight"),
    "mouth_jaw": tuple(name for name in BLENDSHAPE_NAMES if name.startswith(("mouth", "jaw"))),
}
BLENDSHAPE_EXPRESSIVITY_COLUMNS = ("blendshape_expressivity",) + tuple(
    f"blendshape_expressivity_{region}" for region in BLENDSHAPE_REGIONS)
NEUTRAL_PERCENTILE = 10
BLENDSHAPE_NOISE = 0.05
_REGION_INDICES = [np.array([BLENDSHAPE_NAMES.index(name) for name in names]) for names in BLENDSHAPE_REGIONS.values()]


def neutral_scores(scores) -> np.ndarray:
    """The neutral (52,) of blendshape scores (faces, 52): each one's NEUTRAL_PERCENTILE-th
    percentile (numpy's linear)."""
    scores = np.asarray(scores, dtype="float64")
    if scores.ndim != 2 or scores.shape[1] != len(BLENDSHAPE_NAMES) or len(scores) == 0:
        raise ValueError(f"blendshape scores have shape {scores.shape}; expected (faces >= 1, "
                         f"{len(BLENDSHAPE_NAMES)}).")
    return np.percentile(scores, NEUTRAL_PERCENTILE, axis=0)


def blendshape_expressivity(scores: np.ndarray, neutral: np.ndarray) -> dict[str, float]:
    """BLENDSHAPE_EXPRESSIVITY_COLUMNS of one face's 52 scores against a neutral (module docstring)."""
    rise = np.maximum(np.asarray(scores, dtype="float64") - neutral - BLENDSHAPE_NOISE, 0.0)
    regions = [float(rise[indices].mean()) for indices in _REGION_INDICES]
    return dict(zip(BLENDSHAPE_EXPRESSIVITY_COLUMNS, [float(np.mean(regions)), *regions]))


BLENDSHAPE_ACTIVE = 0.5  # a blendshape counts as shown in a frame when its score is above this


def summarize_blendshapes(table: pd.DataFrame) -> dict[str, float]:
    """Per-video blendshape figures over the frames with landmarks (NaN when there is none):
    bs_<name>_mean, bs_<name>_p90 (numpy's linear percentile) and bs_<name>_share_above_0_5
    (share of those frames with a score above BLENDSHAPE_ACTIVE), for each of the 52 columns.
    A table without blendshape columns gives {}."""
    present = [column for column in BLENDSHAPE_COLUMNS if column in table.columns]
    if not present:
        return {}
    scores = table[present].to_numpy(dtype="float64")
    scores = scores[np.isfinite(scores).all(axis=1)]
    summary = {}
    for index, column in enumerate(present):
        values = scores[:, index]
        empty = values.size == 0
        summary[f"{column}_mean"] = math.nan if empty else float(values.mean())
        summary[f"{column}_p90"] = math.nan if empty else float(np.percentile(values, 90))
        summary[f"{column}_share_above_0_5"] = math.nan if empty else float((values > BLENDSHAPE_ACTIVE).mean())
    return summary
