"""One data-set video -> its face crops: the extraction task that batch.py runs for many.

This module imports no TensorFlow, so worker processes start fast. The cache format the
crops are written in is cache.py's.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from expressiveness.data.cache import ExtractSettings, crop_source, manifest_row, write_crops
from expressiveness.face import FaceDetector, crop_face, select_face
from expressiveness.pipeline.frames import truncation_warning
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
