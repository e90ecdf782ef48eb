"""Face-mesh geometry (numpy only): landmark regions, MediaPipe's canonical face, similarity
alignment, inter-ocular distance and a head rotation fitted on the landmarks.

Landmarks are arrays of shape (468, 3) or (478, 3) as face.FaceLandmarker gives them (the 10
iris points after the mesh are ignored): x and y in pixels of the frame, z in pixels scaled like
x (MediaPipe's relative depth times the frame width; smaller is closer to the camera).
"""

from __future__ import annotations


import numpy as np


LANDMARK_COUNT = 468  # the face mesh; the landmarker's 10 iris points follow and are not used here

# Landmark indices per region, the vertices of mediapipe.solutions.face_mesh_connections'
# FACEMESH_RIGHT_EYEBROW + FACEMESH_LEFT_EYEBROW, FACEMESH_RIGHT_EYE + FACEMESH_LEFT_EYE and
# FACEMESH_LIPS. "Right" is the person's right, on the image's left.
REGIONS: dict[str, tuple[int, ...]] = {
    "brows": (46, 52, 53, 55, 63, 65, 66, 70, 105, 107,
              276, 282, 283, 285, 293, 295, 296, 300, 334, 336),
    "eyes": (7, 33, 133, 144, 145, 153, 154, 155, 157, 158, 159, 160, 161, 163, 173, 246,
             249, 263, 362, 373, 374, 380, 381, 382, 384, 385, 386, 387, 388, 390, 398, 466),
    "mouth": (0, 13, 14, 17, 37, 39, 40, 61, 78, 80, 81, 82, 84, 87, 88, 91, 95, 146, 178, 181,
              185, 191, 267, 269, 270, 291, 308, 310, 311, 312, 314, 317, 318, 321, 324, 375,
              402, 405, 409, 415),
}
EYE_CORNERS = ((33, 133), (263, 362))  # (outer, inner) corner of the right eye, then the left eye

# MediaPipe's Procrustes basis: landmarks that barely move with expressions, their weights, and
# their place in MediaPipe's canonical face model (cm; x toward the person's left, y up, z toward
# the viewer). From mediapipe/modules/face_geometry/data/geometry_pipeline_metadata_landmarks.pbtxt
# and canonical_face_model.obj (MediaPipe, Apache License 2.0).
_CANONICAL_BASIS = (  # (landmark, weight, x, y, z)
    (4, 0.070910, 0.000000, -0.463170, 7.586580), (6, 0.032100, 0.000000, 2.473255, 5.788627),
    (10, 0.008447, 0.000000, 8.261778, 4.481535),
    (33, 0.058724, -4.445859, 2.663991, 3.173422), (263, 0.058724, 4.445859, 2.663991, 3.173422),
    (54, 0.007667, -6.279331, 6.615427, 1.425850), (284, 0.007667, 6.279331, 6.615427, 1.425850),
    (67, 0.009078, -3.523964, 8.005976, 3.729163), (297, 0.009078, 3.523964, 8.005976, 3.729163),
    (117, 0.009792, -5.258659, 0.945811, 2.974312), (346, 0.009792, 5.258659, 0.945811, 2.974312),
    (119, 0.014565, -3.300681, 0.861641, 3.872784), (348, 0.014565, 3.300681, 0.861641, 3.872784),
    (121, 0.018591, -1.820731, 1.467954, 4.224124), (350, 0.018591, 1.820731, 1.467954, 4.224124),
    (127, 0.005198, -7.743095, 2.364999, -2.005167), (356, 0.005198, 7.743095, 2.364999, -2.005167),
    (129, 0.120625, -1.785794, -0.978284, 4.850470), (358, 0.120625, 1.785794, -0.978284, 4.850470),
    (132, 0.005560, -7.270895, -2.890917, -2.252455), (361, 0.005560, 7.270895, -2.890917, -2.252455),
    (133, 0.053286, -1.856432, 2.585245, 3.757904), (362, 0.053286, 1.856432, 2.585245, 3.757904),
    (136, 0.066890, -5.085276, -7.178590, 0.714711), (365, 0.066890, 5.085276, -7.178590, 0.714711),
    (143, 0.014817, -6.407571, 2.236021, 1.560843), (372, 0.014817, 6.407571, 2.236021, 1.560843),
    (147, 0.014263, -6.234883, -1.944430, 1.663542), (376, 0.014263, 6.234883, -1.944430, 1.663542),
    (198, 0.025462, -1.246815, 0.230297, 5.681036), (420, 0.025462, 1.246815, 0.230297, 5.681036),
    (205, 0.047252, -3.832928, -1.537326, 4.137731), (425, 0.047252, 3.832928, -1.537326, 4.137731),
)
BASIS_INDICES = tuple(row[0] for row in _CANONICAL_BASIS)
_RAW_WEIGHTS = np.array([row[1] for row in _CANONICAL_BASIS])
BASIS_WEIGHTS = _RAW_WEIGHTS / _RAW_WEIGHTS.sum()  # MediaPipe's sum to 1.055
# The canonical basis turned into the landmarks' axes (x right, y down, z away from the camera):
# a frontal face, looking into the camera, has the identity rotation.
CANONICAL_BASIS = np.array([row[2:] for row in _CANONICAL_BASIS]) * np.array([1.0, -1.0, -1.0])


