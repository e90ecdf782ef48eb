"""The per-frame table and the per-video summary with hand-computed values, and the direction of
temporal smoothing (a new frame moves a tracked face's average towards it by alpha).

The rows are made by the real FrameAnalyzer and LevelScorer; only the CNN's probabilities are
hand-made (HandMadePredictor), so that every number in a row can be computed by hand.
"""

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from expressiveness.config import LABELS
from expressiveness.face import FaceBox
from expressiveness.pipeline.frame_engine import FRAME_COLUMNS, FrameAnalyzer
from expressiveness.pipeline.options import AnalysisOptions
from expressiveness.pipeline.scorers import LevelScorer, TemporalSmoother
from expressiveness.video import Frame

RESERVED, BALANCED, EXPRESSIVE = LABELS
NO_KEYPOINTS = ((0.0, 0.0),) * 6
IMAGE = np.zeros((200, 240, 3), np.uint8)


def _hand_model_files() -> str:
    """A stand-in model file and card (the level scorer records their hashes as provenance)."""
    import atexit
    import json
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="hand-model-"))
    atexit.register(shutil.rmtree, folder, True)
    (folder / "hand.keras").write_bytes(b"hand-made probabilities")
    (folder / "hand.json").write_text(json.dumps({"name": "hand", "labels": list(LABELS),
                                                  "thresholds": [-0.303, 0.294], "input_shape": [48, 48, 1]}))
    return str(folder / "hand.keras")


class HandMadePredictor:
    """Stands in for the CNN: returns the given probabilities, one row per face."""

    labels, thresholds, crop_margin, crop_align = LABELS, (-0.303, 0.294), 0.15, False
    name, model_path, backend = "hand", _hand_model_files(), "none"

    def __init__(self, probabilities, labels=LABELS):
        self.probabilities, self.labels = np.asarray(probabilities, "float32"), tuple(labels)

    def predict(self, crops):
        assert len(crops) == len(self.probabilities)
        return self.probabilities


@functools.cache
def _detector():
    """A real detector: the analyzer records its settings (rows here use hand-made faces)."""
    from expressiveness.face import FaceDetector

    return FaceDetector()


def _row(index, timestamp_s, faces, probabilities, selection="largest", labels=LABELS):
    analyzer = FrameAnalyzer(_detector(), [LevelScorer(HandMadePredictor(probabilities, labels))],
                             AnalysisOptions(face_selection=selection))
    return analyzer.score(Frame(index, timestamp_s, IMAGE), faces).row, analyzer


# --- rows and the table ------------------------------------------------------------------------

def test_row_of_a_frame_without_a_face():
    row, _ = _row(7, 0.29166666, [], np.zeros((0, 3)))
    assert row == {"frame": 7, "timestamp": 0.2917, "success": 0, "faces": 0, "confidence": 0.0}


def test_row_describes_the_subject_among_several_faces():
    faces = [FaceBox(10, 12, 30, 31, 0.912345, NO_KEYPOINTS), FaceBox(100, 5, 40, 42, 0.66666, NO_KEYPOINTS)]
    probabilities = [[0.7, 0.2, 0.1], [0.123456, 0.2, 0.676544]]
    row, _ = _row(12, 1.234567, faces, probabilities)  # the largest face is the second
    assert row == {"frame": 12, "timestamp": 1.2346, "success": 1, "faces": 2, "confidence": 0.6667,
                   "face_x": 100, "face_y": 5, "face_width": 40, "face_height": 42, "level": EXPRESSIVE,
                   "level_probability": 0.6765, "prob_reserved": 0.1235, "prob_balanced": 0.2,
                   "prob_expressive": 0.6765}
    first, _ = _row(12, 1.234567, faces, probabilities, selection="most_confident")
    assert (first["face_x"], first["level"], first["level_probability"], first["confidence"]) == (10, RESERVED, 0.7,
                                                                                                   0.9123)


def test_row_level_names_come_from_the_given_labels():
    faces = [FaceBox(0, 0, 10, 10, 0.9, NO_KEYPOINTS)]
    row, _ = _row(0, 0.0, faces, [[0.2, 0.5, 0.3]], labels=("low", "mid", "high"))
    assert row["level"] == "mid" and row["level_probability"] == 0.5


