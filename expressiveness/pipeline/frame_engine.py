"""The per-frame engine: one pass over a video's frames runs every scorer on the same faces.

A frame is decoded and its faces are detected (in one thread), the face landmarker reads it
(in the caller's thread), then every scorer turns that into its columns (in a third thread):
MediaPipe, OpenCV and LiteRT release the GIL, so on 2 cores the three stages overlap. Each
scorer owns a group of columns of the per-frame table and its part of the per-video summary,
so a new kind of answer (the facial measures, say) is a new scorer, not a change to the others.
per_video.py runs this engine over a video file; live.py over a camera.

The per-frame table has one row per analysed frame, with or without a face: BASE_COLUMNS
(`timestamp` in seconds; the box in frame pixels), then each scorer's columns. A frame without
a face has success 0 and empty scorer columns. With several faces the row describes the
interviewee, whose `person` id pipeline/subject.py chose once per video; `faces` counts them all.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from expressiveness.config import DEFAULT_FACE_SELECTION, LABELS
from expressiveness.face import FaceBox, FaceDetector, select_face
from expressiveness.pipeline.options import (AnalysisOptions, audio_provenance, baseline_provenance,
                                             detection_provenance)
from expressiveness.pipeline.scorers import LEVEL_COLUMNS, LevelScorer, MeasureScorer, Scorer
from expressiveness.pipeline.table import TableRows
from expressiveness.video import DECODE_AHEAD, Frame, decode_ahead

BASE_COLUMNS = ("frame", "timestamp", "success", "confidence", "faces", "person", "face_x", "face_y", "face_width",
                "face_height")
FRAME_COLUMNS = BASE_COLUMNS + LEVEL_COLUMNS  # the table of the level scorer alone


@dataclass
class FrameResult:
    frame: Frame
    faces: list[FaceBox]  # every face found, largest first
    subject: int | None  # index of the interviewee in faces, None without a face
    row: dict  # this frame's row of the per-frame table
    overlay: dict = field(default_factory=dict)  # what scorers leave for drawing (per-face data)

    @property
    def probabilities(self) -> np.ndarray:
        """The level scorer's (faces, 3) probabilities, (0, 3) without it or without a face."""
        return self.overlay.get("probabilities", np.zeros((0, len(LABELS)), "float32"))


