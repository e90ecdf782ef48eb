"""The reference face and expressivity (measures/facial.py) and the blendshapes' neutral
(measures/blendshapes.py) on hand-built landmarks, every expected number worked out by hand.

The faces are arrays, not MediaPipe output: MediaPipe's Procrustes basis points sit exactly on
the canonical face (CANONICAL_BASIS), so the alignment is the identity and a face's aligned shape
is the face itself; the other 435 points are free to carry a marker or an expression. The
canonical eye centres are at x = -/+ (4.445859 + 1.856432) / 2 with the same y and z, so the
inter-ocular distance (IOD) of every face here is 6.302291.
"""

import math

import numpy as np
import pandas as pd
import pytest

from expressiveness.face import BLENDSHAPE_COLUMNS, BLENDSHAPE_NAMES
from expressiveness.measures.blendshapes import (BLENDSHAPE_EXPRESSIVITY_COLUMNS, blendshape_expressivity,
                                                 neutral_scores, summarize_blendshapes)
from expressiveness.measures.facial import (BLINK_COLUMNS, MEASURE_COLUMNS, MeasureTracker, aligned_shape,
                                            count_blinks, eye_openness, mouth_openness, summarize_measures)
from expressiveness.measures.geometry import BASIS_INDICES, CANONICAL_BASIS, REGIONS

IOD = 6.302291
MARKER = 1  # a point in no region and not in the basis: its x tells which face it is
BROWS, EYES, MOUTH = (np.array(REGIONS[region]) for region in ("brows", "eyes", "mouth"))
EYES_MOVING = np.array([index for index in REGIONS["eyes"] if index not in BASIS_INDICES])  # 28 of the 32


