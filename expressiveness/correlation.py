"""Rank agreement between answers and human ratings: Spearman correlations, with 95% intervals
that resample participants (clips of one person are not independent), at clip and at
participant level. Used by validate, evaluate and the model comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd

from expressiveness.config import BOOTSTRAP_SAMPLES, SEED, TARGET_SCORE


def spearman(values, scores) -> float | None:
    """Spearman rank correlation, or None when it is undefined (fewer than 3 pairs, or one side
    constant). Pairs with a missing value are left out."""
    values, scores = np.asarray(values, dtype="float64"), np.asarray(scores, dtype="float64")
    keep = np.isfinite(values) & np.isfinite(scores)
    values, scores = values[keep], scores[keep]
    if len(values) < 3 or np.all(values == values[0]) or np.all(scores == scores[0]):
        return None
    # scipy.stats.spearmanr's own arithmetic (average ranks, then np.corrcoef), bit for bit,
    # without its input checks: the bootstrap calls this thousands of times per answer.
    ranks = np.column_stack((_average_ranks(values), _average_ranks(scores)))
    return float(np.corrcoef(ranks, rowvar=False)[1, 0])


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a 1-D float64 array, ties given their mean rank (scipy.stats.rankdata's
    "average" method, computed the same way)."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]]
    dense = first.cumsum()[np.argsort(order, kind="mergesort")]
    bounds = np.r_[np.nonzero(first)[0], len(first)]
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def bootstrap_spearman(values, scores, groups, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> list | None:
    """95% percentile interval [low, high] of the Spearman correlation when whole groups
    (participants) are resampled with replacement; None when fewer than 3 groups or fewer than
    half the resamples give a defined correlation."""
    frame = pd.DataFrame({"value": np.asarray(values, dtype="float64"), "score": np.asarray(scores, dtype="float64"),
                          "group": np.asarray(groups)})
    members = [part.index.to_numpy() for _, part in frame.groupby("group", sort=True)]
    if len(members) < 3:
        return None
    rng = np.random.default_rng(seed)
    value, score = frame["value"].to_numpy(), frame["score"].to_numpy()
    estimates = []
    for _ in range(samples):
        rows = np.concatenate([members[index] for index in rng.integers(len(members), size=len(members))])
        estimate = spearman(value[rows], score[rows])
        if estimate is not None:
            estimates.append(estimate)
    if len(estimates) < samples / 2:
        return None
    low, high = np.percentile(estimates, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


def correlate(clips: pd.DataFrame, answer: str, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> dict:
    """Spearman of one answer column with facial_expression: per clip (with the participant
    bootstrap interval) and per participant (each person's mean of both). clips has columns
    answer, TARGET_SCORE and user_no; rows with a missing answer are left out and counted."""
    usable = clips[[answer, TARGET_SCORE, "user_no"]].astype({answer: "float64"})
    usable = usable[np.isfinite(usable[answer])]
    people = usable.groupby("user_no")[[answer, TARGET_SCORE]].mean()
    clip_rho = spearman(usable[answer], usable[TARGET_SCORE])
    person_rho = spearman(people[answer], people[TARGET_SCORE])
    return {"answer": answer, "clips": int(len(usable)), "participants": int(len(people)),
            "clip_spearman": None if clip_rho is None else round(clip_rho, 4),
            "clip_spearman_ci95": bootstrap_spearman(usable[answer], usable[TARGET_SCORE], usable["user_no"],
                                                     samples, seed),
            "participant_spearman": None if person_rho is None else round(person_rho, 4)}
