"""Data-set videos -> face-crop cache: parallel, resumable and atomic.

Cache layout (a folder, `cache/` by default):
  settings.json      the ExtractSettings the cache was made with; a rerun must match them
  crops/<id>.npz     one file per finished video (loaded without pickle):
                     crops uint8 (N, 48, 48), frame_index int64 (N,), timestamp_s float64 (N,),
                     box int32 (N, 4) as x, y, width, height in frame pixels, score float32 (N,),
                     and the video's manifest fields (status, frames_decoded, ...)
  manifest.csv       one row per video of the metadata: MANIFEST_COLUMNS

A video counts as finished when its .npz exists, including videos with no face (N = 0).
Files are written under a temporary name and renamed, so a run killed at any moment leaves
nothing half-written that a rerun would trust; missing or unreadable videos are retried.
This module imports no TensorFlow, so workers start fast.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ._io import atomic_open, atomic_write
from ._parallel import spawn_map
from .config import FACE_SIZE
from .faces import FACE_SELECTIONS, MODELS, FaceDetector, crop_face, select_face
from .metadata import load_metadata
from .video import UnreadableVideoError, iter_frames, probe_video, sample_indices

STATUSES = ("ok", "no_face", "unreadable", "missing")
MANIFEST_COLUMNS = ("id", "file_name", "status", "duration_s", "frames_decoded", "frames_sampled",
                    "faces_kept", "seconds", "error")
MANIFEST_SAVE_INTERVAL_S = 5.0
DEFAULT_FRAMES_PER_CLIP = 32


@dataclass(frozen=True)
class ExtractSettings:
    """How crops are made. One sampling rule: frames_per_clip (N frames spread evenly over the
    clip; 32 when no rule is given), every (every k-th frame) or rate_fps (frames per second
    of video)."""

    frames_per_clip: int | None = None
    every: int | None = None
    rate_fps: float | None = None
    model: str = "short"
    min_confidence: float = 0.5
    margin: float = 0.15
    align: bool = False
    face_selection: str = "largest"
    size: int = FACE_SIZE

    def __post_init__(self):
        rules = [value for value in (self.frames_per_clip, self.every, self.rate_fps) if value is not None]
        if not rules:
            object.__setattr__(self, "frames_per_clip", DEFAULT_FRAMES_PER_CLIP)
        elif len(rules) > 1:
            raise ValueError("set one of frames_per_clip, every and rate_fps; got "
                             f"frames_per_clip={self.frames_per_clip}, every={self.every}, rate_fps={self.rate_fps}.")
        if self.model not in MODELS:
            raise ValueError(f'model is {self.model!r}; expected "short" or "full".')
        if self.face_selection not in FACE_SELECTIONS:
            raise ValueError(f"face_selection is {self.face_selection!r}; expected one of "
                             f"{', '.join(FACE_SELECTIONS)}.")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"min_confidence is {self.min_confidence!r}; expected a number in [0.0, 1.0].")

    def sample(self, frame_count: int, fps: float) -> np.ndarray:
        return sample_indices(frame_count, every=self.every, count=self.frames_per_clip,
                              rate_fps=self.rate_fps, fps=fps if self.rate_fps is not None else None)


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


def cache_file_name(video_id: str) -> str:
    """File name of a video's crops; ids that are not plain names get a hashed suffix."""
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}", video_id):
        return f"{video_id}.npz"
    digest = hashlib.sha1(video_id.encode("utf-8")).hexdigest()[:12]
    return f"{re.sub(r'[^A-Za-z0-9._-]', '_', video_id)[:60]}-{digest}.npz"


def _row(video_id, file_name, status, duration_s=0.0, frames_decoded=0, frames_sampled=0, faces_kept=0,
         seconds=0.0, error=""):
    return {"id": video_id, "file_name": file_name, "status": status, "duration_s": round(float(duration_s), 3),
            "frames_decoded": int(frames_decoded),
            "frames_sampled": int(frames_sampled), "faces_kept": int(faces_kept),
            "seconds": round(float(seconds), 3), "error": error}


