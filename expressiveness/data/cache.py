"""The face-crop cache format: settings, one crop file per video, and the manifest.

Cache layout (a folder, `cache/` by default):
  settings.json      the ExtractSettings the cache was made with and the face engine that found the
                     faces (its name and model bundle's SHA-256); a rerun must match both
  crops/<id>.npz     one file per finished video (loaded without pickle):
                     crops uint8 (N, 48, 48), frame_index int64 (N,), timestamp_s float64 (N,),
                     box int32 (N, 4) as x, y, width, height in frame pixels, score float32 (N,),
                     the video's manifest fields but its timing (status, frames_decoded, ...),
                     and the source it was made from (source_path, source_size_bytes,
                     source_modified_ns, beside file_name)
  manifest.csv       one row per video of the metadata: MANIFEST_COLUMNS

A video counts as finished when its .npz exists and was made from the file the metadata names
now (same file_name, resolved path, size and modification time), including videos with no face
(N = 0); otherwise a rerun extracts it again. Files are written under a temporary name and
renamed (see _io.py), so a run killed at any moment leaves nothing half-written that a rerun
would trust. Crop files hold no timestamp, so the same video and settings give the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from expressiveness._io import atomic_open, atomic_write, source_info
from expressiveness.config import (DEFAULT_CROP_MARGIN, DEFAULT_FACE_SELECTION, DEFAULT_MIN_CONFIDENCE, FACE_SIZE,
                                   FRAMES_PER_CLIP)
from expressiveness.errors import CacheError
from expressiveness.face import engine_identity
from expressiveness.face.options import FaceOptions
from expressiveness.video import sample_indices

STATUSES = ("ok", "no_face", "unreadable", "missing")
MANIFEST_COLUMNS = ("id", "file_name", "status", "duration_s", "frames_decoded", "frames_sampled",
                    "faces_kept", "seconds", "error")
ARRAY_FIELDS = ("crops", "frame_index", "timestamp_s", "box", "score")
DEFAULT_FRAMES_PER_CLIP = FRAMES_PER_CLIP
CROP_SETTING_KEYS = ("margin", "align", "size", "min_confidence", "face_selection")


@dataclass(frozen=True)
class ExtractSettings:
    """How crops are made. One sampling rule: frames_per_clip (N frames spread evenly over the
    clip; 32 when no rule is given), every (every k-th frame) or rate_fps (frames per second
    of video). min_confidence in [0, 1] for the face detector (face.FaceDetector);
    margin >= 0, a fraction of the face box added on each side."""

    frames_per_clip: int | None = None
    every: int | None = None
    rate_fps: float | None = None
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    margin: float = DEFAULT_CROP_MARGIN
    align: bool = False
    face_selection: str = DEFAULT_FACE_SELECTION
    size: int = FACE_SIZE

    def __post_init__(self):
        rules = {name: value for name, value in (("frames_per_clip", self.frames_per_clip), ("every", self.every),
                                                  ("rate_fps", self.rate_fps)) if value is not None}
        if not rules:
            object.__setattr__(self, "frames_per_clip", DEFAULT_FRAMES_PER_CLIP)
        elif len(rules) > 1:
            raise ValueError("set one of frames_per_clip, every and rate_fps; got "
                             f"frames_per_clip={self.frames_per_clip}, every={self.every}, rate_fps={self.rate_fps}.")
        for name, value in rules.items():
            whole = name != "rate_fps"
            if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) \
                    or not math.isfinite(value) or not value > 0:
                raise ValueError(f"{name} is {value!r}; expected {'a whole number' if whole else 'a number'} > 0.")
        self.face  # the face settings' checks are FaceOptions'
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 8:
            raise ValueError(f"size is {self.size!r}; expected a whole number of pixels >= 8, such as {FACE_SIZE}.")

    @property
    def face(self) -> FaceOptions:
        """How these settings find and cut faces."""
        return FaceOptions(self.min_confidence, self.face_selection, margin=self.margin, align=self.align)

    def sample(self, frame_count: int, fps: float) -> np.ndarray:
        return sample_indices(frame_count, every=self.every, count=self.frames_per_clip,
                              rate_fps=self.rate_fps, fps=fps if self.rate_fps is not None else None)


def cache_file_name(video_id: str) -> str:
    """File name of a video's crops; ids that are not plain names get a hashed suffix."""
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}", video_id):
        return f"{video_id}.npz"
    digest = hashlib.sha1(video_id.encode("utf-8")).hexdigest()[:12]
    return f"{re.sub(r'[^A-Za-z0-9._-]', '_', video_id)[:60]}-{digest}.npz"


def manifest_row(video_id, file_name, status, duration_s=0.0, frames_decoded=0, frames_sampled=0, faces_kept=0,
                 seconds=0.0, error="") -> dict:
    """One manifest row (MANIFEST_COLUMNS) with the types the CSV and the crop files store."""
    return {"id": video_id, "file_name": file_name, "status": status, "duration_s": round(float(duration_s), 3),
            "frames_decoded": int(frames_decoded), "frames_sampled": int(frames_sampled),
            "faces_kept": int(faces_kept), "seconds": round(float(seconds), 3), "error": error}


SOURCE_FIELDS = ("source_path", "source_size_bytes", "source_modified_ns")
_STORED_ROW = tuple(name for name in MANIFEST_COLUMNS if name != "seconds")  # timing would break determinism
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def crop_source(file_name: str, video_path: str | Path) -> dict:
    """What a crop file must have been made from to be reused: the metadata's file_name and
    the video's resolved path, size and modification time. Raises FileNotFoundError."""
    info = source_info(video_path)
    return {"file_name": file_name, "source_path": info["path"], "source_size_bytes": info["size_bytes"],
            "source_modified_ns": info["modified_ns"]}


