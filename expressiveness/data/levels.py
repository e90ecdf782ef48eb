"""Level arithmetic and the participant split: a `facial_expression` score -> its expressiveness
level (the cut points in config.THRESHOLDS, or the data's tertiles), probabilities -> the
expected level, and records -> train, validation and test parts with no participant in two."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from expressiveness.config import LABELS, SEED, SPLIT_FRACTIONS, TARGET_SCORE, THRESHOLDS
from expressiveness.errors import DatasetError

SPLITS = ("train", "validation", "test")


def expressiveness_level(score: float, thresholds: tuple[float, float] = THRESHOLDS) -> str:
    """Level name of one `facial_expression` score.

    Reserved Expression if score < low; Balanced Expression if low <= score <= high;
    Expressive if score > high, compared in float64. A score that is not a finite number (NaN,
    infinite, an integer beyond float64, text) raises ValueError.
    """
    low, high = _check_thresholds(thresholds)
    if isinstance(score, bool) or not isinstance(score, (int, float, np.floating, np.integer)) \
            or not math.isfinite(_float(score)):
        raise ValueError(f"score is {score!r}; expected a finite number.")
    score = float(score)  # numpy would compare a float32 score with the cut points in float32
    if score < low:
        return LABELS[0]
    if score <= high:
        return LABELS[1]
    return LABELS[2]


def level_index(scores, thresholds: tuple[float, float] = THRESHOLDS) -> np.ndarray:
    """Vectorised level of many scores as class indices (int64, 0..2, in LABELS order). A score
    that is not a finite number raises ValueError."""
    low, high = _check_thresholds(thresholds)
    try:
        values = np.asarray(scores, dtype="float64")
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(f"scores cannot all be read as numbers ({error}); expected finite numbers.") from None
    if not np.all(np.isfinite(values)):
        bad = float(values[~np.isfinite(values)][0])
        raise ValueError(f"scores contain {bad!r}; expected finite numbers.")
    return np.where(values < low, 0, np.where(values <= high, 1, 2)).astype("int64")


def expressiveness_levels(scores, thresholds: tuple[float, float] = THRESHOLDS) -> pd.Series:
    """Vectorised `expressiveness_level`: a Series of level names (categorical, LABELS order)."""
    index = scores.index if isinstance(scores, pd.Series) else None
    codes = level_index(scores, thresholds)
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(LABELS)), index=index,
                     name="level")


def expected_level(probabilities) -> np.ndarray:
    """Probability-weighted level index in [0, 2] (0 Reserved, 1 Balanced, 2 Expressive) of
    level probabilities (..., 3) in LABELS order."""
    return np.asarray(probabilities, dtype="float64") @ np.arange(len(LABELS), dtype="float64")


def tertile_thresholds(scores) -> tuple[float, float]:
    """The 33.3rd and 66.7th percentiles of the scores (numpy's linear interpolation)."""
    try:
        values = np.asarray(scores, dtype="float64")
    except (TypeError, ValueError, OverflowError) as error:
        raise DatasetError(f"tertile_thresholds needs at least 3 finite scores; got scores that cannot all be "
                           f"read as numbers ({error}).") from None
    if values.size < 3 or not np.all(np.isfinite(values)):
        raise DatasetError(f"tertile_thresholds needs at least 3 finite scores; got {values.size} "
                         f"values ({int(np.sum(~np.isfinite(values)))} not finite).")
    with np.errstate(over="ignore"):
        low, high = np.percentile(values, [100 / 3, 200 / 3])
        if not (np.isfinite(low) and np.isfinite(high)):
            # Interpolating between scores near the float64 limit overflows; halved (exactly), they do not.
            low, high = 2 * np.percentile(values / 2, [100 / 3, 200 / 3])
    return float(low), float(high)


def _float(number) -> float:
    """float(number), or inf for an integer beyond float64."""
    try:
        return float(number)
    except OverflowError:
        return math.inf


def _check_thresholds(thresholds) -> tuple[float, float]:
    try:
        low, high = (float(value) for value in thresholds)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"thresholds is {thresholds!r}; expected two numbers (low, high).") from None
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(f"thresholds is {thresholds!r}; expected two finite numbers with low <= high.")
    return low, high


def participant_split(frame: pd.DataFrame, fractions: tuple[float, float, float] = SPLIT_FRACTIONS,
                      seed: int = SEED, thresholds: tuple[float, float] = THRESHOLDS) -> pd.Series:
    """Assign every record to "train", "validation" or "test" by participant (`user_no`).

    No participant is in two parts. Participants are stratified by the level of their mean
    `facial_expression` score: within each level they are shuffled with `seed`, and the
    validation and test places are spread evenly over the levels. Part sizes are
    round(fraction * participants), at least one each. Returns a Series aligned with `frame`.
    """
    if len(fractions) != 3 or any(not (0 < f < 1) for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(f"fractions is {tuple(fractions)!r}; expected three numbers in (0, 1) "
                         f"for train, validation and test that add up to 1.")
    person_score = frame.groupby("user_no", sort=True)[TARGET_SCORE].mean()
    participants = len(person_score)
    if participants < 3:
        raise DatasetError(f"participant_split needs at least 3 participants (one per part); the data "
                         f"has {participants} (user_no: {', '.join(map(repr, person_score.index))}).")
    n_validation = max(1, round(fractions[1] * participants))
    n_test = max(1, round(fractions[2] * participants))
    if participants - n_validation - n_test < 1:
        raise DatasetError(f"participant_split with fractions {tuple(fractions)!r} leaves no participant "
                         f"for training out of {participants}; add participants or change fractions.")
    rng = np.random.default_rng(seed)
    strata = level_index(person_score.to_numpy(), thresholds)
    ordered = []
    for level in range(len(LABELS)):
        members = list(person_score.index[strata == level])
        rng.shuffle(members)
        ordered.extend(members)
    part_of = {person: "train" for person in ordered}
    # Evenly spaced picks over the level-ordered list stratify the small parts.
    for part, count in (("test", n_test), ("validation", n_validation)):
        free = [person for person in ordered if part_of[person] == "train"]
        for k in range(count):
            part_of[free[int((k + 0.5) * len(free) / count)]] = part
    return frame["user_no"].map(part_of).rename("split")
