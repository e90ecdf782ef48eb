"""Video file -> per-frame table + per-video summary; also the frame loop of the live demo.

The per-frame table has one row per analysed frame, with or without a face, and the columns
FRAME_COLUMNS (DESIGN.md): `timestamp` is in seconds, the box is in frame pixels, the three
probabilities follow the model card's label order, and a frame without a face has success 0,
empty box and probabilities, and level "". When several faces are found, the row describes
the interviewee (the largest face by default); `faces` counts them all.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ._io import atomic_open, atomic_write
from ._parallel import spawn_map
from .config import LABELS
from .faces import FaceBox, FaceDetector, crop_face, select_face
from .metadata import expected_level
from .predict import Predictor, TemporalSmoother
from .video import Frame, UnreadableVideoError, iter_frames, probe_video, sample_indices

PROBABILITY_COLUMNS = ("prob_reserved", "prob_balanced", "prob_expressive")  # LABELS order
FRAME_COLUMNS = ("frame", "timestamp", "success", "confidence", "faces", "face_x", "face_y", "face_width",
                 "face_height") + PROBABILITY_COLUMNS + ("level", "level_probability")
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")

Annotator = Callable[[np.ndarray, list, np.ndarray, tuple, dict], np.ndarray]


@dataclass
class AnalysisOptions:
    """How videos are analysed. every: analyse every k-th frame. smoothing: EMA weight of the
    newest frame in (0, 1], or None for raw per-frame probabilities (the default for tables).
    Crop margin and alignment are not options: they come from the model card."""

    every: int = 1
    smoothing: float | None = None
    detector_model: str = "short"
    min_confidence: float = 0.5
    face_selection: str = "largest"
    backend: str = "tflite"


@dataclass
class FrameResult:
    frame: Frame
    faces: list[FaceBox]  # every face found, largest first
    probabilities: np.ndarray  # (len(faces), 3) float32
    subject: int | None  # index of the interviewee in faces, None without a face


class FrameAnalyzer:
    """Detection -> crops -> one batched classification per frame."""

    def __init__(self, predictor: Predictor, detector: FaceDetector, options: AnalysisOptions):
        self.predictor = predictor
        self.detector = detector
        self.options = options
        self.smoother = TemporalSmoother(options.smoothing) if options.smoothing else None

    def detect(self, frame: Frame) -> list[FaceBox]:
        return self.detector.detect(frame.image)

    def classify(self, frame: Frame, faces: list[FaceBox]) -> FrameResult:
        if not faces:
            if self.smoother:
                self.smoother.reset()
            return FrameResult(frame, [], np.zeros((0, len(LABELS)), "float32"), None)
        crops = np.stack([crop_face(frame.image, face, margin=self.predictor.crop_margin,
                                    align=self.predictor.crop_align) for face in faces])
        probabilities = self.predictor.predict(crops)
        if self.smoother:
            probabilities = self.smoother.update(faces, probabilities)
        subject = select_face(faces, frame.image.shape, self.options.face_selection)
        return FrameResult(frame, faces, probabilities, faces.index(subject))

    def analyze(self, frame: Frame) -> FrameResult:
        return self.classify(frame, self.detect(frame))


def frame_row(result: FrameResult, labels=LABELS) -> dict:
    """One row of the per-frame table."""
    row = {"frame": result.frame.index, "timestamp": round(result.frame.timestamp_s, 4),
           "success": int(result.subject is not None), "faces": len(result.faces)}
    if result.subject is None:
        row.update({"confidence": 0.0, "level": ""})
        return row
    face = result.faces[result.subject]
    probabilities = result.probabilities[result.subject]
    best = int(np.argmax(probabilities))
    row.update({"confidence": round(face.score, 4), "face_x": face.x, "face_y": face.y,
                "face_width": face.width, "face_height": face.height, "level": labels[best],
                "level_probability": round(float(probabilities[best]), 4)})
    row.update({column: round(float(value), 4) for column, value in zip(PROBABILITY_COLUMNS, probabilities)})
    return row


def frames_table(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    for column in ("face_x", "face_y", "face_width", "face_height"):
        table[column] = table[column].astype("Int64")
    return table


def summarize(table: pd.DataFrame, labels=LABELS) -> dict:
    """Per-video figures from a per-frame table: face share, time share per level, mean
    probabilities and expected level over frames with a face, dominant level, level changes."""
    with_face = table[table["success"] == 1]
    summary = {"frames_analyzed": int(len(table)),
               "face_share": round(float(len(with_face) / len(table)), 4) if len(table) else 0.0}
    keys = ("reserved", "balanced", "expressive")
    if len(with_face):
        shares = with_face["level"].value_counts(normalize=True)
        means = with_face[list(PROBABILITY_COLUMNS)].mean()
        levels = with_face["level"].to_numpy()
        summary.update({f"share_{key}": round(float(shares.get(label, 0.0)), 4) for key, label in zip(keys, labels)})
        summary.update({f"mean_{column}": round(float(means[column]), 4) for column in PROBABILITY_COLUMNS})
        summary["expected_level"] = round(float(expected_level(means.to_numpy())), 4)
        summary["dominant_level"] = labels[int(np.argmax(means.to_numpy()))]
        summary["level_changes"] = int(np.sum(levels[1:] != levels[:-1]))
    else:
        summary.update({f"share_{key}": 0.0 for key in keys})
        summary.update({f"mean_{column}": None for column in PROBABILITY_COLUMNS})
        summary.update({"expected_level": None, "dominant_level": "", "level_changes": 0})
    return summary


def iter_analysis(frames: Iterator[Frame], analyzer: FrameAnalyzer) -> Iterator[FrameResult]:
    """Analyse frames in order, two stages deep: while one thread classifies frame n, the
    caller's thread detects faces in frame n+1 (MediaPipe and TFLite release the GIL), which
    runs about 1.3x faster than one stage after the other on 2 cores (bench_analyze.py)."""
    with ThreadPoolExecutor(1, thread_name_prefix="classify") as classifier:
        pending = None
        for frame in frames:
            faces = analyzer.detect(frame)
            submitted = classifier.submit(analyzer.classify, frame, faces)
            if pending is not None:
                yield pending.result()
            pending = submitted
        if pending is not None:
            yield pending.result()


@dataclass
class VideoAnalysis:
    table: pd.DataFrame
    summary: dict


def analyze_video(path: str | Path, predictor: Predictor, detector: FaceDetector,
                  options: AnalysisOptions | None = None, annotate: Annotator | None = None,
                  annotated_path: str | Path | None = None, progress: bool = False) -> VideoAnalysis:
    """Analyse one video file, streaming frames (memory does not grow with its length).

    annotate(image, faces, probabilities, labels, info) -> image draws a frame for the
    annotated video written to annotated_path (MP4). Raises FileNotFoundError or
    UnreadableVideoError for files that cannot be read.
    """
    options = options or AnalysisOptions()
    info = probe_video(path)
    indices = None if options.every == 1 else sample_indices(info.frame_count, every=options.every)
    analyzer = FrameAnalyzer(predictor, detector, options)
    writer, temporary = None, None
    if annotated_path is not None:
        annotated_path = Path(annotated_path)
        temporary = annotated_path.with_name(f".{annotated_path.stem}.{os.getpid()}.tmp{annotated_path.suffix}")
        writer = cv2.VideoWriter(str(temporary), cv2.VideoWriter_fourcc(*"mp4v"), info.fps / options.every,
                                 (info.width, info.height))
    rows = []
    started = time.perf_counter()
    bar = tqdm(total=info.frame_count if indices is None else len(indices), desc=Path(path).name, unit="frame",
               leave=False, disable=not progress)
    try:
        for result in iter_analysis(iter_frames(path, indices, info), analyzer):
            rows.append(frame_row(result, predictor.labels))
            if writer is not None:
                writer.write(annotate(result.frame.image, result.faces, result.probabilities, predictor.labels,
                                      {"subject": result.subject}))
            bar.update()
    finally:
        bar.close()
        if writer is not None:
            writer.release()
    if writer is not None:
        os.replace(temporary, annotated_path)
    seconds = time.perf_counter() - started
    table = frames_table(rows)
    summary = {"video": str(path), "duration_s": round(info.duration_s, 3), "fps": round(info.fps, 3),
               "frames_total": info.frame_count, **summarize(table, predictor.labels),
               "model": predictor.name, "model_path": str(predictor.model_path),
               "model_modified": _modified(predictor.model_path),
               "thresholds": list(predictor.thresholds), "backend": predictor.backend, "every": options.every,
               "smoothing": options.smoothing, "seconds": round(seconds, 2),
               "frames_per_second": round(len(table) / seconds, 1) if seconds > 0 else None}
    return VideoAnalysis(table, summary)


def _modified(path: Path) -> str:
    """A model file's modification time, to tell a retrained model from the one a summary used."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(Path(path).stat().st_mtime))


