"""Scorers: the kinds of per-frame answer the frame engine (frame_engine.py) runs on each face.

A scorer owns a group of columns of the per-frame table and its part of the per-video summary,
so a new kind of answer is a new scorer, not a change to the others. `LevelScorer` is the CNN's:
level probabilities per face, optionally smoothed per tracked face. `MeasureScorer` gives the
facial measures of the interviewee from the face mesh.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from expressiveness import card
from expressiveness._io import file_sha256
from expressiveness.config import LABELS, PROBABILITY_COLUMNS
from expressiveness.errors import BaselineError
from expressiveness.face import BLENDSHAPE_COLUMNS, FaceBox, box_iou, crop_face, head_pose
from expressiveness.measures.blendshapes import summarize_blendshapes
from expressiveness.measures.facial import MEASURE_COLUMNS, MeasureTracker, aligned_shape, summarize_measures
from expressiveness.measures.geometry import inter_ocular_distance
from expressiveness.measures.moments import top_moments
from expressiveness.measures.quality import (MAX_TURN_DEG, MIN_IOD_PX, QUALITY_COLUMNS, frame_quality, quality_row,
                                             quality_summary, usable_rows)
from expressiveness.data.levels import expected_level
from expressiveness.video import Frame

LEVEL_COLUMNS = PROBABILITY_COLUMNS + ("level", "level_probability")
MEASURE_REFERENCE_FRAMES = 100  # faces in the sample whose median is the reference face (measures/facial.py)
# A file's reference face is the median of the usable faces among this many frames spread evenly over
# the video (MeasureScorer.observe), at least MIN_REFERENCE_FACES of them; else it is learnt while playing.
REFERENCE_SAMPLE_FRAMES = 48
MIN_REFERENCE_FACES = 5
# Bumped whenever a measure's formula or constant changes (noise floors, neutral percentile, moments):
# a result made with another version is not reused.
MEASURES_VERSION = 3  # 3: one time base (measures/timebase.py), analysed_s, completeness either way


class TemporalSmoother:
    """Exponential moving average of probabilities per tracked face.

    alpha in (0, 1]: weight of the newest frame (1 = no smoothing). A face continues a track
    when its box overlaps the track's last box (IoU >= min_iou); unmatched tracks are dropped.
    """

    def __init__(self, alpha: float = 0.4, min_iou: float = 0.3):
        if not 0 < alpha <= 1:
            raise ValueError(f"alpha is {alpha!r}; expected a number in (0, 1].")
        self.alpha = alpha
        self.min_iou = min_iou
        self._tracks: list[tuple[FaceBox, np.ndarray]] = []

    def update(self, faces: list[FaceBox], probabilities: np.ndarray) -> np.ndarray:
        """Smoothed probabilities (N, 3) for this frame's faces, in the same order."""
        smoothed = np.array(probabilities, dtype="float32", copy=True)
        free = list(range(len(self._tracks)))
        tracks = []
        for index, face in enumerate(faces):
            best = max(free, key=lambda track: box_iou(face.corners, self._tracks[track][0].corners), default=None)
            if best is not None and box_iou(face.corners, self._tracks[best][0].corners) >= self.min_iou:
                free.remove(best)
                smoothed[index] = self.alpha * smoothed[index] + (1 - self.alpha) * self._tracks[best][1]
            tracks.append((face, smoothed[index]))
        self._tracks = tracks
        return smoothed

    def reset(self) -> None:
        self._tracks = []


class Scorer:
    """One kind of per-frame answer. A scorer owns `columns` of the per-frame table; score()
    returns their values for the interviewee (it may also leave drawing data in `overlay`),
    no_face() is called on frames without a face (and may return values for them), reset()
    between videos; observe() and settle() see sample frames before a video's first frame
    (a scorer that needs the whole video, such as a reference face, learns it there), summarize() gives
    its part of the per-video summary, and provenance() what a rerun must match to reuse a
    result. Frames come in time order.

    look() reads what a frame shows on its own (a face engine's output, say) and hands it to
    score() as `seen`: the frame engine runs it in its own stage, so that it overlaps the
    previous frame's score(). look() runs in one thread, in frame order; score() in another."""

    columns: tuple[str, ...] = ()

    def look(self, frame: Frame, faces: list[FaceBox], subject: int):
        return None

    def score(self, frame: Frame, faces: list[FaceBox], subject: int, overlay: dict, seen=None) -> dict:
        raise NotImplementedError

    def no_face(self, frame: Frame) -> dict | None:
        self.reset()

    def reset(self) -> None:
        pass

    def observe(self, frame: Frame, faces: list[FaceBox], subject: int | None) -> None:
        pass

    def settle(self, source: dict) -> None:
        pass

    def summarize(self, table: pd.DataFrame, frame_interval_s: float, end_frame: int | None = None, within=None) -> dict:
        return {}

    def provenance(self) -> dict:
        return {}

    def close(self) -> None:
        pass