def test_table_has_the_fixed_columns_and_integer_boxes_with_gaps():
    faces = [FaceBox(3, 4, 5, 6, 0.9, NO_KEYPOINTS)]
    first, analyzer = _row(0, 0.0, faces, [[0.1, 0.2, 0.7]])
    second, _ = _row(1, 0.04, [], np.zeros((0, 3)))
    table = analyzer.table([first, second])
    assert list(table.columns) == list(FRAME_COLUMNS) == [
        "frame", "timestamp", "success", "confidence", "faces", "person", "face_x", "face_y", "face_width",
        "face_height", "prob_reserved", "prob_balanced", "prob_expressive", "level", "level_probability"]
    for column in ("person", "face_x", "face_y", "face_width", "face_height"):
        assert str(table[column].dtype) == "Int64"
    assert table["person"].isna().all()  # frame by frame, without analyze_video's subject choice
    assert table.loc[0, ["face_x", "face_y", "face_width", "face_height"]].tolist() == [3, 4, 5, 6]
    assert table.loc[1, ["face_x", "face_width"]].isna().all() and math.isnan(table.loc[1, "prob_reserved"])
    assert table["level"].tolist() == [EXPRESSIVE, ""] and table["success"].tolist() == [1, 0]


def summarize(table, labels=LABELS):
    """The video summary's frame and level figures, as FrameAnalyzer.summarize makes them."""
    analyzer = FrameAnalyzer(_detector(), [LevelScorer(HandMadePredictor(np.zeros((0, 3)), labels))])
    return analyzer.summarize(table, frame_interval_s=0.1)


# --- summarize -------------------------------------------------------------------------------------

def _table(rows):
    """rows: (success, level, (p_reserved, p_balanced, p_expressive) or None)."""
    return pd.DataFrame({
        "success": [row[0] for row in rows],
        "level": [row[1] for row in rows],
        "prob_reserved": [row[2][0] if row[2] else np.nan for row in rows],
        "prob_balanced": [row[2][1] if row[2] else np.nan for row in rows],
        "prob_expressive": [row[2][2] if row[2] else np.nan for row in rows],
    })


EIGHT_FRAMES = [
    (1, EXPRESSIVE, (0.1, 0.3, 0.6)),
    (1, EXPRESSIVE, (0.2, 0.2, 0.6)),
    (0, "", None),
    (1, RESERVED, (0.7, 0.2, 0.1)),
    (0, "", None),
    (1, BALANCED, (0.2, 0.5, 0.3)),
    (1, BALANCED, (0.1, 0.45, 0.45)),
    (1, EXPRESSIVE, (0.0, 0.4, 0.6)),
]


def test_summary_by_hand():
    summary = summarize(_table(EIGHT_FRAMES))
    assert summary == {
        "frames_analyzed": 8,
        "face_share": 0.75,  # 6 of 8 frames
        # Time share per level over the 6 frames with a face: 1/6, 2/6, 3/6; over all 8 frames: 1/8, 2/8, 3/8.
        "share_reserved": 0.1667, "share_balanced": 0.3333, "share_expressive": 0.5,
        "share_reserved_of_analyzed_frames": 0.125, "share_balanced_of_analyzed_frames": 0.25,
        "share_expressive_of_analyzed_frames": 0.375,
        # Means over frames with a face: 1.3 / 6, 2.05 / 6, 2.65 / 6.
        "mean_prob_reserved": 0.2167, "mean_prob_balanced": 0.3417, "mean_prob_expressive": 0.4417,
        "expected_level": 1.225,  # 2.05 / 6 + 2 * 2.65 / 6
        "dominant_level": EXPRESSIVE,
        # Levels of frames with a face: E E R B B E -> changes E>R, R>B, B>E (frames without a face are skipped).
        "level_changes": 3,
    }


def test_dominant_level_is_the_highest_mean_probability_not_the_most_frequent_level():
    rows = [(1, RESERVED, (0.4, 0.3, 0.3))] * 3 + [(1, EXPRESSIVE, (0.0, 0.1, 0.9))] * 2
    summary = summarize(_table(rows))
    assert summary["share_reserved"] == 0.6 and summary["share_expressive"] == 0.4
    assert (summary["mean_prob_reserved"], summary["mean_prob_balanced"], summary["mean_prob_expressive"]) == (
        0.24, 0.22, 0.54)
    assert summary["dominant_level"] == EXPRESSIVE
    assert summary["expected_level"] == 1.3  # 0.22 + 2 * 0.54
    assert summary["level_changes"] == 1


