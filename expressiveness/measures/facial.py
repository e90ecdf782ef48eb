"""Facial measures from face landmarks over time, per frame and per video (numpy and pandas only).

Per frame (`MeasureTracker.update`), in MEASURE_COLUMNS order:
- head_yaw_deg, head_pitch_deg, head_roll_deg: head pose from the landmarker's transformation
  matrix (signs as in `face.pose.head_pose`);
- head_motion_deg_s: angular speed of the head since the previous frame (deg/s), from the same matrix;
- expressivity (and _brows, _eyes, _mouth): how far the face is from the person's typical face
  once head movement is taken out: the landmarks are aligned to the reference face by a 3D
  similarity transform (translation, rotation, uniform scale; fitted on MediaPipe's Procrustes
  basis, points that barely move with expressions), then each of the 468 aligned landmarks'
  distance from the reference in percent of the reference's inter-ocular distance (IOD), less
  the mesh's noise floor MESH_NOISE_IOD (1 % IOD, never below 0), averaged over all landmarks
  (or one region's, see `geometry.REGIONS`). Head and camera movement is taken out down to
  that floor: a still face before a rigidly moving camera scores ~0.1, real talking ~3.5;
- facial_motion: mean speed of the aligned landmarks since the previous frame (% IOD per
  second). At 30 frames/s it is dominated by that mesh noise whenever the face moves in the
  image: a moving camera scores as high as talking. Prefer expressivity;
- eyes_open: eye aspect ratio, mean of both eyes: (|p2-p6| + |p3-p5|) / (2 |p1-p4|) with the
  points EYE_OPENNESS_POINTS (p1, p4 the corners); about 0.25-0.35 open, lower when closing or
  looking down (blinks are counted from the eyeBlink blendshapes instead, see count_blinks);
- mouth_open: inner-lip gap over mouth width, |13-14| / |61-291|; ~0 closed, ~0.5 wide open;
- blendshape_expressivity (and _brows, _eyes, _cheeks_nose, _mouth_jaw): the mean rise of the
  52 blendshape scores above the person's neutral (measures/blendshapes.py), from the same
  reference faces as expressivity; NaN without blendshapes.
All are NaN in a frame without landmarks. Motion uses the frames' real timestamps, so frames may
be sampled every k-th, but never divides by a step of the clock far under the nominal frame
interval (measures/timebase.py: a stuttering clock cannot make a speed spike); the first frame,
and the first frame after a frame without a face, have NaN motion.

The reference face is the element-wise median of the person's aligned faces in usable frames
(measures/quality.py). For a file it is fixed before the first frame is measured
(`fix_reference`, from faces spread over the whole video or a baseline), so a frame's values do
not depend on where in the video it falls. Without a fixed reference (the live camera, which
cannot look ahead) it is learnt while frames come: the median of a bounded reservoir of the faces
so far (Vitter's algorithm R, `reference_frames` shapes; the first usable frame's expressivity is
0), each new face replacing a random stored one with probability reference_frames / faces seen,
so it settles toward the median of a uniform sample and memory stays flat. That median is
recomputed after 1, 2, 4, 8 and 16 faces, then every REFERENCE_REFRESH faces.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from expressiveness.face import BLENDSHAPE_NAMES
from expressiveness.face.pose import head_rotation, rotation_angle_deg, rotation_angles
from expressiveness.measures.blendshapes import BLENDSHAPE_EXPRESSIVITY_COLUMNS, blendshape_expressivity, neutral_scores
from expressiveness.measures.geometry import (BASIS_INDICES, BASIS_WEIGHTS, CANONICAL_BASIS, LANDMARK_COUNT, REGIONS,
                                              check_landmarks, inter_ocular_distance, similarity_transform)
from expressiveness.measures.quality import usable_rows
from expressiveness.measures.timebase import frame_durations, rate_step_s

MEASURE_COLUMNS = ("head_yaw_deg", "head_pitch_deg", "head_roll_deg", "head_motion_deg_s", "expressivity",
                   "expressivity_brows", "expressivity_eyes", "expressivity_mouth", "facial_motion", "eyes_open",
                   "mouth_open") + BLENDSHAPE_EXPRESSIVITY_COLUMNS
EXPRESSIVITY_COLUMNS = ("expressivity", "expressivity_brows", "expressivity_eyes",
                        "expressivity_mouth") + BLENDSHAPE_EXPRESSIVITY_COLUMNS
# (p1 outer corner, p2, p3 upper lid, p4 inner corner, p5, p6 lower lid), right eye then left eye.
EYE_OPENNESS_POINTS = ((33, 160, 158, 133, 153, 144), (263, 387, 385, 362, 380, 373))
MOUTH_OPENNESS_POINTS = (13, 14, 61, 291)  # inner upper lip, inner lower lip, mouth corners
# Blinks are read from the landmarker's eyeBlinkLeft/Right blendshapes (mean of both eyes): a
# blink is a rise above the local level (their median over 1 s around each frame) by BLINK_RISE,
# ending when the rise falls below BLINK_END_RISE. The eye-aspect ratio of the landmarks dips as
# much when a person looking down narrows their eyes (10-11 "blinks" on 4 real ones, measured).
BLINK_WINDOW_S = 1.0
BLINK_RISE = 0.2
BLINK_END_RISE = 0.1
BLINK_MAX_INTERVAL_S = 0.1  # blinks are counted only from frames sampled at >= 10 per second
BLINK_COLUMNS = ("bs_eyeBlinkLeft", "bs_eyeBlinkRight")
# A landmark's distance from the reference under this (% IOD, ~0.6 mm on an adult face) is the mesh's
# own noise: MediaPipe places the same still face a little differently as it moves in the image.
# Measured on a rigid camera path over a still demo frame (tests/test_measures.py): without this
# floor, that path scored 0.16 of real talk; with it, 0.03, and real talk keeps ~80 % of its value.
MESH_NOISE_IOD = 1.0
REFERENCE_REFRESH = 32  # faces between two recomputations of the reference face

_BASIS = np.array(BASIS_INDICES)
_REGIONS = {region: np.array(indices) for region, indices in REGIONS.items()}


def _distances(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    return np.sqrt(((first - second) ** 2).sum(axis=-1))


_EYE = np.array(EYE_OPENNESS_POINTS).T  # row k: point p(k+1) of both eyes


def eye_openness(landmarks: np.ndarray) -> float:
    """Eye aspect ratio of face landmarks (478 or 468, 3), mean of both eyes (see module
    docstring): about 0.25-0.35 open, 0 when the lids touch."""
    points = check_landmarks(landmarks)
    lids = _distances(points[_EYE[1]], points[_EYE[5]]) + _distances(points[_EYE[2]], points[_EYE[4]])
    return float(np.mean(lids / (2 * _distances(points[_EYE[0]], points[_EYE[3]]))))


def mouth_openness(landmarks: np.ndarray) -> float:
    """Inner-lip gap over mouth width of face landmarks (478 or 468, 3); 0 when the lips touch,
    about 0.5 wide open."""
    points = check_landmarks(landmarks)
    upper, lower, right, left = MOUTH_OPENNESS_POINTS
    return float(_distances(points[upper], points[lower]) / _distances(points[right], points[left]))


def _aligned(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The face in MediaPipe's canonical frame and size (head pose and size taken out), and the
    fitted head rotation."""
    scale, rotation, translation = similarity_transform(CANONICAL_BASIS, points[_BASIS], BASIS_WEIGHTS)
    return (points - translation) @ rotation / scale, rotation


