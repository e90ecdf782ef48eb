"""Rank agreement between answers and human ratings: Spearman correlations, plain and partial
(other ratings held constant), with 95% intervals that resample participants (clips of one
person are not independent), at clip and at participant level. Used by validate, evaluate and
the model comparison."""

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


def partial_spearman(values, scores, controls) -> float | None:
    """Spearman partial correlation of values and scores with the control columns held
    constant: the average ranks of values and of scores are each regressed on the average ranks
    of the controls (least squares, with an intercept), and the Pearson correlation of the two
    residuals is returned, in [-1, 1]. values, scores: n numbers; controls: shape (n, k), k >= 0
    (k = 0 gives the plain Spearman rho, given 3 distinct pairs). Rows with any missing value are left out. None when it
    is undefined: fewer than k + 3 complete rows, values or scores constant, fewer than 2
    dimensions left to the residuals (distinct rows minus the rank of [1, controls]), or a side
    the controls explain entirely (its residuals are all 0)."""
    values, scores = np.asarray(values, dtype="float64"), np.asarray(scores, dtype="float64")
    controls = np.asarray(controls, dtype="float64").reshape(len(values), -1)
    keep = np.isfinite(values) & np.isfinite(scores) & np.isfinite(controls).all(axis=1)
    values, scores, controls = values[keep], scores[keep], controls[keep]
    if len(values) < controls.shape[1] + 3 or np.all(values == values[0]) or np.all(scores == scores[0]):
        return None
    sides = np.column_stack([_average_ranks(values), _average_ranks(scores)])
    design = np.column_stack([np.ones(len(values)), *(_average_ranks(column) for column in controls.T)])
    coefficients, _, rank, _ = np.linalg.lstsq(design, sides, rcond=None)
    # Residuals live in (distinct rows - rank) dimensions; with fewer than 2 they are +-1 or 0 by
    # construction (a participant resample repeats clips, so this can happen with n >= k + 3).
    if len(np.unique(np.column_stack([values, scores, controls]), axis=0)) - rank < 2:
        return None
    residuals = sides - design @ coefficients
    residuals -= residuals.mean(axis=0)  # 0 already with the intercept; this removes rounding
    # Relative to the spread of the ranks themselves: below it the residual is rounding noise.
    spread = np.linalg.norm(residuals, axis=0)
    if np.any(spread <= 1e-9 * np.linalg.norm(sides - sides.mean(axis=0), axis=0)):
        return None
    return float(np.clip(residuals[:, 0] @ residuals[:, 1] / (spread[0] * spread[1]), -1.0, 1.0))


def bootstrap_by_group(statistic, columns, groups, samples: int = BOOTSTRAP_SAMPLES,
                       seed: int = SEED) -> list | None:
    """95% percentile interval [low, high] of statistic(*columns) when whole groups
    (participants) are resampled with replacement: each resample draws as many groups as there
    are, with numpy's default_rng(seed), groups in sorted order. columns: arrays of one row per
    clip (1-d or 2-d), groups: each row's group. statistic returns a float or None (undefined).
    None when fewer than 3 groups or fewer than half the resamples give a defined value."""
    columns = [np.asarray(column, dtype="float64") for column in columns]
    members = [part.to_numpy() for _, part in
               pd.Series(np.arange(len(columns[0]))).groupby(np.asarray(groups), sort=True)]
    if len(members) < 3:
        return None
    rng = np.random.default_rng(seed)
    estimates = []
    for _ in range(samples):
        rows = np.concatenate([members[index] for index in rng.integers(len(members), size=len(members))])
        estimate = statistic(*(column[rows] for column in columns))
        if estimate is not None:
            estimates.append(estimate)
    if len(estimates) < samples / 2:
        return None
    low, high = np.percentile(estimates, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


def bootstrap_spearman(values, scores, groups, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> list | None:
    """95% percentile interval [low, high] of the Spearman correlation when whole groups
    (participants) are resampled with replacement; None when fewer than 3 groups or fewer than
    half the resamples give a defined correlation."""
    return bootstrap_by_group(spearman, [values, scores], groups, samples, seed)


def bootstrap_partial_spearman(values, scores, controls, groups, samples: int = BOOTSTRAP_SAMPLES,
                               seed: int = SEED) -> list | None:
    """The participant-resampled 95% interval of partial_spearman, drawn exactly as
    bootstrap_spearman draws (same seed, same resamples): ranks and regressions are redone on
    each resample. controls: shape (n, k)."""
    controls = np.asarray(controls, dtype="float64").reshape(len(np.asarray(values)), -1)
    return bootstrap_by_group(partial_spearman, [values, scores, controls], groups, samples, seed)


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
