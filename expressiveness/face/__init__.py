"""Faces: the MediaPipe Tasks engine (the only code that runs MediaPipe), its model bundle, face
boxes and crops, head pose from the landmarker's transformation matrix, and persons (a stable
id per face across a video's frames).

The names are re-exported on first use (PEP 562), so that reading the bundle's path or identity
(bundle.py, standard library only) does not import OpenCV, SciPy and the engine: the command
line's --help and its option checks stay light."""

from __future__ import annotations

import importlib

_HOMES = {
    "bundle": ("FACE_MODEL_ENV", "FaceBundle", "bundle_path", "engine_identity", "load_bundle"),
    "crops": ("FACE_SELECTIONS", "KEYPOINT_NAMES", "FaceBox", "box_iou", "crop_face", "select_face"),
    "engine": ("BLENDSHAPE_NAMES", "BLENDSHAPE_COLUMNS", "LANDMARK_COUNT", "FaceDetector", "FaceLandmarker",
               "FaceLandmarks", "LandmarkReading"),
    "runtime": ("check_mediapipe", "import_mediapipe"),
    "options": ("FaceOptions",),
    "pose": ("head_pose", "head_rotation", "rotation_angle_deg", "rotation_angles"),
    "persons": ("MEANINGFUL_SHARE", "PersonSummary", "PersonTracker", "PersonsSummary", "face_appearance"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = list(_MODULE_OF)


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULE_OF})