def aligned_shape(landmarks: np.ndarray) -> np.ndarray:
    """Face landmarks (478 or 468, 3) with head pose and size taken out: what a reference face is
    the median of (MeasureTracker.fix_reference)."""
    return _aligned(check_landmarks(landmarks))[0]


class MeasureTracker:
    """Per-frame facial measures of one person through one video, frame after frame.

    reference_frames: size (>= 1) of the reservoir of faces whose median is the person's
    reference face (module docstring); memory is reference_frames x 468 x 3 floats.
    seed: of the reservoir's random replacements, so reruns give the same numbers.
    Call update() for every analysed frame in time order (None when the person's face is not
    found), reset() before another person or video.
    """

    def __init__(self, reference_frames: int = 100, seed: int = 0):
        if isinstance(reference_frames, bool) or not isinstance(reference_frames, int) or reference_frames < 1:
            raise ValueError(f"reference_frames is {reference_frames!r}; expected a whole number >= 1.")
        self.reference_frames = reference_frames
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        """Forget the reference face (also a fixed one) and the previous frame."""
        self._fixed = False
        self._random = np.random.default_rng(self.seed)
        self._reservoir = np.zeros((self.reference_frames, LANDMARK_COUNT, 3))
        self._scores = np.full((self.reference_frames, len(BLENDSHAPE_NAMES)), np.nan)  # blendshapes, same slots
        self.neutral: np.ndarray | None = None  # (52,) the blendshapes' neutral
        self._stored = 0
        self._faces_seen = 0
        self._reservoir_changed = False
        self.reference: np.ndarray | None = None  # (468, 3), MediaPipe's canonical frame and size
        self._reference_iod = math.nan
        self._previous = None  # (timestamp_s, nominal_s, shape in the canonical frame, head rotation)
        self._last_timestamp_s = -math.inf

    def fix_reference(self, shapes, scores=None) -> None:
        """Make the element-wise median of `shapes` (aligned faces, as aligned_shape gives them;
        at least one) the reference face, and the neutral of their blendshape `scores` (faces,
        52; None: no blendshape expressivity) the blendshapes' neutral, for every frame until reset()."""
        shapes = np.asarray(shapes, dtype="float64")
        if shapes.ndim != 3 or len(shapes) == 0 or shapes.shape[1:] != (LANDMARK_COUNT, 3):
            raise ValueError(f"shapes has shape {shapes.shape}; expected (faces >= 1, {LANDMARK_COUNT}, 3).")
        self.reference = np.median(shapes, axis=0)
        self._reference_iod = inter_ocular_distance(self.reference)
        self.neutral = None if scores is None else neutral_scores(scores)
        self._fixed = True

    def update(self, landmarks: np.ndarray | None, timestamp_s: float, transform: np.ndarray | None = None,
               usable: bool = True, blendshapes: np.ndarray | None = None,
               nominal_s: float | None = None) -> dict[str, float]:
        """Measures of one frame: {column: float} for MEASURE_COLUMNS, all NaN when landmarks is
        None. landmarks: (478, 3) or (468, 3) as FaceLandmarks.points; timestamp_s: seconds,
        greater than the previous frame's; transform: the face's 4x4 transformation matrix
        (FaceLandmarks.transform), from which head pose and head motion are read; None fits the
        head rotation on the landmarks instead. usable: False keeps the face out of the learnt
        reference (its expressivity is NaN until a usable face has set one). blendshapes: the
        face's 52 scores (FaceLandmarks.blendshapes), for blendshape expressivity. nominal_s: the
        frame's time at the stream's declared frame rate (index / fps; None for a camera): a step
        of timestamp_s far under the nominal one is not divided by (measures/timebase.py)."""
        if isinstance(timestamp_s, bool) or not isinstance(timestamp_s, (int, float, np.number)) \
                or not math.isfinite(timestamp_s):
            raise ValueError(f"timestamp_s is {timestamp_s!r}; expected a finite number of seconds.")
        if timestamp_s <= self._last_timestamp_s:
            raise ValueError(f"timestamp_s is {timestamp_s!r}, not after the previous frame's "
                             f"{self._last_timestamp_s!r}; expected frames in time order.")
        self._last_timestamp_s = float(timestamp_s)
        row = dict.fromkeys(MEASURE_COLUMNS, math.nan)
        if landmarks is None:
            self._previous = None  # motion restarts after a gap; the reference persists
            return row
        points = check_landmarks(landmarks)
        shape, rotation = _aligned(points)
        if transform is not None:
            rotation = head_rotation(transform)
        row["head_yaw_deg"], row["head_pitch_deg"], row["head_roll_deg"] = rotation_angles(rotation)
        if usable and not self._fixed:
            self._remember(shape, blendshapes)
        if blendshapes is not None and self.neutral is not None:
            row.update(blendshape_expressivity(blendshapes, self.neutral))

        reference, per_iod = self.reference, 100 / self._reference_iod
        if reference is not None:
            scale, turn, shift = similarity_transform(shape[_BASIS], reference[_BASIS], BASIS_WEIGHTS)
            distances = np.maximum(_distances(scale * shape @ turn.T + shift, reference) * per_iod - MESH_NOISE_IOD, 0.0)
            row["expressivity"] = float(distances.mean())
            for region, indices in _REGIONS.items():
                row[f"expressivity_{region}"] = float(distances[indices].mean())

        if self._previous is not None:
            previous_timestamp_s, previous_nominal_s, previous_shape, previous_rotation = self._previous
            nominal_step_s = None if nominal_s is None or previous_nominal_s is None else nominal_s - previous_nominal_s
            elapsed_s = rate_step_s(timestamp_s - previous_timestamp_s, nominal_step_s)
            row["facial_motion"] = float(_distances(shape, previous_shape).mean() * per_iod / elapsed_s)
            row["head_motion_deg_s"] = rotation_angle_deg(rotation @ previous_rotation.T) / elapsed_s
        row["eyes_open"] = eye_openness(points)
        row["mouth_open"] = mouth_openness(points)
        self._previous = (float(timestamp_s), nominal_s, shape, rotation)
        return row

    def _remember(self, shape: np.ndarray, scores: np.ndarray | None) -> None:
        """Reservoir sampling of aligned faces (and their blendshape scores); the reference is
        their element-wise median, the neutral the scores' percentile."""
        self._faces_seen += 1
        if self._stored < self.reference_frames:
            slot = self._stored
            self._stored += 1
        else:
            slot = int(self._random.integers(self._faces_seen))
        if slot < self.reference_frames:
            self._reservoir[slot] = shape
            self._scores[slot] = np.nan if scores is None else scores
            self._reservoir_changed = True
        # A median of the reservoir costs ~5 ms: recompute it after 1, 2, 4, ... faces, then every
        # REFERENCE_REFRESH faces when the reservoir has changed.
        seen = self._faces_seen
        if self._reservoir_changed and ((seen & (seen - 1)) == 0 if seen < REFERENCE_REFRESH
                                        else seen % REFERENCE_REFRESH == 0):
            self.reference = np.median(self._reservoir[:self._stored], axis=0)
            self._reference_iod = inter_ocular_distance(self.reference)
            scores = self._scores[:self._stored]
            scores = scores[np.isfinite(scores).all(axis=1)]
            self.neutral = neutral_scores(scores) if len(scores) else None
            self._reservoir_changed = False


