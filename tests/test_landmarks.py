"""Face-mesh geometry: similarity alignment, the landmark head pose and the regions, exact math on
synthetic points (the engine itself: test_face_engine.py)."""


import numpy as np
import pytest

from conftest import landmark_rotation, rotation_matrix
from expressiveness.face import import_mediapipe, rotation_angles
from expressiveness.measures.geometry import (BASIS_INDICES, CANONICAL_BASIS, LANDMARK_COUNT, REGIONS, check_landmarks,
                                              similarity_transform)


def random_rotation(rng) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def test_similarity_transform_undoes_a_known_transform_exactly():
    rng = np.random.default_rng(0)
    source = rng.normal(size=(50, 3))
    rotation, scale, translation = random_rotation(rng), 1.7, np.array([3.0, -2.0, 0.5])
    target = scale * source @ rotation.T + translation
    found_scale, found_rotation, found_translation = similarity_transform(source, target)
    assert found_scale == pytest.approx(scale, abs=1e-12)
    np.testing.assert_allclose(found_rotation, rotation, atol=1e-12)
    np.testing.assert_allclose(found_translation, translation, atol=1e-12)
    # Fitted on a subset, with weights: the other points follow, even when the target moved them.
    moved = target.copy()
    moved[40:] += 5.0
    scale, rotation, translation = similarity_transform(source[:40], moved[:40], weights=np.arange(1.0, 41.0))
    np.testing.assert_allclose(scale * source @ rotation.T + translation, target, atol=1e-12)


def test_similarity_transform_never_reflects():
    rng = np.random.default_rng(1)
    source = rng.normal(size=(30, 3))
    mirrored = source * np.array([-1.0, 1.0, 1.0])
    _, rotation, _ = similarity_transform(source, mirrored)
    assert np.linalg.det(rotation) == pytest.approx(1.0)


def test_similarity_transform_rejects_bad_shapes_and_weights():
    points = np.zeros((5, 3))
    with pytest.raises(ValueError, match=r"^source has shape \(5, 3\) and target \(4, 3\); expected two \(N, 3\) "
                                         r"arrays of the same shape with N >= 3\.$"):
        similarity_transform(points, points[:4])
    with pytest.raises(ValueError, match=r"^weights have shape \(2,\); expected 5 non-negative numbers"):
        similarity_transform(points + np.arange(15).reshape(5, 3), points, weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="^the weighted source points all coincide"):
        similarity_transform(points, points)


def canonical_face(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """468 landmarks whose Procrustes basis is MediaPipe's canonical face turned by these angles,
    scaled to pixels and placed in a 640x480 frame."""
    points = np.zeros((LANDMARK_COUNT, 3))
    points[list(BASIS_INDICES)] = 12.0 * CANONICAL_BASIS @ rotation_matrix(yaw, pitch, roll).T + [320, 240, 0]
    return points


def test_head_pose_of_the_turned_canonical_face_and_its_sign_convention():
    np.testing.assert_allclose(rotation_angles(landmark_rotation(canonical_face(20, -10, 5))), (20, -10, 5), atol=1e-9)
    turned = canonical_face(20, 0, 0)
    nose_tip, right_eye_corner = 4, 33
    assert turned[nose_tip, 0] > 320  # yaw > 0: the nose points to the image's right
    raised = canonical_face(0, 20, 0)
    assert raised[nose_tip, 1] < canonical_face(0, 0, 0)[nose_tip, 1]  # pitch > 0: the nose points up
    tilted = canonical_face(0, 0, 20)
    assert tilted[right_eye_corner, 1] > canonical_face(0, 0, 0)[right_eye_corner, 1]  # roll > 0: counterclockwise


def test_regions_are_the_mediapipe_connection_vertices_and_disjoint():
    connections = import_mediapipe()[2].FaceLandmarksConnections

    def vertices(*sets):
        return tuple(sorted({index for edges in sets for edge in edges for index in (edge.start, edge.end)}))

    assert REGIONS["brows"] == vertices(connections.FACE_LANDMARKS_RIGHT_EYEBROW, connections.FACE_LANDMARKS_LEFT_EYEBROW)
    assert REGIONS["eyes"] == vertices(connections.FACE_LANDMARKS_RIGHT_EYE, connections.FACE_LANDMARKS_LEFT_EYE)
    assert REGIONS["mouth"] == vertices(connections.FACE_LANDMARKS_LIPS)
    for indices in REGIONS.values():
        assert indices and all(0 <= index < LANDMARK_COUNT for index in indices)
    assert not set(REGIONS["brows"]) & set(REGIONS["eyes"])
    assert not set(REGIONS["eyes"]) & set(REGIONS["mouth"])
    assert not set(REGIONS["brows"]) & set(REGIONS["mouth"])
    assert len(set(BASIS_INDICES)) == len(BASIS_INDICES) == 33
    assert not set(BASIS_INDICES) & (set(REGIONS["mouth"]) | set(REGIONS["brows"]))


def test_canonical_basis_is_mirror_symmetric():
    mirrored = CANONICAL_BASIS * [-1, 1, 1]
    for point in mirrored:
        assert np.abs(CANONICAL_BASIS - point).sum(axis=1).min() < 1e-9


def test_bad_landmarks_are_named():
    with pytest.raises(ValueError, match=r"^landmarks have shape \(68, 2\) and dtype float64; expected finite "
                                         r"numbers of shape \(478, 3\) as FaceLandmarker gives them, or \(468, 3\)\.$"):
        check_landmarks(np.zeros((68, 2)))
    assert check_landmarks(np.ones((478, 3))).shape == (LANDMARK_COUNT, 3)  # the iris points are left out
