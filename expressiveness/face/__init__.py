"""Faces: the MediaPipe Tasks engine (the only code that runs MediaPipe), its model bundle, face
boxes and crops, and head pose from the landmarker's transformation matrix."""

from .bundle import FACE_MODEL_ENV, FaceBundle, bundle_path, engine_identity, load_bundle
from .crops import FACE_SELECTIONS, KEYPOINT_NAMES, FaceBox, box_iou, crop_face, select_face
from .engine import (BLENDSHAPE_NAMES, LANDMARK_COUNT, FaceDetector, FaceLandmarker, FaceLandmarks,
                     LandmarkReading, _import_mediapipe, _to_rgb, check_mediapipe)
from .pose import head_pose, head_rotation, rotation_angle_deg, rotation_angles

BLENDSHAPE_COLUMNS = tuple(f"bs_{name}" for name in BLENDSHAPE_NAMES)

__all__ = [
    "FACE_MODEL_ENV", "FaceBundle", "bundle_path", "engine_identity", "load_bundle",
    "FACE_SELECTIONS", "KEYPOINT_NAMES", "FaceBox", "box_iou", "crop_face", "select_face",
    "BLENDSHAPE_NAMES", "BLENDSHAPE_COLUMNS", "LANDMARK_COUNT", "FaceDetector", "FaceLandmarker",
    "FaceLandmarks", "LandmarkReading", "check_mediapipe", "head_pose", "head_rotation", "rotation_angle_deg", "rotation_angles",
]