class FrameAnalyzer:
    """Detection, then every scorer, on one frame at a time; frames must come in order."""

    def __init__(self, detector: FaceDetector, scorers: list[Scorer], options: AnalysisOptions | None = None):
        self.detector = detector
        self.scorers = list(scorers)
        # The detector given is the one used: its settings fill (and win over) the options'.
        self.options = replace(options or AnalysisOptions(), min_confidence=detector.min_confidence,
                               face_selection=(options and options.face_selection) or DEFAULT_FACE_SELECTION)
        self.columns = BASE_COLUMNS + tuple(column for scorer in self.scorers for column in scorer.columns)
        self._found: dict[int, list[FaceBox]] = {}  # {frame index: faces} of the video's reference sample
        self.persons = None  # a video's subject.SubjectFrames (pipeline/subject.py), None: each frame's face_selection

    def reset(self) -> None:
        """Forget what was tracked: call between videos."""
        self._found = {}
        self.persons = None
        for scorer in self.scorers:
            scorer.reset()

    def close(self) -> None:
        self.detector.close()
        for scorer in self.scorers:
            scorer.close()

    def with_faces(self, frames: Iterable[Frame]) -> Iterator[tuple[Frame, list[FaceBox]]]:
        """Each frame with the faces detect() finds in it (the detector is stateless, so this may
        run in another thread than the scorers)."""
        try:
            for frame in frames:
                yield frame, self.detect(frame)
        finally:
            close = getattr(frames, "close", None)
            if close is not None:  # release the decoder now, also when stopped early
                close()

    def detect(self, frame: Frame) -> list[FaceBox]:
        found = self._found.pop(frame.index, None)  # found already while learning the reference
        if found is None and self.persons is not None:
            found = self.persons.faces(frame.index)  # or by pipeline/subject.py's pre-pass
        return found if found is not None else self.detector.detect(frame.image)

    def _subject(self, frame: Frame, faces: list[FaceBox]) -> int | None:
        """The index of the interviewee in faces; None without a face (or without the subject's)."""
        if self.persons is not None:
            return self.persons.subject_index(frame, faces)
        return faces.index(select_face(faces, frame.image.shape, self.options.face_selection)) if faces else None

    def look(self, frame: Frame, faces: list[FaceBox]) -> tuple:
        """What each scorer reads from this frame alone (Scorer.look), for score(); called in
        frame order, from one thread."""
        subject = self._subject(frame, faces)
        if subject is None:
            return (None,) * len(self.scorers)
        return tuple(scorer.look(frame, faces, subject) for scorer in self.scorers)

    def score(self, frame: Frame, faces: list[FaceBox], seen: tuple | None = None) -> FrameResult:
        """This frame's row and overlay. seen: look(frame, faces), when it was called already."""
        row = {"frame": frame.index, "timestamp": round(frame.timestamp_s, 4), "faces": len(faces)}
        subject = self._subject(frame, faces)
        if self.persons is not None:
            row["person"] = self.persons.person_of(frame.index)
        if subject is None:  # no face, or none of them the subject's (pipeline/subject.py)
            for scorer in self.scorers:
                row.update(scorer.no_face(frame) or {})
            row.update({"success": 0, "confidence": 0.0})
            return FrameResult(frame, faces, None, row)
        seen = seen if seen is not None else self.look(frame, faces)
        face = faces[subject]
        row.update({"success": 1, "confidence": round(face.score, 4), "face_x": face.x, "face_y": face.y,
                    "face_width": face.width, "face_height": face.height})
        result = FrameResult(frame, faces, subject, row)
        for scorer, what in zip(self.scorers, seen):
            row.update(scorer.score(frame, faces, subject, result.overlay, what))
        return result

    def analyze(self, frame: Frame) -> FrameResult:
        faces = self.detect(frame)
        return self.score(frame, faces, self.look(frame, faces))

    def learn_reference(self, frames: Iterable[Frame], source: dict) -> None:
        """Show the scorers sample frames (of the whole video, or of a baseline, as `source`
        describes them: reference_frames) before the first frame is scored, so that what they
        measure against does not depend on frame order. The sample's faces are kept for the
        video's own pass when they come from the same video."""
        found = {}
        for frame, faces in decode_ahead(self.with_faces(frames), 2):  # the next sample is decoded meanwhile
            found[frame.index] = faces
            subject = self._subject(frame, faces)
            for scorer in self.scorers:
                scorer.observe(frame, faces, subject)
        for scorer in self.scorers:
            scorer.settle(source)
        self._found = found if source["reference"] != "baseline_video" else {}

    def new_rows(self) -> TableRows:
        """An empty table of this analyzer's columns, to append each FrameResult.row to."""
        return TableRows(self.columns)

    def table(self, rows: "TableRows | list[dict]") -> pd.DataFrame:
        """The per-frame table of rows made by this analyzer, with its fixed columns."""
        table = rows.frame() if isinstance(rows, TableRows) else pd.DataFrame(rows, columns=list(self.columns))
        for column in ("person", "face_x", "face_y", "face_width", "face_height"):
            table[column] = table[column].astype("Int64")
        if "level" in table:
            table["level"] = table["level"].fillna("")
        return table

    def summarize(self, table: pd.DataFrame, frame_interval_s: float, end_frame: int | None = None) -> dict:
        """Per-video figures: frames analysed, share with a face, then each scorer's part.
        frame_interval_s: the nominal frame interval, 1 / the video's declared frame rate
        (measures/timebase.py: what a step of its clock is checked against); end_frame: the
        index after the video's last frame, when known."""
        summary = {"frames_analyzed": int(len(table)),
                   "face_share": round(float(table["success"].mean()), 4) if len(table) else 0.0}
        for scorer in self.scorers:
            summary.update(scorer.summarize(table, frame_interval_s, end_frame))
        if self.persons is not None:
            summary["subject"] = self.persons.summary(table)
        return summary

    def provenance(self) -> dict:
        """Every setting and file the per-frame results depend on (JSON types): a result is
        reused only when this, and its source file, match."""
        options = self.options
        described = {**detection_provenance(options.every, options.min_confidence, options.face_selection),
                     "subject": options.subject, "measures": options.measures}
        for scorer in self.scorers:
            described.update(scorer.provenance())
        return {**described, **baseline_provenance(options), **audio_provenance(options)}


def iter_analysis(frames: Iterable[Frame], analyzer: FrameAnalyzer, decode_depth: int = DECODE_AHEAD
                  ) -> Iterator[FrameResult]:
    """Analyse frames in order, three stages deep: a thread decodes frames and detects their
    faces up to decode_depth frames ahead (0: in the caller's thread, two stages); the caller's
    thread runs what the scorers read from frame n+1 alone (Scorer.look: the face landmarker,
    which releases the GIL) while another thread runs the scorers on frame n."""
    found = analyzer.with_faces(frames)
    with ThreadPoolExecutor(1, thread_name_prefix="score") as scoring:
        pending = None
        for frame, faces in (decode_ahead(found, decode_depth) if decode_depth else found):
            submitted = scoring.submit(analyzer.score, frame, faces, analyzer.look(frame, faces))
            if pending is not None:
                yield pending.result()
            pending = submitted
        if pending is not None:
            yield pending.result()


def build_analyzer(model_path: str | Path | None, options: AnalysisOptions | None = None) -> FrameAnalyzer:
    """A FrameAnalyzer with MediaPipe's detector, the CNN's levels from a trained model (none
    when model_path is None) and, when options.measures, the facial measures. Detector
    settings left as None in the options come from the model card (or the defaults)."""
    options = options or AnalysisOptions()
    scorers: list[Scorer] = []
    if model_path is not None:
        from expressiveness.levels.predict import Predictor

        predictor = Predictor(model_path, options.backend)
        options = options.with_card(predictor.card)
        scorers.append(LevelScorer(predictor, options.smoothing))
    else:
        options = options.with_card({})
    if options.measures:
        scorers.append(MeasureScorer(tracking=options.face_tracking))
    if not scorers:
        raise ValueError("nothing to analyse: give a model for levels or turn the facial measures on.")
    detector = FaceDetector(options.min_confidence)
    return FrameAnalyzer(detector, scorers, options)
