"""What a report says: the summary in words for levels, facial measures or both, the moments'
warm-up rule, and the percent format. Summaries and tables are built by hand here; the reports
of real analyses are checked in test_report.py."""

import math

import numpy as np
import pandas as pd
import pytest

from expressiveness.report.findings import (WARMUP_FACES, WARMUP_S, describe, find_moments, has_levels, has_measures,
                                     measure_rows, percent)

LEVELS = {"frames_analyzed": 120, "face_share": 0.975, "share_reserved": 0.1, "share_balanced": 0.49,
          "share_expressive": 0.41, "expected_level": 1.31, "dominant_level": "Balanced Expression",
          "level_changes": 4, "model": "demo"}
MEASURES = {"frames_analyzed": 120, "face_share": 0.975, "expressivity_mean": 3.14, "expressivity_p90": 5.16,
            "head_yaw_range_deg": 12.4, "head_pitch_range_deg": 6.6, "blinks_per_minute": 14.2,
            "landmarks_share": 0.975}


def test_measures_only_in_words():
    assert not has_levels(MEASURES) and has_measures(MEASURES)
    assert describe(MEASURES) == [
        "A face was visible in 98% of the analysed frames (117 of 120).",
        "Mean expressivity was 3.1% of the inter-ocular distance (90th percentile 5.2%); the head turned over a "
        "range of 12 degrees and nodded over 7 degrees (5th to 95th percentile); 14 blinks per minute."]


def test_levels_only_in_words():
    assert has_levels(LEVELS) and not has_measures(LEVELS)
    assert describe(LEVELS, faced_frames=117) == [
        "A face was visible in 98% of the analysed frames (117 of 120); among those frames the level was Balanced "
        "Expression 49%, Expressive 41% and Reserved Expression 10% of the time.",
        "Averaging the probabilities over those frames, the most likely level is Balanced Expression, an expected "
        "level of 1.31 on a scale from 0 (Reserved) to 2 (Expressive); the frame-by-frame level changed 4 times."]


def test_both_in_words_and_measures_the_mesh_missed():
    summary = dict(LEVELS, **MEASURES)
    summary.update(landmarks_share=0.9, blinks_per_minute=math.nan, every=3)
    sentences = describe(summary)
    assert sentences[0].startswith("A face was visible in 98% of the analysed frames (117 of 120, one frame in 3); "
                                   "among those frames")
    assert sentences[2] == ("Mean expressivity was 3.1% of the inter-ocular distance (90th percentile 5.2%); the "
                            "head turned over a range of 12 degrees and nodded over 7 degrees (5th to 95th "
                            "percentile).")  # blinks are not counted from sparse frames: NaN, not said
    assert sentences[3] == ("The facial measures cover the 90% of the analysed frames where the face mesh found "
                            "the face's landmarks.")
    assert describe(dict(summary, blinks_per_minute=0.0))[2].endswith("; no blink was seen.")
    one = describe(dict(summary, head_yaw_range_deg=0.9, blinks_per_minute=1.2))[2]
    assert "a range of 1 degree and nodded over 7 degrees" in one and one.endswith("; 1 blink per minute.")


def test_too_few_faces_for_measures_in_words():
    summary = dict(MEASURES, face_share=1.0, landmarks_share=1.0, frames_analyzed=WARMUP_FACES - 1)
    assert describe(summary)[1] == (f"The face mesh found the face's landmarks in only {WARMUP_FACES - 1} frames: too "
                                    f"few for facial measures, as expressivity compares each face with the person's "
                                    f"typical face over many.")
    assert describe(dict(summary, frames_analyzed=WARMUP_FACES))[1].startswith("Mean expressivity was 3.1%")


@pytest.mark.parametrize("summary, what", [(LEVELS, "level"), (MEASURES, "facial measure"),
                                           (dict(LEVELS, **MEASURES), "level or facial measure")])
def test_no_face_in_words(summary, what):
    sentence, = describe(dict(summary, face_share=0.0, frames_analyzed=80))
    assert sentence.startswith(f"No face was found in any of the 80 analysed frames, so there is no {what} to report.")
    sentence, = describe(dict(summary, face_share=0.0, frames_analyzed=80, every=2))
    assert sentence.startswith("No face was found in any of the 80 analysed frames (one frame in 2), so")


