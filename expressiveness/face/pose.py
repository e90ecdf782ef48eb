"""Head pose (yaw, pitch, roll) from the face landmarker's facial transformation matrix.

The matrix maps MediaPipe's canonical face (x toward the person's left, y up, z toward the
viewer) into camera space with the same axes. The angles are read (numpy only: SciPy's Rotation
cost every analysing process 0.7 s of import) after turning the rotation into the landmarks' axes (x right, y down, z away from the camera), so they
keep the toolkit's columns and signs: all three are 0 for a face looking straight into the
camera; yaw > 0 when the nose points to the image's right (the person turns to their left),
pitch > 0 when the nose points up (chin up), roll > 0 when the face turns counterclockwise as
seen in the image. A mirrored image flips the signs of yaw and roll, not pitch.
"""

from __future__ import annotations

import numpy as np

_FLIP = np.diag([1.0, -1.0, -1.0])  # camera space (y up, z toward the viewer) <-> landmarks' axes


def head_rotation(transform: np.ndarray) -> np.ndarray:
    """The head's rotation (3x3, landmarks' axes: x right, y down, z away from the camera) in a
    4x4 facial transformation matrix; the nearest rotation when the matrix also scales."""
    matrix = np.asarray(transform, dtype="float64")
    if matrix.shape != (4, 4) or not np.isfinite(matrix).all():
        raise ValueError(f"the transformation matrix has shape {matrix.shape}; expected a finite 4x4 matrix, "
                         f"as FaceLandmarks.transform holds.")
    return _FLIP @ nearest_rotation(matrix[:3, :3]) @ _FLIP


def nearest_rotation(matrix: np.ndarray) -> np.ndarray:
    """The rotation nearest to a 3x3 matrix (Frobenius norm: U diag(1, 1, det) V^T of its SVD):
    the matrix itself when it is a rotation, R when it is s R with a scale s > 0."""
    u, _, vt = np.linalg.svd(np.asarray(matrix, dtype="float64"))
    return u @ np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt)) or 1.0]) @ vt


def rotation_angles(rotation: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of a head rotation in the landmarks' axes, with
    rotation = R_y(-yaw) @ R_x(-pitch) @ R_z(-roll) (intrinsic Y, X, Z)."""
    r = nearest_rotation(rotation)
    # R_y(a) R_x(b) R_z(c) has r[1, 2] = -sin b, (r[0, 2], r[2, 2]) = cos b (sin a, cos a) and
    # (r[1, 0], r[1, 1]) = cos b (sin c, cos c). At b = +-90 deg (gimbal lock) only a - c or a + c is
    # defined: c is then 0, as SciPy's as_euler sets it.
    pitch = np.arcsin(np.clip(-r[1, 2], -1.0, 1.0))
    if np.hypot(r[1, 0], r[1, 1]) > 1e-9:
        yaw, roll = np.arctan2(r[0, 2], r[2, 2]), np.arctan2(r[1, 0], r[1, 1])
    else:
        yaw, roll = np.arctan2(-r[2, 0], r[0, 0]), 0.0
    return tuple(float(-np.degrees(angle)) + 0.0 for angle in (yaw, pitch, roll))


def head_pose(transform: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from a 4x4 facial transformation matrix (module docstring)."""
    return rotation_angles(head_rotation(transform))


def rotation_angle_deg(rotation: np.ndarray) -> float:
    """Angle in degrees, in [0, 180], of a 3x3 rotation (the turn between two head poses)."""
    r = nearest_rotation(rotation)
    # sin and cos of the angle from the skew part and the trace: exact near 0 and near 180 deg
    sine = 0.5 * np.linalg.norm([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]])
    return float(np.degrees(np.arctan2(sine, (np.trace(r) - 1.0) / 2.0)))