def write_table(table: pd.DataFrame, csv_path: str | Path) -> list[Path]:
    """Write the per-frame table as CSV, and as Parquet beside it when pyarrow is installed."""
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


def find_videos(paths: list[str | Path]) -> tuple[list[Path], list[dict]]:
    """Video files named or found (recursively, by suffix) in folders; missing paths are
    returned as failures rather than raised."""
    videos, failures = [], []
    for path in map(Path, paths):
        if path.is_dir():
            videos.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()))
        elif path.exists():
            videos.append(path)
        else:
            failures.append({"video": str(path), "status": "missing", "error": f"{path}: file or folder not found."})
    return videos, failures


def output_names(videos: list[Path]) -> dict[Path, str]:
    """A unique output name per video: its stem, with parent folders added where stems clash."""
    names = {}
    for video in videos:
        name, parents = video.stem, list(video.resolve().parents)
        depth = 0
        while name in names.values() and depth < len(parents) - 1:
            name = f"{parents[depth].name}_{name}"
            depth += 1
        names[video] = name
    return names


@dataclass
class RunReport:
    out_dir: Path
    analyzed: list[dict] = field(default_factory=list)  # summaries
    skipped: int = 0
    failures: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def text(self) -> str:
        frames = sum(summary["frames_analyzed"] for summary in self.analyzed)
        return (f"Videos: {len(self.analyzed)} analysed ({self.skipped} already done), {len(self.failures)} failed. "
                f"{frames} frames in {self.seconds:.1f} s. Results: {self.out_dir}")


