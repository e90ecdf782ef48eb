"""Within participants: each clip's answer and rating minus its participant's means, and the
Spearman rho of the two with a participant-resampled interval. It asks whether a person's more
expressive clips are the ones rated higher, with everything fixed about the person (face shape,
camera, rater's view of them) taken out. Used by validate (agreement/validate.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from expressiveness.agreement.correlation import BOOTSTRAP_SAMPLES, bootstrap_spearman, spearman

TOO_FEW_PEOPLE = "fewer than 2 participants with >= 2 clips"
NO_VARIATION = "the answer or the rating does not vary within participants"
SHORT_NOTES = {TOO_FEW_PEOPLE: "n/a (< 2 people, 2+ clips)", NO_VARIATION: "n/a (no variation)"}


def within_person(clips: pd.DataFrame, answer: str, target: str) -> pd.DataFrame:
    """Each clip's answer and rating minus its participant's means, over the clips where both
    are finite, for the participants with at least 2 such clips (the others have nothing to
    compare within). clips: columns user_no, answer, target. Returns columns user_no, answer,
    target (float64, centred: each participant's values sum to 0), on clips' index."""
    frame = clips[["user_no", answer, target]].astype({answer: "float64", target: "float64"})
    frame = frame[np.isfinite(frame[answer]) & np.isfinite(frame[target])]
    frame = frame[frame.groupby("user_no")[answer].transform("size") >= 2]
    means = frame.groupby("user_no")[[answer, target]].transform("mean")
    return frame.assign(**{answer: frame[answer] - means[answer], target: frame[target] - means[target]})


def within_correlation(clips: pd.DataFrame, answer: str, target: str, samples: int = BOOTSTRAP_SAMPLES) -> dict:
    """Spearman rho of the within_person values, with the participant bootstrap interval
    (centring within each participant is unchanged by resampling whole participants):
    within_spearman (None with within_note saying why when undefined), within_spearman_ci95,
    within_participants and within_clips (those with at least 2 clips)."""
    centred = within_person(clips, answer, target)
    people = int(centred["user_no"].nunique())
    rho = spearman(centred[answer], centred[target]) if people >= 2 else None
    note = TOO_FEW_PEOPLE if people < 2 else NO_VARIATION if rho is None else ""
    interval = (None if rho is None
                else bootstrap_spearman(centred[answer], centred[target], centred["user_no"], samples))
    return {"within_spearman": None if rho is None else round(rho, 4), "within_spearman_ci95": interval,
            "within_participants": people, "within_clips": int(len(centred)), "within_note": note}