def blink_onsets(eye_closure, timestamp_s) -> np.ndarray:
    """(n,) bool: the frames where a blink starts, in a series of eye closure scores in [0, 1]
    (the mean of the eyeBlinkLeft/Right blendshapes; NaN where no face) at `timestamp_s` seconds.

    A blink is a rise of at least BLINK_RISE above the local level (the median over
    BLINK_WINDOW_S around each frame), ending when the rise is back under BLINK_END_RISE. The
    local level keeps eyes narrowed for a while (smiling, looking down) from counting, and lets a
    blink count while they are narrowed. Needs frames at least every BLINK_MAX_INTERVAL_S: a
    blink lasts 0.1-0.4 s.
    """
    values = np.asarray(eye_closure, dtype="float64")
    times = np.asarray(timestamp_s, dtype="float64")
    if values.shape != times.shape or values.ndim != 1:
        raise ValueError(f"eye_closure has shape {values.shape} and timestamp_s {times.shape}; expected two "
                         f"1-D series of the same length.")
    onsets = np.zeros(values.shape, dtype=bool)
    keep = np.flatnonzero(np.isfinite(values))
    if keep.size == 0:
        return onsets
    keep = keep[np.argsort(times[keep], kind="stable")]
    series = pd.Series(values[keep], index=pd.to_timedelta(times[keep], unit="s"))
    level = series.rolling(pd.Timedelta(seconds=BLINK_WINDOW_S), center=True).median().to_numpy()
    closed = False
    for position, rise in zip(keep, series.to_numpy() - level):
        if not closed and rise >= BLINK_RISE:
            onsets[position], closed = True, True
        elif closed and rise < BLINK_END_RISE:
            closed = False
    return onsets