def write_crops(path: str | Path, arrays: dict, row: dict, settings: ExtractSettings, source: dict) -> None:
    """Write one video's crop file atomically: ARRAY_FIELDS arrays, its manifest row (without
    timing) and its source (crop_source). The same content always gives the same bytes."""
    content = {name: np.asarray(arrays[name]) for name in ARRAY_FIELDS}
    content.update({name: np.array(row[name]) for name in _STORED_ROW})
    content.update({name: np.array(source[name]) for name in SOURCE_FIELDS})
    content["aligned"] = np.array(settings.align)
    content["face_selection"] = np.array(settings.face_selection)
    # np.savez stamps each member with the current time; fixed stamps make the file reproducible.
    with atomic_open(path) as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
        for name, value in content.items():
            with archive.open(zipfile.ZipInfo(f"{name}.npy", _ZIP_TIME), "w", force_zip64=True) as member:
                np.lib.format.write_array(member, value, allow_pickle=False)


def read_crops(path: str | Path) -> dict:
    """Load one cache file (no pickle). Returns a dict of numpy arrays; scalars as 0-d arrays."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def finished_row(path: Path, source: dict) -> dict | None:
    """The manifest row stored in a finished cache file made from `source` (crop_source), with
    seconds 0; None if the file is absent, unusable, or was made from another file."""
    try:
        with np.load(path, allow_pickle=False) as data:  # lazy: the crops themselves are not read
            stored = {name: data[name].item() for name in _STORED_ROW + SOURCE_FIELDS}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    if any(stored[name] != value for name, value in source.items()):
        return None
    return {name: stored.get(name, 0.0) for name in MANIFEST_COLUMNS}


def prepare_cache(cache_dir: Path, settings: ExtractSettings, overwrite: bool) -> None:
    """Create the cache folder for `settings`, or check that an existing one was made with them.
    With overwrite, crops made with other settings are deleted. Raises CacheError. A cache made by
    another face engine or bundle (such as mediapipe.solutions before 1.2) counts as other settings:
    its boxes, hence its crops, differ."""
    settings_path = cache_dir / "settings.json"
    engine = engine_identity()
    wanted = {**asdict(settings), "face_engine": {key: engine[key] for key in ("engine", "face_model_sha256")}}
    if settings_path.exists() and not overwrite:
        try:
            stored = json.loads(settings_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            stored = None
        if stored != wanted:
            differences = _differences(stored, wanted) if isinstance(stored, dict) else "unreadable"
            raise CacheError(f"{cache_dir} holds crops made with other settings ({differences}); use "
                             f"another cache folder (--cache) or pass --overwrite to rebuild it.")
    if overwrite and (cache_dir / "crops").exists():
        for old in (cache_dir / "crops").glob("*.npz"):
            old.unlink()
    (cache_dir / "crops").mkdir(parents=True, exist_ok=True)
    atomic_write(settings_path, json.dumps(wanted, indent=2, sort_keys=True))


def _differences(stored: dict, wanted: dict) -> str:
    """What changed between two settings.json contents, for one sentence; a face engine is named
    by its engine and the first 12 digits of its bundle's hash."""
    def shown(key, value):
        if key == "face_engine":
            return "none recorded (a cache from before mediapipe 1.2)" if not isinstance(value, dict) else \
                f"{value.get('engine')} {str(value.get('face_model_sha256'))[:12]}"
        return repr(value)

    return ", ".join(f"{key} {shown(key, stored.get(key))} -> {shown(key, wanted.get(key))}"
                     for key in sorted(set(stored) | set(wanted)) if stored.get(key) != wanted.get(key))


def write_manifest(cache_dir: Path, rows: list[dict]) -> Path:
    """Write manifest.csv atomically, one row per video in the order given."""
    path = Path(cache_dir) / "manifest.csv"
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(path, text.getvalue())
    return path


def read_manifest(cache_dir: Path) -> dict[str, dict]:
    """The rows of an existing manifest.csv by id (values as text); {} when there is none."""
    try:
        with open(Path(cache_dir) / "manifest.csv", newline="", encoding="utf-8") as handle:
            return {row["id"]: row for row in csv.DictReader(handle) if "id" in row}
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}


def load_cached_crops(cache_dir: str | Path, video_ids) -> dict[str, dict]:
    """Crops of each video id that has a cache file with at least one crop."""
    crops_dir = Path(cache_dir) / "crops"
    found = {}
    for video_id in video_ids:
        path = crops_dir / cache_file_name(video_id)
        if path.exists():
            data = read_crops(path)
            if len(data["crops"]):
                found[video_id] = data
    return found


def crop_settings(cache_dir: str | Path) -> dict:
    """How the cache's crops were made (from its settings.json): inference must crop alike.
    Caches without settings.json (made by hand), or settings without a key, are taken to use
    the extraction defaults. Raises CacheError for a settings.json that is not JSON."""
    path = Path(cache_dir) / "settings.json"
    stored = asdict(ExtractSettings())
    if path.exists():
        try:
            stored.update(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError):
            raise CacheError(f"{path}: not the JSON settings that `expressiveness extract` writes; extract the "
                             f"cache again.") from None
    return {key: stored[key] for key in CROP_SETTING_KEYS}