_worker: dict = {}


def _init_worker(model_path: str, options: AnalysisOptions) -> None:
    _worker["predictor"] = Predictor(model_path, options.backend)
    _worker["detector"] = FaceDetector(options.detector_model, options.min_confidence)
    _worker["options"] = options


def _analyze_one(video: str, name: str, out_dir: str, annotate, figure) -> dict:
    """Analyse one video and write its outputs; returns its summary or a failure row."""
    out_dir = Path(out_dir)
    try:
        annotated = out_dir / f"{name}_annotated.mp4" if annotate else None
        analysis = analyze_video(video, _worker["predictor"], _worker["detector"], _worker["options"],
                                 annotate, annotated, progress=_worker.get("progress", False))
    except FileNotFoundError as error:
        return {"video": video, "status": "missing", "error": str(error)}
    except UnreadableVideoError as error:
        return {"video": video, "status": "unreadable", "error": str(error)}
    analysis.summary["name"] = name
    write_table(analysis.table, out_dir / f"{name}_frames.csv")
    if figure is not None:
        figure(analysis.table, analysis.summary, out_dir / f"{name}_timeline.png")
    atomic_write(out_dir / f"{name}_summary.json", json.dumps(analysis.summary, indent=2))  # last: marks done
    return {"status": "ok", "summary": analysis.summary}


def analyze_paths(paths: list[str | Path], model_path: str | Path, out_dir: str | Path,
                  options: AnalysisOptions | None = None, workers: int = 1, annotate: Annotator | None = None,
                  figure: Callable | None = None, progress: bool = True) -> RunReport:
    """Analyse video files and folders into out_dir: per video NAME_frames.csv (and .parquet),
    NAME_summary.json, NAME_timeline.png (via `figure`) and NAME_annotated.mp4 (via
    `annotate`); plus summary.csv (one row per video) and run_report.json. Videos with a
    summary from an earlier run are skipped; missing and unreadable ones are recorded."""
    options = options or AnalysisOptions()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    videos, failures = find_videos(paths)
    report = RunReport(out_dir, failures=failures)
    names = output_names(videos)
    if videos and not Path(model_path).exists():
        raise FileNotFoundError(f"{model_path}: model file not found; train one with `expressiveness train` "
                                f"or `make demo`.")
    todo = []
    for video in videos:
        done = out_dir / f"{names[video]}_summary.json"
        finished = json.loads(done.read_text(encoding="utf-8")) if done.exists() else None
        # A summary made with another model, or before the model was retrained, is redone.
        if finished and finished.get("model_path") == str(model_path) \
                and finished.get("model_modified") == _modified(Path(model_path)):
            report.analyzed.append(finished)
            report.skipped += 1
        else:
            todo.append((str(video), names[video], str(out_dir), annotate, figure))
    workers = max(1, min(workers, len(todo) or 1))
    bar = tqdm(total=len(todo), desc="Analysing videos", unit="video", disable=not progress)
    try:
        for result in _run(todo, str(model_path), options, workers, progress):
            if result["status"] == "ok":
                report.analyzed.append(result["summary"])
            else:
                report.failures.append(result)
            bar.update()
    finally:
        bar.close()
        report.seconds = time.perf_counter() - started
        summary_rows = pd.DataFrame([{k: v for k, v in s.items() if k != "thresholds"} for s in report.analyzed])
        atomic_write(out_dir / "summary.csv", summary_rows.to_csv(index=False))
        atomic_write(out_dir / "run_report.json", json.dumps(
            {"analyzed": len(report.analyzed), "skipped": report.skipped, "failed": len(report.failures),
             "failures": report.failures, "seconds": round(report.seconds, 1)}, indent=2))
    return report


def _run(todo, model_path: str, options: AnalysisOptions, workers: int, progress: bool):
    if not todo:
        return
    if workers == 1:
        _init_worker(model_path, options)
        _worker["progress"] = progress
        try:
            for job in todo:
                yield _analyze_one(*job)
        finally:
            _worker.pop("detector").close()
        return
    yield from spawn_map(_analyze_one, todo, workers, _init_worker, (model_path, options))