def count_blinks(eye_closure, timestamp_s) -> int:
    """Blinks in a series of eye closure scores at `timestamp_s` seconds (blink_onsets)."""
    return int(blink_onsets(eye_closure, timestamp_s).sum())


def _nan_stat(values: np.ndarray, function) -> float:
    values = values[np.isfinite(values)]
    return float(function(values)) if values.size else math.nan


def summarize_measures(table: pd.DataFrame, frame_interval_s: float, end_frame: int | None = None,
                       within=None) -> dict[str, float]:
    """One video's facial measures from its per-frame table (columns `frame` (index in the
    video) and `timestamp` (the decoder's, in seconds) plus MEASURE_COLUMNS; one row per analysed
    frame, NaN where no face). frame_interval_s: the nominal frame interval, 1 / the declared fps;
    end_frame: the index after the video's last frame, when known (timebase.frame_durations).

    Every figure but landmarks_share is over the usable frames only (column `usable`, see
    measures/quality.py; all frames of a table without it). Returns floats (NaN where no such
    frame has a value): {column}_mean and {column}_p90 for each expressivity column;
    facial_motion_mean, head_motion_deg_s_mean; head_yaw_range_deg, head_pitch_range_deg,
    head_roll_range_deg (5th to 95th percentile); blinks_per_minute (count_blinks of the
    BLINK_COLUMNS blendshapes per minute of usable face: the time the usable frames with
    landmarks stand for, measures/timebase.frame_durations, never the header's duration; NaN when
    the table has no such columns, or when rows are further apart than BLINK_MAX_INTERVAL_S,
    median, as blinks then go unseen); landmarks_share (share of all rows with landmarks, in
    [0, 1]). Percentiles are numpy's (linear).

    within: a bool mask over the table's rows (in its order; None: all), the frames to summarise,
    such as the speaking ones. One rule keeps a subset on the whole video's time base: every
    per-frame quantity is computed on the whole table first (each frame's duration, its speeds,
    where blinks start), then the frames within are selected. A subset's gaps are never steps.
    """
    missing = [column for column in ("frame", "timestamp", *MEASURE_COLUMNS) if column not in table.columns]
    if missing:
        raise ValueError(f"the per-frame table has no column {', '.join(missing)}; expected frame, timestamp and "
                         f"{', '.join(MEASURE_COLUMNS)}.")
    if isinstance(frame_interval_s, bool) or not isinstance(frame_interval_s, (int, float, np.number)) \
            or not frame_interval_s > 0:
        raise ValueError(f"frame_interval_s is {frame_interval_s!r}; expected the nominal frame interval in "
                         f"seconds, > 0.")
    chosen = np.ones(len(table), dtype=bool) if within is None else np.asarray(within, dtype=bool)
    if chosen.shape != (len(table),):
        raise ValueError(f"within has shape {chosen.shape}; expected one bool per row, ({len(table)},).")
    chosen = pd.Series(chosen, index=table.index)
    everything = table.sort_values("timestamp", kind="stable")
    durations = pd.Series(frame_durations(everything["timestamp"], everything["frame"], frame_interval_s, end_frame),
                          index=everything.index)
    usable = usable_rows(everything)
    timestamps = usable["timestamp"].to_numpy(dtype="float64")  # the whole video's, for the sampling check and blinks
    has_blink_scores = all(name in usable.columns for name in BLINK_COLUMNS)
    onsets = pd.Series(blink_onsets(usable[list(BLINK_COLUMNS)].to_numpy(dtype="float64").mean(axis=1), timestamps)
                       if has_blink_scores else False, index=usable.index)
    everything = everything[chosen[everything.index].to_numpy()]
    share = float(everything["head_yaw_deg"].notna().mean()) if len(everything) else 0.0
    table = usable[chosen[usable.index].to_numpy()]
    face_minutes = float(durations[table.index[table["head_yaw_deg"].notna()]].sum()) / 60
    column = {name: table[name].to_numpy(dtype="float64") for name in MEASURE_COLUMNS}
    summary = {}
    for name in EXPRESSIVITY_COLUMNS:
        summary[f"{name}_mean"] = _nan_stat(column[name], np.mean)
        summary[f"{name}_p90"] = _nan_stat(column[name], lambda values: np.percentile(values, 90))
    summary["facial_motion_mean"] = _nan_stat(column["facial_motion"], np.mean)
    summary["head_motion_deg_s_mean"] = _nan_stat(column["head_motion_deg_s"], np.mean)
    for axis in ("yaw", "pitch", "roll"):
        summary[f"head_{axis}_range_deg"] = _nan_stat(
            column[f"head_{axis}_deg"], lambda values: np.percentile(values, 95) - np.percentile(values, 5))
    sampled_densely = len(timestamps) > 1 and np.median(np.diff(timestamps)) <= BLINK_MAX_INTERVAL_S + 1e-9
    summary["blinks_per_minute"] = (int(onsets[table.index].sum()) / face_minutes
                                    if has_blink_scores and sampled_densely and face_minutes > 0 else math.nan)
    summary["landmarks_share"] = share
    return summary
