"""Facial expressiveness in video interviews: Reserved, Balanced or Expressive, frame by frame.

Light stages are re-exported here; the heavier stages (model, train, evaluate, predict, frames,
batch) are imported from their modules so that `import expressiveness` stays fast.
"""

__version__ = "0.1.0"

from expressiveness.config import LABELS, THRESHOLDS, FACE_SIZE
from expressiveness.errors import ExpressivenessError, MetadataError, UnreadableVideoError
from expressiveness.data.metadata import (
    expressiveness_level,
    expressiveness_levels,
    load_metadata,
    participant_split,
    scan_metadata,
    tertile_thresholds,
)
from expressiveness.video import VideoInfo, iter_frames, probe_video, sample_indices
from expressiveness.face import FaceBox, FaceDetector, crop_face, select_face
from expressiveness.data.cache import ExtractSettings, read_crops
from expressiveness.pipeline.batch import extract_dataset
from expressiveness.data.demo_data import build_demo_dataset

__all__ = [
    "__version__", "LABELS", "THRESHOLDS", "FACE_SIZE",
    "ExpressivenessError", "MetadataError", "expressiveness_level", "expressiveness_levels", "load_metadata", "participant_split",
    "scan_metadata", "tertile_thresholds",
    "UnreadableVideoError", "VideoInfo", "iter_frames", "probe_video", "sample_indices",
    "FaceBox", "FaceDetector", "crop_face", "select_face",
    "ExtractSettings", "read_crops", "extract_dataset",
    "build_demo_dataset",
]