def test_summary_of_a_video_without_any_face():
    summary = summarize(_table([(0, "", None)] * 4))
    # One convention for "no face, no answer": null shares of face frames and null dominant level.
    assert summary == {"frames_analyzed": 4, "face_share": 0.0, "share_reserved": None, "share_balanced": None,
                       "share_expressive": None, "share_reserved_of_analyzed_frames": 0.0,
                       "share_balanced_of_analyzed_frames": 0.0, "share_expressive_of_analyzed_frames": 0.0,
                       "mean_prob_reserved": None, "mean_prob_balanced": None, "mean_prob_expressive": None,
                       "expected_level": None, "dominant_level": None, "level_changes": 0}
    empty = summarize(_table([]))
    assert empty["frames_analyzed"] == 0 and empty["face_share"] == 0.0 and empty["dominant_level"] is None


def test_summary_uses_the_given_label_names():
    rows = [(1, "low", (0.8, 0.1, 0.1)), (1, "high", (0.1, 0.1, 0.8)), (1, "high", (0.1, 0.2, 0.7))]
    summary = summarize(_table(rows), labels=("low", "mid", "high"))
    assert (summary["share_reserved"], summary["share_balanced"], summary["share_expressive"]) == (0.3333, 0.0,
                                                                                                    0.6667)
    assert summary["dominant_level"] == "high" and summary["level_changes"] == 1


def test_figures_are_rounded_to_four_decimals():
    rows = [(1, BALANCED, (0.1, 0.7, 0.2)), (0, "", None), (0, "", None)]
    summary = summarize(_table(rows))
    assert summary["face_share"] == 0.3333  # 1 / 3
    rows = [(1, BALANCED, (0.12345, 0.54321, 0.33334)), (1, BALANCED, (0.1, 0.6, 0.3))]
    summary = summarize(_table(rows))
    # Means 0.111725, 0.571605, 0.31667; expected level 0.571605 + 2 * 0.31667 = 1.204945.
    assert (summary["mean_prob_reserved"], summary["mean_prob_balanced"], summary["mean_prob_expressive"],
            summary["expected_level"]) == (0.1117, 0.5716, 0.3167, 1.2049)


def test_one_frame_has_no_level_change():
    summary = summarize(_table([(1, BALANCED, (0.25, 0.5, 0.25))]))
    assert summary["level_changes"] == 0 and summary["expected_level"] == 1.0 and summary["face_share"] == 1.0


# --- TemporalSmoother ------------------------------------------------------------------------------

def _box(x, y=0, side=100):
    return FaceBox(x, y, side, side, 0.9, NO_KEYPOINTS)


def _p(*values):
    return np.array([values], "float32")


def test_a_new_frame_moves_the_average_towards_it_by_alpha():
    smoother = TemporalSmoother(alpha=0.4)
    first = smoother.update([_box(0)], _p(1.0, 0.0, 0.0))
    np.testing.assert_allclose(first, [[1.0, 0.0, 0.0]])  # the first frame of a track is its own average
    second = smoother.update([_box(5)], _p(0.0, 1.0, 0.0))
    np.testing.assert_allclose(second, [[0.6, 0.4, 0.0]], atol=1e-7)  # 0.4 * new + 0.6 * average
    np.testing.assert_allclose(second - first, 0.4 * (_p(0.0, 1.0, 0.0) - first), atol=1e-7)
    third = smoother.update([_box(5)], _p(0.0, 1.0, 0.0))
    # From the running average, not from the previous raw frame: 0.4 * (0, 1, 0) + 0.6 * (0.6, 0.4, 0).
    np.testing.assert_allclose(third, [[0.36, 0.64, 0.0]], atol=1e-7)
    assert third.dtype == np.float32 and third.shape == (1, 3)


def test_alpha_one_is_no_smoothing_and_alpha_is_checked():
    smoother = TemporalSmoother(alpha=1.0)
    smoother.update([_box(0)], _p(1.0, 0.0, 0.0))
    np.testing.assert_array_equal(smoother.update([_box(0)], _p(0.2, 0.3, 0.5)), _p(0.2, 0.3, 0.5))
    for bad in (0, -0.1, 1.5):
        with pytest.raises(ValueError) as caught:
            TemporalSmoother(alpha=bad)
        assert str(caught.value) == f"alpha is {bad!r}; expected a number in (0, 1]."
    assert TemporalSmoother().alpha == 0.4 and TemporalSmoother().min_iou == 0.3