class LevelScorer(Scorer):
    """The CNN's levels: crops every face as the training crops were cut, classifies them in
    one batch, optionally smooths per tracked face; overlay["probabilities"] is (faces, 3)."""

    columns = LEVEL_COLUMNS

    def __init__(self, predictor, smoothing: float | None = None):
        self.predictor = predictor
        self.labels = tuple(predictor.labels)
        self.smoothing = smoothing
        self.smoother = TemporalSmoother(smoothing) if smoothing else None
        # Hashed once, as the model was loaded: the files on disk may be replaced later.
        self._provenance = level_provenance(predictor.model_path, predictor.backend, smoothing)

    def score(self, frame: Frame, faces: list[FaceBox], subject: int, overlay: dict, seen=None) -> dict:
        crops = np.stack([crop_face(frame.image, face, margin=self.predictor.crop_margin,
                                    align=self.predictor.crop_align) for face in faces])
        probabilities = self.predictor.predict(crops)
        if self.smoother:
            probabilities = self.smoother.update(faces, probabilities)
        overlay["probabilities"] = probabilities
        best = int(np.argmax(probabilities[subject]))
        row = {column: round(float(value), 4) for column, value in zip(PROBABILITY_COLUMNS, probabilities[subject])}
        row.update({"level": self.labels[best], "level_probability": round(float(probabilities[subject][best]), 4)})
        return row

    def reset(self) -> None:
        if self.smoother:
            self.smoother.reset()

    def summarize(self, table: pd.DataFrame, frame_interval_s: float, end_frame: int | None = None, within=None) -> dict:
        return summarize_levels(table if within is None else table[np.asarray(within, dtype=bool)], self.labels)

    def provenance(self) -> dict:
        return self._provenance


def level_provenance(model_path: str | Path, backend: str, smoothing: float | None,
                     model_card: dict | None = None) -> dict:
    """What the levels depend on: the model and card files (resolved path, sha256 of each;
    name, cut points and what it was trained on (card.trained_on) for reading), the inference
    backend and the smoothing. model_card: the card when already read."""
    model_path = Path(model_path)
    model_card = model_card if model_card is not None else card.read_card(model_path, model_must_exist=True)
    return {"model": model_card.get("name", model_path.stem), "model_path": str(model_path.resolve()),
            "model_sha256": file_sha256(model_path), "card_sha256": file_sha256(model_path.with_suffix(".json")),
            "thresholds": [float(value) for value in model_card["thresholds"]],
            "model_trained_on": card.trained_on(model_card), "backend": backend,
            "smoothing": smoothing}


def measure_provenance(tracking: str, reference_frames: int = MEASURE_REFERENCE_FRAMES) -> dict:
    """What the facial measures of a file depend on beyond the face engine (a result made otherwise,
    such as before frame quality and the whole-video reference, is not reused)."""
    return {"measures_version": MEASURES_VERSION, "measures_reference_frames": reference_frames,
            "measures_reference_sample": REFERENCE_SAMPLE_FRAMES, "measures_min_reference_faces": MIN_REFERENCE_FACES,
            "measures_quality": {"max_turn_deg": MAX_TURN_DEG, "min_iod_px": MIN_IOD_PX}, "face_tracking": tracking}


def _xywh(face: FaceBox) -> tuple[int, int, int, int]:
    return face.x, face.y, face.width, face.height


