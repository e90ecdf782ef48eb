"""A data set's videos -> their face crops in the cache: one video (extract_video,
extract_to_cache) and the whole metadata.jsonl (extract_dataset), run through tasks.py's runner.

This module imports no TensorFlow, so worker processes start fast. The cache format the
crops are written in is cache.py's.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from expressiveness._io import output_folder, remove_stale_temporaries
from expressiveness.data.cache import (STATUSES, ExtractSettings, cache_file_name, crop_source, finished_row,
                                       manifest_row, prepare_cache, read_manifest, write_crops, write_manifest)
from expressiveness.data.metadata import load_metadata
from expressiveness.errors import UnreadableVideoError
from expressiveness.pipeline import executors
from expressiveness.pipeline.tasks import failure_status, run_tasks, worker_engine
from expressiveness.face import FaceDetector, crop_face, select_face
from expressiveness.pipeline.per_video import truncation_warning
from expressiveness.video import iter_frames, probe_video


def extract_video(detector: FaceDetector, video_path: str | Path, settings: ExtractSettings) -> dict:
    """Crops of one video: dict of arrays (crops uint8 (N, size, size), frame_index int64,
    timestamp_s float64, box int32 (N, 4) as x, y, width, height, score float32) plus
    duration_s, frames_decoded, frames_sampled and a note (truncation_warning) when decoding
    stopped before the end.
    Raises FileNotFoundError / UnreadableVideoError for files that cannot be read."""
    info = probe_video(video_path)
    indices = settings.sample(info.frame_count, info.fps)
    crops, frame_index, timestamp_s, boxes, scores = [], [], [], [], []
    frames_seen = 0
    last_index = -1
    for frame in iter_frames(video_path, indices, info):
        frames_seen += 1
        last_index = frame.index
        face = select_face(detector.detect(frame.image), frame.image.shape, settings.face_selection)
        if face is None:
            continue
        crops.append(crop_face(frame.image, face, settings.size, settings.margin, settings.align))
        frame_index.append(frame.index)
        timestamp_s.append(frame.timestamp_s)
        boxes.append(face.as_array())
        scores.append(face.score)
    note = truncation_warning(last_index + 1, info.frame_count) if frames_seen < len(indices) else ""
    return {
        "crops": np.asarray(crops, dtype="uint8").reshape(-1, settings.size, settings.size),
        "frame_index": np.asarray(frame_index, dtype="int64"),
        "timestamp_s": np.asarray(timestamp_s, dtype="float64"),
        "box": np.asarray(boxes, dtype="int32").reshape(-1, 4),
        "score": np.asarray(scores, dtype="float32"),
        "duration_s": info.duration_s,
        "frames_decoded": last_index + 1,
        "frames_sampled": frames_seen,
        "note": note,
    }


def extract_to_cache(detector: FaceDetector, video_id: str, file_name: str, video_path: str | Path,
                     target: Path, settings: ExtractSettings) -> dict:
    """Extract one video into its cache file `target`, recording the source it was made from;
    returns its manifest row. Raises what extract_video raises (the batch runner records those
    as missing or unreadable), and OSError when the crop file cannot be written."""
    started = time.perf_counter()
    source = crop_source(file_name, video_path)  # before decoding: a file replaced meanwhile is redone next run
    result = extract_video(detector, video_path, settings)
    faces_kept = len(result["crops"])
    row = manifest_row(video_id, file_name, "ok" if faces_kept else "no_face", result["duration_s"],
                       result["frames_decoded"], result["frames_sampled"], faces_kept,
                       time.perf_counter() - started, result["note"])
    write_crops(target, result, row, settings, source)
    return row


# ---------------------------------------------------------------- a whole data set

MANIFEST_SAVE_INTERVAL_S = 5.0


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
        for row in run_tasks(_extract_task, todo, _failed_extraction, workers, dask, writable=crops_dir):
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


def _failed_extraction(job: tuple) -> dict:  # job: id, file_name, video_path, ...
    return manifest_row(job[0], job[1], "failed", error=executors.worker_died(job[2]))