def extract_video(detector: FaceDetector, video_path: str | Path, settings: ExtractSettings) -> dict:
    """Crops of one video: dict of arrays (crops, frame_index, timestamp_s, box, score) plus
    frames_decoded, frames_sampled and a note when decoding stopped before the end.
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
    note = ""
    if frames_seen < len(indices):
        note = (f"decoding stopped after frame {last_index}; the header declares {info.frame_count} "
                f"frames (damaged or truncated file)")
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


def _process(detector: FaceDetector, video_id: str, file_name: str, video_path: str,
             target: Path, settings: ExtractSettings) -> dict:
    started = time.perf_counter()
    try:
        result = extract_video(detector, video_path, settings)
    except FileNotFoundError as error:
        return _row(video_id, file_name, "missing", seconds=time.perf_counter() - started, error=str(error))
    except UnreadableVideoError as error:
        return _row(video_id, file_name, "unreadable", seconds=time.perf_counter() - started, error=str(error))
    faces_kept = len(result["crops"])
    row = _row(video_id, file_name, "ok" if faces_kept else "no_face", result["duration_s"], result["frames_decoded"],
               result["frames_sampled"], faces_kept, time.perf_counter() - started, result["note"])
    arrays = {name: result[name] for name in ("crops", "frame_index", "timestamp_s", "box", "score")}
    arrays.update({name: np.array(value) for name, value in row.items()})
    arrays["aligned"] = np.array(settings.align)
    arrays["face_selection"] = np.array(settings.face_selection)
    with atomic_open(target) as handle:
        np.savez(handle, **arrays)
    return row


_worker_state: dict = {}


def _init_worker(settings: ExtractSettings) -> None:
    _worker_state["settings"] = settings
    _worker_state["detector"] = FaceDetector(settings.model, settings.min_confidence)


def _work(video_id: str, file_name: str, video_path: str, target: str) -> dict:
    return _process(_worker_state["detector"], video_id, file_name, video_path, Path(target),
                    _worker_state["settings"])


def read_crops(path: str | Path) -> dict:
    """Load one cache file (no pickle). Returns a dict of numpy arrays; scalars as 0-d arrays."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _finished_row(path: Path) -> dict | None:
    """The manifest row stored in a finished cache file, or None if it is unusable."""
    try:
        with np.load(path, allow_pickle=False) as data:  # lazy: the crops themselves are not read
            return {name: data[name].item() for name in MANIFEST_COLUMNS}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None


def _check_settings(cache_dir: Path, settings: ExtractSettings, overwrite: bool) -> None:
    settings_path = cache_dir / "settings.json"
    wanted = asdict(settings)
    if settings_path.exists() and not overwrite:
        try:
            stored = json.loads(settings_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            stored = None
        if stored != wanted:
            differences = ", ".join(f"{key} {stored.get(key)!r} -> {value!r}" for key, value in wanted.items()
                                    if stored.get(key) != value) if isinstance(stored, dict) else "unreadable"
            raise ValueError(f"{cache_dir} holds crops made with other settings ({differences}); use "
                             f"another cache folder or pass overwrite=True (--overwrite) to rebuild it.")
    if overwrite and (cache_dir / "crops").exists():
        for old in (cache_dir / "crops").glob("*.npz"):
            old.unlink()
    (cache_dir / "crops").mkdir(parents=True, exist_ok=True)
    atomic_write(settings_path, json.dumps(wanted, indent=2, sort_keys=True))


def write_manifest(cache_dir: Path, rows: list[dict]) -> Path:
    """Write manifest.csv atomically, one row per video in the order given."""
    path = Path(cache_dir) / "manifest.csv"
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(path, text.getvalue())
    return path


def _run(todo: list[tuple], settings: ExtractSettings, workers: int):
    """Yield one manifest row per job, in this process (workers == 1) or in a spawn pool."""
    if not todo:
        return
    if workers == 1:
        with FaceDetector(settings.model, settings.min_confidence) as detector:
            for video_id, file_name, video_path, target in todo:
                yield _process(detector, video_id, file_name, video_path, Path(target), settings)
        return
    yield from spawn_map(_work, todo, workers, _init_worker, (settings,))


def extract_dataset(metadata_path: str | Path, cache_dir: str | Path, settings: ExtractSettings | None = None,
                    workers: int | None = None, overwrite: bool = False, progress: bool = True) -> ExtractSummary:
    """Turn every video listed in a metadata.jsonl into face crops in `cache_dir`.

    Videos finished in an earlier run are skipped. Bad videos get a manifest row (missing,
    unreadable) and the run goes on. workers: processes (default: CPU cores); 1 runs in this
    process. Raises MetadataError for an invalid metadata file, ValueError when the cache
    was made with other settings.
    """
    settings = settings or ExtractSettings()
    records = load_metadata(metadata_path)
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    _check_settings(cache_dir, settings, overwrite)
    crops_dir = cache_dir / "crops"
    for stale in crops_dir.glob(".*.tmp"):
        stale.unlink()

    summary = ExtractSummary(cache_dir=cache_dir)
    rows: dict[str, dict] = {}
    todo = []
    for record in records.itertuples(index=False):
        target = crops_dir / cache_file_name(record.id)
        finished = _finished_row(target) if target.exists() else None
        if finished is not None:
            rows[record.id] = finished
            summary.skipped += 1
        elif not Path(record.video_path).exists():
            rows[record.id] = _row(record.id, record.file_name, "missing",
                                   error=f"{record.video_path}: video file not found.")
        else:
            todo.append((record.id, record.file_name, record.video_path, str(target)))

    def ordered_rows():
        return [rows[video_id] for video_id in records["id"] if video_id in rows]

    workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    started = last_save = time.perf_counter()
    bar = tqdm(total=len(todo), desc="Extracting faces", unit="video", disable=not progress)
    try:
        for row in _run(todo, settings, workers):
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