def face(marker: float = 0.0) -> np.ndarray:
    """A (468, 3) face in the canonical frame: the basis points where MediaPipe's canonical face
    has them, the others on a grid with 0.5 spacing, the marker point at x = marker."""
    points = np.zeros((468, 3))
    index = np.arange(468)
    points[:, 0] = (index % 20 - 10) * 0.5
    points[:, 1] = (index // 20 - 12) * 0.5
    points[list(BASIS_INDICES)] = CANONICAL_BASIS
    points[MARKER, 0] = marker
    return points


def moved(points: np.ndarray, indices, percent_of_iod: float) -> np.ndarray:
    """The face with `indices` moved along x by a percentage of the IOD."""
    points = points.copy()
    points[indices, 0] += percent_of_iod / 100 * IOD
    return points


def turn_about_y(degrees: float) -> np.ndarray:
    radians = math.radians(degrees)
    return np.array([[math.cos(radians), 0.0, math.sin(radians)], [0.0, 1.0, 0.0],
                     [-math.sin(radians), 0.0, math.cos(radians)]])


def turn_about_z(degrees: float) -> np.ndarray:
    radians = math.radians(degrees)
    return np.array([[math.cos(radians), -math.sin(radians), 0.0], [math.sin(radians), math.cos(radians), 0.0],
                     [0.0, 0.0, 1.0]])


def with_yaw(points: np.ndarray, yaw_deg: float) -> np.ndarray:
    """The face turned by yaw_deg (the head rotation is R_y(-yaw), face/pose.py), scaled by 3 and
    moved: landmarks in pixels as a camera would see them."""
    return 3.0 * points @ turn_about_y(-yaw_deg).T + np.array([320.0, 240.0, 10.0])


def test_a_face_on_the_canonical_basis_is_its_own_aligned_shape():
    points = face(marker=7.0)
    np.testing.assert_allclose(aligned_shape(with_yaw(points, 25.0)), points, atol=1e-9)
    np.testing.assert_allclose(aligned_shape(np.vstack([points, np.ones((10, 3))])), points, atol=1e-9)  # iris ignored


# Reservoir of 3 faces, seed 0: face n (marker n) fills slots 0, 1, 2, then replaces slot
# default_rng(0).integers(n) when that draw is under 3. The draws for n = 4..16:
DRAWS = [3, 3, 3, 1, 2, 0, 0, 0, 2, 10, 9, 13, 8]
RESERVOIR_AFTER = {  # markers in slots 0, 1, 2 after face n
    1: [1], 2: [1, 2], 3: [1, 2, 3], 4: [1, 2, 3], 5: [1, 2, 3], 6: [1, 2, 3],  # draws 3, 3, 3: kept out
    7: [1, 7, 3], 8: [1, 7, 8], 9: [9, 7, 8], 10: [10, 7, 8], 11: [11, 7, 8], 12: [11, 7, 12],
    13: [11, 7, 12], 14: [11, 7, 12], 15: [11, 7, 12], 16: [11, 7, 12]}
# The reference (median of the reservoir) is recomputed after faces 1, 2, 4, 8 and 16 only.
REFERENCE_MARKER_AFTER = {1: 1.0, 2: 1.5, 3: 1.5, 4: 2.0, 5: 2.0, 6: 2.0, 7: 2.0, 8: 7.0, 9: 7.0, 10: 7.0, 11: 7.0,
                          12: 7.0, 13: 7.0, 14: 7.0, 15: 7.0, 16: 11.0}


def test_the_reservoir_keeps_exactly_the_sampled_faces():
    rng = np.random.default_rng(0)
    assert [int(rng.integers(n)) for n in range(4, 17)] == DRAWS  # numpy's stream the numbers below rest on
    tracker = MeasureTracker(reference_frames=3, seed=0)
    for number in range(1, 17):
        tracker.update(face(marker=number), timestamp_s=number / 10, blendshapes=np.full(52, number / 100))
        kept = RESERVOIR_AFTER[number]
        np.testing.assert_allclose(tracker._reservoir[:len(kept), MARKER, 0], kept, atol=1e-9, err_msg=str(number))
        assert tracker.reference[MARKER, 0] == pytest.approx(REFERENCE_MARKER_AFTER[number], abs=1e-9), number
        np.testing.assert_allclose(tracker.reference[:MARKER], face()[:MARKER], atol=1e-9)
    # The blendshapes' neutral comes from the same slots: 10th percentile of 11, 7, 12 (/ 100),
    # numpy's linear: 7 + 0.2 * (11 - 7) = 7.8.
    np.testing.assert_allclose(tracker.neutral, np.full(52, 0.078), atol=1e-12)


def test_another_seed_samples_other_faces():
    """Seed 1 draws 1, 2, 4, 6, 0, 1, 8, 10, 2, 4, 12, 6, 4 for faces 4..16: faces 4, 5, 8, 9 and 12
    replace slots 1, 2, 0, 1 and 2."""
    rng = np.random.default_rng(1)
    assert [int(rng.integers(n)) for n in range(4, 17)] == [1, 2, 4, 6, 0, 1, 8, 10, 2, 4, 12, 6, 4]
    tracker = MeasureTracker(reference_frames=3, seed=1)
    for number in range(1, 17):
        tracker.update(face(marker=number), timestamp_s=number / 10)
    np.testing.assert_allclose(tracker._reservoir[:, MARKER, 0], [8, 9, 12], atol=1e-9)


def test_the_reference_is_recomputed_after_1_2_4_8_16_then_every_32_faces():
    """A reservoir large enough to keep every face: after face n the reference is the median of
    faces 1..m, m the last recomputation (1, 2, 4, 8, 16, 32, 64, 96), so its marker is (m + 1) / 2."""
    tracker = MeasureTracker(reference_frames=100)
    refreshed = 0
    for number in range(1, 98):
        row = tracker.update(face(marker=number), timestamp_s=number / 30)
        if number in (1, 2, 4, 8, 16, 32, 64, 96):
            refreshed = number
        assert tracker.reference[MARKER, 0] == pytest.approx((refreshed + 1) / 2, abs=1e-9), number
        if number == 1:
            assert row["expressivity"] == 0.0  # the first usable face is its own reference
    assert refreshed == 96


def test_unusable_faces_stay_out_of_the_reference():
    tracker = MeasureTracker(reference_frames=10)
    first = tracker.update(with_yaw(face(marker=50.0), 60.0), 0.0, usable=False)
    assert tracker.reference is None and math.isnan(first["expressivity"])
    assert first["head_yaw_deg"] == pytest.approx(60.0)  # measured all the same
    second = tracker.update(with_yaw(face(marker=50.0), 60.0), 0.1, usable=False)
    assert math.isnan(second["facial_motion"])  # % of the reference's IOD: there is none yet
    assert second["head_motion_deg_s"] == pytest.approx(0.0, abs=1e-6)
    tracker.update(face(marker=2.0), 0.2)
    tracker.update(face(marker=4.0), 0.3, usable=False)
    tracker.update(face(marker=6.0), 0.4)  # the second usable face: median of markers 2 and 6
    assert tracker.reference[MARKER, 0] == pytest.approx(4.0)
    assert tracker.neutral is None  # no usable face had blendshapes


def test_the_neutral_comes_from_the_faces_with_blendshapes():
    tracker = MeasureTracker(reference_frames=5)
    tracker.update(face(), 0.0, blendshapes=np.full(52, 0.1))
    assert tracker.neutral == pytest.approx(np.full(52, 0.1))
    tracker.update(face(), 0.1)  # no blendshapes: its slot is left out of the neutral
    tracker.update(face(), 0.2, blendshapes=np.full(52, 0.3))
    row = tracker.update(face(), 0.3, blendshapes=np.full(52, 0.5))
    # After 4 faces: the 10th percentile of 0.1, 0.3, 0.5 is 0.1 + 0.2 * 0.2 = 0.14.
    np.testing.assert_allclose(tracker.neutral, np.full(52, 0.14), atol=1e-12)
    assert row["blendshape_expressivity"] == pytest.approx(0.5 - 0.14 - 0.05)  # every region rose the same


def expressive_face() -> np.ndarray:
    """The plain face with its brows moved by 5 % of the IOD, the 28 eye points off the basis by 2 %,
    the mouth by 3 % and the marker by 0.5 % (under the mesh's 1 % noise floor)."""
    points = moved(face(), BROWS, 5.0)
    points = moved(points, EYES_MOVING, 2.0)
    points = moved(points, MOUTH, 3.0)
    return moved(points, [MARKER], 0.5)


def test_expressivity_of_a_hand_made_expression():
    """Against the plain face as reference, shown turned, scaled and moved (the fit on the basis
    takes that out): per point, the distance less 1 % IOD, never below 0."""
    reference = 2.0 * face() @ turn_about_z(30.0).T + np.array([5.0, -3.0, 1.0])
    tracker = MeasureTracker()
    tracker.fix_reference([reference])
    row = tracker.update(with_yaw(expressive_face(), 20.0), 0.0)
    assert row["expressivity_brows"] == pytest.approx(4.0)  # 5 - 1 over the 20 brow points
    assert row["expressivity_eyes"] == pytest.approx(28 * 1.0 / 32)  # 2 - 1 over 28 of the 32 eye points
    assert row["expressivity_mouth"] == pytest.approx(2.0)  # 3 - 1 over the 40 mouth points
    assert row["expressivity"] == pytest.approx((20 * 4.0 + 28 * 1.0 + 40 * 2.0) / 468)
    assert row["head_yaw_deg"] == pytest.approx(20.0)
    assert math.isnan(row["facial_motion"]) and math.isnan(row["head_motion_deg_s"])  # the first frame
    assert set(row) == set(MEASURE_COLUMNS)
    assert all(math.isnan(row[column]) for column in BLENDSHAPE_EXPRESSIVITY_COLUMNS)  # no blendshapes


def test_a_fixed_reference_holds_until_reset():
    tracker = MeasureTracker(reference_frames=1)
    tracker.fix_reference([face(), moved(face(), MOUTH, 2.0), moved(face(), MOUTH, 6.0)],
                          scores=[np.full(52, 0.2), np.full(52, 0.4), np.full(52, 0.6)])
    np.testing.assert_allclose(tracker.reference, moved(face(), MOUTH, 2.0), atol=1e-12)  # the median
    np.testing.assert_allclose(tracker.neutral, np.full(52, 0.24), atol=1e-12)  # 0.2 + 0.2 * 0.2
    for number in range(3):
        row = tracker.update(face(), number / 10, blendshapes=np.full(52, 0.24))  # nothing is learnt
        assert row["expressivity_mouth"] == pytest.approx(1.0)  # 2 - 1
        assert row["blendshape_expressivity"] == 0.0
    np.testing.assert_allclose(tracker.reference, moved(face(), MOUTH, 2.0), atol=1e-12)
    tracker.reset()
    assert tracker.reference is None and tracker.neutral is None
    row = tracker.update(face(), 0.0)  # learning again, from this face; time starts over
    assert row["expressivity"] == 0.0 and math.isnan(row["facial_motion"])
    tracker.fix_reference([face()])
    assert tracker.neutral is None  # no scores: no blendshape neutral
    row = tracker.update(face(), 0.1, blendshapes=np.full(52, 0.9))
    assert all(math.isnan(row[column]) for column in BLENDSHAPE_EXPRESSIVITY_COLUMNS)


def test_the_defaults_are_a_100_face_reservoir_and_seed_0():
    tracker = MeasureTracker()
    assert (tracker.reference_frames, tracker.seed) == (100, 0)


def test_fix_reference_names_a_bad_shape():
    with pytest.raises(ValueError, match=r"^shapes has shape \(0,\); expected \(faces >= 1, 468, 3\)\.$"):
        MeasureTracker().fix_reference([])
    with pytest.raises(ValueError, match=r"^shapes has shape \(1, 478, 3\); expected \(faces >= 1, 468, 3\)\.$"):
        MeasureTracker().fix_reference([np.zeros((478, 3))])
    with pytest.raises(ValueError, match=r"^shapes has shape \(468, 3\); expected"):
        MeasureTracker().fix_reference(face())


def test_motion_between_two_frames():
    """Head turned from 10 to 22 degrees of yaw in 0.25 s (48 deg/s), the mouth moved by 3 % IOD:
    facial motion 40 points x 3 % / 468 per 0.25 s."""
    tracker = MeasureTracker()
    first = tracker.update(with_yaw(face(), 10.0), 1.0)
    second = tracker.update(with_yaw(moved(face(), MOUTH, 3.0), 22.0), 1.25)
    assert math.isnan(first["head_motion_deg_s"]) and math.isnan(first["facial_motion"])
    assert second["head_yaw_deg"] == pytest.approx(22.0)
    assert second["head_pitch_deg"] == pytest.approx(0.0, abs=1e-9)
    assert second["head_roll_deg"] == pytest.approx(0.0, abs=1e-9)
    assert second["head_motion_deg_s"] == pytest.approx(48.0)
    assert second["facial_motion"] == pytest.approx(40 * 3.0 / 468 / 0.25)
    assert second["expressivity_mouth"] == pytest.approx(0.5)  # against the median of both faces: 1.5 % - 1 %
    gap = tracker.update(None, 1.5)
    assert all(math.isnan(value) for value in gap.values()) and set(gap) == set(MEASURE_COLUMNS)
    after = tracker.update(with_yaw(face(), 0.0), 1.75)
    assert math.isnan(after["facial_motion"]) and math.isnan(after["head_motion_deg_s"])  # motion restarts
    assert after["expressivity_mouth"] == pytest.approx(0.5)  # the reference persists


def test_head_pose_from_the_transformation_matrix():
    """The matrix's rotation R_y(a) in camera space is a yaw of a in the landmarks' axes
    (face/pose.py); it wins over the rotation fitted on the landmarks."""
    tracker = MeasureTracker()
    for number, yaw_deg in enumerate((30.0, 36.0)):
        transform = np.eye(4)
        transform[:3, :3] = turn_about_y(yaw_deg)
        row = tracker.update(face(), number * 0.5, transform=transform)
        assert row["head_yaw_deg"] == pytest.approx(yaw_deg)
    assert row["head_motion_deg_s"] == pytest.approx(12.0)


def test_openness_of_hand_made_eyes_and_mouth():
    points = np.zeros((478, 3))
    # Right eye: corners 4 apart, lids 1.0 (160-144) and 0.6 (158-153) apart: (1.0 + 0.6) / 8 = 0.2.
    points[[33, 160, 158, 133, 153, 144]] = [[0, 0, 0], [1, -0.5, 0], [3, -0.3, 0], [4, 0, 0], [3, 0.3, 0],
                                             [1, 0.5, 0]]
    # Left eye: corners 2 apart (in depth too), lids 1.2 and 0.4 apart: (1.2 + 0.4) / 4 = 0.4.
    points[[263, 387, 385, 362, 380, 373]] = [[10, 0, 0], [10.5, -0.6, 0.5], [11.5, -0.2, 1.5], [10, 0, 2],
                                              [11.5, 0.2, 1.5], [10.5, 0.6, 0.5]]
    assert eye_openness(points) == pytest.approx((0.2 + 0.4) / 2)
    # Inner lips (13, 14) 0.9 apart over mouth corners (61, 291) 6 apart.
    points[[13, 14, 61, 291]] = [[1.0, -0.3, 2.0], [1.0, 0.6, 2.0], [-2.0, 0.0, 0.0], [4.0, 0.0, 0.0]]
    assert mouth_openness(points) == pytest.approx(0.9 / 6)
    points[[13, 14]] = [[0.0, 0.0, 0.0], [-2.0, -3.0, -6.0]]  # 7 apart in 3D
    assert mouth_openness(points[:468]) == pytest.approx(7 / 6)


def test_the_tracker_reports_openness_and_checks_its_inputs():
    points = face()
    row = MeasureTracker().update(points, 0.0)
    assert row["eyes_open"] == pytest.approx(eye_openness(points))
    assert row["mouth_open"] == pytest.approx(mouth_openness(points))
    with pytest.raises(ValueError, match=r"^reference_frames is True; expected a whole number >= 1\.$"):
        MeasureTracker(reference_frames=True)
    with pytest.raises(ValueError, match=r"^reference_frames is 2\.0; expected a whole number >= 1\.$"):
        MeasureTracker(reference_frames=2.0)
    assert MeasureTracker(reference_frames=1).reference_frames == 1
    tracker = MeasureTracker()
    with pytest.raises(ValueError, match=r"^timestamp_s is True; expected a finite number of seconds\.$"):
        tracker.update(None, True)
    with pytest.raises(ValueError, match=r"^timestamp_s is '1'; expected a finite number of seconds\.$"):
        tracker.update(None, "1")
    tracker.update(None, np.float32(2.0))
    with pytest.raises(ValueError, match=r"^timestamp_s is 1\.5, not after the previous frame's 2\.0; expected "
                                         r"frames in time order\.$"):
        tracker.update(None, 1.5)


# Blendshapes (measures/blendshapes.py).

def scores(**named) -> np.ndarray:
    values = np.zeros(len(BLENDSHAPE_NAMES))
    for name, value in named.items():
        values[BLENDSHAPE_NAMES.index(name)] = value
    return values


def test_the_neutral_is_each_scores_10th_percentile():
    faces = np.array([scores(jawOpen=0.1, browInnerUp=0.9), scores(jawOpen=0.5, browInnerUp=0.0),
                      scores(jawOpen=0.3, browInnerUp=0.0)])
    neutral = neutral_scores(faces)
    assert neutral.shape == (52,)
    assert neutral[BLENDSHAPE_NAMES.index("jawOpen")] == pytest.approx(0.14)  # 0.1 + 0.2 * (0.3 - 0.1)
    assert neutral[BLENDSHAPE_NAMES.index("browInnerUp")] == pytest.approx(0.0)  # 0 + 0.2 * (0 - 0)
    assert neutral_scores([scores(jawOpen=0.7)])[BLENDSHAPE_NAMES.index("jawOpen")] == pytest.approx(0.7)
    for bad, shape in (([], r"\(0,\)"), (np.zeros((0, 52)), r"\(0, 52\)"), (np.zeros((2, 51)), r"\(2, 51\)"),
                       (np.zeros(52), r"\(52,\)")):
        with pytest.raises(ValueError, match=rf"^blendshape scores have shape {shape}; expected \(faces >= 1, 52\)\.$"):
            neutral_scores(bad)


def test_blendshape_expressivity_is_the_mean_rise_of_four_regions():
    neutral = scores(browInnerUp=0.2, mouthClose=0.3)
    face_scores = scores(browInnerUp=0.5,  # rise 0.5 - 0.2 - 0.05 = 0.25
                         browDownLeft=0.03,  # within the noise: 0
                         eyeBlinkLeft=0.65,  # 0.6
                         eyeLookUpLeft=0.9, _neutral=1.0,  # gaze and _neutral are in no region
                         cheekPuff=0.15,  # 0.1
                         jawOpen=0.55, mouthSmileLeft=0.32,  # 0.5 and 0.27
                         mouthClose=0.0)  # below its neutral: 0, not negative
    regions = {"brows": 0.25 / 5, "eyes": 0.6 / 6, "cheeks_nose": 0.1 / 5, "mouth_jaw": 0.77 / 27}
    result = blendshape_expressivity(face_scores, neutral)
    assert list(result) == list(BLENDSHAPE_EXPRESSIVITY_COLUMNS)
    for region, value in regions.items():
        assert result[f"blendshape_expressivity_{region}"] == pytest.approx(value), region
    assert result["blendshape_expressivity"] == pytest.approx(sum(regions.values()) / 4)


def test_summarize_blendshapes_over_frames_with_scores():
    table = pd.DataFrame({"bs_jawOpen": [0.2, 0.5, 0.9, np.nan, 0.6], "bs_eyeBlinkLeft": [0.0, 0.7, 0.1, 0.3, 0.2],
                          "timestamp": [0.0, 0.1, 0.2, 0.3, 0.4]})
    summary = summarize_blendshapes(table)
    # The frame without jawOpen is left out of both: jawOpen 0.2, 0.5, 0.9, 0.6; eyeBlinkLeft 0, 0.7, 0.1, 0.2.
    assert summary == pytest.approx({
        "bs_jawOpen_mean": 0.55, "bs_jawOpen_p90": 0.81,  # 0.6 + 0.7 * (0.9 - 0.6)
        "bs_jawOpen_share_above_0_5": 0.5,  # 0.9 and 0.6; 0.5 is not above
        "bs_eyeBlinkLeft_mean": 0.25, "bs_eyeBlinkLeft_p90": 0.55,  # 0.2 + 0.7 * (0.7 - 0.2)
        "bs_eyeBlinkLeft_share_above_0_5": 0.25}, abs=1e-12)
    assert list(summary)[:3] == ["bs_eyeBlinkLeft_mean", "bs_eyeBlinkLeft_p90", "bs_eyeBlinkLeft_share_above_0_5"]
    empty = summarize_blendshapes(table.assign(bs_jawOpen=np.nan))
    assert set(empty) == set(summary) and all(math.isnan(value) for value in empty.values())
    assert summarize_blendshapes(table[["timestamp"]]) == {}
    assert len(summarize_blendshapes(pd.DataFrame(0.5, index=[0], columns=list(BLENDSHAPE_COLUMNS)))) == 3 * 52


# Blinks and the per-video summary (facial.py; tests/test_measures.py has the hand-computed summary).

def test_blink_rules_at_their_thresholds():
    """At 10 frames per second, eyes open (closure 0) but for the frames set: the local level (median
    over 1 s) stays 0, so a frame's rise is its closure."""
    def blinks(**closed):
        closure = np.zeros(30)
        for frame, value in closed.items():
            closure[int(frame.removeprefix("frame_"))] = value
        return count_blinks(closure, np.arange(30) / 10)

    assert blinks(frame_10=0.2) == 1  # a rise of exactly BLINK_RISE counts
    assert blinks(frame_10=0.19) == 0
    assert blinks(frame_10=0.6, frame_11=0.6) == 1  # one blink over two frames
    assert blinks(frame_10=0.6, frame_11=0.1, frame_12=0.6) == 1  # not back under BLINK_END_RISE in between
    assert blinks(frame_10=0.6, frame_11=0.09, frame_12=0.6) == 2
    assert blinks(frame_0=0.6) == 1  # closed at the first frame
    with pytest.raises(ValueError, match=r"^eye_closure has shape \(2,\) and timestamp_s \(1,\); expected two 1-D "
                                         r"series of the same length\.$"):
        count_blinks([0.1, 0.2], [0.0])


def measures_table(rows: int, step_s: float = 0.1) -> pd.DataFrame:
    """`rows` frames `step_s` apart, every measure 1.0, eyes open (blink columns 0)."""
    table = pd.DataFrame({"frame": np.arange(rows), "timestamp": np.arange(rows) * step_s})
    for column in MEASURE_COLUMNS + BLINK_COLUMNS:
        table[column] = 1.0 if column in MEASURE_COLUMNS else 0.0
    return table


def test_summary_edge_cases():
    empty = summarize_measures(measures_table(0), frame_interval_s=0.1)  # a video shorter than a second is fine
    assert empty["landmarks_share"] == 0.0
    assert all(math.isnan(value) for name, value in empty.items() if name != "landmarks_share")
    two = summarize_measures(measures_table(2), frame_interval_s=0.1)
    assert two["blinks_per_minute"] == 0.0 and two["landmarks_share"] == 1.0  # two frames 0.1 s apart: dense
    no_scores = summarize_measures(measures_table(20).drop(columns=list(BLINK_COLUMNS)), frame_interval_s=0.1)
    assert math.isnan(no_scores["blinks_per_minute"]) and no_scores["expressivity_mean"] == 1.0
    with pytest.raises(ValueError, match=r"^frame_interval_s is True; expected the nominal frame interval in "
                                         r"seconds, > 0\.$"):
        summarize_measures(measures_table(2), frame_interval_s=True)
