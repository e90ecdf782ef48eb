"""Many videos: finding them, naming their outputs, skipping finished ones, recording failures,
and running the per-video tasks in this process or in worker processes.

Extraction (a data set's videos -> the crop cache) and analysis (video files and folders ->
per-frame tables and summaries) are two batches over one runner. Workers are started with
'spawn' (a fork after TensorFlow or MediaPipe has started threads can hang), ignore Ctrl-C
(the parent reports it once), and build their engines once, lazily, cached by settings.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Hashable, Iterator

import pandas as pd
from tqdm.auto import tqdm

from ._io import atomic_write
from .cache import STATUSES, ExtractSettings, cache_file_name, finished_row, manifest_row, prepare_cache, write_manifest
from .errors import UnreadableVideoError
from .metadata import load_metadata

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
MANIFEST_SAVE_INTERVAL_S = 5.0


def failure_status(error: Exception) -> str | None:
    """The status a video gets for an error while reading it: "missing" for a file that is not
    there, "unreadable" for one that cannot be decoded, None for anything else (a bug)."""
    if isinstance(error, FileNotFoundError):
        return "missing"
    if isinstance(error, UnreadableVideoError):
        return "unreadable"
    return None


# ---------------------------------------------------------------- the runner

_engines: dict = {}


def worker_engine(key: Hashable, factory: Callable):
    """The engine (detector, analyzer, ...) this process built for `key`, built on first use."""
    if key not in _engines:
        _engines[key] = factory()
    return _engines[key]


def close_engines() -> None:
    while _engines:
        _, engine = _engines.popitem()
        close = getattr(engine, "close", None)
        if close is not None:
            close()


def _ignore_interrupt() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_tasks(task: Callable, jobs: list[tuple], workers: int = 1) -> Iterator:
    """Yield task(*job) for every job, in the order they finish: in this process when
    workers == 1, else in `workers` spawned processes. When the consumer stops early or a task
    raises, the jobs not yet started are cancelled."""
    if not jobs:
        return
    if workers == 1:
        try:
            for job in jobs:
                yield task(*job)
        finally:
            close_engines()
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_interrupt) as pool:
        futures = [pool.submit(task, *job) for job in jobs]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


# ---------------------------------------------------------------- video files and output names

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


# ---------------------------------------------------------------- analysis of video files

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


def _analyze_task(video: str, name: str, out_dir: str, model_path: str, options, annotate, figure,
                  progress: bool) -> dict:
    """Analyse one video and write its outputs; returns its summary or a failure row."""
    from .frames import analyze_video, build_analyzer, write_table

    out_dir = Path(out_dir)
    analyzer = worker_engine(("analyzer", model_path, options), lambda: build_analyzer(model_path, options))
    try:
        annotated = out_dir / f"{name}_annotated.mp4" if annotate else None
        analysis = analyze_video(video, analyzer, annotate, annotated, progress=progress)
    except (FileNotFoundError, UnreadableVideoError) as error:
        return {"video": video, "status": failure_status(error), "error": str(error)}
    analysis.summary["name"] = name
    write_table(analysis.table, out_dir / f"{name}_frames.csv")
    if figure is not None:
        figure(analysis.table, analysis.summary, out_dir / f"{name}_timeline.png")
    atomic_write(out_dir / f"{name}_summary.json", json.dumps(analysis.summary, indent=2))  # last: marks done
    return {"status": "ok", "summary": analysis.summary}


def analyze_paths(paths: list[str | Path], model_path: str | Path, out_dir: str | Path, options=None,
                  workers: int = 1, annotate: Callable | None = None, figure: Callable | None = None,
                  progress: bool = True) -> RunReport:
    """Analyse video files and folders into out_dir: per video NAME_frames.csv (and .parquet),
    NAME_summary.json, NAME_timeline.png (via `figure`) and NAME_annotated.mp4 (via
    `annotate`); plus summary.csv (one row per video) and run_report.json. Videos with a
    summary from an earlier run are skipped; missing and unreadable ones are recorded."""
    from .frames import AnalysisOptions
    from .scorers import model_modified

    options = options or AnalysisOptions()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    videos, failures = find_videos(paths)
    report = RunReport(out_dir, failures=failures)
    names = output_names(videos)
    if videos and model_path is not None and not Path(model_path).exists():
        raise FileNotFoundError(f"{model_path}: model file not found; train one with `expressiveness train` "
                                f"or `make demo`.")
    model_key = (str(model_path), model_modified(model_path)) if model_path is not None else (None, None)
    todo = []
    for video in videos:
        done = out_dir / f"{names[video]}_summary.json"
        finished = json.loads(done.read_text(encoding="utf-8")) if done.exists() else None
        # A summary made with another model, before the model was retrained, or with the
        # measures switched otherwise, is redone.
        if finished and (finished.get("model_path"), finished.get("model_modified")) == model_key \
                and finished.get("measures", False) == options.measures:
            report.analyzed.append(finished)
            report.skipped += 1
        else:
            todo.append((str(video), names[video], str(out_dir), None if model_path is None else str(model_path),
                         options, annotate, figure, progress and workers == 1))
    workers = max(1, min(workers, len(todo) or 1))
    bar = tqdm(total=len(todo), desc="Analysing videos", unit="video", disable=not progress)
    try:
        for result in run_tasks(_analyze_task, todo, workers):
            if result["status"] == "ok":
                report.analyzed.append(result["summary"])
            else:
                report.failures.append(result)
            bar.update()
    finally:
        bar.close()
        report.seconds = time.perf_counter() - started
        summary_rows = pd.DataFrame([{k: json.dumps(v) if isinstance(v, list) else v for k, v in s.items()} for s in report.analyzed])
        atomic_write(out_dir / "summary.csv", summary_rows.to_csv(index=False))
        atomic_write(out_dir / "run_report.json", json.dumps(
            {"analyzed": len(report.analyzed), "skipped": report.skipped, "failed": len(report.failures),
             "failures": report.failures, "seconds": round(report.seconds, 1)}, indent=2))
    return report


# ---------------------------------------------------------------- extraction of a data set

@dataclass
class ExtractSummary:
    cache_dir: Path
    counts: dict = field(default_factory=dict)  # status -> videos
    skipped: int = 0  # finished in an earlier run
    faces_kept: int = 0
    frames_decoded: int = 0
    video_seconds: float = 0.0  # length of the videos processed in this run
    wall_seconds: float = 0.0

    @property
    def processed(self) -> int:
        return self.counts.get("ok", 0) + self.counts.get("no_face", 0)

    def text(self) -> str:
        parts = ", ".join(f"{self.counts.get(status, 0)} {status}" for status in STATUSES)
        speed = ""
        if self.wall_seconds > 0 and self.video_seconds > 0:
            speed = (f"; {self.frames_decoded / self.wall_seconds:.0f} frames/s decoded, "
                     f"{self.video_seconds / self.wall_seconds:.1f}x real time")
        return (f"Videos: {parts} ({self.skipped} already in the cache). Faces kept: {self.faces_kept}. "
                f"Took {self.wall_seconds:.1f} s{speed}. Manifest: {self.cache_dir / 'manifest.csv'}")


def _extract_task(video_id: str, file_name: str, video_path: str, target: str, settings: ExtractSettings) -> dict:
    from .extract import extract_to_cache
    from .faces import FaceDetector

    started = time.perf_counter()
    detector = worker_engine(("detector", settings.model, settings.min_confidence),
                             lambda: FaceDetector(settings.model, settings.min_confidence))
    try:
        return extract_to_cache(detector, video_id, file_name, video_path, Path(target), settings)
    except (FileNotFoundError, UnreadableVideoError) as error:
        return manifest_row(video_id, file_name, failure_status(error), seconds=time.perf_counter() - started,
                            error=str(error))


def extract_dataset(metadata_path: str | Path, cache_dir: str | Path, settings: ExtractSettings | None = None,
                    workers: int | None = None, overwrite: bool = False, progress: bool = True) -> ExtractSummary:
    """Turn every video listed in a metadata.jsonl into face crops in `cache_dir`.

    Videos finished in an earlier run are skipped. Bad videos get a manifest row (missing,
    unreadable) and the run goes on. workers: processes (default: CPU cores); 1 runs in this
    process. Raises MetadataError for an invalid metadata file, CacheError when the cache
    was made with other settings.
    """
    settings = settings or ExtractSettings()
    records = load_metadata(metadata_path)
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    prepare_cache(cache_dir, settings, overwrite)
    crops_dir = cache_dir / "crops"
    for stale in crops_dir.glob(".*.tmp"):
        stale.unlink()

    summary = ExtractSummary(cache_dir=cache_dir)
    rows: dict[str, dict] = {}
    todo = []
    for record in records.itertuples(index=False):
        target = crops_dir / cache_file_name(record.id)
        finished = finished_row(target) if target.exists() else None
        if finished is not None:
            rows[record.id] = finished
            summary.skipped += 1
        elif not Path(record.video_path).exists():
            rows[record.id] = manifest_row(record.id, record.file_name, "missing",
                                           error=f"{record.video_path}: video file not found.")
        else:
            todo.append((record.id, record.file_name, record.video_path, str(target), settings))

    def ordered_rows():
        return [rows[video_id] for video_id in records["id"] if video_id in rows]

    workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    started = last_save = time.perf_counter()
    bar = tqdm(total=len(todo), desc="Extracting faces", unit="video", disable=not progress)
    try:
        for row in run_tasks(_extract_task, todo, workers):
            rows[row["id"]] = row
            summary.frames_decoded += row["frames_decoded"]
            summary.video_seconds += row["duration_s"] if row["status"] in ("ok", "no_face") else 0.0
            bar.update()
            if time.perf_counter() - last_save > MANIFEST_SAVE_INTERVAL_S:
                write_manifest(cache_dir, ordered_rows())
                last_save = time.perf_counter()
    finally:
        bar.close()
        summary.wall_seconds = time.perf_counter() - started
        write_manifest(cache_dir, ordered_rows())
    for row in rows.values():
        summary.counts[row["status"]] = summary.counts.get(row["status"], 0) + 1
        summary.faces_kept += row["faces_kept"]
    return summary
