"""MediaPipe face mesh: frame -> 468 face landmarks in pixels; head pose; similarity alignment.

`FaceMesh` wraps `mp.solutions.face_mesh` (its model ships inside the mediapipe 0.10.21 wheel,
so nothing is downloaded). Landmarks are float32 arrays of shape (468, 3): x and y in pixels of
the frame, z in pixels scaled like x (MediaPipe's relative depth times the frame width; smaller
is closer to the camera, 0 near the middle of the head). Everything after `FaceMesh` is numpy.
"""

from __future__ import annotations

import math

import numpy as np

from .faces import FaceBox, _import_mediapipe, _to_rgb
from .quiet import quiet_native

LANDMARK_COUNT = 468
MIN_SUBJECT_IOU = 0.3  # a mesh and the subject's detector box overlap by ~0.8 when they are one face
# In tracking mode a newly found face's mesh moves by up to ~6 px over its next 5 frames while the
# tracker settles (a still face would show a burst of motion): its first frame is run 5 more times.
SETTLE_PASSES = 5

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


class FaceMesh:
    """468 face landmarks per face with MediaPipe Face Mesh.

    static_image_mode: False (the default) tracks faces from frame to frame, for video; True
    detects afresh in every frame, for unrelated images. In tracking mode, the frame where a face
    is (re)found is processed SETTLE_PASSES more times, so that its landmarks are already settled
    and do not jump on the next frames. max_faces: meshes per frame, >= 1;
    with more than 1, MediaPipe runs its face detector on every frame, at about 0.6x the speed;
    with 1, it tracks the first face it found, which may not be the `subject` of a crowded frame.
    min_detection_confidence, min_tracking_confidence: thresholds in [0.0, 1.0].
    color_order: "bgr" (OpenCV frames, the default) or "rgb". Use as a context manager, or call
    close() when done.
    """

    def __init__(self, static_image_mode: bool = False, max_faces: int = 2, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5, color_order: str = "bgr"):
        if isinstance(max_faces, bool) or not isinstance(max_faces, int) or max_faces < 1:
            raise ValueError(f"max_faces is {max_faces!r}; expected a whole number >= 1.")
        for name, value in (("min_detection_confidence", min_detection_confidence),
                            ("min_tracking_confidence", min_tracking_confidence)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} is {value!r}; expected a number in [0.0, 1.0].")
        if color_order not in ("bgr", "rgb"):
            raise ValueError(f'color_order is {color_order!r}; expected "bgr" or "rgb".')
        self.static_image_mode = bool(static_image_mode)
        self.max_faces = max_faces
        self.color_order = color_order
        mediapipe = _import_mediapipe()
        self._faces_before = 0
        # MediaPipe logs from C++ at the graph's first process() (XNNPACK, feedback manager) and
        # at the first frame with a face (landmark projection): both are hidden unless verbose
        # (quiet.py), the first by a warm-up on a blank frame, the second until a face was seen.
        self._quiet_until_face = True
        with quiet_native():
            self._engine = mediapipe.solutions.face_mesh.FaceMesh(
                static_image_mode=self.static_image_mode, max_num_faces=max_faces, refine_landmarks=False,
                min_detection_confidence=float(min_detection_confidence),
                min_tracking_confidence=float(min_tracking_confidence))
            self._engine.process(np.zeros((64, 64, 3), np.uint8))

    def reset(self) -> None:
        """Forget the tracked face: call between videos, so that a video's landmarks do not
        depend on which video this mesh saw before (as when workers take videos in any order)."""
        if self._engine is None:
            raise ValueError("this FaceMesh is closed; create a new one.")
        with quiet_native():
            self._engine.reset()
            self._engine.process(np.zeros((64, 64, 3), np.uint8))
        self._faces_before = 0

    def _process(self, rgb: np.ndarray):
        if not self._quiet_until_face:
            return self._engine.process(rgb)
        with quiet_native():
            result = self._engine.process(rgb)
        self._quiet_until_face = not result.multi_face_landmarks
        return result

    def detect(self, frame: np.ndarray) -> list[np.ndarray]:
        """Landmarks of every face in one uint8 frame (H, W, 3) in `color_order`, (H, W, 4) or
        (H, W) gray: a list of float32 (468, 3) arrays, largest face first; empty when none."""
        if self._engine is None:
            raise ValueError("this FaceMesh is closed; create a new one.")
        rgb = _to_rgb(frame, self.color_order)
        height, width = rgb.shape[:2]
        result = self._process(rgb)
        if not self.static_image_mode and len(result.multi_face_landmarks or ()) > self._faces_before:
            for _ in range(SETTLE_PASSES):
                result = self._engine.process(rgb)
        self._faces_before = len(result.multi_face_landmarks or ())
        meshes = []
        for face in result.multi_face_landmarks or ():
            points = np.array([(point.x, point.y, point.z) for point in face.landmark[:LANDMARK_COUNT]],
                              dtype="float32")
            meshes.append(points * np.array([width, height, width], dtype="float32"))
        meshes.sort(key=lambda points: _box_area(_landmark_box(points)), reverse=True)
        return meshes

    def landmarks(self, frame: np.ndarray, subject: FaceBox | None = None) -> np.ndarray | None:
        """Landmarks (float32, (468, 3), pixels) of one face in `frame`: the mesh whose bounding
        box overlaps the detector's `subject` box best (None when none overlaps it by an
        intersection-over-union of at least MIN_SUBJECT_IOU), or the largest when subject is None.
        None when there is no face."""
        meshes = self.detect(frame)
        if subject is None or not meshes:
            return meshes[0] if meshes else None
        target = (subject.x, subject.y, subject.x + subject.width, subject.y + subject.height)
        overlaps = [_iou(_landmark_box(points), target) for points in meshes]
        best = int(np.argmax(overlaps))
        return meshes[best] if overlaps[best] >= MIN_SUBJECT_IOU else None

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def __enter__(self) -> "FaceMesh":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _landmark_box(points: np.ndarray) -> tuple[float, float, float, float]:
    (x0, y0), (x1, y1) = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def _box_area(box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _iou(first, second) -> float:
    inner = _box_area((max(first[0], second[0]), max(first[1], second[1]),
                       min(first[2], second[2]), min(first[3], second[3])))
    union = _box_area(first) + _box_area(second) - inner
    return inner / union if union > 0 else 0.0


def check_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """`landmarks` as float64 (468, 3); ValueError for anything else."""
    points = np.asarray(landmarks)
    if points.shape != (LANDMARK_COUNT, 3) or not np.issubdtype(points.dtype, np.number) \
            or not np.isfinite(points).all():
        raise ValueError(f"landmarks have shape {points.shape} and dtype {points.dtype}; expected finite "
                         f"numbers of shape ({LANDMARK_COUNT}, 3), as FaceMesh.landmarks returns.")
    return points.astype("float64")


def inter_ocular_distance(landmarks: np.ndarray) -> float:
    """Distance between the eye centres (each the midpoint of its two corners), in 3D, in the
    landmarks' units (pixels for FaceMesh output)."""
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
    """similarity_transform without the checks, for weights that sum to 1 (called per frame)."""
    source_mean, target_mean = weights @ source, weights @ target
    source_centred, target_centred = source - source_mean, target - target_mean
    covariance = (target_centred * weights[:, None]).T @ source_centred
    left, singular, right_t = np.linalg.svd(covariance)
    if np.linalg.det(left @ right_t) < 0:  # keep a rotation, not a reflection
        left[:, 2], singular[2] = -left[:, 2], -singular[2]
    rotation = left @ right_t
    scale = float(singular.sum() / (weights @ (source_centred ** 2).sum(axis=1)))
    return scale, rotation, target_mean - scale * rotation @ source_mean


def similarity_align(source: np.ndarray, target: np.ndarray, weights: np.ndarray | None = None,
                     indices=None) -> np.ndarray:
    """`source` (N, 3) moved onto `target` (N, 3) by the similarity transform (translation,
    rotation, uniform scale) fitted on the points `indices` (None: all) with `weights`.
    Returns float64 (N, 3): what is left is how the shapes differ, not where they sit."""
    source = np.asarray(source, dtype="float64")
    chosen = slice(None) if indices is None else list(indices)
    scale, rotation, translation = similarity_transform(source[chosen], np.asarray(target)[chosen], weights)
    return scale * source @ rotation.T + translation


def head_rotation(landmarks: np.ndarray) -> np.ndarray:
    """Rotation (3x3) of the head from MediaPipe's canonical frontal face, in the landmarks' axes
    (x right, y down, z away from the camera), fitted on MediaPipe's Procrustes basis."""
    points = check_landmarks(landmarks)
    return _similarity(CANONICAL_BASIS, points[list(BASIS_INDICES)], BASIS_WEIGHTS)[1]


def rotation_angles(rotation: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of a head rotation, with rotation = Yaw @ Pitch @ Roll:
    yaw and pitch are where the nose points, roll the turn about the nose. See head_pose."""
    forward = -np.asarray(rotation)[:, 2]  # the nose direction; (0, 0, -1) faces the camera
    yaw = math.atan2(forward[0], -forward[2])
    pitch = math.atan2(-forward[1], math.hypot(forward[0], forward[2]))
    remainder = rotation_matrix(math.degrees(yaw), math.degrees(pitch), 0.0).T @ rotation
    roll = math.atan2(remainder[0, 1], remainder[0, 0])
    return math.degrees(yaw), math.degrees(pitch), math.degrees(roll)


def rotation_matrix(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """The head rotation (3x3, landmarks' axes) with these angles; the inverse of rotation_angles."""
    yaw, pitch, roll = (math.radians(angle) for angle in (yaw_deg, pitch_deg, roll_deg))
    turn = np.array([[math.cos(yaw), 0, -math.sin(yaw)], [0, 1, 0], [math.sin(yaw), 0, math.cos(yaw)]])
    nod = np.array([[1, 0, 0], [0, math.cos(pitch), math.sin(pitch)], [0, -math.sin(pitch), math.cos(pitch)]])
    tilt = np.array([[math.cos(roll), math.sin(roll), 0], [-math.sin(roll), math.cos(roll), 0], [0, 0, 1]])
    return turn @ nod @ tilt


def head_pose(landmarks: np.ndarray) -> tuple[float, float, float]:
    """Head pose (yaw, pitch, roll) in degrees from FaceMesh landmarks (468, 3).

    All three are 0 for MediaPipe's canonical face looking straight into the camera.
    yaw > 0: the nose points to the image's right (the person turns to their left);
    pitch > 0: the nose points up (chin up); roll > 0: the face turns counterclockwise as
    seen in the image (toward the person's right shoulder), like a positive angle of
    cv2.getRotationMatrix2D. A mirrored image flips the signs of yaw and roll, not pitch.
    The pose is relative to the line of sight: MediaPipe's landmarks are close to a weak
    perspective, so a face moved across the image without turning keeps its pose.
    """
    return rotation_angles(head_rotation(landmarks))