def check_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """The face mesh of `landmarks` (468, 3) or (478, 3) as float64 (468, 3); ValueError for anything else."""
    points = np.asarray(landmarks)
    if points.ndim != 2 or points.shape[0] not in (LANDMARK_COUNT, LANDMARK_COUNT + 10) or points.shape[1] != 3 \
            or not np.issubdtype(points.dtype, np.number) or not np.isfinite(points).all():
        raise ValueError(f"landmarks have shape {points.shape} and dtype {points.dtype}; expected finite "
                         f"numbers of shape ({LANDMARK_COUNT + 10}, 3) as FaceLandmarker gives them, "
                         f"or ({LANDMARK_COUNT}, 3).")
    return points[:LANDMARK_COUNT].astype("float64")


def inter_ocular_distance(landmarks: np.ndarray) -> float:
    """Distance between the eye centres (each the midpoint of its two corners), in 3D, in the
    landmarks' units (pixels for FaceLandmarker output)."""
    points = check_landmarks(landmarks)
    (right_outer, right_inner), (left_outer, left_inner) = EYE_CORNERS
    right = (points[right_outer] + points[right_inner]) / 2
    left = (points[left_outer] + points[left_inner]) / 2
    return float(np.linalg.norm(left - right))


def similarity_transform(source: np.ndarray, target: np.ndarray,
                         weights: np.ndarray | None = None) -> tuple[float, np.ndarray, np.ndarray]:
    """Scale s, rotation R (3x3, determinant +1) and translation t (3,) that best map the points
    `source` onto `target`, both (N, 3) with N >= 3: target ~ s * source @ R.T + t, by weighted
    least squares (Umeyama 1991). weights: (N,) non-negative, None for equal weights."""
    source, target = np.asarray(source, dtype="float64"), np.asarray(target, dtype="float64")
    if source.ndim != 2 or source.shape[1] != 3 or source.shape != target.shape or len(source) < 3:
        raise ValueError(f"source has shape {source.shape} and target {target.shape}; expected two "
                         f"(N, 3) arrays of the same shape with N >= 3.")
    weights = np.ones(len(source)) if weights is None else np.asarray(weights, dtype="float64")
    if weights.shape != (len(source),) or (weights < 0).any() or not weights.sum() > 0:
        raise ValueError(f"weights have shape {weights.shape}; expected {len(source)} non-negative numbers "
                         f"with a positive sum.")
    weights = weights / weights.sum()
    if not weights @ ((source - weights @ source) ** 2).sum(axis=1) > 0:
        raise ValueError("the weighted source points all coincide; expected points spread in space.")
    return _similarity(source, target, weights)


def _similarity(source: np.ndarray, target: np.ndarray, weights: np.ndarray):
    """The fit of similarity_transform, once its checks have passed and the weights sum to 1."""
    source_mean, target_mean = weights @ source, weights @ target
    source_centred, target_centred = source - source_mean, target - target_mean
    covariance = (target_centred * weights[:, None]).T @ source_centred
    left, singular, right_t = np.linalg.svd(covariance)
    if np.linalg.det(left @ right_t) < 0:  # keep a rotation, not a reflection
        left[:, 2], singular[2] = -left[:, 2], -singular[2]
    rotation = left @ right_t
    scale = float(singular.sum() / (weights @ (source_centred ** 2).sum(axis=1)))
    return scale, rotation, target_mean - scale * rotation @ source_mean
