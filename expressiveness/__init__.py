"""Facial expressiveness in video interviews: Reserved, Balanced or Expressive, frame by frame.

Light stages are re-exported here; the TensorFlow stages (model, train, evaluate, predict,
timeline) are imported from their modules so that `import expressiveness` stays fast.
"""

__version__ = "0.1.0"

from .config import LABELS, THRESHOLDS, FACE_SIZE
from .metadata import (
    MetadataError,
    expressiveness_level,
    expressiveness_levels,
    load_metadata,
    participant_split,
    scan_metadata,
    tertile_thresholds,
)
from .video import UnreadableVideoError, VideoInfo, iter_frames, probe_video, sample_indices
from .faces import FaceBox, FaceDetector, crop_face, select_face
from .extract import ExtractSettings, extract_dataset, read_crops
from .demo_data import build_demo_dataset

__all__ = [
    "__version__", "LABELS", "THRESHOLDS", "FACE_SIZE",
    "MetadataError", "expressiveness_level", "expressiveness_levels", "load_metadata", "participant_split",
    "scan_metadata", "tertile_thresholds",
    "UnreadableVideoError", "VideoInfo", "iter_frames", "probe_video", "sample_indices",
    "FaceBox", "FaceDetector", "crop_face", "select_face",
    "ExtractSettings", "extract_dataset", "read_crops",
    "build_demo_dataset",
]