class MeasureScorer(Scorer):
    """Facial measures from MediaPipe's face landmarker (measures/facial.py): head pose and motion from
    its transformation matrix, how far the face itself deforms once head movement is taken out,
    and the 52 blendshape scores (columns bs_<name>, in [0, 1]). Needs no trained model.
    overlay["landmarks"] is the interviewee's FaceLandmarks, or None."""

    columns = MEASURE_COLUMNS + QUALITY_COLUMNS + BLENDSHAPE_COLUMNS

    def __init__(self, reference_frames: int = MEASURE_REFERENCE_FRAMES, tracking: str = "image", face_model=None):
        from expressiveness.face import FaceLandmarker

        # tracking "image" (files): every frame on its own, so the landmarks of a frame do not depend
        # on the frames before it; "video" (the camera): tracked, with MediaPipe's causal filter.
        # A landmark set that is not the detector's interviewee is dropped by FaceLandmarker.landmarks.
        self.tracking = tracking
        self.read_subject_alone = False  # several persons in view: face.region's window (pipeline/subject.py)
        self.landmarker = FaceLandmarker(tracking=tracking, max_faces=1, face_model=face_model)
        self.tracker = MeasureTracker(reference_frames)
        self._clear_sample()
        self.reference = {"reference": "running"}

    def _clear_sample(self) -> None:
        self._sample_shapes: list[np.ndarray] = []
        self._sample_scores: list[np.ndarray] = []
        self._sampled = 0
        # {frame index: (box, LandmarkReading)} of the sample frames, which the video's own pass then
        # reuses instead of running the landmarker twice (image mode: a frame's landmarks depend on it alone)
        self._looked: dict[int, tuple] = {}

    def look(self, frame: Frame, faces: list[FaceBox], subject: int):
        """The landmarker's reading of the frame (a LandmarkReading): the face engine's work."""
        looked = self._looked.pop(frame.index, None)
        if looked is not None and looked[0] == _xywh(faces[subject]):
            return looked[1]
        return self._read(frame, faces, subject)

    def _read(self, frame: Frame, faces: list[FaceBox], subject: int):
        # With other faces in the frame, the landmarker (one face) could read another's: the subject's
        # window is read instead (face/region.py), also when several persons are in view of the video.
        # Files only: the camera's tracking ("video") follows one picture from frame to frame.
        if self.tracking == "image" and (self.read_subject_alone or len(faces) > 1):
            from expressiveness.face.region import read_region

            return read_region(self.landmarker, frame.image, faces[subject], frame.timestamp_s)
        return self.landmarker.read(frame.image, frame.timestamp_s)

    @staticmethod
    def _face_and_quality(frame: Frame, box: FaceBox, reading):
        """The interviewee's landmarks in a reading (None when the landmarker found none there)
        and the frame's quality."""
        face, xywh = reading.face_of(box), _xywh(box)
        if face is None:
            return None, frame_quality(frame.image.shape, xywh, None, 0.0, 0.0, 0.0)
        yaw, pitch, _ = head_pose(face.transform)
        quality = frame_quality(frame.image.shape, xywh, face.points, yaw, pitch, inter_ocular_distance(face.points))
        return face, quality

    def score(self, frame: Frame, faces: list[FaceBox], subject: int, overlay: dict, seen=None) -> dict:
        reading = seen if seen is not None else self.look(frame, faces, subject)
        face, quality = self._face_and_quality(frame, faces[subject], reading)
        overlay["landmarks"] = face
        if face is None:
            measures = self.tracker.update(None, frame.timestamp_s)
        else:
            measures = self.tracker.update(face.points, frame.timestamp_s, face.transform, usable=quality == "ok",
                                           blendshapes=face.blendshapes, nominal_s=frame.nominal_s)
        row = {column: round(value, 4) if math.isfinite(value) else None for column, value in measures.items()}
        row.update(quality_row(quality))
        if face is not None:
            row.update(zip(BLENDSHAPE_COLUMNS, np.round(face.blendshapes.astype("float64"), 4).tolist()))
        return row

    def no_face(self, frame: Frame) -> dict:
        self.tracker.update(None, frame.timestamp_s)  # motion restarts after the gap
        return quality_row("no_face")

    def observe(self, frame: Frame, faces: list[FaceBox], subject: int | None) -> None:
        """A sample frame for the reference face: kept when usable."""
        self._sampled += 1
        if subject is not None:
            reading = self._read(frame, faces, subject)
            face, quality = self._face_and_quality(frame, faces[subject], reading)
            if self.tracking == "image":
                self._looked[frame.index] = (_xywh(faces[subject]), reading)
            if quality == "ok":
                self._sample_shapes.append(aligned_shape(face.points))
                self._sample_scores.append(face.blendshapes)

    def settle(self, source: dict) -> None:
        """Fix the reference face from the usable sample faces, when there are enough. source:
        where they come from ({"reference": "whole_video"}, "baseline" with "baseline_s" and "of"
        (the video, for messages), "baseline_video" with its path). Raises BaselineError for a
        baseline with too few usable faces."""
        self.landmarker.reset()  # the video's own frames start afresh (tracking, timestamps)
        faces = len(self._sample_shapes)
        counted = {"reference_faces": faces, "reference_frames_sampled": self._sampled}
        if faces >= MIN_REFERENCE_FACES:
            self.tracker.fix_reference(self._sample_shapes, self._sample_scores)
            self.reference = {**{key: value for key, value in source.items() if key != "of"}, **counted}
        elif source["reference"] != "whole_video":
            where = (f"the baseline video {source['baseline_video']}" if "baseline_video" in source
                     else "the baseline {:g}:{:g} s of {}".format(*source["baseline_s"], source["of"]))
            self._clear_sample()
            raise BaselineError(f"{where} has {faces} usable face{'' if faces == 1 else 's'} in {counted['reference_frames_sampled']} frames; "
                                f"expected at least {MIN_REFERENCE_FACES} (a neutral stretch of the same person, "
                                f"facing the camera, whole in the image).")
        else:
            self.reference = {"reference": "running", "reference_faces": faces, "reference_frames_sampled": self._sampled,
                              "reference_note": f"{faces} usable faces in {self._sampled} frames spread over the video "
                                                f"(fewer than {MIN_REFERENCE_FACES}): the reference face was learnt "
                                                f"while playing, so the first seconds read low"}
        looked = self._looked if source["reference"] != "baseline_video" else {}  # another video's frames
        self._clear_sample()
        self._looked = looked

    def reset(self) -> None:
        self.read_subject_alone = False
        self.tracker.reset()
        self.landmarker.reset()
        self._clear_sample()
        self.reference = {"reference": "running"}

    def summarize(self, table: pd.DataFrame, frame_interval_s: float, end_frame: int | None = None, within=None) -> dict:
        """The measures' summary; within (a bool mask over the rows): the figures of those frames
        alone, on the whole video's time base (summarize_measures), without quality or moments."""
        summary = summarize_measures(table, frame_interval_s, end_frame, within)
        summary.update(summarize_blendshapes(usable_rows(table if within is None else table[np.asarray(within, bool)])))
        summary = {key: round(value, 4) if math.isfinite(value) else None for key, value in summary.items()}
        if within is not None:
            return summary
        return {**summary, **quality_summary(table), **self.reference, "top_moments": top_moments(table)}

    def provenance(self) -> dict:
        return measure_provenance(self.tracking, self.tracker.reference_frames)

    def close(self) -> None:
        self.landmarker.close()


