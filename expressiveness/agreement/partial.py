"""The partial association of each answer with a rating, the other ratings held constant: does
a measure follow facial_expression itself, or what facial_expression shares with the other
ratings (in RecruitView, facial_expression correlates r = 0.74 with interview_score)?

The statistic is the partial Spearman correlation (correlation.partial_spearman): the ranks of
the answer and of the rating are each regressed on the ranks of the control ratings, and the
residuals correlated, over the clips that have the answer and every rating. Its 95% interval
resamples participants with all their clips, with the same seed and resamples as the per-clip
interval.

Which ratings are held constant: by default every other rating column of the metadata
(CONTROL_ALL), which asks what the measure shares with the target and with no other rating.
It is the strict question, and it also takes out what facial expression genuinely shares
with, say, extraversion; `--control interview_score` asks the narrower question of the issue
("the expression, or the overall quality of the answer?"). The rating checked is never held
constant against itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from expressiveness.agreement.correlation import BOOTSTRAP_SAMPLES, bootstrap_partial_spearman, partial_spearman
from expressiveness.config import SCORE_FIELDS, SEED

CONTROL_ALL = "all"  # every other rating column of the metadata
CONTROL_NONE = "none"  # no partial figures at all
NO_CONTROLS = "no other rating to hold constant"
CONTROLS_OFF = "not computed (--control none)"
PARTIAL_NO_VARIATION = "the answer or the rating does not vary over these clips"
EXPLAINED = "the ratings held constant explain the answer or the rating entirely"
NO_INTERVAL_PEOPLE = "no interval: fewer than 3 participants"
NO_INTERVAL_RESAMPLES = ("no interval: under half the participant resamples have enough distinct clips to hold "
                         "{controls} ratings constant")
PARTIAL_MEANING = ("with the other ratings held constant: does the measure follow {target}, or the overall quality "
                   "of the answer?")


def rating_controls(control: str, target: str, available=SCORE_FIELDS) -> tuple[str, ...]:
    """The rating columns held constant when `target` is checked: every one of `available`
    but the target for "all", none for "none", else the comma-separated names of `control`
    (each one of `available`; the target itself is dropped), in `available`'s order. Raises
    ValueError naming the bad name and listing the choices."""
    if control == CONTROL_ALL:
        return tuple(name for name in available if name != target)
    if control == CONTROL_NONE:
        return ()
    names = [name.strip() for name in control.split(",")]
    for name in names:
        if name not in available:
            raise ValueError(f"{name!r} is not a rating column; expected {CONTROL_ALL}, {CONTROL_NONE} or "
                             f"comma-separated names of {', '.join(available)}.")
    return tuple(name for name in available if name in names and name != target)


def partial_correlation(clips: pd.DataFrame, answer: str, target: str, controls, samples: int = BOOTSTRAP_SAMPLES,
                        seed: int = SEED, control: str = CONTROL_ALL) -> dict:
    """Partial Spearman of one answer with one rating given the `controls` rating columns,
    over the clips where the answer, the rating and every control are finite. clips: columns
    user_no, answer, target and the controls. A control that does not vary over those clips
    holds nothing constant: it is left out and named in partial_note. Returns partial_spearman
    (in [-1, 1], rounded to 4 places; None with the reason in partial_note when undefined),
    partial_spearman_ci95 ([low, high] resampling participants, None with fewer than 3),
    partial_clips and partial_controls (the ratings held constant). control: what --control said
    (only "none" changes anything: nothing is computed)."""
    empty = {"partial_spearman": None, "partial_spearman_ci95": None, "partial_clips": 0, "partial_controls": []}
    if control == CONTROL_NONE:
        return {**empty, "partial_note": CONTROLS_OFF}
    controls = list(controls)
    if not controls:
        return {**empty, "partial_note": NO_CONTROLS}
    numbers = [answer, target, *controls]
    frame = clips[["user_no", *numbers]].astype({name: "float64" for name in numbers})
    frame = frame[np.isfinite(frame[numbers].to_numpy()).all(axis=1)]
    constant = [name for name in controls if frame[name].nunique() < 2]
    kept = [name for name in controls if name not in constant]
    left_out = f"left out, as they do not vary over these clips: {', '.join(constant)}" if constant else ""
    row = {**empty, "partial_clips": int(len(frame)), "partial_controls": kept}
    if not kept:
        return {**row, "partial_note": f"{NO_CONTROLS} ({left_out})"}
    if len(frame) < len(kept) + 3:
        reason = (f"{len(frame)} clips with the answer and every rating; holding {len(kept)} ratings constant "
                  f"needs at least {len(kept) + 3}")
        return {**row, "partial_note": "; ".join(filter(None, [reason, left_out]))}
    values, scores, held = frame[answer].to_numpy(), frame[target].to_numpy(), frame[kept].to_numpy()
    rho = partial_spearman(values, scores, held)
    if rho is None:
        varies = frame[answer].nunique() > 1 and frame[target].nunique() > 1
        return {**row, "partial_note": "; ".join(filter(None, [EXPLAINED if varies else PARTIAL_NO_VARIATION,
                                                               left_out]))}
    interval = bootstrap_partial_spearman(values, scores, held, frame["user_no"].to_numpy(), samples, seed)
    no_interval = ("" if interval is not None else NO_INTERVAL_PEOPLE if frame["user_no"].nunique() < 3
                   else NO_INTERVAL_RESAMPLES.format(controls=len(kept)))
    return {**row, "partial_spearman": round(rho, 4), "partial_spearman_ci95": interval,
            "partial_note": "; ".join(filter(None, [no_interval, left_out]))}


def partial_text(row: dict) -> str:
    """The partial figure in short for the printout: "+0.12 [-0.05, +0.30]", or n/a with a
    short reason."""
    rho = row.get("partial_spearman")
    if rho is None:
        note = row.get("partial_note") or ""
        return ("n/a (off)" if note == CONTROLS_OFF else "n/a (no controls)" if note.startswith(NO_CONTROLS)
                else "n/a (too few clips)" if "needs at least" in note else "n/a (explained)"
                if note.startswith(EXPLAINED) else "n/a (no variation)")
    interval = row.get("partial_spearman_ci95")
    return f"{rho:+.2f} [" + ("n/a" if interval is None else f"{interval[0]:+.2f}, {interval[1]:+.2f}") + "]"


def controls_sentence(rows: list[dict], target: str) -> str:
    """The markdown's sentence under a rating's heading: what the partial column means and
    which ratings it held constant."""
    if not rows or rows[0].get("partial_note") == CONTROLS_OFF:
        return ""
    held = next((row["partial_controls"] for row in rows if row.get("partial_controls")), [])
    if not held:
        return f"Partial Spearman: n/a, {NO_CONTROLS} for `{target}`."
    meaning = PARTIAL_MEANING.format(target=target.replace("_", " "))
    return (f"Partial Spearman: per clip, {meaning} The ranks of the measure and of `{target}` are each "
            f"regressed on the ranks of {', '.join(f'`{name}`' for name in held)} (least squares with an "
            f"intercept) and the residuals correlated, over the clips that have every rating; its 95% interval "
            f"resamples participants like the per-clip one. A strong per-clip rho with a partial near 0 says the "
            f"measure follows what `{target}` shares with those ratings (how good the answer was judged), not the "
            f"expression itself.")
