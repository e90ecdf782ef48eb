"""Head pose (yaw, pitch, roll) from the face landmarker's facial transformation matrix.

The matrix maps MediaPipe's canonical face (x toward the person's left, y up, z toward the
viewer) into camera space with the same axes. The angles are read with scipy's Rotation after
turning the rotation into the landmarks' axes (x right, y down, z away from the camera), so they
keep the toolkit's columns and signs: all three are 0 for a face looking straight into the
camera; yaw > 0 when the nose points to the image's right (the person turns to their left),
pitch > 0 when the nose points up (chin up), roll > 0 when the face turns counterclockwise as
seen in the image. A mirrored image flips the signs of yaw and roll, not pitch.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

_FLIP = np.diag([1.0, -1.0, -1.0])  # camera space (y up, z toward the viewer) <-> landmarks' axes


def head_rotation(transform: np.ndarray) -> np.ndarray:
    """The head's rotation (3x3, landmarks' axes: x right, y down, z away from the camera) in a
    4x4 facial transformation matrix; the nearest rotation when the matrix also scales."""
    matrix = np.asarray(transform, dtype="float64")
    if matrix.shape != (4, 4) or not np.isfinite(matrix).all():
        raise ValueError(f"the transformation matrix has shape {matrix.shape}; expected a finite 4x4 matrix, "
                         f"as FaceLandmarks.transform holds.")
    rotation = Rotation.from_matrix(matrix[:3, :3]).as_matrix()
    return _FLIP @ rotation @ _FLIP


def rotation_angles(rotation: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of a head rotation in the landmarks' axes, with
    rotation = R_y(-yaw) @ R_x(-pitch) @ R_z(-roll) (intrinsic Y, X, Z)."""
    yaw, pitch, roll = Rotation.from_matrix(np.asarray(rotation, dtype="float64")).as_euler("YXZ", degrees=True)
    return float(-yaw), float(-pitch), float(-roll)


def head_pose(transform: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from a 4x4 facial transformation matrix (module docstring)."""
    return rotation_angles(head_rotation(transform))


def rotation_angle_deg(rotation: np.ndarray) -> float:
    """Angle in degrees, in [0, 180], of a 3x3 rotation (the turn between two head poses)."""
    return float(np.degrees(Rotation.from_matrix(np.asarray(rotation, dtype="float64")).magnitude()))