def summarize_levels(table: pd.DataFrame, labels=LABELS) -> dict:
    """Per-video level figures from a per-frame table (one row per analysed frame).

    share_<level>: share of the frames with a face that are at that level (the three sum to 1);
    share_<level>_of_analyzed_frames: share of all analysed frames (a frame without a face is
    at no level, so the three sum to face_share). Mean probabilities, expected level, dominant
    level and level changes are over the frames with a face. Without any face frame, every
    figure over face frames is None (null), the shares of analysed frames are 0.0 and
    level_changes is 0.
    """
    with_face = table[table["success"] == 1]
    summary = {}
    keys = ("reserved", "balanced", "expressive")
    analyzed = len(table)
    if len(with_face):
        shares = with_face["level"].value_counts(normalize=True)
        counts = with_face["level"].value_counts()
        means = with_face[list(PROBABILITY_COLUMNS)].astype("float64").mean()
        levels = with_face["level"].to_numpy()
        summary.update({f"share_{key}": round(float(shares.get(label, 0.0)), 4) for key, label in zip(keys, labels)})
        summary.update({f"share_{key}_of_analyzed_frames": round(float(counts.get(label, 0)) / analyzed, 4)
                        for key, label in zip(keys, labels)})
        summary.update({f"mean_{column}": round(float(means[column]), 4) for column in PROBABILITY_COLUMNS})
        summary["expected_level"] = round(float(expected_level(means.to_numpy())), 4)
        summary["dominant_level"] = labels[int(np.argmax(means.to_numpy()))]
        summary["level_changes"] = int(np.sum(levels[1:] != levels[:-1]))
    else:
        summary.update({f"share_{key}": None for key in keys})
        summary.update({f"share_{key}_of_analyzed_frames": 0.0 if analyzed else None for key in keys})
        summary.update({f"mean_{column}": None for column in PROBABILITY_COLUMNS})
        summary.update({"expected_level": None, "dominant_level": None, "level_changes": 0})
    return summary