def test_tracks_are_matched_by_iou_at_least_min_iou():
    # Boxes 100 x 100 shifted by 50 px: overlap 5000 of union 15000, IoU 1/3; by 60 px: 4000 / 16000 = 0.25.
    for shift, min_iou, smoothed in ((50, 0.3, True), (60, 0.3, False), (60, 0.25, True), (50, 1 / 3, True),
                                     (50, 0.34, False), (100, 0.0001, False)):
        smoother = TemporalSmoother(alpha=0.5, min_iou=min_iou)
        smoother.update([_box(0)], _p(1.0, 0.0, 0.0))
        result = smoother.update([_box(shift)], _p(0.0, 0.0, 1.0))
        expected = _p(0.5, 0.0, 0.5) if smoothed else _p(0.0, 0.0, 1.0)
        np.testing.assert_allclose(result, expected, err_msg=f"shift {shift}, min_iou {min_iou}")


def test_iou_uses_both_axes():
    # Shifted 50 px down instead of right: the same IoU 1/3, matched; shifted diagonally by (50, 50):
    # overlap 2500 of union 17500, IoU 0.14, not matched.
    smoother = TemporalSmoother(alpha=0.5)
    smoother.update([_box(0, 0)], _p(1.0, 0.0, 0.0))
    np.testing.assert_allclose(smoother.update([_box(0, 50)], _p(0.0, 0.0, 1.0)), _p(0.5, 0.0, 0.5))
    smoother = TemporalSmoother(alpha=0.5)
    smoother.update([_box(0, 0)], _p(1.0, 0.0, 0.0))
    np.testing.assert_allclose(smoother.update([_box(50, 50)], _p(0.0, 0.0, 1.0)), _p(0.0, 0.0, 1.0))


def test_each_face_continues_its_own_track_in_any_order():
    smoother = TemporalSmoother(alpha=0.25)
    smoother.update([_box(0), _box(400)], np.array([[1, 0, 0], [0, 0, 1]], "float32"))
    second = smoother.update([_box(410), _box(10)], np.array([[1, 0, 0], [0, 1, 0]], "float32"))
    np.testing.assert_allclose(second, [[0.25, 0.0, 0.75], [0.75, 0.25, 0.0]])


def test_a_face_takes_the_track_it_overlaps_most_and_a_track_serves_one_face():
    smoother = TemporalSmoother(alpha=0.5, min_iou=0.1)
    smoother.update([_box(0), _box(120)], np.array([[1, 0, 0], [0, 1, 0]], "float32"))
    # A face at x = 80 overlaps the track at 0 (IoU 20/180) less than the track at 120 (IoU 60/140).
    np.testing.assert_allclose(smoother.update([_box(80)], _p(0.0, 0.0, 1.0)), _p(0.0, 0.5, 0.5))
    smoother = TemporalSmoother(alpha=0.5, min_iou=0.1)
    smoother.update([_box(0)], _p(1.0, 0.0, 0.0))
    # Two faces on the one track: the first listed continues it, the second starts its own.
    both = smoother.update([_box(10), _box(20)], np.array([[0, 1, 0], [0, 0, 1]], "float32"))
    np.testing.assert_allclose(both, [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])


def test_unmatched_tracks_are_dropped_and_reset_forgets_all():
    smoother = TemporalSmoother(alpha=0.5)
    smoother.update([_box(0)], _p(1.0, 0.0, 0.0))
    smoother.update([_box(300)], _p(0.0, 1.0, 0.0))  # the face at 0 is gone: its track is dropped
    np.testing.assert_allclose(smoother.update([_box(0)], _p(0.0, 0.0, 1.0)), _p(0.0, 0.0, 1.0))
    smoother.reset()
    np.testing.assert_allclose(smoother.update([_box(0)], _p(0.0, 1.0, 0.0)), _p(0.0, 1.0, 0.0))
    smoother.update([], np.zeros((0, 3), "float32"))  # a frame without faces ends every track
    np.testing.assert_allclose(smoother.update([_box(0)], _p(1.0, 0.0, 0.0)), _p(1.0, 0.0, 0.0))


def test_update_does_not_change_its_input():
    smoother = TemporalSmoother(alpha=0.5)
    smoother.update([_box(0)], _p(1.0, 0.0, 0.0))
    given = _p(0.0, 1.0, 0.0)
    smoother.update([_box(0)], given)
    np.testing.assert_array_equal(given, _p(0.0, 1.0, 0.0))
