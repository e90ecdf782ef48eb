"""Many videos: finding them, naming their outputs, skipping finished ones, recording failures,
and running the per-video tasks in this process or in worker processes.

Extraction (a data set's videos -> the crop cache) and analysis (video files and folders ->
per-frame tables and summaries) are two batches over one runner. Workers are started with
'spawn' (a fork after TensorFlow or MediaPipe has started threads can hang), ignore Ctrl-C
(the parent reports it once), and build their engines once, lazily, cached by settings.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Hashable, Iterator

import pandas as pd
from tqdm.auto import tqdm

from expressiveness.pipeline import executors
from expressiveness._io import atomic_write, output_folder, remove_stale_temporaries
from expressiveness.data.cache import (STATUSES, ExtractSettings, cache_file_name, crop_source, finished_row, manifest_row,
                    prepare_cache, read_manifest, write_manifest)
from expressiveness.errors import BaselineError, UnreadableVideoError
from expressiveness.data.metadata import load_metadata

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
MANIFEST_SAVE_INTERVAL_S = 5.0


def failure_status(error: Exception, video: str | Path) -> str | None:
    """The status a video gets for an error while working on it: "missing" when the video is
    not there, "unreadable" when it cannot be decoded, "failed" for another OSError (an output
    that cannot be written: disk full, permission denied; or a measures baseline that cannot
    serve this video, BaselineError); None for anything else (a bug)."""
    if isinstance(error, BaselineError):
        return "failed"
    if isinstance(error, UnreadableVideoError):
        return "unreadable"
    if isinstance(error, FileNotFoundError) and not Path(video).exists():
        return "missing"
    if isinstance(error, OSError):
        return "failed"
    return None


# ---------------------------------------------------------------- the runner

_local = threading.local()  # engines per thread: a Dask worker may run several tasks at once


def worker_engine(key: Hashable, factory: Callable):
    """The engine (detector, analyzer, ...) this thread built for `key`, built on first use."""
    engines = _local.__dict__.setdefault("engines", {})
    if key not in engines:
        engines[key] = factory()
    return engines[key]


def close_engines() -> None:
    """Close the engines this thread built."""
    engines = _local.__dict__.get("engines", {})
    while engines:
        _, engine = engines.popitem()
        close = getattr(engine, "close", None)
        if close is not None:
            close()


def run_tasks(task: Callable, jobs: list[tuple], workers: int = 1, executor=None,
              writable: str | Path | None = None, failed: Callable | None = None) -> Iterator:
    """Yield task(*job) for every job, in the order they finish; the one seam through which
    every batch (extraction, analysis, validation) runs its per-video tasks.

    executor: None runs them in this process (workers == 1) or in `workers` spawned
    processes; a Dask cluster ("local", "tcp://HOST:PORT", a scheduler file, or a
    distributed.Client) runs them there, after checking that every worker can write to the
    output folder `writable`. A task whose worker dies (killed, out of memory, a crash) is
    retried once, then yields failed(job) (default: a row with status "failed" naming job[0]).
    When the consumer stops early or a task raises, the tasks not yet finished are stopped.
    """
    if not jobs:
        return
    failed = failed or _failed_row
    if executor is not None:
        yield from executors.run_on_dask(task, jobs, workers, executor, writable, failed)
    elif workers == 1:
        try:
            for job in jobs:
                yield task(*job)
        finally:
            close_engines()
    else:
        yield from executors.run_in_pool(task, jobs, workers, failed)


def _failed_row(job: tuple) -> dict:
    """The row of an analysis job (_analyze_task's arguments) whose worker died twice."""
    return {"video": job[8], "name": job[1], "status": "failed", "error": executors.worker_died(job[8])}


def _failed_extraction(job: tuple) -> dict:  # job: id, file_name, video_path, ...
    return manifest_row(job[0], job[1], "failed", error=executors.worker_died(job[2]))


# ---------------------------------------------------------------- video files and output names

def find_videos(paths: list[str | Path]) -> tuple[list[Path], list[dict]]:
    """Video files named or found (recursively, by suffix) in folders, each once (by resolved
    path: `videos/ videos/a.mp4` gives a.mp4 once); missing paths are returned as failures
    rather than raised."""
    videos, failures, seen = [], [], set()
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
        elif path.exists():
            found = [path]
        else:
            failures.append({"video": str(path), "status": "missing", "error": f"{path}: file or folder not found."})
            continue
        for video in found:
            if video.resolve() not in seen:
                seen.add(video.resolve())
                videos.append(video)
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
    analyzed: list[dict] = field(default_factory=list)  # summaries made in this run
    reused: list[dict] = field(default_factory=list)  # summaries of an earlier run with the same provenance
    failures: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def summaries(self) -> list[dict]:
        return self.reused + self.analyzed

    @property
    def incomplete(self) -> list[dict]:
        """Summaries of videos whose decoding stopped before their declared end."""
        return [summary for summary in self.summaries if summary.get("complete") is False]

    def text(self) -> str:
        frames = sum(summary["frames_analyzed"] for summary in self.analyzed)
        incomplete = (f" {len(self.incomplete)} incomplete: decoding stopped before the end (see the warnings)."
                      if self.incomplete else "")
        return (f"Videos: {len(self.analyzed)} analysed, {len(self.reused)} reused from an earlier run, "
                f"{len(self.failures)} failed.{incomplete} {frames} frames in {self.seconds:.1f} s. "
                f"Results: {self.out_dir}")


def _analyze_task(video: str, name: str, out_dir: str, model_path: str, options, annotate, figure,
                  progress: bool, shown: str | None = None) -> dict:
    """Analyse one video and write its outputs; returns its summary or a failure row
    (missing, unreadable, or failed: an output that cannot be written). shown: the video's path
    as the user gave it, for the summary and messages, when `video` is its absolute path."""
    from expressiveness.pipeline.frames import analyze_video, build_analyzer, write_table

    out_dir, shown = Path(out_dir), shown or video
    analyzer = worker_engine(("analyzer", model_path, options), lambda: build_analyzer(model_path, options))
    try:
        annotated = out_dir / f"{name}_annotated.mp4" if annotate else None
        analysis = analyze_video(video, analyzer, annotate, annotated, progress=progress)
        analysis.summary["video"], analysis.summary["name"] = shown, name
        # An earlier summary (another file or other options) must not sit beside the new table.
        (out_dir / f"{name}_summary.json").unlink(missing_ok=True)
        write_table(analysis.table, out_dir / f"{name}_frames.csv")
        if figure is not None:
            figure(analysis.table, analysis.summary, out_dir / f"{name}_timeline.png")
        atomic_write(out_dir / f"{name}_summary.json", json.dumps(analysis.summary, indent=2))  # last: marks done
    except (OSError, UnreadableVideoError, BaselineError) as error:
        status = failure_status(error, video)
        if status is None:
            raise
        return {"video": shown, "name": name, "status": status, "error": str(error)}
    return {"status": "ok", "summary": analysis.summary}


def _reusable_summary(out_dir: Path, name: str, provenance: dict, outputs: list[str]) -> dict | None:
    """The summary of an earlier run when its provenance is `provenance` and its outputs are
    all there; else None (absent, unreadable, or made from another file or other settings)."""
    try:
        summary = json.loads((out_dir / f"{name}_summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(summary, dict) or summary.get("provenance") != provenance:
        return None
    if not all((out_dir / output).is_file() for output in outputs):
        return None
    return summary


def _summary_row(summary: dict) -> dict:
    """One row of summary.csv: the summary's and its provenance's single values."""
    def single(items):  # lists (the cut points) as JSON text, nested dicts left out
        return {key: json.dumps(value) if isinstance(value, list) else value for key, value in items
                if not isinstance(value, dict)}

    row = single(summary.items())
    provenance = summary.get("provenance", {})
    row.update(single(provenance.items()))
    row["source_size_bytes"] = provenance.get("source", {}).get("size_bytes")
    row["source_modified_ns"] = provenance.get("source", {}).get("modified_ns")
    return row


def analyze_paths(paths: list[str | Path], model_path: str | Path, out_dir: str | Path, options=None,
                  workers: int = 1, annotate: Callable | None = None, figure: Callable | None = None,
                  progress: bool = True, dask=None) -> RunReport:
    """Analyse video files and folders into out_dir: per video NAME_frames.csv (and .parquet),
    NAME_summary.json, NAME_timeline.png (via `figure`) and NAME_annotated.mp4 (via
    `annotate`); plus summary.csv (one row per video, in the order given) and run_report.json.

    An earlier result is reused only when its provenance matches: the same source file (path,
    size, modification time), model and card (sha256), and every option that changes the
    output; anything else is analysed again. Missing and unreadable videos, and videos whose
    outputs cannot be written, are recorded and the batch goes on. Raises FileNotFoundError or
    ModelFileError for an unusable model, before any video is started."""
    from expressiveness._io import source_info
    from expressiveness.pipeline.frames import AnalysisOptions, analysis_provenance
    from expressiveness.pipeline.scorers import read_card

    options = options or AnalysisOptions()
    out_dir = output_folder(out_dir, "--out")
    remove_stale_temporaries(out_dir)  # only those of dead runs: another run may be writing here
    started = time.perf_counter()
    videos, failures = find_videos(paths)
    report = RunReport(out_dir, failures=failures)
    names = output_names(videos)
    if videos:  # the model is checked once, here, before any worker starts
        options = options.with_card(read_card(model_path) if model_path is not None else {})
        analysis = analysis_provenance(model_path, options)
    todo, summaries = [], {}
    # Workers of an existing Dask cluster run in a folder (or on a machine) of their own: they get
    # absolute paths of the model, the videos and the output folder.
    task_model = None if model_path is None else str(Path(model_path).resolve())
    task_out = str(out_dir if dask is None else out_dir.absolute())
    for video in videos:
        name = names[video]
        outputs = [f"{name}_frames.csv"] + ([f"{name}_annotated.mp4"] if annotate else []) \
            + ([f"{name}_timeline.png"] if figure else [])
        try:
            provenance = {"source": source_info(video), **analysis, "annotate": annotate is not None}
        except FileNotFoundError:  # gone since it was found
            report.failures.append({"video": str(video), "name": name, "status": "missing",
                                    "error": f"{video}: file or folder not found."})
            continue
        finished = _reusable_summary(out_dir, name, provenance, outputs)
        if finished is not None:
            report.reused.append(finished)
            summaries[name] = finished
        else:
            todo.append((str(video if dask is None else video.absolute()), name, task_out, task_model, options,
                         annotate, figure, progress and workers == 1 and dask is None, str(video)))
    workers = max(1, min(workers, len(todo) or 1))
    bar = tqdm(total=len(todo), desc="Analysing videos", unit="video", disable=not progress)
    try:
        for result in run_tasks(_analyze_task, todo, workers, dask, writable=out_dir):
            if result["status"] == "ok":
                report.analyzed.append(result["summary"])
                summaries[result["summary"]["name"]] = result["summary"]
            else:
                report.failures.append(result)
            bar.update()
    finally:
        bar.close()
        report.seconds = time.perf_counter() - started
        rows = [_summary_row(summaries[names[video]]) for video in videos if names[video] in summaries]
        atomic_write(out_dir / "summary.csv", pd.DataFrame(rows).to_csv(index=False))
        atomic_write(out_dir / "run_report.json", json.dumps(
            {"analyzed": len(report.analyzed), "reused": len(report.reused), "failed": len(report.failures),
             "incomplete": [{"video": s["video"], "name": s["name"], "warning": s["warning"]}
                            for s in report.incomplete],
             "failures": report.failures, "seconds": round(report.seconds, 1)}, indent=2))
    return report


# ---------------------------------------------------------------- extraction of a data set

@dataclass
class ExtractSummary:
    cache_dir: Path
    counts: dict = field(default_factory=dict)  # status -> videos
    skipped: int = 0  # finished in an earlier run, from the same file
    truncated: int = 0  # decoded, but decoding stopped before the frame count the file declares
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
        truncated = (f" {self.truncated} stopped decoding before their declared end (the file may be truncated; "
                     f"see the manifest's error column)." if self.truncated else "")
        return (f"Videos: {parts} ({self.skipped} already in the cache).{truncated} Faces kept: {self.faces_kept}. "
                f"Took {self.wall_seconds:.1f} s{speed}. Manifest: {self.cache_dir / 'manifest.csv'}")


def _extract_task(video_id: str, file_name: str, video_path: str, target: str, settings: ExtractSettings) -> dict:
    from expressiveness.pipeline.extract import extract_to_cache
    from expressiveness.face import FaceDetector

    started = time.perf_counter()
    detector = worker_engine(("detector", settings.min_confidence), lambda: FaceDetector(settings.min_confidence))
    try:
        return extract_to_cache(detector, video_id, file_name, video_path, Path(target), settings)
    except (FileNotFoundError, UnreadableVideoError) as error:
        status = failure_status(error, video_path)
        if status not in ("missing", "unreadable"):
            raise  # the cache cannot be written: the run stops with that one error
        return manifest_row(video_id, file_name, status, seconds=time.perf_counter() - started, error=str(error))


def extract_dataset(metadata_path: str | Path, cache_dir: str | Path, settings: ExtractSettings | None = None,
                    workers: int | None = None, overwrite: bool = False, progress: bool = True,
                    dask=None) -> ExtractSummary:
    """Turn every video listed in a metadata.jsonl into face crops in `cache_dir`.

    A video whose crop file was made, with these settings, from the same file (file_name,
    resolved path, size, modification time) is reused; any other is extracted (again). Bad
    videos get a manifest row (missing, unreadable) and the run goes on. workers: processes
    (default: CPU cores); 1 runs in this process. Raises MetadataError for an invalid metadata
    file, CacheError when the cache was made with other settings, OSError (naming the file)
    when the cache cannot be written.
    """
    settings = settings or ExtractSettings()
    records = load_metadata(metadata_path)
    cache_dir = output_folder(cache_dir, "--cache")
    prepare_cache(cache_dir, settings, overwrite)
    crops_dir = cache_dir / "crops"
    for folder in (cache_dir, crops_dir):  # only temporaries of dead runs: another run may be writing
        remove_stale_temporaries(folder)
    previous = read_manifest(cache_dir)

    summary = ExtractSummary(cache_dir=cache_dir)
    rows: dict[str, dict] = {}
    targets: dict[str, Path] = {}
    todo = []
    for record in records.itertuples(index=False):
        target = targets[record.id] = crops_dir / cache_file_name(record.id)
        try:
            source = crop_source(record.file_name, record.video_path)
        except FileNotFoundError:
            target.unlink(missing_ok=True)  # crops of a file that is gone must not be trained on
            rows[record.id] = manifest_row(record.id, record.file_name, "missing",
                                           error=f"{record.video_path}: video file not found.")
            continue
        finished = finished_row(target, source) if target.exists() else None
        if finished is not None:
            earlier = previous.get(record.id, {})
            if earlier.get("status") == finished["status"]:
                finished["seconds"] = float(earlier.get("seconds") or 0.0)
            rows[record.id] = finished
            summary.skipped += 1
        else:
            if dask is None:
                todo.append((record.id, record.file_name, record.video_path, str(target), settings))
            else:  # a Dask worker runs in a folder (or on a machine) of its own: absolute paths
                todo.append((record.id, record.file_name, str(Path(record.video_path).absolute()),
                             str(target.absolute()), settings))

    def ordered_rows():
        return [rows[video_id] for video_id in records["id"] if video_id in rows]

    workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    started = last_save = time.perf_counter()
    bar = tqdm(total=len(todo), desc="Extracting faces", unit="video", disable=not progress)
    try:
        for row in run_tasks(_extract_task, todo, workers, dask, writable=crops_dir, failed=_failed_extraction):
            rows[row["id"]] = row
            if row["status"] not in ("ok", "no_face"):
                targets[row["id"]].unlink(missing_ok=True)  # crops of an earlier version of the file
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
        summary.truncated += row["status"] in ("ok", "no_face") and bool(row["error"])
    return summary
