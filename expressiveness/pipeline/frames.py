"""The per-frame engine: one pass over a video's frames runs every scorer on the same faces.

A frame is decoded (in its own thread); its faces are detected and the face engines read it
(in the caller's thread); then every scorer turns that into its columns (in a third thread):
MediaPipe, OpenCV and LiteRT release the GIL, so on 2 cores the three stages overlap. Each scorer owns a group of
columns of the per-frame table and its part of the per-video summary, so a new kind of answer
(the facial measures, say) is a new scorer, not a change to the others.

The per-frame table has one row per analysed frame, with or without a face: BASE_COLUMNS
(`timestamp` in seconds; the box in frame pixels), then each scorer's columns. A frame without
a face has success 0 and empty scorer columns. With several faces the row describes the
interviewee (the largest face by default); `faces` counts them all.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from expressiveness.config import LABELS
from expressiveness.errors import BaselineError, UnreadableVideoError
from expressiveness.face import FACE_SELECTIONS, FaceBox, FaceDetector, select_face
from expressiveness.pipeline.scorers import (LEVEL_COLUMNS, REFERENCE_SAMPLE_FRAMES, LevelScorer, MeasureScorer, Scorer,
                                             level_provenance, measure_provenance, read_card)
from expressiveness.pipeline.table import TableRows
from expressiveness.video import DECODE_AHEAD, Frame, decode_ahead

BASE_COLUMNS = ("frame", "timestamp", "success", "confidence", "faces", "face_x", "face_y", "face_width",
                "face_height")
FRAME_COLUMNS = BASE_COLUMNS + LEVEL_COLUMNS  # the table of the level scorer alone


@dataclass(frozen=True)
class AnalysisOptions:
    """How videos are analysed. every: analyse every k-th frame (>= 1). smoothing: EMA weight
    of the newest frame in (0, 1], or None for raw per-frame probabilities (the default for
    tables). min_confidence (the face detector's threshold, in [0, 1]) and face_selection
    (the interviewee among several faces): None takes the model card's crop settings, so that
    inference crops faces as the training crops were cut (see with_card), or the extraction
    defaults without a model; crop margin and alignment always come from the card. backend:
    the Predictor's inference engine. measures: also the facial measures (MeasureScorer).
    face_tracking: how the face landmarker sees frames: "image" (the default for files: each
    frame on its own, so a frame's landmarks do not depend on the frames before it or their
    timing) or "video" (tracking with MediaPipe's causal temporal filter: the live camera).
    baseline (start_s, end_s) or baseline_video (a path): where the facial measures' reference face
    and blendshape neutral come from, instead of the whole video (a neutral stretch of the same
    video, or a neutral clip of the same person)."""

    every: int = 1
    smoothing: float | None = None
    min_confidence: float | None = None
    face_selection: str | None = None
    backend: str = "tflite"
    measures: bool = True
    face_tracking: str = "image"
    baseline: tuple[float, float] | None = None
    baseline_video: str | None = None

    def __post_init__(self):
        if self.baseline is not None and self.baseline_video is not None:
            raise BaselineError("a baseline segment and a baseline video were both given; expected one of them "
                             "(--baseline START:END or --baseline-video PATH).")
        if (self.baseline is not None or self.baseline_video is not None) and not self.measures:
            raise BaselineError("a baseline was given without the facial measures; expected --baseline or "
                             "--baseline-video only with the measures on (no --no-measures).")
        if self.baseline is not None:
            object.__setattr__(self, "baseline", tuple(float(value) for value in self.baseline))
            start, end = self.baseline
            if not (math.isfinite(start) and math.isfinite(end) and 0 <= start < end):
                raise BaselineError(f"the baseline is {start:g}:{end:g}; expected START:END in seconds with "
                                 f"0 <= START < END, such as 0:10.")
        if isinstance(self.every, bool) or not (isinstance(self.every, int) and self.every >= 1):
            raise ValueError(f"every is {self.every!r}; expected a whole number >= 1.")
        if self.smoothing is not None and not 0 < self.smoothing <= 1:
            raise ValueError(f"smoothing is {self.smoothing!r}; expected a number in (0, 1], or None.")
        if self.min_confidence is not None and not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"min_confidence is {self.min_confidence!r}; expected a number in [0.0, 1.0].")
        if self.face_tracking not in ("image", "video"):
            raise ValueError(f'face_tracking is {self.face_tracking!r}; expected "image" or "video".')
        if self.face_selection is not None and self.face_selection not in FACE_SELECTIONS:
            raise ValueError(f"face_selection is {self.face_selection!r}; expected one of "
                             f"{', '.join(FACE_SELECTIONS)}.")

    def with_card(self, card: dict) -> "AnalysisOptions":
        """These options with every detector setting left as None taken from a model card's
        crop settings (card["crop"]: min_confidence, face_selection), or from the
        extraction defaults for a card that does not record them."""
        crop = card.get("crop") or {}
        return replace(self,
                       min_confidence=self.min_confidence if self.min_confidence is not None
                       else float(crop.get("min_confidence", DEFAULT_MIN_CONFIDENCE)),
                       face_selection=self.face_selection or crop.get("face_selection", DEFAULT_FACE_SELECTION))


DEFAULT_MIN_CONFIDENCE, DEFAULT_FACE_SELECTION = 0.5, "largest"  # as ExtractSettings'


def _detection_provenance(every: int, min_confidence: float, face_selection: str) -> dict:
    from expressiveness.face import engine_identity

    return {"every": every, "min_confidence": min_confidence,
            "face_selection": face_selection, "face_engine": engine_identity()}


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

    def reset(self) -> None:
        """Forget what was tracked: call between videos."""
        self._found = {}
        for scorer in self.scorers:
            scorer.reset()

    def close(self) -> None:
        self.detector.close()
        for scorer in self.scorers:
            scorer.close()

    def detect(self, frame: Frame) -> list[FaceBox]:
        found = self._found.pop(frame.index, None)  # found already while learning the reference
        return found if found is not None else self.detector.detect(frame.image)

    def _subject(self, frame: Frame, faces: list[FaceBox]) -> int | None:
        """The index of the interviewee in faces; None without a face."""
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
        if not faces:
            for scorer in self.scorers:
                row.update(scorer.no_face(frame) or {})
            row.update({"success": 0, "confidence": 0.0})
            return FrameResult(frame, [], None, row)
        subject = self._subject(frame, faces)
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
        for frame in decode_ahead(frames):  # the decoder grabs its way to the next sample meanwhile
            faces = found[frame.index] = self.detector.detect(frame.image)
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
        for column in ("face_x", "face_y", "face_width", "face_height"):
            table[column] = table[column].astype("Int64")
        if "level" in table:
            table["level"] = table["level"].fillna("")
        return table

    def summarize(self, table: pd.DataFrame, duration_s: float) -> dict:
        """Per-video figures: frames analysed, share with a face, then each scorer's part.
        duration_s: the length of the video, in seconds."""
        summary = {"frames_analyzed": int(len(table)),
                   "face_share": round(float(table["success"].mean()), 4) if len(table) else 0.0}
        for scorer in self.scorers:
            summary.update(scorer.summarize(table, duration_s))
        return summary

    def provenance(self) -> dict:
        """Every setting and file the per-frame results depend on (JSON types): a result is
        reused only when this, and its source file, match."""
        options = self.options
        described = {**_detection_provenance(options.every, options.min_confidence,
                                             options.face_selection), "measures": options.measures}
        for scorer in self.scorers:
            described.update(scorer.provenance())
        return {**described, **_baseline_provenance(options)}


def iter_analysis(frames: Iterable[Frame], analyzer: FrameAnalyzer, decode_depth: int = DECODE_AHEAD
                  ) -> Iterator[FrameResult]:
    """Analyse frames in order, three stages deep: a thread decodes up to decode_depth frames
    ahead (0: decoding in the caller's thread, two stages), the caller's thread finds the faces
    in frame n+1 and what the scorers read from it alone (the face engines, which release the
    GIL) while another thread runs the scorers on frame n."""
    with ThreadPoolExecutor(1, thread_name_prefix="score") as scoring:
        pending = None
        for frame in (decode_ahead(frames, decode_depth) if decode_depth else frames):
            faces = analyzer.detect(frame)
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


def analysis_provenance(model_path: str | Path | None, options: AnalysisOptions | None = None) -> dict:
    """What build_analyzer(model_path, options).provenance() gives, from the model's files
    alone (no TensorFlow, no engines): how a batch decides, before starting any worker, which
    earlier results it may reuse. Raises FileNotFoundError or ModelFileError for an unusable
    model or card."""
    options = (options or AnalysisOptions()).with_card(read_card(model_path) if model_path is not None else {})
    provenance = {**_detection_provenance(options.every, options.min_confidence,
                                          options.face_selection), "measures": options.measures}
    if model_path is not None:
        provenance.update(level_provenance(model_path, options.backend, options.smoothing))
    if options.measures:
        provenance.update(measure_provenance(options.face_tracking))
    return {**provenance, **_baseline_provenance(options)}


def _baseline_provenance(options: AnalysisOptions) -> dict:
    """The measures' baseline, when one is given: its seconds, or the baseline video's identity
    (source_info; FileNotFoundError when it is missing)."""
    from expressiveness._io import source_info

    if not options.measures:
        return {}
    if options.baseline is not None:
        return {"baseline": list(options.baseline)}
    if options.baseline_video is not None:
        return {"baseline_video": source_info(options.baseline_video)}
    return {}


def truncation_warning(frames_decoded: int, frames_declared: int) -> str:
    """The sentence for a video whose decoding stopped before the frame count its header declares."""
    return f"decoding stopped at frame {frames_decoded} of {frames_declared}: the file may be truncated"


@dataclass
class VideoAnalysis:
    table: pd.DataFrame
    summary: dict


Annotator = Callable[[FrameResult, tuple], np.ndarray]


def analyze_video(path: str | Path, analyzer: FrameAnalyzer, annotate: Annotator | None = None,
                  annotated_path: str | Path | None = None, progress: bool = False) -> VideoAnalysis:
    """Analyse one video file, streaming frames (memory does not grow with its length).

    annotate(result, labels) -> BGR image draws a frame of the annotated video written to
    annotated_path (MP4). The summary says whether decoding reached the frame count the file
    declares ("complete", and a "warning" sentence when not) and records the provenance: the
    source file (path, size, modification time), analyzer.provenance() and whether an
    annotated video was made. Raises FileNotFoundError or UnreadableVideoError for files that
    cannot be read, OSError when the annotated video cannot be written.
    """
    from tqdm.auto import tqdm

    from expressiveness._io import source_info
    from expressiveness.video import VideoWriter, iter_frames, probe_video, sample_indices

    source = source_info(path)  # before decoding: a file replaced meanwhile is redone on the next run
    info = probe_video(path)
    analyzer.reset()
    if analyzer.options.measures and info.frame_count > 0:
        try:
            analyzer.learn_reference(*reference_frames(path, info, analyzer.options))
        except UnreadableVideoError as error:  # a baseline video that probes but does not decode
            if analyzer.options.baseline_video is None:
                raise
            raise BaselineError(f"the baseline video cannot be read: {error}") from error
    every = analyzer.options.every
    indices = None if every == 1 else sample_indices(info.frame_count, every=every)
    expected_rows = info.frame_count if indices is None else len(indices)
    labels = next((scorer.labels for scorer in analyzer.scorers if isinstance(scorer, LevelScorer)), LABELS)
    writer = VideoWriter(annotated_path, info.fps / every) if annotated_path is not None else None
    rows = analyzer.new_rows()
    started = time.perf_counter()
    bar = tqdm(total=expected_rows, desc=Path(path).name, unit="frame", leave=False, disable=not progress)
    try:
        for result in iter_analysis(iter_frames(path, indices, info), analyzer):
            rows.append(result.row)
            if writer is not None:
                writer.write(annotate(result, labels))
            bar.update()
        if writer is not None:
            writer.close()
    finally:
        bar.close()
        if writer is not None:
            writer.abort()  # after close() it has nothing left to remove
    seconds = time.perf_counter() - started
    table = analyzer.table(rows)
    frames_decoded = rows.last["frame"] + 1 if len(rows) else 0
    complete = len(rows) >= expected_rows
    summary = {"video": str(path), "duration_s": round(info.duration_s, 3), "fps": round(info.fps, 3),
               "frames_total": info.frame_count, "frames_decoded": frames_decoded, "complete": complete}
    if not complete:
        summary["warning"] = truncation_warning(frames_decoded, info.frame_count)
    summary.update({**analyzer.summarize(table, info.duration_s), "seconds": round(seconds, 2),
                    "frames_per_second": round(len(table) / seconds, 1) if seconds > 0 else None,
                    "provenance": {"source": source, **analyzer.provenance(), "annotate": writer is not None}})
    return VideoAnalysis(table, summary)


def reference_frames(path, info, options: AnalysisOptions) -> tuple[Iterable[Frame], dict]:
    """The frames the facial measures' reference is learnt from, and how to describe them in the
    summary: REFERENCE_SAMPLE_FRAMES frames spread evenly over the whole video, over the
    options' baseline segment of it, or over the baseline video. Raises BaselineError for a
    baseline segment outside the video or without a frame, or a baseline video that cannot be read."""
    from expressiveness.video import iter_frames, probe_video, sample_indices

    if options.baseline_video is not None:
        try:
            baseline = probe_video(options.baseline_video)
        except (FileNotFoundError, UnreadableVideoError) as error:
            raise BaselineError(f"the baseline video cannot be read: {error}") from error
        if baseline.frame_count < 1:
            raise BaselineError(f"the baseline video {options.baseline_video} holds no frame; expected a neutral "
                                f"clip of the same person.")
        sample = sample_indices(baseline.frame_count, count=REFERENCE_SAMPLE_FRAMES)
        return iter_frames(options.baseline_video, sample, baseline), {
            "reference": "baseline_video", "baseline_video": str(Path(options.baseline_video).resolve())}
    if options.baseline is not None:
        start_s, end_s = options.baseline
        if end_s > info.duration_s + 0.5 / info.fps:
            raise BaselineError(f"the baseline {start_s:g}:{end_s:g} s lies outside {path}, which lasts "
                                f"{info.duration_s:.2f} s; expected START:END within the video.")
        first, last = math.ceil(start_s * info.fps), min(math.ceil(end_s * info.fps), info.frame_count)
        if last <= first:
            raise BaselineError(f"the baseline {start_s:g}:{end_s:g} s of {path} holds no frame at {info.fps:g} "
                                f"frames/s; expected a longer stretch.")
        sample = first + sample_indices(last - first, count=REFERENCE_SAMPLE_FRAMES)
        return iter_frames(path, sample, info), {"reference": "baseline", "baseline_s": [start_s, end_s], "of": str(path)}
    sample = sample_indices(info.frame_count, count=REFERENCE_SAMPLE_FRAMES)
    return iter_frames(path, sample, info), {"reference": "whole_video"}


def write_table(table: pd.DataFrame, csv_path: str | Path) -> list[Path]:
    """Write the per-frame table as CSV, and as Parquet beside it when pyarrow is installed."""
    from expressiveness._io import atomic_open, atomic_write

    csv_path = Path(csv_path)
    atomic_write(csv_path, table.to_csv(index=False))
    written = [csv_path]
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return written
    parquet_path = csv_path.with_suffix(".parquet")
    with atomic_open(parquet_path) as handle:
        table.to_parquet(handle, index=False)
    written.append(parquet_path)
    return written