def test_measure_rows_label_units_and_skip_missing_values():
    rows = dict(measure_rows(dict(MEASURES, blinks_per_minute=None, expressivity_brows_mean=math.nan)))
    assert rows["Expressivity, whole face (% of the inter-ocular distance)"] == "mean 3.14, 90th percentile 5.16"
    assert rows["Head turn left-right, 5th-95th percentile range (degrees)"] == "12.4"
    assert rows["Frames with face landmarks"] == "98%"
    assert "Blinks per minute of face in view" not in rows and "Expressivity, brows (%)" not in rows


def faces_table(expressivity, fps=30.0):
    count = len(expressivity)
    table = pd.DataFrame({"frame": np.arange(count), "timestamp": np.arange(count) / fps, "success": 1,
                          "face_x": 10, "face_y": 10, "face_width": 100, "face_height": 100,
                          "expressivity": expressivity})
    return table


def test_moments_skip_the_first_second_of_a_long_video():
    """In a 10 s video the reference face settles over the first second: the lowest moments are
    picked after it, though the warm-up's values are lower."""
    rng = np.random.default_rng(0)
    values = np.concatenate([np.linspace(0, 0.5, 30), rng.uniform(1, 4, 270)])
    moments = find_moments(faces_table(values))
    picked = [row["timestamp"] for row in moments["highest"] + moments["lowest"]]
    assert moments["measure"] == "expressivity" and len(picked) == 6
    assert min(picked) >= WARMUP_S and moments["lowest"][0]["moment_score"] == values[30:].min()


def test_moments_of_a_short_clip_skip_only_the_first_faces():
    """A 1.3 s clip would lose most of its faces to a one-second warm-up: only the first
    WARMUP_FACES are skipped."""
    values = np.concatenate([np.zeros(WARMUP_FACES), np.linspace(0.5, 3, 32)])
    moments = find_moments(faces_table(values))
    assert moments["lowest"][0]["frame"] == WARMUP_FACES and moments["highest"][0]["frame"] == 39


def test_moments_without_expressivity_fall_back_to_levels_or_to_nothing():
    table = faces_table([0.0] * 4)  # four faces, all within the warm-up
    assert find_moments(table) == {"measure": None, "highest": [], "lowest": []}
    table = table.assign(prob_reserved=[0.8, 0.1, 0.2, 0.3], prob_balanced=0.1, prob_expressive=0.0)
    table["prob_expressive"] = 1 - table["prob_reserved"] - table["prob_balanced"]
    moments = find_moments(table)
    assert moments["measure"] == "expected level" and moments["highest"][0]["frame"] == 1


@pytest.mark.parametrize("share, text", [(0.4286, "43%"), (0.001, "<1%"), (0.999, ">99%"), (1.0, "100%"),
                                         (0.0, "0%"), (None, "n/a")])
def test_percent_never_rounds_to_all_or_nothing(share, text):
    assert percent(share) == text


def test_measures_in_words_say_how_many_frames_could_be_measured():
    summary = dict(LEVELS, **MEASURES)
    summary.update(landmarks_share=0.97, usable_share=0.8)
    assert describe(summary)[3] == ("The facial measures cover the 80% of the analysed frames where the face could be "
                                    "measured (whole in the image, facing the camera, large enough).")
    nothing = dict(summary, expressivity_mean=None, expressivity_p90=None, usable_share=0.0,
                   unusable_frames={"no_face": 3, "edge": 100, "turned": 17})
    assert describe(nothing)[2] == ("No frame had a face that could be measured (most often: the face cut by the image "
                                    "border), so there are no facial measures.")


def test_moments_of_sparse_frames_find_their_frame():
    """Every 25th frame at 24 fps: a one-second window holds one frame, whose time top_moments rounds
    to 1 ms; the report must still find that frame (it once found none and crashed)."""
    time_s = np.arange(12) * 25 / 24
    table = pd.DataFrame({"frame": np.arange(12) * 25, "timestamp": np.round(time_s, 4), "success": 1,
                          "face_x": 10, "face_y": 10, "face_width": 50, "face_height": 50, "usable": 1,
                          "quality": "ok", "expressivity": [1.0, 2, 9, 3, 1, 2, 8, 1, 1, 2, 1, 1]})
    moments = find_moments(table)
    assert [int(row["frame"]) for row in moments["highest"]][:2] == [50, 150]
    assert all(row["start_s"] <= row["timestamp"] + 0.001 and row["timestamp"] < row["end_s"]
               for row in moments["highest"] + moments["lowest"])
