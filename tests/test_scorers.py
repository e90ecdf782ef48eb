"""scorers.summarize_levels: what the summary's level shares are shares of, and one
convention (null) for a video without a face."""

import numpy as np
import pandas as pd
import pytest

from expressiveness.pipeline.scorers import summarize_levels

KEYS = ("reserved", "balanced", "expressive")


def test_level_shares_of_face_frames_and_of_analysed_frames():
    # Four analysed frames, one face frame (vid_0016 in the issue: a face in 43 % of frames).
    table = pd.DataFrame({"success": [0, 1, 0, 0], "level": ["", "Expressive", "", ""],
                          "prob_reserved": [np.nan, 0.1, np.nan, np.nan],
                          "prob_balanced": [np.nan, 0.2, np.nan, np.nan],
                          "prob_expressive": [np.nan, 0.7, np.nan, np.nan]})
    summary = summarize_levels(table)
    assert [summary[f"share_{key}"] for key in KEYS] == [0.0, 0.0, 1.0]  # of the frames with a face
    assert [summary[f"share_{key}_of_analyzed_frames"] for key in KEYS] == [0.0, 0.0, 0.25]
    assert summary["dominant_level"] == "Expressive"


def test_a_video_without_a_face_has_null_levels():
    table = pd.DataFrame({"success": [0, 0, 0], "level": ["", "", ""], "prob_reserved": [np.nan] * 3,
                          "prob_balanced": [np.nan] * 3, "prob_expressive": [np.nan] * 3})
    summary = summarize_levels(table)
    assert all(summary[f"share_{key}"] is None for key in KEYS)
    assert all(summary[f"mean_prob_{key}"] is None for key in KEYS)
    assert summary["dominant_level"] is None and summary["expected_level"] is None
    assert [summary[f"share_{key}_of_analyzed_frames"] for key in KEYS] == [0.0, 0.0, 0.0]
    assert summary["level_changes"] == 0


@pytest.mark.parametrize("successes", [[1, 1, 0, 1, 1], [1, 1, 1, 1, 1]])
def test_shares_of_analysed_frames_add_up_to_the_face_share(successes):
    levels = ["Expressive", "Balanced Expression", "Expressive", "Reserved Expression", "Expressive"]
    table = pd.DataFrame({"success": successes, "level": [level if ok else "" for level, ok in zip(levels, successes)],
                          "prob_reserved": 0.2, "prob_balanced": 0.3, "prob_expressive": 0.5})
    summary = summarize_levels(table)
    assert sum(summary[f"share_{key}_of_analyzed_frames"] for key in KEYS) == pytest.approx(np.mean(successes))
    assert sum(summary[f"share_{key}"] for key in KEYS) == pytest.approx(1.0)
